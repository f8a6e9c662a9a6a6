"""The audit's store keeps its headers on disk: it answers as the whole log does, holds no event
in memory, and tells apart referral ids whose index keys are the same."""

from __future__ import annotations

import gc
import random
import types
from datetime import timedelta

import pytest
from audit_events import (
    CENTRE,
    CROSSING_CHILDREN,
    CROSSING_REFERRALS,
    calendar,
    crossing_story,
    event,
    national_rules,
)
from synthetic.generator import synthetic_events

from backbone.audit.core.notices import next_check
from backbone.audit.core.projection import Projection, replay_store
from backbone.audit.core.replay import replay_events
from backbone.audit.core.store import WRITE_BATCH, EventStore
from backbone.domain.events import Event

CHILDREN = 400  # ~3,400 events: several write batches, and some left unwritten
C1, C2, C3 = CROSSING_CHILDREN
R1, R2 = CROSSING_REFERRALS


def _crossing() -> list[Event]:
    """The crossing story (child 2 issues child 1's id again, child 3 receives it) and an
    acceptance of child 2's own referral."""
    return [
        *crossing_story(),
        event("ReferralAccepted", "2026-12-15T11:00:00+05:00", CENTRE, child=C2, referral=R2),
    ]


def _events(seed: int) -> list[Event]:
    """Synthetic children (with the generator's invalid events) and the crossing ids, in an
    arrival order that interleaves children."""
    events = list(synthetic_events(CHILDREN, seed=seed, invalid_fraction=0.1)) + _crossing()
    random.Random(seed).shuffle(events)
    return events


def _filled(events: list[Event]) -> EventStore:
    store = EventStore()
    for e in events:
        assert store.digest(e.event_id) is None
        store.add(e, e.event_id.encode())
    return store


@pytest.mark.parametrize("seed", [5, 6])
def test_one_child_at_a_time_gives_the_replay_of_the_whole_log(seed: int) -> None:
    events = _events(seed)
    store = _filled(events)
    assert len(store) == len(events) > 2 * WRITE_BATCH and len(events) % WRITE_BATCH
    ends = sorted(e.occurred_at for e in events)
    for at in (ends[len(ends) // 2], ends[-1] + timedelta(days=40)):
        whole = replay_events(store.numbered(), at, national_rules(), calendar())
        assert whole.rejected and whole.obligations  # the comparison covers both
        by_child = replay_store(store, at, national_rules(), calendar())
        assert by_child.to_json() == whole.to_json()
        brief = replay_store(store, at, national_rules(), calendar(), pathways=False)
        assert brief.pathways == () and brief.obligations == whole.obligations
        assert brief.rejected == whole.rejected


def _reachable(root: object) -> list[object]:
    """Every object reachable from ``root`` through references, code and modules left out."""
    seen, found, todo = {id(root)}, [], [root]
    while todo:
        for ref in gc.get_referents(todo.pop()):
            if id(ref) in seen or isinstance(ref, type | types.ModuleType | types.FunctionType):
                continue
            seen.add(id(ref))
            found.append(ref)
            todo.append(ref)
    return found


def test_the_store_keeps_no_event_in_memory() -> None:
    store = EventStore()
    for e in synthetic_events(1500, seed=9):
        store.add(e, e.event_id.encode())
    assert len(store) > WRITE_BATCH and len(store.children()) == 1500
    held = _reachable(store)
    assert not [o for o in held if isinstance(o, Event)]
    # Per child its ref, number and count; the rows of at most one batch not written yet.
    assert len(held) < 4 * len(store.children()) + 10 * WRITE_BATCH < 4 * len(store)
    assert store.closure(store.children()[0])  # read back from disk when asked


def test_a_closure_holds_the_childs_events_and_every_issue_of_the_ids_it_names() -> None:
    events = _crossing()
    store = _filled(events)
    issued = [e for e in events if e.event_type == "ReferralIssued"]
    issues = {e.event_id for e in issued if e.referral_id == R1}
    assert {e.event_id for _, e in store.closure(C3)} == {
        e.event_id for e in events if e.child_ref == C3
    } | issues
    assert R2 not in {e.referral_id for _, e in store.closure(C1)}
    assert {e.event_id for _, e in store.closure(C2)} == {
        e.event_id for e in events if e.child_ref == C2
    } | issues


def test_an_issue_of_a_named_id_changes_the_version_of_the_children_naming_it() -> None:
    receipt, issue = _crossing()[4], _crossing()[0]
    store = EventStore()
    store.add(receipt, b"1")
    for _ in range(WRITE_BATCH):  # the receipt is written to disk before the issue comes
        filler = next(iter(synthetic_events(1, seed=len(store))))
        if store.digest(filler.event_id) is None:
            store.add(filler, b"f")
    before = store.version(C3)
    store.add(issue, b"2")
    assert store.version(C3) != before
    assert {e.event_id for _, e in store.closure(C3)} == {receipt.event_id, issue.event_id}


def test_clear_forgets_every_event_and_changes_every_version() -> None:
    store = _filled(_crossing())
    before = store.version(C1)
    store.clear()
    assert len(store) == 0 and store.children() == [] and store.closure(C1) == []
    assert store.digest(_crossing()[0].event_id) is None
    assert store.version(C1) != before


def test_a_childs_next_check_is_that_of_its_events_and_obligations_at_every_instant() -> None:
    """The emitter schedules a child by its kept judgement's window, without reading its events:
    the instant of ``notices.next_check`` over its closure and its obligations judged afresh, or
    before the child's first event, that event's instant."""
    events = list(synthetic_events(60, seed=12, invalid_fraction=0.2)) + _crossing()
    store = _filled(events)
    projection = Projection(store, national_rules(), calendar())
    instants = sorted({e.occurred_at for e in events})
    for at in [*instants[::7], instants[0] - timedelta(days=1), instants[-1] + timedelta(days=9)]:
        for child_ref in store.children():
            closure = store.closure(child_ref)
            fresh = replay_events(closure, at, national_rules(), calendar())
            owed = [o for o in fresh.obligations if o.child_ref == child_ref]
            first = min(e.occurred_at for _, e in closure if e.child_ref == child_ref)
            # Before its first event a child owes nothing, whatever others' issues in its closure.
            expected = first if at < first else next_check(owed, (e for _, e in closure), at)
            assert projection.next_check(child_ref, at) == expected, (child_ref, at)


def test_events_come_back_from_disk_as_they_were_admitted() -> None:
    events = _events(8)
    store = _filled(events)
    for e in events:
        assert store.event(e.event_id) == e.without_payload()


def test_a_childs_valid_events_are_its_pathways_steps_not_rejected_at_every_instant() -> None:
    """The funnel's answer (``/children``) is read from the kept judgement and the child's
    events, without the pathway: the same events, in the same order."""
    events = list(synthetic_events(80, seed=13, invalid_fraction=0.3)) + _crossing()
    store = _filled(events)
    projection = Projection(store, national_rules(), calendar())
    instants = sorted({e.occurred_at for e in events})
    seen_rejected = False
    for at in [*instants[::11], instants[-1] + timedelta(days=9)]:
        fresh = replay_events(store.numbered(), at, national_rules(), calendar())
        for pathway in fresh.pathways:
            steps = pathway.timeline
            seen_rejected |= any(step.rejection is not None for step in steps)
            valid = [step.event for step in steps if step.rejection is None]
            assert projection.valid_events(pathway.child_ref, at) == valid
    assert seen_rejected
