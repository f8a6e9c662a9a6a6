"""What the demo expects of each inbox follows from the story's readers (pure)."""

from __future__ import annotations

from datetime import datetime

from backbone.demo import expected_inboxes, parties_of
from backbone.scenario import scenario_events

START = datetime.fromisoformat("2026-02-02T10:30:00+05:00")


def test_every_lifecycle_event_reaches_the_referrals_issuer_and_recipients() -> None:
    events = scenario_events(START)
    parties = parties_of(events)

    counts = expected_inboxes(events, parties)

    for event in events:
        if event.event_type in ("ReferralReceived", "ReferralAccepted") and event.referral_id:
            assert parties[event.referral_id] >= {event.producer}
    issued = [e for e in events if e.event_type == "ReferralIssued"]
    assert all(counts[r] >= 1 for e in issued for r in e.recipients)
    assert sum(counts.values()) >= len(events)


def test_an_agency_outside_a_referral_is_not_counted_for_it() -> None:
    events = scenario_events(START)
    parties = parties_of(events)

    counts = expected_inboxes(events, parties)

    produced_or_addressed = {
        agency
        for e in events
        for agency in (e.producer, *e.recipients, *parties.get(e.referral_id or "", set()))
    }
    assert set(counts) == produced_or_addressed
