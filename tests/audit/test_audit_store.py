"""The live audit's store and queries: admission by event id, closures, chunks, schedule."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from audit_events import (
    CENTRE,
    CROSSING_CHILDREN,
    NGO,
    audit,
    calendar,
    crossing_story,
    national_rules,
)

from backbone.audit.core.projection import Projection
from backbone.audit.core.schedule import Backlog, Schedule
from backbone.audit.core.store import Admission, EventStore, chunk, chunk_entries, table_entry
from backbone.domain.events import Event, parse_event

AT = "2026-12-20T00:00:00+05:00"
C1, C2, C3 = CROSSING_CHILDREN
_story = crossing_story


def _store(events: list[Event]) -> EventStore:
    store = EventStore()
    for e in events:
        store.add(e, e.event_id.encode())
    return store


def _projection(events: list[Event]) -> Projection:
    return Projection(_store(events), national_rules(), calendar())


def test_same_id_same_content_is_a_repeat_and_other_content_a_conflict() -> None:
    issued = _story()[0]
    store = _store([issued])
    assert store.admission(issued, issued.event_id.encode()) is Admission.REPEATED
    assert store.admission(issued, b"other digest") is Admission.CONFLICT
    assert store.admission(_story()[1], b"x") is Admission.NEW


def test_child_queries_give_the_verdicts_of_the_whole_log() -> None:
    projection = _projection(_story())
    whole = {p.child_ref: p.to_json() for p in audit(_story(), AT).pathways}
    at = datetime.fromisoformat(AT)
    for child in (C1, C2, C3):
        found = projection.pathway(child, at)
        assert found is not None and found.to_json() == whole[child]
    reasons = [
        s["rejected"]["reason"] for c in (C2, C3) for s in whole[c]["timeline"] if s["rejected"]
    ]
    assert reasons == ["duplicate_referral", "child_mismatch"]
    assert [o.rule for o in projection.obligations(C2, at)] == ["referral-receipt"]


def test_breaches_filter_by_the_triggers_region_and_the_owing_agency() -> None:
    projection = _projection(_story())
    at = datetime.fromisoformat(AT)
    found = {(o.rule, o.owed_by) for o in projection.breaches(at)}
    assert found == {("referral-decision", NGO), ("referral-receipt", CENTRE)}
    assert [o.rule for o in projection.breaches(at, agency=NGO)] == ["referral-decision"]
    assert projection.breaches(at, region="almaty") == []
    assert len(projection.breaches(at, region="turkestan", agency=CENTRE)) == 1
    assert all(o.status.value in ("open", "late") for o in projection.breaches(at))


def _header_bytes(event: Event) -> bytes:
    """A stand-in for an envelope's clear header: the store only keeps and hands back bytes."""
    return json.dumps(event.header()).encode()


def _read_header(data: bytes) -> Event:
    return parse_event(json.loads(data))


def test_store_reloads_from_its_table_chunks() -> None:
    entries = [table_entry(_header_bytes(e), e.event_id.encode()) for e in _story()[:4]]
    halves = [chunk(entries[:2]), chunk(entries[2:])]
    reloaded = EventStore()
    assert reloaded.load(halves, _read_header) == {C1, C2}
    assert reloaded.load(halves, _read_header) == set()  # a chunk read twice adds nothing
    assert sorted(reloaded.children()) == [C1, C2]
    assert len(reloaded) == 4
    issued = _story()[0]
    assert reloaded.admission(issued, issued.event_id.encode()) is Admission.REPEATED
    assert reloaded.event(issued.event_id) == issued.without_payload()


def test_store_still_reads_chunks_of_the_first_format_json() -> None:
    """Chunks written before the clear headers were kept as signed: a JSON array."""
    old = [{"digest": e.event_id.encode().hex(), "event": e.header()} for e in _story()[:3]]
    reloaded = EventStore()
    reloaded.load([json.dumps(old).encode()], _read_header)
    issued = _story()[0]
    assert len(reloaded) == 3
    assert reloaded.admission(issued, issued.event_id.encode()) is Admission.REPEATED


def test_a_damaged_chunk_is_refused_not_half_read() -> None:
    whole = chunk([table_entry(_header_bytes(e), e.event_id.encode()) for e in _story()[:2]])
    assert [d for d, _ in chunk_entries(whole)] == [e.event_id.encode() for e in _story()[:2]]
    with pytest.raises(ValueError, match="past its end"):
        list(chunk_entries(whole[:-5]))
    with pytest.raises(ValueError, match="not a chunk"):
        list(chunk_entries(b"{}"))


def test_schedule_yields_each_due_child_once_at_its_latest_instant() -> None:
    schedule, t0 = Schedule(), datetime.fromisoformat(AT)
    schedule.set(C1, t0 + timedelta(seconds=5))
    schedule.set(C1, t0 + timedelta(seconds=1))  # replaces the earlier setting
    schedule.set(C2, t0 + timedelta(seconds=2))
    schedule.sooner(C2, t0 + timedelta(seconds=9))  # later than known: ignored
    assert schedule.pop_due(t0) == []
    assert schedule.pop_due(t0 + timedelta(seconds=3)) == [C1, C2]
    assert schedule.pop_due(t0 + timedelta(seconds=10)) == []
    schedule.set(C3, None)
    assert len(schedule) == 0


def test_a_due_child_whose_evaluation_does_not_follow_is_due_again() -> None:
    """The audit sends each due child a tick; its evaluation sets the child's next instant. A
    tick faust skipped leaves no evaluation, so the child comes back after ``again_after``."""
    schedule, t0 = Schedule(), datetime.fromisoformat(AT)
    schedule.set("lost", t0)
    schedule.set("evaluated", t0)
    again = timedelta(seconds=5)

    assert schedule.pop_due(t0, again_after=again) == ["evaluated", "lost"]
    schedule.set("evaluated", t0 + timedelta(hours=1))  # what its evaluation does
    assert schedule.pop_due(t0 + timedelta(seconds=4), again_after=again) == []
    assert schedule.pop_due(t0 + again, again_after=again) == ["lost"]
    schedule.set("lost", None)  # evaluated at last: nothing more is due for it
    assert schedule.pop_due(t0 + timedelta(hours=2)) == ["evaluated"]


def test_backlog_is_behind_only_while_the_lag_exceeds_its_threshold() -> None:
    backlog = Backlog(threshold=10)
    owned = {"p0", "p1"}
    assert not backlog.behind(lambda partition: 100, owned)  # nothing read yet
    backlog.read("p0", 49)
    backlog.read("p1", 9)
    assert backlog.behind({"p0": 50, "p1": 30}.get, owned)  # 0 + 20 records behind
    assert not backlog.behind({"p0": 50, "p1": 12}.get, owned)
    assert not backlog.behind(lambda partition: None, owned)  # high watermarks not known yet


def test_backlog_never_asks_for_a_partition_this_worker_no_longer_owns() -> None:
    def highwater(partition: str) -> int:
        assert partition == "p0", "asked for a revoked partition"  # as aiokafka's consumer does
        return 50

    backlog = Backlog(threshold=10)
    backlog.read("p0", 49)
    backlog.read("p1", 9)
    assert not backlog.behind(highwater, {"p0"})  # p1 went to another instance
    backlog.read("p1", 9)
    backlog.forget({"p1"})  # revoked in a rebalance
    assert not backlog.behind(highwater, {"p0", "p1"} - {"p1"})
