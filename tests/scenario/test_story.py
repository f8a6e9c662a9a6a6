"""The demo story: well-formed, schema-valid, judged valid, verdicts as docs/scenario.md lists."""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from scenario_checks import STORY_START, calendar, check_payload, replay

from backbone.audit.core.calendar import ALMATY
from backbone.audit.core.sla import Obligation
from backbone.domain.events import Event, parse_event
from backbone.domain.lifecycle import judge
from backbone.paths import PROJECT_ROOT
from backbone.scenario import expected_breaches
from backbone.scenario.placement import local
from backbone.scenario.story import scenario_as_of, scenario_events, scenario_start_before

AS_OF = datetime.fromisoformat("2026-02-16T18:00:00+05:00")
SOCIAL = "social.turkestan"

# (rule, owed_by, status, level) at AS_OF, as docs/scenario.md lists them.
EXPECTED = Counter(
    {
        ("guardianship-notification", "mobile.turkestan.q1-raid", "met", 0): 1,
        ("guardianship-notification", "police.turkestan", "late", 1): 1,
        ("referral-receipt", "police.turkestan", "met", 0): 4,
        ("referral-decision", "police.turkestan", "met", 0): 5,
        ("referral-receipt", "guardianship.turkestan", "met", 0): 2,
        ("referral-decision", "guardianship.turkestan", "met", 0): 2,
        ("police-referral-to-services", "police.turkestan", "met", 0): 1,
        ("referral-receipt", "ngo.shymkent.sana-sezim", "met", 0): 1,
        ("referral-decision", "ngo.shymkent.sana-sezim", "met", 0): 1,
        ("referral-receipt", "centre.shymkent.support-centre", "met", 0): 1,
        ("referral-decision", "centre.shymkent.support-centre", "met", 0): 1,
        ("status-determination", "centre.shymkent.support-centre", "pending", 0): 1,
        ("further-residence", "guardianship.turkestan", "met", 0): 1,
        ("contract-term", "ngo.shymkent.sana-sezim", "pending", 0): 2,
        ("hotline-alert-receipt", "police.turkestan", "met", 0): 1,
        ("identification-assessment", "ngo.shymkent.sana-sezim", "met", 0): 1,
        ("service-permission-request", "ngo.shymkent.sana-sezim", "met", 0): 1,
        ("police-notification", "ngo.shymkent.sana-sezim", "met", 0): 1,
        ("referral-receipt", "social.turkestan", "met", 0): 2,
        ("referral-decision", "social.turkestan", "met", 0): 1,
        ("referral-decision", "social.turkestan", "open", 2): 1,
    }
)
# The breaches at AS_OF in the audit's output order: (rule, owed_by, status, level, child).
BREACHES = [
    ("referral-decision", "social.turkestan", "open", 2, "B"),
    ("guardianship-notification", "police.turkestan", "late", 1, "C"),
]


def _verdicts(start: datetime) -> Counter[tuple[str, str, str, int]]:
    report = replay(scenario_events(start, calendar()), scenario_as_of(start, calendar()))
    assert report.rejected == ()
    return Counter((o.rule, o.owed_by, o.status.value, o.level) for o in report.obligations)


def test_documented_as_of_is_the_tenth_working_day_at_six_in_the_evening() -> None:
    assert scenario_as_of(STORY_START) == AS_OF


def test_story_events_round_trip_through_the_plain_form() -> None:
    events = scenario_events(STORY_START)

    assert len(events) == 61
    assert [parse_event(e.to_json()) for e in events] == events
    assert events == sorted(events, key=lambda e: e.sort_key)


def test_every_story_payload_fits_its_avro_schema() -> None:
    for event in scenario_events(STORY_START):
        check_payload(event)


def test_lifecycle_judge_rejects_no_story_event() -> None:
    judgement = judge(scenario_events(STORY_START))

    assert all(verdict is None for verdict in judgement.verdicts.values())


def test_replay_at_documented_as_of_gives_met_late_open_and_pending() -> None:
    assert _verdicts(STORY_START) == EXPECTED


def test_stalled_nurse_referral_is_received_at_once_then_never_decided() -> None:
    events = scenario_events(STORY_START)
    stalled = next(
        e
        for e in events
        if e.event_type == "ReferralIssued"
        and e.recipients == (SOCIAL,)
        and e.producer.startswith("phc.")
    )
    (received,) = [e for e in events if e.referral_id == stalled.referral_id and e is not stalled]
    deadline = datetime.fromisoformat("2026-02-07T00:00:00+05:00")  # end of Friday 6 February

    def owed(at: datetime) -> Obligation:
        (obligation,) = [
            o for o in replay(events, at).obligations if o.trigger_event_id == received.event_id
        ]
        return obligation

    assert stalled.attributes["kind"] == "other"
    assert (received.event_type, received.producer) == ("ReferralReceived", SOCIAL)
    assert received.occurred_at - stalled.occurred_at == timedelta(minutes=1)
    assert owed(deadline).rule == "referral-decision"
    assert owed(deadline).status.value == "pending"
    assert owed(deadline + timedelta(seconds=1)).status.value == "open"
    assert (owed(AS_OF).status.value, owed(AS_OF).level) == ("open", 2)


def test_juvenile_police_notify_guardianship_a_working_day_late() -> None:
    events = scenario_events(STORY_START)
    (alone,) = [
        e
        for e in events
        if e.event_type == "ChildIdentified" and e.attributes["accompanied"] == "false"
        if e.producer == "police.turkestan"
    ]
    (notice,) = [
        e
        for e in events
        if e.event_type == "ReferralIssued" and e.attributes["kind"] == "guardianship_notification"
        if e.child_ref == alone.child_ref
    ]
    (owed,) = [o for o in replay(events, AS_OF).obligations if o.trigger_event_id == alone.event_id]

    assert alone.occurred_at == datetime.fromisoformat("2026-02-09T12:00:00+05:00")
    assert (notice.producer, notice.recipients) == ("police.turkestan", ("guardianship.turkestan",))
    assert (owed.rule, owed.status.value, owed.level) == ("guardianship-notification", "late", 1)
    assert owed.deadline == datetime.fromisoformat("2026-02-11T00:00:00+05:00")
    assert owed.closed_by_event_id == notice.event_id


def _check_prompt_receipts(events: Sequence[Event]) -> None:
    """Each recipient of each referral signs a receipt within a minute, on the issue's day."""
    receipts = {
        (e.referral_id, e.producer): e for e in events if e.event_type == "ReferralReceived"
    }
    issued = [e for e in events if e.event_type == "ReferralIssued"]
    assert len(receipts) == sum(len(e.recipients) for e in issued)
    for issue in issued:
        for recipient in issue.recipients:
            receipt = receipts[(issue.referral_id, recipient)]
            gap = receipt.occurred_at - issue.occurred_at
            assert timedelta(0) <= gap <= timedelta(minutes=1), (issue, receipt)
            assert local(receipt.occurred_at).date() == local(issue.occurred_at).date()


def test_every_referral_is_received_by_each_recipient_within_a_minute() -> None:
    events = scenario_events(STORY_START)
    kinds = {e.attributes["kind"] for e in events if e.event_type == "ReferralIssued"}

    _check_prompt_receipts(events)
    assert "hotline_alert" in kinds


def test_expected_breaches_are_what_the_replay_shows() -> None:
    breaches = expected_breaches(STORY_START)
    report = replay(scenario_events(STORY_START), AS_OF)
    by_trigger = {o.trigger_event_id: o for o in report.obligations}

    assert [(b["rule"], b["owed_by"], b["status"], b["level"], b["child"]) for b in breaches] == (
        BREACHES
    )
    assert breaches == expected_breaches(STORY_START)
    for breach in breaches:
        plain = by_trigger[breach["trigger_event_id"]].to_json()
        assert plain == {key: value for key, value in breach.items() if key in plain}


def test_expected_breaches_ignore_extra_rules_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BACKBONE_SLA_RULES", str(tmp_path / "absent.json"))

    assert [b["rule"] for b in expected_breaches(STORY_START)] == [b[0] for b in BREACHES]


@pytest.mark.parametrize("clock_time", [time(10, 30), time(23, 55), time(0, 5)])
def test_verdicts_do_not_depend_on_the_start_day(clock_time: time) -> None:
    plain = {key[:3]: n for key, n in EXPECTED.items()}
    for offset in range(0, 366, 2):  # every other day of 2026: weekends and every holiday
        day = datetime(2026, 1, 1).date() + timedelta(days=offset)
        start = datetime.combine(day, clock_time, tzinfo=ALMATY)
        events = scenario_events(start, calendar())
        _check_prompt_receipts(events)
        verdicts: Counter[tuple[str, str, str]] = Counter()
        for (rule, owed_by, status, _level), n in _verdicts(start).items():
            verdicts[(rule, owed_by, status)] += n
        assert verdicts == Counter(plain), start


def test_expected_breaches_keep_their_statuses_at_any_start() -> None:
    plain = [breach[:3] for breach in BREACHES]
    for offset in range(0, 366, 29):
        start = datetime.combine(
            datetime(2026, 1, 1).date() + timedelta(days=offset), time(23, 55), tzinfo=ALMATY
        )
        breaches = expected_breaches(start, calendar())
        assert [(b["rule"], b["owed_by"], b["status"]) for b in breaches] == plain, start


def test_same_start_gives_identical_events_and_another_start_new_ids() -> None:
    first, again = scenario_events(STORY_START), scenario_events(STORY_START)
    later = scenario_events(STORY_START + timedelta(days=7))

    assert [e.to_json() for e in first] == [e.to_json() for e in again]
    assert not {e.event_id for e in first} & {e.event_id for e in later}
    assert not {e.child_ref for e in first} & {e.child_ref for e in later}


def test_every_demo_agency_of_the_topology_takes_part() -> None:
    topology = tomllib.loads((PROJECT_ROOT / "deploy/kafka/topology.toml").read_text("utf-8"))
    events = scenario_events(STORY_START)
    involved = {e.producer for e in events} | {r for e in events for r in e.recipients}

    assert set(topology["agencies"]["ids"]) == involved


def test_story_is_told_by_the_agencies_the_report_names() -> None:
    events = scenario_events(STORY_START)
    firsts = {e.child_ref: e for e in reversed(events) if e.event_type == "ChildIdentified"}
    settings = sorted(e.attributes["setting"] for e in firsts.values())
    raid = next(e for e in firsts.values() if e.attributes["setting"] == "raid")
    services = {e.attributes["service_type"] for e in events if e.event_type == "ServiceDelivered"}

    assert settings == ["hotline", "phc", "raid", "school"]
    assert raid.attributes == {"setting": "raid", "accompanied": "false", "age_band": "14-17"}
    assert raid.producer == "mobile.turkestan.q1-raid"
    assert {"psychological", "legal", "pedagogical", "medical", "household"} <= services


def test_start_before_now_puts_the_as_of_time_in_the_past() -> None:
    now = datetime.fromisoformat("2026-03-20T12:00:00+05:00")
    start = scenario_start_before(now)

    assert scenario_as_of(start) <= now
    assert scenario_as_of(start + timedelta(days=1)) > now
    assert start.astimezone(ALMATY).time() == time(10, 30)
