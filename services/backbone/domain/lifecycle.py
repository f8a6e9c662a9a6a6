"""The referral lifecycle judge (contracts/events.md, section 3): authorisation by content.

``judge(events)`` orders events by ``Event.sort_key`` (never by arrival), then decides for each
one whether it is valid or rejected, with a machine-readable ``Reason`` and a message that names
agencies and referral ids but never a child. A rejected event changes nothing.

Per recipient a referral moves issued → received → accepted | declined, accepted → completed,
or issued → unreadable (contract v1.1: the recipient's ``EnvelopeUnreadable`` whose
``causation_id`` is the referral's ``ReferralIssued``; final for that recipient). Only the issuer
withdraws, and only while some recipient has neither completed nor declined (an unreadable
recipient has not finished); every lifecycle event of a referral after its withdrawal is
rejected. An ``EnvelopeUnreadable`` that names its referral's ``ReferralIssued`` but comes before
it in time order is ``unknown_referral``, as a receipt would be. Any other ``EnvelopeUnreadable``
(it names another event, or has no ``referral_id``) changes no referral state and is valid from
any type but ``audit``.

Choices the contract leaves open (docs/audit.md):

* A referral id is unique across children. A second ``ReferralIssued`` with a known id is a
  ``duplicate_referral``; a lifecycle event whose ``child_ref`` differs from the referral's is
  ``child_mismatch``.
* Responsibility follows the handoffs. A referral is held by its recipients that have accepted
  and not completed; otherwise (pending, all declined, completed or withdrawn) by its issuer.
  A child is held by the holders of all its referrals, or, while it has none, by the agency of
  its first valid event (the one that minted ``child_ref``). ``CaseClosed`` is "the agency
  responsible" = one of the child's holders at that time; it has no other effect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from backbone.domain.agencies import agency_type
from backbone.domain.catalogue import may_emit
from backbone.domain.events import Event


class Reason(StrEnum):
    """Why an event is rejected for its content."""

    NOT_AUTHORISED = "not_authorised"
    DUPLICATE_REFERRAL = "duplicate_referral"
    UNKNOWN_REFERRAL = "unknown_referral"
    CHILD_MISMATCH = "child_mismatch"
    AFTER_WITHDRAWAL = "after_withdrawal"
    NOT_ISSUER = "not_issuer"
    REFERRAL_CLOSED = "referral_closed"
    NOT_A_RECIPIENT = "not_a_recipient"
    DUPLICATE_RECEIPT = "duplicate_receipt"
    NOT_RECEIVED = "not_received"
    ALREADY_DECIDED = "already_decided"
    NOT_ACCEPTING_RECIPIENT = "not_accepting_recipient"
    ALREADY_COMPLETED = "already_completed"
    NOT_RESPONSIBLE = "not_responsible"
    UNREADABLE = "unreadable"  # the recipient answered the referral as unreadable (final)


class RecipientState(StrEnum):
    ISSUED = "issued"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"
    UNREADABLE = "unreadable"


_FINISHED = frozenset({RecipientState.DECLINED, RecipientState.COMPLETED})


@dataclass(frozen=True)
class Rejection:
    reason: Reason
    message: str


class ConflictingEvents(ValueError):
    """Two events share an ``event_id`` but differ in content; ``event_ids`` names them."""

    def __init__(self, event_ids: list[str]) -> None:
        super().__init__(f"same event_id, different content: {', '.join(event_ids)}")
        self.event_ids = event_ids


@dataclass(frozen=True)
class Referral:
    """One referral's state; ``recipients`` keeps the order of the issuing event."""

    referral_id: str
    child_ref: str
    kind: str
    issuer: str
    issued_event_id: str
    recipients: Mapping[str, RecipientState]
    withdrawn_event_id: str | None = None

    @property
    def finished(self) -> bool:
        """Every recipient has completed or declined."""
        return all(state in _FINISHED for state in self.recipients.values())

    @property
    def holders(self) -> tuple[str, ...]:
        """The agencies holding responsibility for the referred work now."""
        if self.withdrawn_event_id is None:
            working = [a for a, s in self.recipients.items() if s is RecipientState.ACCEPTED]
            if working:
                return tuple(working)
        return (self.issuer,)


@dataclass(frozen=True)
class Judgement:
    """The verdicts on a set of events and the referral state after the last of them."""

    events: tuple[Event, ...]
    verdicts: Mapping[str, Rejection | None]
    referrals: Mapping[str, Referral]
    first_agency: Mapping[str, str]
    child_referrals: Mapping[str, list[str]]  # child_ref -> its referral ids, in issue order
    # Valid EnvelopeUnreadable events that moved their referral's recipient to unreadable.
    transitions: frozenset[str] = frozenset()

    def rejection(self, event_id: str) -> Rejection | None:
        return self.verdicts[event_id]

    @property
    def valid(self) -> tuple[Event, ...]:
        """The valid events, in time order."""
        return tuple(e for e in self.events if self.verdicts[e.event_id] is None)

    def responsible(self, child_ref: str) -> tuple[str, ...]:
        """The agencies holding responsibility for the child (sorted, no repeats)."""
        return _responsible(child_ref, self.referrals, self.child_referrals, self.first_agency)


def distinct(events: Iterable[Event]) -> tuple[Event, ...]:
    """The events in time order, one per ``event_id``; raise ``ConflictingEvents``.

    Two events are the same when their plain JSON forms are equal (payload included), so an
    instant written with another offset is different content.
    """
    seen: dict[str, Event] = {}
    conflicts: set[str] = set()
    for event in events:
        known = seen.setdefault(event.event_id, event)
        if known is not event and not known.same_content(event):
            conflicts.add(event.event_id)
    if conflicts:
        raise ConflictingEvents(sorted(conflicts))
    return tuple(sorted(seen.values(), key=lambda e: e.sort_key))


def judge(events: Iterable[Event], until: datetime | None = None) -> Judgement:
    """Judge ``events`` (those with ``occurred_at`` ≤ ``until`` when it is given).

    Arrival order and repeated identical events do not matter; conflicting repeats raise
    ``ConflictingEvents``. A verdict depends only on the events before it in time order, with
    one exception the contract makes: an ``EnvelopeUnreadable`` naming its referral's
    ``ReferralIssued`` is ``unknown_referral`` when that issue comes after it in time order, so
    an issue arriving later (out of order) can reject an answer judged valid without it.
    """
    ordered = tuple(e for e in distinct(events) if until is None or e.occurred_at <= until)
    referrals: dict[str, Referral] = {}
    child_referrals: dict[str, list[str]] = {}
    first_agency: dict[str, str] = {}
    verdicts: dict[str, Rejection | None] = {}
    transitions: set[str] = set()
    # Which referral each ReferralIssued of the set issues: an EnvelopeUnreadable that names its
    # referral's ReferralIssued is judged by the lifecycle wherever that issue stands in time.
    issues = {e.event_id: e.referral_id for e in ordered if e.event_type == "ReferralIssued"}
    for event in ordered:
        rejection = _verdict(event, referrals, child_referrals, first_agency, issues)
        verdicts[event.event_id] = rejection
        if rejection is None:
            if _answers_issue(event, referrals):
                transitions.add(event.event_id)
            _apply(event, referrals, child_referrals)
            if may_emit(agency_type(event.producer), "CaseClosed"):
                first_agency.setdefault(event.child_ref, event.producer)
    return Judgement(
        ordered, verdicts, referrals, first_agency, child_referrals, frozenset(transitions)
    )


def _answers_issue(event: Event, referrals: Mapping[str, Referral]) -> bool:
    """An ``EnvelopeUnreadable`` whose ``causation_id`` names its referral's ``ReferralIssued``
    (issued before it in time order): judged by the referral's lifecycle."""
    if event.event_type != "EnvelopeUnreadable" or event.referral_id is None:
        return False
    referral = referrals.get(event.referral_id)
    return referral is not None and referral.issued_event_id == event.causation_id


def _responsible(
    child_ref: str,
    referrals: Mapping[str, Referral],
    child_referrals: Mapping[str, list[str]],
    first_agency: Mapping[str, str],
) -> tuple[str, ...]:
    """The holders of the child's referrals (found by the per-child index, not by a scan)."""
    held = {a for rid in child_referrals.get(child_ref, ()) for a in referrals[rid].holders}
    if not held and child_ref in first_agency:
        held.add(first_agency[child_ref])
    return tuple(sorted(held))


def _verdict(
    event: Event,
    referrals: Mapping[str, Referral],
    child_referrals: Mapping[str, list[str]],
    first_agency: Mapping[str, str],
    issues: Mapping[str, str | None],
) -> Rejection | None:
    producer_type = agency_type(event.producer)
    if not may_emit(producer_type, event.event_type):
        return Rejection(
            Reason.NOT_AUTHORISED,
            f"an agency of type {producer_type} may not emit {event.event_type}",
        )
    if event.event_type == "CaseClosed":
        holders = _responsible(event.child_ref, referrals, child_referrals, first_agency)
        if event.producer in holders:
            return None
        return Rejection(
            Reason.NOT_RESPONSIBLE, f"{event.producer} does not hold responsibility for the child"
        )
    if event.event_type == "EnvelopeUnreadable":
        if event.referral_id is None or issues.get(event.causation_id or "") != event.referral_id:
            return None  # it answers another event: valid, changes no referral
        if not _answers_issue(event, referrals):
            return Rejection(
                Reason.UNKNOWN_REFERRAL,
                f"referral {event.referral_id} has not been issued before this answer",
            )
        return _referral_verdict(event, referrals[event.referral_id])
    if not event.event_type.startswith("Referral"):
        return None
    assert event.referral_id is not None  # parse_event requires it for Referral* events
    referral = referrals.get(event.referral_id)
    if event.event_type == "ReferralIssued":
        if referral is None:
            return None
        return Rejection(
            Reason.DUPLICATE_REFERRAL, f"referral {event.referral_id} was already issued"
        )
    if referral is None:
        return Rejection(
            Reason.UNKNOWN_REFERRAL, f"referral {event.referral_id} has not been issued"
        )
    return _referral_verdict(event, referral)


def _referral_verdict(event: Event, referral: Referral) -> Rejection | None:
    rid, producer = referral.referral_id, event.producer
    if event.child_ref != referral.child_ref:
        return Rejection(Reason.CHILD_MISMATCH, f"referral {rid} was issued for another child")
    if referral.withdrawn_event_id is not None:
        return Rejection(Reason.AFTER_WITHDRAWAL, f"referral {rid} was withdrawn before this")
    if event.event_type == "ReferralWithdrawn":
        if producer != referral.issuer:
            return Rejection(Reason.NOT_ISSUER, f"only the issuer may withdraw referral {rid}")
        if referral.finished:
            return Rejection(
                Reason.REFERRAL_CLOSED, f"every recipient of referral {rid} completed or declined"
            )
        return None
    state = referral.recipients.get(producer)
    if state is None:
        return Rejection(Reason.NOT_A_RECIPIENT, f"{producer} is not a recipient of {rid}")
    return _transition_verdict(event.event_type, state, producer, rid)


def _transition_verdict(
    event_type: str, state: RecipientState, producer: str, rid: str
) -> Rejection | None:
    if state is RecipientState.UNREADABLE:
        return Rejection(Reason.UNREADABLE, f"{producer} answered {rid} as unreadable (final)")
    if event_type == "ReferralReceived":
        if state is RecipientState.ISSUED:
            return None
        return Rejection(Reason.DUPLICATE_RECEIPT, f"{producer} already received {rid}")
    if event_type == "EnvelopeUnreadable":
        if state is RecipientState.ISSUED:
            return None
        return Rejection(Reason.DUPLICATE_RECEIPT, f"{producer} already received {rid} ({state})")
    if event_type in ("ReferralAccepted", "ReferralDeclined"):
        if state is RecipientState.RECEIVED:
            return None
        if state is RecipientState.ISSUED:
            return Rejection(Reason.NOT_RECEIVED, f"{producer} has not received {rid}")
        return Rejection(Reason.ALREADY_DECIDED, f"{producer} already decided on {rid} ({state})")
    if event_type == "ReferralCompleted":
        if state is RecipientState.ACCEPTED:
            return None
        if state is RecipientState.COMPLETED:
            return Rejection(Reason.ALREADY_COMPLETED, f"{producer} already completed {rid}")
        return Rejection(
            Reason.NOT_ACCEPTING_RECIPIENT, f"{producer} has not accepted {rid} ({state})"
        )
    raise ValueError(f"not a referral lifecycle event type: {event_type}")


_NEXT_STATE = {
    "ReferralReceived": RecipientState.RECEIVED,
    "ReferralAccepted": RecipientState.ACCEPTED,
    "ReferralDeclined": RecipientState.DECLINED,
    "ReferralCompleted": RecipientState.COMPLETED,
    "EnvelopeUnreadable": RecipientState.UNREADABLE,
}


def _apply(
    event: Event, referrals: dict[str, Referral], child_referrals: dict[str, list[str]]
) -> None:
    """Change the state by one valid event (a referral's child never changes after its issue)."""
    if event.referral_id is None:
        return
    if event.event_type == "EnvelopeUnreadable" and not _answers_issue(event, referrals):
        return
    if event.event_type != "EnvelopeUnreadable" and not event.event_type.startswith("Referral"):
        return
    if event.event_type == "ReferralIssued":
        referrals[event.referral_id] = Referral(
            referral_id=event.referral_id,
            child_ref=event.child_ref,
            kind=event.attributes["kind"],
            issuer=event.producer,
            issued_event_id=event.event_id,
            recipients=dict.fromkeys(event.recipients, RecipientState.ISSUED),
        )
        child_referrals.setdefault(event.child_ref, []).append(event.referral_id)
        return
    referral = referrals[event.referral_id]
    if event.event_type == "ReferralWithdrawn":
        referrals[event.referral_id] = replace(referral, withdrawn_event_id=event.event_id)
    else:
        recipients = {**referral.recipients, event.producer: _NEXT_STATE[event.event_type]}
        referrals[event.referral_id] = replace(referral, recipients=recipients)
