"""The referral lifecycle judge: time order, per-recipient state, reasons, responsibility."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from backbone.domain.events import Event, parse_event
from backbone.domain.lifecycle import (
    ConflictingEvents,
    Reason,
    RecipientState,
    judge,
)

POLICE = "police.turkestan"
NGO = "ngo.turkestan.shelter-1"
CENTRE = "centre.turkestan.csc-2"
GUARDIANSHIP = "guardianship.turkestan"
SCHOOL = "school.turkestan.school-12"
# Minted-looking pseudonyms ("7e57" for test).
CHILD, OTHER_CHILD = "c-7e57c0000001", "c-7e57c0000002"
REFERRAL, UNISSUED = "r-7e57e0000001", "r-7e57e0000404"


def _event(
    event_type: str,
    minute: int,
    producer: str,
    label: str,
    *,
    child: str = CHILD,
    referral: str | None = REFERRAL,
    recipients: tuple[str, ...] = (),
    causation: str | None = None,
    **attributes: str,
) -> Event:
    obj: dict[str, Any] = {
        "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"lifecycle-test:{label}")),
        "event_type": event_type,
        "occurred_at": f"2026-12-14T10:{minute:02d}:00+05:00",
        "producer": producer,
        "child_ref": child,
        "referral_id": referral,
        "recipients": list(recipients),
        "region": "turkestan",
        "attributes": attributes,
        "causation_id": causation,
    }
    return parse_event(obj)


def _issue(minute: int = 0, label: str = "issue", **fields: Any) -> Event:
    fields.setdefault("recipients", (NGO, CENTRE))
    return _event("ReferralIssued", minute, POLICE, label, kind="victim_services", **fields)


def _reasons(*events: Event) -> dict[str, str | None]:
    """Verdict per event label order: reason value or None."""
    judgement = judge(events)
    return {
        e.event_id: (None if (r := judgement.rejection(e.event_id)) is None else r.reason.value)
        for e in events
    }


def _reason_of(target: Event, *others: Event) -> str | None:
    return _reasons(target, *others)[target.event_id]


def test_full_lifecycle_is_valid_and_recipient_states_are_kept_apart() -> None:
    events = [
        _issue(),
        _event("ReferralReceived", 1, NGO, "ngo-received"),
        _event("ReferralAccepted", 2, NGO, "ngo-accepted"),
        _event("ReferralReceived", 3, CENTRE, "centre-received"),
        _event("ReferralDeclined", 4, CENTRE, "centre-declined", reason="no_capacity"),
        _event("ReferralCompleted", 5, NGO, "ngo-completed", outcome="services_delivered"),
    ]
    judgement = judge(events)
    assert all(v is None for v in judgement.verdicts.values())
    referral = judgement.referrals[REFERRAL]
    assert referral.recipients == {NGO: RecipientState.COMPLETED, CENTRE: RecipientState.DECLINED}
    assert referral.finished


def test_events_are_judged_in_time_order_not_arrival_order() -> None:
    accepted = _event("ReferralAccepted", 2, NGO, "accepted")
    received = _event("ReferralReceived", 1, NGO, "received")
    issued = _issue()
    judgement = judge([accepted, received, issued])
    assert [e.event_id for e in judgement.events] == [
        issued.event_id,
        received.event_id,
        accepted.event_id,
    ]
    assert judgement.valid == judgement.events


def test_lifecycle_rank_orders_events_at_the_same_instant() -> None:
    # Same minute: Issued < Received < Accepted < Completed < Withdrawn, whatever the ids.
    same = [
        _event("ReferralWithdrawn", 0, POLICE, "a-withdrawn", reason="issued_in_error"),
        _event("ReferralCompleted", 0, NGO, "b-completed", outcome="services_delivered"),
        _event("ReferralAccepted", 0, NGO, "c-accepted"),
        _event("ReferralReceived", 0, NGO, "d-received"),
        _issue(0, "e-issue"),
    ]
    verdicts = _reasons(*same)
    assert list(verdicts.values()) == [None, None, None, None, None]


def test_producer_type_that_may_not_emit_is_not_authorised() -> None:
    risk = _event("RiskAssessed", 0, POLICE, "risk", referral=None, risk_level="high")
    audit_issue = _event(
        "ReferralIssued",
        0,
        "audit.national",
        "audit-issue",
        recipients=(NGO,),
        kind="other",
    )
    assert _reason_of(risk) == Reason.NOT_AUTHORISED
    assert _reason_of(audit_issue) == Reason.NOT_AUTHORISED


def test_second_issue_of_a_referral_id_is_a_duplicate_referral() -> None:
    again = _issue(5, "issue-again", recipients=(GUARDIANSHIP,))
    assert _reason_of(again, _issue()) == Reason.DUPLICATE_REFERRAL


def test_receipt_of_a_referral_never_issued_is_unknown_referral() -> None:
    receipt = _event("ReferralReceived", 1, NGO, "received", referral=UNISSUED)
    assert _reason_of(receipt, _issue()) == Reason.UNKNOWN_REFERRAL


def test_receipt_stamped_before_the_issue_is_unknown_referral_even_if_it_arrives_later() -> None:
    receipt = _event("ReferralReceived", 0, NGO, "early-received")
    assert _reason_of(receipt, _issue(minute=5)) == Reason.UNKNOWN_REFERRAL


def test_lifecycle_event_for_another_child_is_child_mismatch() -> None:
    receipt = _event("ReferralReceived", 1, NGO, "received", child=OTHER_CHILD)
    assert _reason_of(receipt, _issue()) == Reason.CHILD_MISMATCH


def test_receipt_from_an_agency_that_is_not_a_recipient_is_rejected() -> None:
    receipt = _event("ReferralReceived", 1, GUARDIANSHIP, "received")
    assert _reason_of(receipt, _issue()) == Reason.NOT_A_RECIPIENT


def test_second_receipt_from_the_same_agency_is_a_duplicate_receipt() -> None:
    first = _event("ReferralReceived", 1, NGO, "received-1")
    second = _event("ReferralReceived", 2, NGO, "received-2")
    assert _reason_of(second, first, _issue()) == Reason.DUPLICATE_RECEIPT


def test_acceptance_before_receipt_is_not_received() -> None:
    accepted = _event("ReferralAccepted", 1, NGO, "accepted")
    assert _reason_of(accepted, _issue()) == Reason.NOT_RECEIVED


def test_second_decision_is_already_decided() -> None:
    events = (
        _issue(),
        _event("ReferralReceived", 1, NGO, "received"),
        _event("ReferralAccepted", 2, NGO, "accepted"),
    )
    declined = _event("ReferralDeclined", 3, NGO, "declined", reason="other")
    assert _reason_of(declined, *events) == Reason.ALREADY_DECIDED


def test_completion_by_a_recipient_that_declined_is_not_accepting_recipient() -> None:
    events = (
        _issue(),
        _event("ReferralReceived", 1, NGO, "received"),
        _event("ReferralDeclined", 2, NGO, "declined", reason="no_capacity"),
    )
    completed = _event("ReferralCompleted", 3, NGO, "completed", outcome="services_delivered")
    assert _reason_of(completed, *events) == Reason.NOT_ACCEPTING_RECIPIENT


def test_second_completion_is_already_completed() -> None:
    events = (
        _issue(),
        _event("ReferralReceived", 1, NGO, "received"),
        _event("ReferralAccepted", 2, NGO, "accepted"),
        _event("ReferralCompleted", 3, NGO, "completed-1", outcome="services_delivered"),
    )
    again = _event("ReferralCompleted", 4, NGO, "completed-2", outcome="services_delivered")
    assert _reason_of(again, *events) == Reason.ALREADY_COMPLETED


def test_withdrawal_by_anyone_but_the_issuer_is_not_issuer() -> None:
    withdrawn = _event("ReferralWithdrawn", 1, NGO, "withdrawn", reason="other")
    assert _reason_of(withdrawn, _issue()) == Reason.NOT_ISSUER


def test_anything_after_a_withdrawal_is_rejected() -> None:
    withdrawn = _event("ReferralWithdrawn", 1, POLICE, "withdrawn", reason="issued_in_error")
    receipt = _event("ReferralReceived", 2, NGO, "received")
    again = _event("ReferralWithdrawn", 3, POLICE, "withdrawn-again", reason="other")
    verdicts = _reasons(_issue(), withdrawn, receipt, again)
    assert verdicts[withdrawn.event_id] is None
    assert verdicts[receipt.event_id] == Reason.AFTER_WITHDRAWAL
    assert verdicts[again.event_id] == Reason.AFTER_WITHDRAWAL


def test_withdrawal_after_every_recipient_finished_is_referral_closed() -> None:
    events = (
        _issue(recipients=(NGO,)),
        _event("ReferralReceived", 1, NGO, "received"),
        _event("ReferralDeclined", 2, NGO, "declined", reason="no_capacity"),
    )
    withdrawn = _event("ReferralWithdrawn", 3, POLICE, "withdrawn", reason="resolved_otherwise")
    assert _reason_of(withdrawn, *events) == Reason.REFERRAL_CLOSED


def test_withdrawal_while_one_recipient_still_works_is_valid() -> None:
    events = (
        _issue(),
        _event("ReferralReceived", 1, NGO, "received"),
        _event("ReferralDeclined", 2, NGO, "declined", reason="no_capacity"),
    )
    withdrawn = _event("ReferralWithdrawn", 3, POLICE, "withdrawn", reason="resolved_otherwise")
    assert _reason_of(withdrawn, *events) is None


def test_rejected_events_change_nothing() -> None:
    intruder_withdrawal = _event("ReferralWithdrawn", 1, NGO, "bad-withdrawal", reason="other")
    intruder_receipt = _event("ReferralReceived", 2, GUARDIANSHIP, "bad-receipt")
    receipt = _event("ReferralReceived", 3, NGO, "received")
    judgement = judge([_issue(), intruder_withdrawal, intruder_receipt, receipt])
    referral = judgement.referrals[REFERRAL]
    assert referral.withdrawn_event_id is None
    assert GUARDIANSHIP not in referral.recipients
    assert judgement.rejection(receipt.event_id) is None
    assert referral.recipients[NGO] is RecipientState.RECEIVED


def test_responsibility_moves_to_the_acceptor_and_back_to_the_issuer_on_completion() -> None:
    issue = _issue(recipients=(NGO,))
    received = _event("ReferralReceived", 1, NGO, "received")
    accepted = _event("ReferralAccepted", 2, NGO, "accepted")
    completed = _event("ReferralCompleted", 3, NGO, "completed", outcome="services_delivered")
    assert judge([issue, received]).referrals[REFERRAL].holders == (POLICE,)
    assert judge([issue, received, accepted]).referrals[REFERRAL].holders == (NGO,)
    assert judge([issue, received, accepted, completed]).referrals[REFERRAL].holders == (POLICE,)


def test_case_closed_by_the_agency_holding_the_child_is_valid() -> None:
    events = (
        _issue(recipients=(NGO,)),
        _event("ReferralReceived", 1, NGO, "received"),
        _event("ReferralAccepted", 2, NGO, "accepted"),
    )
    closed = _event("CaseClosed", 3, NGO, "closed", referral=None, reason="other")
    assert _reason_of(closed, *events) is None


def test_case_closed_by_an_agency_not_holding_the_child_is_not_responsible() -> None:
    events = (
        _issue(recipients=(NGO,)),
        _event("ReferralReceived", 1, NGO, "received"),
        _event("ReferralAccepted", 2, NGO, "accepted"),
    )
    closed = _event("CaseClosed", 3, POLICE, "closed", referral=None, reason="transferred")
    assert _reason_of(closed, *events) == Reason.NOT_RESPONSIBLE


def test_without_referrals_the_identifying_agency_holds_the_child() -> None:
    identified = _event(
        "ChildIdentified",
        0,
        SCHOOL,
        "identified",
        referral=None,
        setting="school",
        accompanied="true",
        age_band="7-13",
    )
    by_school = _event(
        "CaseClosed", 1, SCHOOL, "closed", referral=None, reason="no_protection_need"
    )
    by_police = _event(
        "CaseClosed", 1, POLICE, "closed-2", referral=None, reason="no_protection_need"
    )
    verdicts = _reasons(identified, by_school, by_police)
    assert verdicts[by_school.event_id] is None
    assert verdicts[by_police.event_id] == Reason.NOT_RESPONSIBLE
    assert judge([identified]).responsible(CHILD) == (SCHOOL,)


def test_identical_repeats_are_one_event_and_conflicting_repeats_are_an_error() -> None:
    issue = _issue()
    assert len(judge([issue, issue, issue]).events) == 1
    changed = parse_event({**issue.to_json(), "attributes": {"kind": "placement"}})
    with pytest.raises(ConflictingEvents) as raised:
        judge([issue, changed])
    assert raised.value.event_ids == [issue.event_id]


def test_same_instant_written_with_another_offset_is_different_content() -> None:
    issue = _issue()
    shifted = parse_event({**issue.to_json(), "occurred_at": "2026-12-14T05:00:00+00:00"})
    assert shifted.occurred_at == issue.occurred_at
    with pytest.raises(ConflictingEvents):
        judge([issue, shifted])


def test_judging_until_a_time_leaves_later_events_out() -> None:
    issue = _issue()
    receipt = _event("ReferralReceived", 30, NGO, "received")
    judgement = judge([issue, receipt], until=datetime.fromisoformat("2026-12-14T10:29:59+05:00"))
    assert [e.event_id for e in judgement.events] == [issue.event_id]
    assert judgement.referrals[REFERRAL].recipients[NGO] is RecipientState.ISSUED


# Contract v1.1: EnvelopeUnreadable and the unreadable state.


def _unreadable(minute: int, producer: str, label: str, answers: Event, **fields: Any) -> Event:
    """``producer``'s EnvelopeUnreadable answering ``answers`` (its referral, if any)."""
    fields.setdefault("referral", answers.referral_id)
    return _event(
        "EnvelopeUnreadable",
        minute,
        producer,
        label,
        causation=answers.event_id,
        reason="ciphertext_damaged",
        **fields,
    )


def test_unreadable_answer_to_the_issue_makes_that_recipient_unreadable_for_good() -> None:
    issue = _issue()
    unreadable = _unreadable(1, NGO, "ngo-unreadable", issue)
    later = [
        _event("ReferralReceived", 2, NGO, "ngo-received"),
        _event("ReferralAccepted", 3, NGO, "ngo-accepted"),
        _unreadable(4, NGO, "ngo-unreadable-again", issue),
    ]
    centre_received = _event("ReferralReceived", 2, CENTRE, "centre-received")
    judgement = judge([issue, unreadable, *later, centre_received])

    assert judgement.rejection(unreadable.event_id) is None
    assert judgement.transitions == {unreadable.event_id}
    assert judgement.referrals[REFERRAL].recipients == {
        NGO: RecipientState.UNREADABLE,
        CENTRE: RecipientState.RECEIVED,
    }
    for rejected in later:
        verdict = judgement.rejection(rejected.event_id)
        assert verdict is not None and verdict.reason is Reason.UNREADABLE
        assert verdict.message == f"{NGO} answered {REFERRAL} as unreadable (final)"


def test_the_issuer_may_still_withdraw_a_referral_its_only_recipient_could_not_read() -> None:
    issue = _issue(recipients=(NGO,))
    unreadable = _unreadable(1, NGO, "ngo-unreadable", issue)
    withdrawn = _event("ReferralWithdrawn", 2, POLICE, "withdrawn", reason="unreadable")
    judgement = judge([issue, unreadable, withdrawn])

    assert judgement.rejection(withdrawn.event_id) is None
    referral = judgement.referrals[REFERRAL]
    assert (referral.withdrawn_event_id, referral.finished) == (withdrawn.event_id, False)
    assert referral.holders == (POLICE,)


def test_unreadable_answer_to_the_issue_from_a_non_recipient_is_rejected() -> None:
    issue = _issue()
    unreadable = _unreadable(1, GUARDIANSHIP, "guardianship-unreadable", issue)
    judgement = judge([issue, unreadable])

    verdict = judgement.rejection(unreadable.event_id)
    assert verdict is not None and verdict.reason is Reason.NOT_A_RECIPIENT
    assert judgement.transitions == frozenset()
    assert GUARDIANSHIP not in judgement.referrals[REFERRAL].recipients


def test_unreadable_answer_to_the_issue_after_the_recipient_received_is_rejected() -> None:
    issue = _issue()
    received = _event("ReferralReceived", 1, NGO, "received")
    unreadable = _unreadable(2, NGO, "ngo-unreadable", issue)
    judgement = judge([issue, received, unreadable])

    verdict = judgement.rejection(unreadable.event_id)
    assert verdict is not None and verdict.reason is Reason.DUPLICATE_RECEIPT
    assert judgement.referrals[REFERRAL].recipients[NGO] is RecipientState.RECEIVED
    assert judgement.transitions == frozenset()


def test_unreadable_answer_to_the_issue_after_a_withdrawal_is_rejected() -> None:
    issue = _issue()
    withdrawn = _event("ReferralWithdrawn", 1, POLICE, "withdrawn", reason="issued_in_error")
    unreadable = _unreadable(2, NGO, "ngo-unreadable", issue)

    assert _reason_of(unreadable, issue, withdrawn) == Reason.AFTER_WITHDRAWAL


def test_unreadable_answer_at_the_instant_of_the_issue_comes_after_it() -> None:
    """Issued < Received = Unreadable at one instant, whatever the event ids."""
    issue = _issue(minute=5)
    for label in ("a", "b", "c", "d"):
        unreadable = _unreadable(5, NGO, f"{label}-unreadable", issue)
        judgement = judge([unreadable, issue])
        assert judgement.rejection(unreadable.event_id) is None
        assert judgement.transitions == {unreadable.event_id}


def test_unreadable_answer_naming_another_event_is_valid_and_changes_nothing() -> None:
    issue = _issue()
    received = _event("ReferralReceived", 1, CENTRE, "centre-received")
    identified = _event(
        "ChildIdentified",
        0,
        POLICE,
        "identified",
        referral=None,
        setting="police",
        accompanied="false",
        age_band="7-13",
    )
    answers = [
        # NGO, a reader of the referral's lifecycle events, cannot open the centre's receipt.
        _unreadable(2, NGO, "ngo-reads-receipt", received),
        _unreadable(2, "supervisor.turkestan", "supervisor-reads-issue", issue, referral=None),
        _unreadable(3, NGO, "ngo-reads-identified", identified),
    ]
    before = judge([issue, received, identified])
    after = judge([issue, received, identified, *answers])

    assert [after.rejection(a.event_id) for a in answers] == [None, None, None]
    assert after.transitions == frozenset()
    assert after.referrals == before.referrals
    assert after.referrals[REFERRAL].recipients[NGO] is RecipientState.ISSUED
    ngo_received = _event("ReferralReceived", 4, NGO, "ngo-received")
    assert _reason_of(ngo_received, issue, received, identified, *answers) is None


def test_the_audit_may_not_answer_unreadable() -> None:
    issue = _issue()
    unreadable = _unreadable(1, "audit.national", "audit-unreadable", issue, referral=None)

    assert _reason_of(unreadable, issue) == Reason.NOT_AUTHORISED


def test_unreadable_answer_stamped_before_the_issue_it_names_is_unknown_referral() -> None:
    """Like a receipt before the issue: the answer names its referral's ReferralIssued, so the
    lifecycle judges it, in time order, and the referral is not issued yet."""
    issue = _issue(minute=5)
    early = _unreadable(1, NGO, "ngo-unreadable-early", issue)
    judgement = judge([issue, early])
    verdict = judgement.rejection(early.event_id)
    assert verdict is not None and verdict.reason == "unknown_referral"
    assert judgement.transitions == frozenset()
    assert judgement.referrals[REFERRAL].recipients[NGO] == "issued"
    # Without the issue in view, the answer names an event nobody knows: valid, no transition.
    # The issue arriving later (out of order) is what rejects it: the one verdict that depends
    # on an event after it in time order (judge's docstring, docs/audit.md).
    alone = judge([early])
    assert alone.rejection(early.event_id) is None and alone.transitions == frozenset()


def test_same_event_id_with_true_and_1_in_the_payload_is_a_conflict() -> None:
    """Content is compared as JSON text: ``true`` and ``1`` differ, as in any other language."""
    first = _issue()
    second = replace(first, payload={**(first.payload or {}), "flag": 1})
    first = replace(first, payload={**(first.payload or {}), "flag": True})
    with pytest.raises(ConflictingEvents):
        judge([first, second])
