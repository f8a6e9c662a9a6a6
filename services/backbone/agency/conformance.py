"""``backbone conformance --as AGENCY``: an onboarding check of an agency's system, live.

A conformance issuer, the agency principal ``ngo.<region>.conformance`` that the operator
provisions once per region (topology, keys, published certificate), sends AGENCY a few test
referrals (``ReferralIssued``, kind ``other``, minted ids, a synthetic payload that says it is a
conformance test) and reads its own inbox, where the router delivers the lifecycle events AGENCY
addresses to the issuer. Every record is verified and opened as an agency's inbox does
(``decode_record``: signature by the producer's certified key, header grammar, record key,
authorisation, body); the answers of each referral are judged by the referral judge
(``domain.lifecycle``), so a receipt or decision the audit would reject is reported with the
judge's reason. Then every test referral still open is withdrawn (reason ``other``), so no
deadline stays open on the audit.

The issue's own copy in the issuer's inbox shows when the router delivered the referral (it
writes a record's copies to all its readers together). The waits for AGENCY's answers start
there, not at the publish, so a slow router (catching up after a restart) is not counted against
AGENCY; a referral the router has not delivered within ``--delivery-timeout`` is reported as
``issue_not_delivered`` and the check is incomplete (exit 2), not a verdict on AGENCY.

Times reported are broker times: the log-append times of the issue's copy and of each answer in
the issuer's inbox (both ``LogAppendTime``), so a receipt's seconds include one delivery by the
router. The report names agency ids, minted ids, event types, reason codes and seconds, never a
payload.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kafka.errors import KafkaError

from backbone.agency import publish as agency_publish
from backbone.audit.core.calendar import ALMATY, Period, Unit, kazakhstan_calendar, render
from backbone.audit.core.rules import RulesError, load_rules
from backbone.audit.live.settings import rules_files
from backbone.broker.reader import TopicMissing, TopicReader
from backbone.broker.topics import inbox_topic
from backbone.broker.topology import TopologyError
from backbone.consumer.gate import decode_record
from backbone.consumer.inbound import Inbound
from backbone.domain.agencies import REGIONS, AgencyId, InvalidAgencyId
from backbone.domain.catalogue import may_emit
from backbone.domain.events import Event, parse_event
from backbone.domain.lifecycle import judge
from backbone.envelope.codec import EnvelopeCodec, VerifiedEnvelope
from backbone.envelope.errors import EnvelopeError, EnvelopeRejected
from backbone.envelope.keys import KeystoreError
from backbone.runtime.context import ServiceContext
from backbone.scenario.ids import Minter

ISSUER_TYPE, ISSUER_NAME = "ngo", "conformance"
# The reference agency service sends its receipt within about 2 s of the issue reaching its inbox
# (contracts/README.md, step 5); measured here through one more delivery by the router.
RECEIPT_TARGET_SECONDS = 2.0
# The national rules' periods, used when the rules file cannot be read.
CONTRACT_PERIOD = Period(1, Unit.WORKING_DAYS)
DECISIONS = ("ReferralAccepted", "ReferralDeclined")
POLL_PAUSE_SECONDS = 0.3
# How long the router has to deliver a test referral, by default: it is at most a second when it
# keeps up, more while it catches up with the event log after a restart.
DELIVERY_TIMEOUT_SECONDS = 60.0
SUMMARY = "Conformance test referral: synthetic, no child; it is withdrawn after the check"


class SetupError(Exception):
    """The check cannot run (exit 2); the message says what to do."""


def issuer_of(region: str) -> str:
    return f"{ISSUER_TYPE}.{region}.{ISSUER_NAME}"


def how_to_provision(issuer: str) -> str:
    return (
        f"provision the conformance issuer {issuer} once: add it to [agencies] ids in"
        " deploy/kafka/topology.toml and run `backbone topology apply`, then"
        f' `backbone keys issue {issuer} --display-name "conformance issuer"` and'
        ' `backbone keys publish` (docs/operations.md, "Checking an agency\'s system")'
    )


@dataclass(frozen=True)
class Limits:
    """Seconds to wait: for the router's delivery of an issue from its publish; for AGENCY's
    receipt and for its decision from that delivery."""

    receipt_timeout: float
    decision_timeout: float
    delivery_timeout: float = DELIVERY_TIMEOUT_SECONDS


@dataclass
class Answer:
    """A verified event of AGENCY answering a test referral, with its inbox append time."""

    event: Event
    appended: datetime


@dataclass
class Tracked:
    """One test referral and what the issuer's inbox showed of it."""

    issue: Event
    appended: datetime | None = None  # the issue's copy in the issuer's inbox (broker time)
    delivered: float | None = None  # when this command read that copy (time.monotonic())
    answers: list[Answer] = field(default_factory=list)
    refused: list[tuple[str, datetime | None]] = field(default_factory=list)  # (reason, appended)

    def seen(self, types: Iterable[str]) -> Answer | None:
        wanted = set(types)
        return next((a for a in self.answers if a.event.event_type in wanted), None)

    @property
    def settled(self) -> bool:
        """A decision, an unreadable answer or a refused answer: nothing more to wait for."""
        return bool(self.seen((*DECISIONS, "EnvelopeUnreadable")) or self.refused)

    def waiting(self, limits: Limits, published: float, now: float) -> bool:
        """Whether an answer may still come (times by ``time.monotonic()``): the issue's
        delivery within ``delivery_timeout`` of the publish; then, from the delivery, the receipt
        within ``receipt_timeout`` and a decision within ``decision_timeout``."""
        if self.settled:
            return False
        if self.delivered is None:
            return now - published < limits.delivery_timeout
        received = self.seen(("ReferralReceived",)) is not None
        limit = limits.decision_timeout if received else limits.receipt_timeout
        return now - self.delivered < limit


def _now() -> datetime:
    return datetime.now(UTC).astimezone(ALMATY)


def conformance_referrals(issuer: str, agency: str, region: str, count: int) -> list[Event]:
    minter = Minter(f"conformance/{uuid.uuid4()}")
    stamped = _now().replace(microsecond=0).isoformat()
    return [
        parse_event(
            {
                "event_id": str(uuid.uuid4()),
                "event_type": "ReferralIssued",
                "occurred_at": stamped,
                "producer": issuer,
                "child_ref": minter.child_ref(f"child-{n}"),
                "recipients": [agency],
                "region": region,
                "attributes": {"kind": "other"},
                "referral_id": minter.referral_id(f"referral-{n}"),
                "payload": referral_payload(),
            }
        )
        for n in range(1, count + 1)
    ]


def referral_payload() -> dict[str, Any]:
    """A test referral's payload (schemas/avro/payloads/ReferralIssued): about no child."""
    return {
        "summary": SUMMARY,
        "urgency": "routine",
        "requested_services": [],
        "contact_name": "Conformance check",
        "contact_phone": None,
        "documents": [],
    }


def _region(agency: str, given: str | None) -> str:
    if given is not None:
        if given not in REGIONS:
            raise SetupError(f"--region {given} is not one of the 20 region codes")
        return given
    region = AgencyId.parse(agency).region
    if region not in REGIONS:
        raise SetupError(f"{agency} is a national agency: give the header region with --region")
    return region


def _load(agency: str, region: str) -> ServiceContext:
    issuer = issuer_of(region)
    try:
        context = ServiceContext.load(issuer, agency=True)
    except (TopologyError, KeystoreError) as missing:
        raise SetupError(f"{missing}; {how_to_provision(issuer)}") from None
    except ValueError as other:  # KAFKA_USERNAME names another principal
        raise SetupError(str(other)) from None
    now = datetime.now(UTC)
    if context.directory.current(issuer, now) is None:
        raise SetupError(
            f"the key directory has no usable certificate of {issuer}; {how_to_provision(issuer)}"
        )
    if context.directory.current(agency, now) is None:
        raise SetupError(f"the key directory has no usable certificate of {agency}")
    return context


class Inbox:
    """The issuer's inbox, read onwards from where the last read stopped."""

    def __init__(self, context: ServiceContext, tracked: dict[str, Tracked], agency: str) -> None:
        self.context, self.tracked, self.agency = context, tracked, agency
        self.reader = TopicReader(context.kafka, inbox_topic(context.principal))
        self.headers = EnvelopeCodec(context.directory)  # header only: to place a refused body
        self.issues = {t.issue.event_id: t for t in tracked.values()}

    def read(self) -> None:
        for record in self.reader.records():
            inbound = Inbound.from_record(record)
            try:
                verified = decode_record(self.context.codec, inbound, require_body=True)
            except EnvelopeRejected as refused:
                self._refused(inbound, refused)
                continue
            self._place(verified.event, inbound.received_at or datetime.now(UTC))

    def _target(self, event: Event) -> Tracked | None:
        if event.event_type == "ReferralIssued":
            return self.issues.get(event.event_id)
        if event.producer != self.agency:
            return None
        return self.tracked.get(event.referral_id or "")

    def _place(self, event: Event, appended: datetime) -> None:
        target = self._target(event)
        if target is None:
            return
        if event.event_type == "ReferralIssued":
            if target.delivered is None:
                target.appended, target.delivered = appended, time.monotonic()
        elif all(a.event.event_id != event.event_id for a in target.answers):
            target.answers.append(Answer(event, appended))

    def _refused(self, inbound: Inbound, refused: EnvelopeRejected) -> None:
        """A record the issuer cannot open: attributed to a referral by its verified header."""
        try:
            header: VerifiedEnvelope = self.headers.decode(
                inbound.value, received_at=inbound.received_at
            )
        except EnvelopeError:
            return  # not verifiable at all: the router would not have delivered AGENCY's
        target = self._target(header.event)
        if target is not None and header.event.event_type != "ReferralIssued":
            target.refused.append((refused.reason, inbound.received_at))

    def close(self) -> None:
        self.reader.close()


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return round((later - earlier).total_seconds(), 3)


def _periods() -> tuple[Any, Any]:
    try:
        rules = load_rules(rules_files())
    except RulesError:
        return None, None
    return rules, kazakhstan_calendar()


def _period(rules: Any, trigger: Event, rule_id: str) -> Period:
    if rules is None:
        return CONTRACT_PERIOD
    found = [r for r in rules.triggered_by(trigger) if r.id == rule_id]
    return found[0].within if found else CONTRACT_PERIOD


def evaluate(
    tracked: Tracked, agency: str, limits: Limits, rules: Any = None, calendar: Any = None
) -> dict[str, Any]:
    """The report of one test referral (before its withdrawal)."""
    calendar = calendar or kazakhstan_calendar()
    issue = tracked.issue
    start = tracked.appended
    problems: list[dict[str, str]] = []
    judged = judge([issue, *(a.event for a in tracked.answers)])
    for answer in tracked.answers:
        rejection = judged.rejection(answer.event.event_id)
        if rejection is not None:
            problems.append(
                {
                    "code": f"rejected_{rejection.reason}",
                    "detail": f"{answer.event.event_type} {answer.event.event_id}: "
                    f"{rejection.message}",
                }
            )
    for reason, _ in tracked.refused:
        problems.append(
            {
                "code": "answer_refused",
                "detail": f"an answer of {agency} reached the issuer but was refused: {reason}",
            }
        )

    def valid(types: tuple[str, ...]) -> Answer | None:
        return next(
            (
                a
                for a in tracked.answers
                if a.event.event_type in types and judged.rejection(a.event.event_id) is None
            ),
            None,
        )

    receipt = valid(("ReferralReceived",))
    unreadable = valid(("EnvelopeUnreadable",))
    decision = valid(DECISIONS)
    receipt_period = _period(rules, issue, "referral-receipt")
    receipt_due = calendar.deadline(issue.occurred_at, receipt_period)
    receipt_report: dict[str, Any] | None = None
    if receipt is not None:
        seconds = _seconds(receipt.appended, start)
        within_contract = receipt.event.occurred_at <= receipt_due
        receipt_report = {
            "event_id": receipt.event.event_id,
            "seconds": seconds,
            "within_target": seconds is not None and seconds <= RECEIPT_TARGET_SECONDS,
            "within_contract": within_contract,
        }
        if seconds is not None and seconds > limits.receipt_timeout:
            problems.append(
                {
                    "code": "receipt_late",
                    "detail": f"ReferralReceived after {seconds} s, past --timeout"
                    f" {limits.receipt_timeout:g} s",
                }
            )
        if not within_contract:
            problems.append(
                {
                    "code": "receipt_past_contract_deadline",
                    "detail": f"ReferralReceived stamped after {render(receipt_due)}",
                }
            )
    elif unreadable is not None:
        problems.append(
            {
                "code": "answered_unreadable",
                "detail": f"{agency} answered a well-formed test referral with EnvelopeUnreadable"
                f" ({unreadable.event.attributes.get('reason', '')}): its system could not open"
                " or decode a valid envelope",
            }
        )
    elif start is None and not tracked.refused:
        problems.append(
            {
                "code": "issue_not_delivered",
                "detail": "the router did not deliver the test referral within"
                f" --delivery-timeout {limits.delivery_timeout:g} s (its copy never reached the"
                f" issuer's inbox; is the router running?): {agency} is not judged on it",
            }
        )
    elif not tracked.refused:
        problems.append(
            {
                "code": "no_receipt",
                "detail": f"no valid ReferralReceived from {agency} within"
                f" {limits.receipt_timeout:g} s of the issue's delivery (target"
                f" {RECEIPT_TARGET_SECONDS:g} s; the contract allows until {render(receipt_due)})",
            }
        )
    decision_report: dict[str, Any] | None = None
    if decision is not None:
        seconds = _seconds(decision.appended, start)
        decided_by = (
            calendar.deadline(
                receipt.event.occurred_at, _period(rules, receipt.event, "referral-decision")
            )
            if receipt is not None
            else None
        )
        within_contract = decided_by is None or decision.event.occurred_at <= decided_by
        decision_report = {
            "event_type": decision.event.event_type,
            "event_id": decision.event.event_id,
            "seconds": seconds,
            "within_contract": within_contract,
        }
        if seconds is not None and seconds > limits.decision_timeout:
            problems.append(
                {
                    "code": "decision_late",
                    "detail": f"{decision.event.event_type} after {seconds} s, past"
                    f" --decision-timeout {limits.decision_timeout:g} s",
                }
            )
        if not within_contract and decided_by is not None:
            problems.append(
                {
                    "code": "decision_past_contract_deadline",
                    "detail": f"{decision.event.event_type} stamped after {render(decided_by)}",
                }
            )
    elif receipt is not None:
        problems.append(
            {
                "code": "no_decision",
                "detail": f"no valid ReferralAccepted or ReferralDeclined from {agency} within"
                f" {limits.decision_timeout:g} s of the issue's delivery (the contract allows 1"
                " working day after the receipt: rule referral-decision)",
            }
        )
    state = judged.referrals[issue.referral_id or ""]
    return {
        "referral_id": issue.referral_id,
        "child_ref": issue.child_ref,
        "issued_event_id": issue.event_id,
        "issue_delivered": start is not None,
        "receipt": receipt_report,
        "decision": decision_report,
        "unreadable_answer": None
        if unreadable is None
        else {
            "event_id": unreadable.event.event_id,
            "seconds": _seconds(unreadable.appended, start),
        },
        "finished": state.finished,
        "problems": problems,
    }


def withdrawal(issue: Event) -> Event:
    return parse_event(
        {
            "event_id": str(uuid.uuid4()),
            "event_type": "ReferralWithdrawn",
            "occurred_at": _now().isoformat(),
            "producer": issue.producer,
            "child_ref": issue.child_ref,
            "recipients": [],
            "region": issue.region,
            "attributes": {"reason": "other"},
            "referral_id": issue.referral_id,
            "causation_id": issue.event_id,
            "payload": {"explanation": "Conformance check finished"},
        }
    )


def run(
    agency: str, count: int, limits: Limits, region: str | None = None
) -> tuple[int, dict[str, Any]]:
    """Send, wait, judge and withdraw; (exit status, report). ``SetupError`` before any send."""
    header_region = _region(agency, region)
    issuer = issuer_of(header_region)
    context = _load(agency, header_region)
    issues = conformance_referrals(issuer, agency, header_region, count)
    tracked = {e.referral_id or "": Tracked(e) for e in issues}
    try:
        inbox = Inbox(context, tracked, agency)
        inbox.reader.mark_end()  # the inbox exists and the issuer may read it
    except TopicMissing:
        raise SetupError(
            f"{inbox_topic(issuer)} does not exist; {how_to_provision(issuer)}"
        ) from None
    interrupted = None
    try:
        try:
            agency_publish.publish(context, issues)
        except agency_publish.PublishFailed as failed:
            sent = [t.issue for t in tracked.values() if t.issue.event_id in failed.acknowledged]
            _publish_withdrawals(context, agency, sent)
            raise SetupError(f"the test referrals were not all published ({failed})") from None
        except (agency_publish.PublishRefused, KafkaError) as failed:
            raise SetupError(f"the test referrals were not published: {failed}") from None
        published = time.monotonic()
        while True:
            try:
                inbox.read()
            except KafkaError as lost:  # judge what was read, and still withdraw
                interrupted = f"reading the issuer's inbox failed: {type(lost).__name__}"
                break
            now = time.monotonic()
            if not any(t.waiting(limits, published, now) for t in tracked.values()):
                break
            time.sleep(POLL_PAUSE_SECONDS)
    finally:
        inbox.close()
    rules, calendar = _periods()
    referrals = [evaluate(t, agency, limits, rules, calendar) for t in tracked.values()]
    _withdraw(context, agency, tracked, referrals)
    conformant = interrupted is None and all(not r["problems"] for r in referrals)
    undelivered = sum(not r["issue_delivered"] for r in referrals)
    report = {
        "agency": agency,
        "issuer": issuer,
        "region": header_region,
        "conformant": conformant,
        "referrals": referrals,
        "expectations": {
            "receipt_target_seconds": RECEIPT_TARGET_SECONDS,
            "delivery_timeout_seconds": limits.delivery_timeout,
            "receipt_timeout_seconds": limits.receipt_timeout,
            "decision_timeout_seconds": limits.decision_timeout,
            "contract": "ReferralReceived within 1 working day of the issue (referral-receipt),"
            " a decision within 1 working day of the receipt (referral-decision)",
            "seconds": "log-append time in the issuer's inbox, from the issue's copy to the answer",
        },
        "problems": sum(len(r["problems"]) for r in referrals),
    }
    if interrupted is not None:
        report["interrupted"] = interrupted
    if undelivered:
        report["undelivered"] = undelivered
        return 2, report  # no verdict on AGENCY for what it never got
    return (0 if conformant else 1), report


def _withdraw(
    context: ServiceContext,
    agency: str,
    tracked: dict[str, Tracked],
    referrals: list[dict[str, Any]],
) -> None:
    """Withdraw every test referral not finished (a declined one is: nothing is owed on it)."""
    open_ = [r for r in referrals if not r["finished"]]
    for report in referrals:
        report["withdrawal"] = "not_needed" if report["finished"] else "pending"
    if not open_:
        return
    failed = _publish_withdrawals(context, agency, [tracked[r["referral_id"]].issue for r in open_])
    outcome, problem = "published", None
    if failed is not None:
        outcome = "failed"
        problem = {
            "code": "withdrawal_failed",
            "detail": f"the test referral is still open ({failed}): withdraw it with"
            " `backbone emit --as` the issuer (reason other)",
        }
    for report in open_:
        report["withdrawal"] = outcome
        if problem is not None:
            report["problems"].append(problem)


def _publish_withdrawals(context: ServiceContext, agency: str, issues: list[Event]) -> str | None:
    """Withdraw ``issues``; ``None``, or why they were not all withdrawn."""
    if not issues:
        return None
    events = [withdrawal(issue) for issue in issues]
    parties = {e.referral_id or "": {agency} for e in events}
    try:
        agency_publish.publish(context, events, parties=parties)
    except (agency_publish.PublishRefused, agency_publish.PublishFailed, KafkaError) as failed:
        return type(failed).__name__
    return None


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "conformance",
        help="send an agency test referrals and check its signed receipts and decisions",
    )
    parser.add_argument("--as", dest="agency", required=True, help="the agency under test")
    parser.add_argument("--referrals", type=int, default=2, help="how many test referrals (2)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds to wait for each receipt, from the issue's delivery (30)",
    )
    parser.add_argument(
        "--decision-timeout",
        type=float,
        default=60.0,
        help="seconds to wait for each decision, from the issue's delivery (60; the contract"
        " allows 1 working day after the receipt)",
    )
    parser.add_argument(
        "--delivery-timeout",
        type=float,
        default=DELIVERY_TIMEOUT_SECONDS,
        help="seconds the router has to deliver each test referral, from its publish"
        f" ({DELIVERY_TIMEOUT_SECONDS:g})",
    )
    parser.add_argument(
        "--region", default=None, help="the header region (default: the agency's own)"
    )
    parser.set_defaults(func=_conformance)


def _conformance(args: argparse.Namespace) -> int:
    try:
        AgencyId.parse(args.agency)
        kind = AgencyId.parse(args.agency).type
        if not may_emit(kind, "ReferralReceived"):
            raise SetupError(f"an agency of type {kind} cannot receive referrals")
        if not 1 <= args.referrals <= 50:
            raise SetupError("--referrals must be from 1 to 50")
        if not 0 < args.timeout <= args.decision_timeout:
            raise SetupError("--timeout must be positive and at most --decision-timeout")
        if not args.delivery_timeout > 0:
            raise SetupError("--delivery-timeout must be positive")
        status, report = run(
            args.agency,
            args.referrals,
            Limits(args.timeout, args.decision_timeout, args.delivery_timeout),
            args.region,
        )
    except (SetupError, InvalidAgencyId) as error:
        print(f"conformance: {error}", file=sys.stderr)
        return 2
    except KafkaError as unreachable:
        print(
            f"conformance: the brokers could not be reached ({type(unreachable).__name__})",
            file=sys.stderr,
        )
        return 2
    print(json.dumps(report, indent=2))
    if "undelivered" in report:
        print(
            f"conformance: the router did not deliver {report['undelivered']} of the"
            f" {len(report['referrals'])} test referrals within --delivery-timeout"
            f" {args.delivery_timeout:g} s (is `backbone run router` running?); the check is"
            " incomplete",
            file=sys.stderr,
        )
    return status
