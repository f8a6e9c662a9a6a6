"""The audit's consumer hands records on inline: a hand-off that need not wait runs to its end at
once; one that waits is finished (or cancelled) like any coroutine, raced against a rebalance as
faust races it."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
import pytest

from backbone.audit.transport import fast_fetch_transport, started


def test_a_hand_off_that_never_waits_is_done_inline() -> None:
    delivered: list[int] = []

    async def hand_off() -> None:
        delivered.append(1)

    assert started(hand_off()) is None
    assert delivered == [1]


def test_a_hand_off_that_fails_inline_raises_at_once() -> None:
    async def hand_off() -> None:
        raise ValueError("undecodable")

    with pytest.raises(ValueError, match="undecodable"):
        started(hand_off())


def test_a_hand_off_that_waits_is_finished_by_awaiting_its_rest() -> None:
    steps: list[str] = []

    async def main() -> object:
        room: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        async def hand_off() -> str:
            steps.append("before")
            value = await room
            steps.append(value)
            await asyncio.sleep(0)
            return "delivered"

        rest = started(hand_off())
        assert rest is not None and steps == ["before"]
        asyncio.get_running_loop().call_later(0.01, room.set_result, "after")
        return await rest

    assert asyncio.run(main()) == "delivered"
    assert steps == ["before", "after"]


def test_an_error_while_waiting_reaches_the_hand_off() -> None:
    async def main() -> str:
        room: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def hand_off() -> str:
            try:
                await room
            except KeyError:
                return "handled"
            return "not reached"

        rest = started(hand_off())
        assert rest is not None
        room.set_exception(KeyError("gone"))
        return await rest

    assert asyncio.run(main()) == "handled"


def test_cancelling_a_waiting_hand_off_cancels_it_where_it_waits() -> None:
    cleaned: list[bool] = []

    async def main() -> None:
        room: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def hand_off() -> None:
            try:
                await room
            finally:
                cleaned.append(room.cancelled())

        rest = started(hand_off())
        assert rest is not None
        task = asyncio.ensure_future(rest)
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert cleaned == [True]


def _consumer() -> Any:
    """The audit's consumer, not started (``wait_first`` needs no broker)."""
    app = faust.App("transport-test", broker="kafka://127.0.0.1:1")

    async def callback(message: object) -> None:
        return None

    return fast_fetch_transport(app).create_consumer(
        callback=callback, on_partitions_revoked=None, on_partitions_assigned=None
    )


def test_the_consumer_hands_a_record_on_inline_and_never_starts_the_race() -> None:
    delivered: list[str] = []

    async def main() -> None:
        consumer = _consumer()

        async def hand_off() -> None:
            delivered.append("record")

        async def rebalance() -> None:
            delivered.append("raced")

        suspended = rebalance()
        tasks = len(asyncio.all_tasks())
        result = await consumer.wait_first(hand_off(), suspended)
        assert (result.results, result.stopped) == ([None], False)
        assert len(asyncio.all_tasks()) == tasks
        assert suspended.cr_frame is None  # closed, never run

    asyncio.run(main())
    assert delivered == ["record"]


def test_a_hand_off_that_waits_is_raced_against_a_rebalance_and_loses_to_it() -> None:
    cancelled: list[bool] = []

    async def main() -> None:
        consumer = _consumer()
        full = asyncio.Event()
        rebalancing = asyncio.Event()

        async def hand_off() -> None:
            try:
                await full.wait()  # the stream's buffer is full
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

        asyncio.get_running_loop().call_later(0.01, rebalancing.set)
        result = await consumer.wait_first(hand_off(), rebalancing.wait())
        assert len(result.done) == 1 and result.done[0] is not None
        await asyncio.sleep(0)

    asyncio.run(main())
    assert cancelled == [True]


def test_a_hand_off_that_waits_and_then_finishes_wins_the_race() -> None:
    async def main() -> list[object]:
        consumer = _consumer()
        room = asyncio.Event()

        async def hand_off() -> str:
            await room.wait()
            return "delivered"

        asyncio.get_running_loop().call_later(0.01, room.set)
        never = asyncio.Event()
        result = await consumer.wait_first(hand_off(), never.wait())
        return list(result.results)

    assert asyncio.run(main()) == ["delivered"]


def test_a_hand_off_that_fails_inline_leaves_no_race_half_made() -> None:
    async def main() -> None:
        consumer = _consumer()

        async def hand_off() -> None:
            raise ValueError("undecodable")

        async def rebalance() -> None:
            return None

        suspended = rebalance()
        with pytest.raises(ValueError, match="undecodable"):
            await consumer.wait_first(hand_off(), suspended)
        assert suspended.cr_frame is None  # closed, not left to warn "never awaited"

    asyncio.run(main())
