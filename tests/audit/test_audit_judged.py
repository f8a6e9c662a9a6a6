"""The live projection keeps each child's judgement and reuses it while nothing can have changed it:
its answers are those of a fresh replay of the whole store at every time, whatever the order of
queries and arrivals."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from audit_events import CENTRE, HOTLINE, NGO, POLICE, calendar, event, national_rules
from synthetic.generator import synthetic_events

from backbone.audit.core.notices import breach_moment
from backbone.audit.core.projection import Projection
from backbone.audit.core.replay import Replay, replay_events
from backbone.audit.core.store import EventStore, chunk, table_entry
from backbone.domain.events import Event, parse_event

START = datetime(2026, 12, 7, 9, tzinfo=UTC)
OFFSET_CHANGE = datetime(2024, 2, 26, 9, tzinfo=UTC)
TICK = timedelta(microseconds=1)
# Minted-looking pseudonyms ("7e57" for test): three children crossing on one referral id, and a
# hotline alert's child and referral.
X1, X2, X3, XR1 = "c-7e57c0000c01", "c-7e57c0000c02", "c-7e57c0000c03", "r-7e57e0000c01"
H1, HR1 = "c-7e57c0000a01", "r-7e57e0000a01"


def _crossing() -> list[Event]:
    """Referral ids shared across children: a later issue by another child changes the verdicts
    of a child that named the id (duplicate_referral, child_mismatch)."""
    return [
        event("ReferralReceived", "2026-12-15T10:00:00+05:00", NGO, child=X3, referral=XR1),
        event(
            "ReferralIssued",
            "2026-12-11T16:00:00+05:00",
            POLICE,
            child=X1,
            referral=XR1,
            recipients=[NGO],
            kind="victim_services",
        ),
        event(
            "ReferralIssued",
            "2026-12-12T10:00:00+05:00",
            POLICE,
            child=X2,
            referral=XR1,
            recipients=[CENTRE],
            kind="placement",
        ),
        event("ReferralReceived", "2026-12-14T10:00:00+05:00", NGO, child=X1, referral=XR1),
    ]


def _fresh(store: EventStore, at: datetime) -> Replay:
    return replay_events(store.numbered(), at, national_rules(), calendar())


def _moments(replay: Replay, events: list[Event]) -> list[datetime]:
    """The instants where an answer can change by time alone, and their neighbours."""
    edges = [e.occurred_at for e in events]
    for o in replay.obligations:
        edges += [o.deadline, breach_moment(o, 1), breach_moment(o, 2)]
    return [t + d for t in edges for d in (-TICK, timedelta(0), TICK)]


def _agrees(projection: Projection, at: datetime) -> None:
    fresh = _fresh(projection.store, at)
    assert projection.all_obligations(at) == list(fresh.obligations)
    assert projection.pathways(at) == list(fresh.pathways)
    breached = [o for o in fresh.obligations if o.status.value in ("open", "late")]
    assert projection.breaches(at) == breached


# The second start puts deadlines and level-2 moments across Almaty's offset change (+06 -> +05
# on 2024-03-01), where an hour of local wall clock is repeated.
@pytest.mark.parametrize(("seed", "start"), [(1, START), (2, START), (3, OFFSET_CHANGE)])
def test_kept_judgements_answer_as_a_fresh_replay_at_every_time_and_arrival(
    seed: int, start: datetime
) -> None:
    rng = random.Random(seed)
    events = [*synthetic_events(12, seed, start=start, invalid_fraction=0.3), *_crossing()]
    rng.shuffle(events)
    projection = Projection(EventStore(), national_rules(), calendar())
    cut = sorted(rng.sample(range(1, len(events)), 4))
    for lo, hi in pairwise([0, *cut, len(events)]):
        for e in events[lo:hi]:
            projection.store.add(e, e.event_id.encode())
        stored = events[:hi]
        late = max(e.occurred_at for e in stored) + timedelta(days=400)
        edges = _moments(_fresh(projection.store, late), stored)
        moments = sorted(rng.sample(edges, min(len(edges), 40)))
        # Mostly forward in time, as a console polls, with some queries back in time.
        asked = [*moments, *rng.sample(moments, 8), late]
        for at in asked:
            _agrees(projection, at)


def test_a_child_is_judged_again_only_when_its_closure_changed_or_its_window_ended() -> None:
    judged: list[str] = []

    class Watched(EventStore):
        def closure(self, child_ref: str) -> list[tuple[int, Event]]:
            judged.append(child_ref)
            return super().closure(child_ref)

    story = _crossing()
    projection = Projection(Watched(), national_rules(), calendar())
    for e in (story[0], story[1], story[3]):  # X3 and X1
        projection.store.add(e, e.event_id.encode())
    at = datetime.fromisoformat("2026-12-16T06:00:00+05:00")
    projection.all_obligations(at)
    assert sorted(judged) == [X1, X3]
    judged.clear()
    projection.all_obligations(at + timedelta(minutes=1))
    projection.pathways(at + timedelta(minutes=2))
    assert judged == []  # nothing arrived, no deadline passed
    projection.store.add(story[2], story[2].event_id.encode())  # X2 issues XR1 again
    projection.breaches(at + timedelta(minutes=3))
    assert sorted(judged) == [X1, X2, X3]  # X1 and X3 name XR1; X2 is new
    judged.clear()
    far = at + timedelta(days=90)  # X1's open decision has reached level 2
    projection.breaches(far)
    assert judged == [X1]  # X2 and X3 owe nothing: their judgements hold for ever
    judged.clear()
    projection.breaches(far + timedelta(days=1))
    assert judged == []


def test_level_two_comes_when_the_evaluation_says_also_across_an_offset_change() -> None:
    """A hotline alert due in an hour, raised 22:30 (+06) the evening before Almaty moved to +05:
    deadline 17:30Z, level 2 after 18:30Z (an hour later in real time, not on the wall clock)."""
    alert = event(
        "ReferralIssued",
        "2024-02-29T22:30:00+06:00",
        HOTLINE,
        child=H1,
        referral=HR1,
        recipients=[POLICE],
        kind="hotline_alert",
    )
    projection = Projection(EventStore(), national_rules(), calendar())
    projection.store.add(alert, alert.event_id.encode())
    level_two = datetime(2024, 2, 29, 18, 30, tzinfo=UTC)
    (first,) = projection.obligations(H1, level_two - timedelta(minutes=45))
    assert (first.status.value, first.level) == ("open", 1)
    assert breach_moment(first, 2) == level_two
    for at in (level_two, level_two + TICK, level_two + timedelta(minutes=30)):
        _agrees(projection, at)
    assert [o.level for o in projection.breaches(level_two + TICK)] == [2]


def test_a_reloaded_store_is_judged_afresh_even_where_its_counts_are_the_same() -> None:
    """After recovery the store is cleared and reloaded: a child with as many events as before
    but other ones must not get the judgement kept from before."""
    _, issued, _, received = _crossing()  # both of X1
    projection = Projection(EventStore(), national_rules(), calendar())
    projection.store.add(received, received.event_id.encode())
    at = datetime.fromisoformat("2026-12-16T06:00:00+05:00")
    projection.pathways(at)
    projection.store.clear()
    header = json.dumps(issued.header()).encode()  # a stand-in for the signed clear header
    entry = table_entry(header, issued.event_id.encode())
    projection.store.load([chunk([entry])], lambda data: parse_event(json.loads(data)))
    _agrees(projection, at)
    assert projection.obligations(X1, at)[0].trigger_event_id == issued.event_id
