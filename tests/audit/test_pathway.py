"""Per-child pathways folded from judged events."""

from __future__ import annotations

import pytest
from audit_events import (
    CENTRE,
    CHILD,
    GUARDIANSHIP,
    NGO,
    OTHER_CHILD,
    POLICE,
    REFERRAL,
    audit,
    event,
)

from backbone.domain.events import Event, parse_event
from backbone.domain.lifecycle import ConflictingEvents


def _story() -> list[Event]:
    """CHILD: identified, referred to two providers, one accepts; OTHER_CHILD: identified."""
    return [
        event(
            "ChildIdentified",
            "2026-12-11T15:00:00+05:00",
            POLICE,
            setting="police",
            accompanied="true",
            age_band="7-13",
        ),
        event(
            "ReferralIssued",
            "2026-12-11T16:00:00+05:00",
            POLICE,
            referral=REFERRAL,
            recipients=[NGO, CENTRE],
            kind="victim_services",
        ),
        event("ReferralReceived", "2026-12-11T17:00:00+05:00", NGO, referral=REFERRAL),
        event("ReferralAccepted", "2026-12-11T17:30:00+05:00", NGO, referral=REFERRAL),
        event("ReferralReceived", "2026-12-11T18:00:00+05:00", GUARDIANSHIP, referral=REFERRAL),
        event(
            "ChildIdentified",
            "2026-12-11T12:00:00+05:00",
            GUARDIANSHIP,
            child=OTHER_CHILD,
            setting="other",
            accompanied="true",
            age_band="0-3",
        ),
    ]


def test_pathways_are_one_per_child_in_child_ref_order() -> None:
    pathways = audit(list(reversed(_story())), "2026-12-12T00:00:00+05:00").pathways
    assert [p.child_ref for p in pathways] == [CHILD, OTHER_CHILD]


def test_timeline_is_in_time_order_with_rejections_explained() -> None:
    (first, _) = audit(list(reversed(_story())), "2026-12-12T00:00:00+05:00").pathways
    timeline = [step.to_json() for step in first.timeline]
    assert [s["event_type"] for s in timeline] == [
        "ChildIdentified",
        "ReferralIssued",
        "ReferralReceived",
        "ReferralAccepted",
        "ReferralReceived",
    ]
    assert [s["rejected"] for s in timeline[:4]] == [None, None, None, None]
    assert timeline[4]["rejected"] == {
        "reason": "not_a_recipient",
        "message": f"{GUARDIANSHIP} is not a recipient of {REFERRAL}",
    }
    assert timeline[1]["occurred_at"] == "2026-12-11T16:00:00+05:00"
    assert timeline[1]["attributes"] == {"kind": "victim_services"}


def test_referral_shows_each_recipient_state_and_who_holds_it_now() -> None:
    (first, _) = audit(_story(), "2026-12-12T00:00:00+05:00").pathways
    (referral,) = first.to_json()["referrals"]
    assert referral["recipients"] == [
        {"agency": NGO, "state": "accepted"},
        {"agency": CENTRE, "state": "issued"},
    ]
    assert referral["responsible"] == [NGO]
    assert referral["issuer"] == POLICE
    assert first.responsible == (NGO,)


def test_pathway_carries_only_its_own_childs_obligations() -> None:
    first, second = audit(_story(), "2026-12-16T00:00:00+05:00").pathways
    assert {(o.rule, o.owed_by, o.status.value) for o in first.obligations} == {
        ("referral-receipt", NGO, "met"),
        ("referral-receipt", CENTRE, "open"),
        ("referral-decision", NGO, "met"),
    }
    assert second.obligations == ()


def test_case_closed_by_the_holder_is_shown_on_the_pathway() -> None:
    closed = event("CaseClosed", "2026-12-14T10:00:00+05:00", NGO, reason="other", label="close")
    (first, _) = audit([*_story(), closed], "2026-12-15T00:00:00+05:00").pathways
    assert first.case_closed_by_event_id == closed.event_id


def test_state_is_as_of_the_evaluation_time() -> None:
    (first, _) = audit(_story(), "2026-12-11T17:15:00+05:00").pathways
    (referral,) = first.to_json()["referrals"]
    assert referral["recipients"][0] == {"agency": NGO, "state": "received"}
    assert referral["responsible"] == [POLICE]
    assert len(first.timeline) == 3


def test_identical_repeats_change_nothing() -> None:
    story = _story()
    once = audit(story, "2026-12-16T00:00:00+05:00")
    twice = audit([*story, *story[:3]], "2026-12-16T00:00:00+05:00")
    assert [p.to_json() for p in twice.pathways] == [p.to_json() for p in once.pathways]


def test_same_event_id_with_different_content_is_an_error() -> None:
    story = _story()
    altered = parse_event(
        {**story[0].to_json(), "attributes": {**story[0].attributes, "age_band": "14-17"}}
    )
    with pytest.raises(ConflictingEvents):
        audit([*story, altered], "2026-12-16T00:00:00+05:00")
