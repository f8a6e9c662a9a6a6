"""Opening, closing, status, level, output order and the ids of live breach events."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from audit_events import (
    CENTRE,
    CHILD,
    NGO,
    OTHER_REFERRAL,
    POLICE,
    REFERRAL,
    event,
    obligations,
    only,
)

from backbone.audit.core.rules import load_rules
from backbone.audit.core.sla import (
    SLA_NAMESPACE,
    breach_event_id,
    resolution_event_id,
)
from backbone.domain.events import Event

# A referral issued Friday 11 December 2026 16:00: receipts are due 2026-12-15T00:00:00+05:00,
# 80 hours after the trigger, so level 1 lasts until 80 hours after the deadline.
ISSUED_AT = "2026-12-11T16:00:00+05:00"
DEADLINE = "2026-12-15T00:00:00+05:00"
LAST_LEVEL_1 = "2026-12-18T08:00:00+05:00"
FIRST_LEVEL_2 = "2026-12-18T08:00:01+05:00"


def _issue(recipients: tuple[str, ...] = (NGO,)) -> Event:
    return event(
        "ReferralIssued",
        ISSUED_AT,
        POLICE,
        referral=REFERRAL,
        recipients=list(recipients),
        kind="victim_services",
    )


def _receipt(at: str, producer: str = NGO) -> Event:
    return event("ReferralReceived", at, producer, referral=REFERRAL)


def _withdrawal(at: str) -> Event:
    return event("ReferralWithdrawn", at, POLICE, referral=REFERRAL, reason="resolved_otherwise")


def _receipt_obligation(events: list[Event], at: str, owed_by: str = NGO) -> tuple[str, int]:
    found = obligations(events, at)
    (obligation,) = [o for o in found if o.rule == "referral-receipt" and o.owed_by == owed_by]
    return obligation.status.value, obligation.level


def test_receipt_exactly_at_the_deadline_is_met() -> None:
    assert _receipt_obligation([_issue(), _receipt(DEADLINE)], "2027-01-01T00:00:00+05:00") == (
        "met",
        0,
    )


def test_receipt_after_the_deadline_is_late_at_level_1_up_to_one_period_over() -> None:
    assert _receipt_obligation([_issue(), _receipt(LAST_LEVEL_1)], "2027-01-01T00:00:00+05:00") == (
        "late",
        1,
    )


def test_receipt_more_than_one_period_late_is_level_2() -> None:
    late = [_issue(), _receipt(FIRST_LEVEL_2)]
    assert _receipt_obligation(late, "2027-01-01T00:00:00+05:00") == ("late", 2)


def test_unclosed_obligation_is_pending_until_the_deadline_inclusive() -> None:
    assert _receipt_obligation([_issue()], DEADLINE) == ("pending", 0)


def test_unclosed_obligation_after_the_deadline_is_open_and_escalates_with_time() -> None:
    assert _receipt_obligation([_issue()], "2026-12-15T00:00:01+05:00") == ("open", 1)
    assert _receipt_obligation([_issue()], LAST_LEVEL_1) == ("open", 1)
    assert _receipt_obligation([_issue()], FIRST_LEVEL_2) == ("open", 2)


def test_withdrawal_before_the_deadline_cancels_every_unclosed_referral_obligation() -> None:
    withdrawal = _withdrawal("2026-12-14T09:00:00+05:00")
    events = [_issue((NGO, CENTRE)), _receipt("2026-12-12T10:00:00+05:00"), withdrawal]
    found = obligations(events, "2027-01-01T00:00:00+05:00")
    summary = {(o.rule, o.owed_by): (o.status.value, o.closed_by_event_id) for o in found}
    receipt_id = events[1].event_id
    assert summary == {
        ("referral-receipt", NGO): ("met", receipt_id),
        ("referral-receipt", CENTRE): ("cancelled", withdrawal.event_id),
        ("referral-decision", NGO): ("cancelled", withdrawal.event_id),
    }


def test_withdrawal_after_the_deadline_leaves_the_breach_on_record_as_late() -> None:
    withdrawal = _withdrawal("2026-12-16T09:00:00+05:00")
    found = obligations([_issue(), withdrawal], "2027-01-01T00:00:00+05:00")
    obligation = only(found, "referral-receipt")
    assert (obligation.status, obligation.level) == ("late", 1)
    assert obligation.closed_by_event_id == withdrawal.event_id


def test_withdrawal_does_not_close_child_rules() -> None:
    identified = event(
        "ChildIdentified",
        ISSUED_AT,
        POLICE,
        setting="police",
        accompanied="false",
        age_band="7-13",
    )
    events = [identified, _issue(), _withdrawal("2026-12-12T09:00:00+05:00")]
    found = obligations(events, "2026-12-16T00:00:00+05:00")
    assert only(found, "guardianship-notification").status == "open"


def test_events_after_the_evaluation_time_are_not_considered() -> None:
    events = [_issue(), _receipt("2026-12-14T10:00:00+05:00")]
    assert _receipt_obligation(events, "2026-12-14T09:59:59+05:00") == ("pending", 0)
    assert obligations(events, "2026-12-11T15:59:59+05:00") == ()


def test_rejected_events_open_and_close_nothing() -> None:
    foreign_receipt = _receipt("2026-12-12T10:00:00+05:00", producer=CENTRE)
    audit_issue = event(
        "ReferralIssued",
        ISSUED_AT,
        "audit.national",
        referral=OTHER_REFERRAL,
        recipients=[NGO],
        kind="victim_services",
    )
    found = obligations([_issue(), foreign_receipt, audit_issue], "2026-12-16T00:00:00+05:00")
    assert [(o.rule, o.referral_id, o.status.value) for o in found] == [
        ("referral-receipt", REFERRAL, "open")
    ]


def test_expected_event_before_the_trigger_does_not_close_it_but_one_at_the_same_instant_does() -> (
    None
):
    notice_before = event(
        "ReferralIssued",
        "2026-12-11T15:00:00+05:00",
        POLICE,
        referral=OTHER_REFERRAL,
        recipients=["guardianship.turkestan"],
        kind="guardianship_notification",
    )

    def identified(at: str) -> Event:
        return event(
            "ChildIdentified", at, POLICE, setting="police", accompanied="false", age_band="7-13"
        )

    later = obligations([notice_before, identified(ISSUED_AT)], "2026-12-20T00:00:00+05:00")
    assert only(later, "guardianship-notification").status == "open"
    same = obligations(
        [notice_before, identified("2026-12-11T15:00:00+05:00")], "2026-12-20T00:00:00+05:00"
    )
    assert only(same, "guardianship-notification").status == "met"


def test_one_event_closes_several_obligations_and_a_trigger_never_closes_its_own(
    tmp_path: Path,
) -> None:
    rule = {
        "id": "second-look",
        "scope": "child",
        "trigger": {"event_types": ["RiskAssessed"]},
        "expected": {"event_types": ["RiskAssessed"]},
        "owed_by": "trigger_producer",
        "within": {"amount": 1, "unit": "working_days"},
        "basis": "test rule: a risk assessment is reviewed by a second one",
    }
    path = tmp_path / "second-look.json"
    path.write_text(
        json.dumps({"format": "backbone/sla-rules", "version": 1, "rules": [rule]}),
        encoding="utf-8",
    )
    first = event("RiskAssessed", ISSUED_AT, NGO, risk_level="high", label="first")
    second = event("RiskAssessed", ISSUED_AT, NGO, risk_level="low", label="second")
    third = event("RiskAssessed", "2026-12-14T10:00:00+05:00", NGO, risk_level="low")
    found = obligations([first, second, third], "2026-12-20T00:00:00+05:00", load_rules([path]))
    closed_by = {o.trigger_event_id: (o.status.value, o.closed_by_event_id) for o in found}
    assert closed_by == {
        first.event_id: ("met", second.event_id),
        second.event_id: ("met", first.event_id),
        third.event_id: ("open", None),
    }


def test_output_is_sorted_by_deadline_then_rule_then_trigger_then_agency() -> None:
    issue = _issue((NGO, CENTRE))
    application = event("ServiceApplicationReceived", ISSUED_AT, NGO, funding="state", via="self")
    placement = event("PlacementMade", ISSUED_AT, CENTRE, facility="support_centre")
    found = obligations([placement, application, issue], "2026-12-11T17:00:00+05:00")
    assert [(o.to_json()["deadline"], o.rule, o.owed_by) for o in found] == [
        (DEADLINE, "identification-assessment", NGO),
        (DEADLINE, "referral-receipt", CENTRE),
        (DEADLINE, "referral-receipt", NGO),
        ("2026-12-18T00:00:00+05:00", "police-notification", NGO),
        ("2027-06-12T00:00:00+05:00", "status-determination", CENTRE),
    ]


def test_obligation_json_has_exactly_the_contract_fields() -> None:
    (obligation,) = obligations([_issue()], DEADLINE)
    assert obligation.to_json() == {
        "rule": "referral-receipt",
        "child_ref": CHILD,
        "referral_id": REFERRAL,
        "owed_by": NGO,
        "trigger_event_id": _issue().event_id,
        "deadline": DEADLINE,
        "status": "pending",
        "level": 0,
        "closed_by_event_id": None,
    }


def test_live_breach_ids_are_stable_uuid5_names_distinct_per_level_and_kind() -> None:
    trigger = _issue().event_id
    level_1 = breach_event_id("referral-receipt", trigger, NGO, 1)
    assert level_1 == breach_event_id("referral-receipt", trigger, NGO, 1)
    assert uuid.UUID(level_1).version == 5
    others = {
        breach_event_id("referral-receipt", trigger, NGO, 2),
        breach_event_id("referral-receipt", trigger, CENTRE, 1),
        resolution_event_id("referral-receipt", trigger, NGO, 1),
    }
    assert level_1 not in others and len(others) == 3
    name = json.dumps(["SlaBreached", "referral-receipt", trigger, NGO, 1], separators=(",", ":"))
    assert level_1 == str(uuid.uuid5(SLA_NAMESPACE, name))
