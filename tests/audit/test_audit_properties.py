"""Properties: arrival order and repeated events never change the audit's answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from audit_events import AUDIT, CENTRE, GUARDIANSHIP, HOTLINE, NGO, POLICE, SOCIAL, audit
from hypothesis import given, settings
from hypothesis import strategies as st

from backbone.domain.agencies import agency_type
from backbone.domain.catalogue import CATALOGUE, may_emit
from backbone.domain.events import Event, parse_event
from backbone.domain.lifecycle import Reason, judge

AGENCIES = [POLICE, NGO, CENTRE, GUARDIANSHIP, SOCIAL, HOTLINE, AUDIT]
WORKERS = AGENCIES[:5]
CHILDREN = ["c-7e57c0000001", "c-7e57c0000002"]
REFERRALS = ["r-7e57e0000001", "r-7e57e0000002", "r-7e57e0000003"]
REISSUED = "r-7e57e0000004"
LIFECYCLE = [
    *["ReferralReceived", "ReferralAccepted"] * 3,
    "ReferralDeclined",
    "ReferralCompleted",
    "ReferralWithdrawn",
    "ReferralIssued",
    "EnvelopeUnreadable",
]
CHILD_EVENTS = [
    "ChildIdentified",
    "ServiceApplicationReceived",
    "VictimStatusAssessed",
    "PlacementMade",
    "ChildStatusDetermined",
    "CaseClosed",
    "RiskAssessed",
    "ReferralIssued",
    "ServiceContractSigned",
    "ServiceContractExtended",
    "ServiceContractEnded",
    "ChildReturnedHome",
    "FollowUpRecorded",
    "EnvelopeUnreadable",
]
START = datetime(2026, 12, 10, 9, 0, tzinfo=timezone(timedelta(hours=5)))
OFFSETS = [timezone(timedelta(hours=5)), UTC, timezone(timedelta(hours=6))]
# Few distinct instants, so that ties and the lifecycle rank matter; some steps go back in time.
STEPS = [timedelta(0), timedelta(minutes=30), timedelta(hours=20), timedelta(days=3)]
BACK = [*STEPS, -timedelta(minutes=30)]


@st.composite
def _event(
    draw: st.DrawFn,
    event_type: str,
    at: datetime,
    producer: str,
    child: str,
    referral: str | None,
    causation: str | None = None,
) -> Event:
    attributes = {
        name: draw(st.sampled_from(sorted(spec)))  # every attribute here is a closed list
        for name, spec in CATALOGUE[event_type].attributes.items()
    }
    recipients: list[str] = []
    if event_type == "ReferralIssued":
        others = [a for a in WORKERS if a != producer]
        recipients = draw(st.lists(st.sampled_from(others), min_size=1, max_size=3, unique=True))
        referral = referral or REFERRALS[2]
    if event_type == "EnvelopeUnreadable" and causation is None:
        causation = str(draw(st.uuids()))
    obj: dict[str, Any] = {
        "event_id": str(draw(st.uuids())),
        "event_type": event_type,
        "occurred_at": at.astimezone(draw(st.sampled_from(OFFSETS))).isoformat(),
        "producer": producer,
        "child_ref": child,
        "referral_id": referral,
        "recipients": recipients,
        "region": "turkestan",
        "attributes": attributes,
        "causation_id": causation,
    }
    return parse_event(obj)


@st.composite
def _referral(draw: st.DrawFn, referral: str) -> list[Event]:
    """A referral whose events come mostly from its own parties, roughly in time order."""
    child = draw(st.sampled_from(CHILDREN))
    at = START + draw(st.sampled_from(STEPS))
    issue = draw(_event("ReferralIssued", at, draw(st.sampled_from(WORKERS)), child, referral))
    parties = [*issue.recipients, issue.producer]
    events = [issue]
    for _ in range(draw(st.integers(0, 8))):
        at += draw(st.sampled_from(BACK))
        producer = draw(st.sampled_from([*parties, *parties, *AGENCIES]))
        event_child = draw(st.sampled_from([child] * 5 + CHILDREN))
        event_type = draw(st.sampled_from(LIFECYCLE))
        # An unreadable answer names an earlier event of the referral, most often its issue.
        answered = draw(st.sampled_from([issue.event_id, *(e.event_id for e in events)]))
        causation = answered if event_type == "EnvelopeUnreadable" else None
        events.append(draw(_event(event_type, at, producer, event_child, referral, causation)))
    return events


@st.composite
def _stories(draw: st.DrawFn) -> list[Event]:
    events: list[Event] = []
    for referral_id in draw(st.sampled_from([[], REFERRALS[:1], REFERRALS[:2]])):
        events += draw(_referral(referral_id))
    unreadable = [e for e in events if e.event_type == "EnvelopeUnreadable"]
    if unreadable and draw(st.booleans()):  # a reissue naming an unreadable answer
        answer = draw(st.sampled_from(unreadable))
        at = answer.occurred_at + draw(st.sampled_from(BACK))
        producer = draw(st.sampled_from(WORKERS))
        reissue = _event(
            "ReferralIssued", at, producer, answer.child_ref, REISSUED, answer.event_id
        )
        events.append(draw(reissue))
    for _ in range(draw(st.integers(0 if events else 1, 6))):
        at = START + draw(st.sampled_from(STEPS)) * draw(st.integers(0, 3))
        event_type = draw(st.sampled_from(CHILD_EVENTS))
        producer = draw(st.sampled_from(AGENCIES))
        referral = draw(st.sampled_from([None, REFERRALS[0], REFERRALS[2]]))
        child = draw(st.sampled_from(CHILDREN))
        events.append(draw(_event(event_type, at, producer, child, referral)))
    unique = {e.event_id: e for e in events}  # uuid collisions are astronomically rare
    return list(unique.values())


_EVALUATED_AT = st.sampled_from(
    ["2026-12-10T09:30:00+05:00", "2026-12-14T00:00:00+05:00", "2027-01-31T00:00:00+00:00"]
)


@settings(max_examples=150, deadline=None)
@given(story=_stories(), at=_EVALUATED_AT, data=st.data())
def test_arrival_order_and_repeats_leave_pathways_and_obligations_unchanged(
    story: list[Event], at: str, data: st.DataObject
) -> None:
    arrived = data.draw(st.permutations(story))
    repeats = data.draw(st.lists(st.sampled_from(story), max_size=10))
    mixed = data.draw(st.permutations([*arrived, *repeats]))
    expected, actual = audit(story, at), audit(mixed, at)
    assert [p.to_json() for p in actual.pathways] == [p.to_json() for p in expected.pathways]
    assert [o.to_json() for o in actual.obligations] == [o.to_json() for o in expected.obligations]
    assert {(r.event_id, r.reason) for r in actual.rejected} == {
        (r.event_id, r.reason) for r in expected.rejected
    }


@settings(max_examples=150, deadline=None)
@given(story=_stories(), cut=st.integers(min_value=0, max_value=25))
def test_a_verdict_depends_only_on_earlier_events(story: list[Event], cut: int) -> None:
    ordered = sorted(story, key=lambda e: e.sort_key)
    everything = judge(story)
    prefix = judge(ordered[:cut])
    later_issues = {
        e.event_id: e.referral_id for e in ordered[cut:] if e.event_type == "ReferralIssued"
    }
    for event in ordered[:cut]:
        if _answers_a_later_issue(event, later_issues):
            # The one exception, as the contract has it: an EnvelopeUnreadable naming its
            # referral's ReferralIssued is judged by the lifecycle wherever that issue stands in
            # time, so before its issue it is unknown_referral; without the issue in view it
            # answers an unknown event, which changes nothing and is valid.
            assert prefix.rejection(event.event_id) is None
            rejection = everything.rejection(event.event_id)
            assert rejection is not None and rejection.reason is Reason.UNKNOWN_REFERRAL
            continue
        assert prefix.rejection(event.event_id) == everything.rejection(event.event_id)


def _answers_a_later_issue(event: Event, later_issues: dict[str, str | None]) -> bool:
    return (
        event.event_type == "EnvelopeUnreadable"
        and may_emit(agency_type(event.producer), event.event_type)
        and event.referral_id is not None
        and later_issues.get(event.causation_id or "") == event.referral_id
    )


@settings(max_examples=100, deadline=None)
@given(story=_stories(), at=_EVALUATED_AT)
def test_levels_match_statuses(story: list[Event], at: str) -> None:
    for obligation in audit(story, at).obligations:
        if obligation.status in ("late", "open"):
            assert obligation.level in (1, 2)
        else:
            assert obligation.level == 0
        assert (obligation.closed_by_event_id is None) == (obligation.status in ("open", "pending"))


@settings(max_examples=100, deadline=None)
@given(story=_stories())
def test_responsibility_is_held_by_the_holders_of_all_the_childs_referrals(
    story: list[Event],
) -> None:
    """The per-child index of referrals answers as a scan of every referral would."""
    ordered = sorted(story, key=lambda e: e.sort_key)
    for cut in range(len(ordered) + 1):
        before = judge(ordered[:cut])
        for child in CHILDREN:
            held = {a for r in before.referrals.values() if r.child_ref == child for a in r.holders}
            if not held and child in before.first_agency:
                held = {before.first_agency[child]}
            assert before.responsible(child) == tuple(sorted(held))
        closing = ordered[cut] if cut < len(ordered) else None
        if closing is not None and closing.event_type == "CaseClosed":
            verdict = judge(ordered[: cut + 1]).rejection(closing.event_id)
            if may_emit(agency_type(closing.producer), "CaseClosed"):
                holds = closing.producer in before.responsible(closing.child_ref)
                assert (verdict is None) == holds
