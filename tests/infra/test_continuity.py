"""A service's frontier per partition: records faust never handed over are found as holes."""

from __future__ import annotations

from backbone.runtime.continuity import Continuity, cursor_key, parse_cursor


def test_records_handed_over_without_a_hole_move_the_frontier_past_them() -> None:
    seen = Continuity()

    assert seen.see(0, [0, 1, 2]) == []
    assert seen.see(0, [3, 4]) == []
    assert seen.next(0) == 5 and seen.next(1) == 0


def test_offsets_skipped_over_are_holes_before_the_records_and_the_frontier_passes_them() -> None:
    seen = Continuity()
    seen.load(2, 10)

    holes = seen.see(2, [14, 15, 18])

    assert holes == [range(10, 14), range(16, 18)]
    assert seen.next(2) == 19


def test_a_partition_never_recorded_starts_at_the_first_offset_of_the_log() -> None:
    assert Continuity().see(1, [7]) == [range(0, 7)]


def test_records_read_again_below_the_frontier_are_no_holes_and_move_nothing() -> None:
    seen = Continuity()
    seen.load(0, 100)

    assert seen.see(0, [40, 41, 42]) == []
    assert seen.next(0) == 100


def test_a_frontier_below_the_end_is_stalled_only_if_it_has_not_moved_since_the_last_look() -> None:
    seen = Continuity()
    seen.see(0, range(5))

    assert seen.stalled(0, 9) is None  # first look
    seen.see(0, [5, 6])
    assert seen.stalled(0, 9) is None  # it moved
    assert seen.stalled(0, 9) == range(7, 9)
    seen.refilled(0, 9)
    assert seen.stalled(0, 9) is None and seen.stalled(0, 9) is None  # at the end


def test_a_frontier_loaded_after_a_restart_counts_as_a_look() -> None:
    """Records acknowledged before they were recorded are refilled at the first look after a
    restart, not the second; a frontier that moves after the load is not stalled."""
    seen, moving = Continuity(), Continuity()
    seen.load(0, 5)
    moving.load(0, 5)
    moving.see(0, [5])

    assert seen.stalled(0, 9) == range(5, 9)
    assert moving.stalled(0, 9) is None
    assert seen.stalled(0, 5) is None  # at the end


def test_a_frontier_is_recorded_under_a_key_of_its_own_that_no_chunk_key_matches() -> None:
    assert parse_cursor(cursor_key(2).encode(), b"1234") == (2, 1234)
    assert parse_cursor(cursor_key(0), 17) == (0, 17)
    assert parse_cursor(b"2:1234", b"[]") is None
    assert parse_cursor("r-0123456789ab", {"history": []}) is None


def test_frontiers_of_partitions_no_longer_owned_are_forgotten() -> None:
    seen = Continuity()
    seen.load(0, 5)
    seen.load(1, 9)

    seen.forget([1])

    assert seen.next(0) == 5 and seen.next(1) == 0
