"""The conformance report's judgement of one test referral, without a broker: each problem an
agency's system can show (late, past the contract's deadline, unreadable, refused, rejected by
the lifecycle, undecided) is named with its code."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from backbone.agency.conformance import (
    Answer,
    Limits,
    Tracked,
    conformance_referrals,
    evaluate,
)
from backbone.domain.events import Event, parse_event

ISSUER, AGENCY, REGION = "ngo.turkestan.conformance", "police.turkestan", "turkestan"
LIMITS = Limits(receipt_timeout=30.0, decision_timeout=60.0)


def _issue() -> Event:
    [issue] = conformance_referrals(ISSUER, AGENCY, REGION, 1)
    # A fixed Friday afternoon, so that the contract's deadlines are known days.
    return replace(issue, occurred_at=datetime.fromisoformat("2026-12-11T16:00:00+05:00"))


def _answer(issue: Event, event_type: str, after: timedelta, **fields: Any) -> Answer:
    at = issue.occurred_at + after
    event = parse_event(
        {
            "event_id": str(uuid.uuid4()),
            "event_type": event_type,
            "occurred_at": at.isoformat(),
            "producer": fields.pop("producer", AGENCY),
            "child_ref": issue.child_ref,
            "recipients": [],
            "region": REGION,
            "attributes": fields.pop("attributes", {}),
            "referral_id": issue.referral_id,
            **fields,
        }
    )
    return Answer(event, at)


def _codes(tracked: Tracked) -> list[str]:
    return [p["code"] for p in evaluate(tracked, AGENCY, LIMITS)["problems"]]


def _tracked(issue: Event, *answers: Answer) -> Tracked:
    return Tracked(issue, appended=issue.occurred_at, answers=list(answers))


def test_a_prompt_receipt_and_decision_have_no_problem() -> None:
    issue = _issue()
    tracked = _tracked(
        issue,
        _answer(issue, "ReferralReceived", timedelta(seconds=1)),
        _answer(issue, "ReferralAccepted", timedelta(seconds=20)),
    )
    report = evaluate(tracked, AGENCY, LIMITS)
    assert report["problems"] == []
    assert report["receipt"]["within_target"] is True
    assert report["decision"]["event_type"] == "ReferralAccepted"


def test_late_answers_past_the_timeouts_and_past_the_contract() -> None:
    issue = _issue()
    # Received on Wednesday 16 December: past the 1-working-day deadline (Tue 15 Dec 00:00).
    received = _answer(issue, "ReferralReceived", timedelta(days=4, hours=17))
    # Decided on Monday 21 December: past the decision deadline after that receipt.
    decided = _answer(issue, "ReferralDeclined", timedelta(days=9), attributes={"reason": "other"})
    codes = _codes(_tracked(issue, received, decided))
    assert codes == [
        "receipt_late",
        "receipt_past_contract_deadline",
        "decision_late",
        "decision_past_contract_deadline",
    ]


def test_a_receipt_without_a_decision_is_no_decision() -> None:
    issue = _issue()
    assert _codes(_tracked(issue, _answer(issue, "ReferralReceived", timedelta(seconds=1)))) == [
        "no_decision"
    ]


def test_an_unreadable_answer_to_a_valid_referral_is_a_problem() -> None:
    issue = _issue()
    unreadable = _answer(
        issue,
        "EnvelopeUnreadable",
        timedelta(seconds=1),
        attributes={"reason": "reader_key_missing"},
        causation_id=issue.event_id,
    )
    report = evaluate(_tracked(issue, unreadable), AGENCY, LIMITS)
    assert [p["code"] for p in report["problems"]] == ["answered_unreadable"]
    assert report["unreadable_answer"]["event_id"] == unreadable.event.event_id


def test_an_answer_refused_on_the_way_is_named() -> None:
    issue = _issue()
    tracked = _tracked(issue)
    tracked.refused.append(("signature_invalid", issue.occurred_at))
    assert _codes(tracked) == ["answer_refused"]


def test_a_decision_before_the_receipt_is_rejected_by_the_lifecycle() -> None:
    issue = _issue()
    accepted = _answer(issue, "ReferralAccepted", timedelta(seconds=1))
    codes = _codes(_tracked(issue, accepted))
    assert codes == ["rejected_not_received", "no_receipt"]


def test_an_issue_the_router_never_delivered_is_not_a_missing_receipt() -> None:
    issue = _issue()
    report = evaluate(Tracked(issue), AGENCY, LIMITS)
    assert report["issue_delivered"] is False
    assert [p["code"] for p in report["problems"]] == ["issue_not_delivered"]


def test_the_waits_for_answers_start_at_the_issues_delivery_not_at_its_publish() -> None:
    limits = Limits(receipt_timeout=6.0, decision_timeout=10.0, delivery_timeout=60.0)
    published = 1000.0
    issue = _issue()
    undelivered = Tracked(issue)
    assert undelivered.waiting(limits, published, now=published + 59)
    assert not undelivered.waiting(limits, published, now=published + 60)
    # Delivered 40 s after the publish (a router catching up): 6 s from then for the receipt.
    delivered = Tracked(issue, appended=issue.occurred_at, delivered=published + 40)
    assert delivered.waiting(limits, published, now=published + 45)
    assert not delivered.waiting(limits, published, now=published + 46)
    # With its receipt, a decision is awaited up to 10 s from the delivery.
    delivered.answers.append(_answer(issue, "ReferralReceived", timedelta(seconds=1)))
    assert delivered.waiting(limits, published, now=published + 49)
    assert not delivered.waiting(limits, published, now=published + 50)
    delivered.answers.append(_answer(issue, "ReferralAccepted", timedelta(seconds=2)))
    assert not delivered.waiting(limits, published, now=published + 41)
