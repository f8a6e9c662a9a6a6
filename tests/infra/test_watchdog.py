"""The consumer watchdog's verdict: stalled only when behind the brokers' end offsets, not moving,
with its flow active, for the whole stall time."""

from __future__ import annotations

from backbone.runtime.watchdog import Watchdog

TP = ("inbox.ngo.example.v1", 0)


def test_a_worker_behind_that_does_not_move_stalls_after_the_stall_time() -> None:
    dog = Watchdog("agency", stall_seconds=60)
    assert not dog.judge(True, {TP: 10}, {TP: 50}, now=0)
    assert not dog.judge(True, {TP: 10}, {TP: 50}, now=59)
    assert dog.judge(True, {TP: 10}, {TP: 50}, now=60)


def test_progress_or_being_caught_up_resets_the_clock() -> None:
    dog = Watchdog("agency", stall_seconds=60)
    dog.judge(True, {TP: 10}, {TP: 50}, now=0)
    assert not dog.judge(True, {TP: 11}, {TP: 50}, now=50)  # it moved
    assert not dog.judge(True, {TP: 11}, {TP: 50}, now=100)
    assert not dog.judge(True, {TP: 11}, {TP: 50}, now=109)
    assert dog.judge(True, {TP: 11}, {TP: 50}, now=110)
    idle = Watchdog("agency", stall_seconds=60)
    assert not idle.judge(True, {TP: 50}, {TP: 50}, now=0)
    assert not idle.judge(True, {TP: 50}, {TP: 50}, now=1000)  # nothing to read is no stall


def test_a_suspended_flow_never_counts_and_no_answer_counts_as_no_progress() -> None:
    dog = Watchdog("audit", stall_seconds=60)
    dog.judge(True, {TP: 10}, {TP: 50}, now=0)
    assert not dog.judge(False, None, None, now=100)  # rebalancing or recovering tables
    assert not dog.judge(True, None, None, now=110)  # the clock starts again
    assert dog.judge(True, None, None, now=170)
