"""A stalled consumer exits its process, so that its supervisor starts it again.

faust 0.15 on aiokafka can stop fetching for good after a broker it was fetching from died: the
worker lives on, keeps its partitions (its heartbeats go on) and reads nothing more, while the
records of those partitions wait. The fault suite's ``broker-leader-killed`` caught an agency
service in that state for minutes after the broker was back. The watchdog asks the brokers, every
few seconds, for the end offsets of the partitions this worker is assigned and compares them
with how far it has fetched; if it is behind and its position has not moved for ``stall_seconds``
while its flow is active (not rebalancing, not recovering tables), it logs ``consumer_stalled``
and exits with ``EXIT_STALLED``. Nothing is lost: what it had not committed is read again by the
process that is started in its place (``backbone services start`` restarts it; in a container,
the restart policy does).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping
from typing import Any

import faust

from backbone.logs import get_logger

EXIT_STALLED = 75
STALL_SECONDS = 60.0
CHECK_SECONDS = 5.0
# How long one question to the consumer may take before it counts as no answer.
ASK_SECONDS = 10.0


class Watchdog:
    def __init__(self, service: str, stall_seconds: float = STALL_SECONDS) -> None:
        self._service, self._stall_seconds = service, stall_seconds
        self._positions: Mapping[Any, int | None] = {}
        self._since: float | None = None  # since when it has been behind without moving

    def judge(
        self,
        active: bool,
        positions: Mapping[Any, int | None] | None,
        ends: Mapping[Any, int] | None,
        now: float,
    ) -> bool:
        """Whether the worker has stalled for long enough, given what it was asked now
        (``None``: the consumer did not answer in time)."""
        if not active:
            self._since, self._positions = None, {}
            return False
        behind = (
            positions is None
            or ends is None
            or any((positions.get(tp) or 0) < end for tp, end in ends.items())
        )
        moved = positions is not None and bool(self._positions) and positions != self._positions
        if positions is not None:
            self._positions = dict(positions)
        if not behind:
            self._since = None
            return False
        if moved or self._since is None:  # the clock runs from its last move while behind
            self._since = now
        return now - self._since >= self._stall_seconds

    async def check(self, app: faust.App) -> None:
        consumer = app.consumer
        assigned = [tp for tp in consumer.assignment() if not tp.topic.endswith("-changelog")]
        active = bool(assigned) and app.flow_control.is_active()
        positions: dict[Any, int | None] | None = None
        ends: Mapping[Any, int] | None = None
        if active:
            try:
                ends = await asyncio.wait_for(consumer.highwaters(*assigned), ASK_SECONDS)
                positions = {}
                for tp in assigned:
                    positions[tp] = await asyncio.wait_for(consumer.position(tp), ASK_SECONDS)
            except Exception:  # no answer (a timeout included) is not progress
                positions = None
        if self.judge(active, positions, ends, time.monotonic()):
            get_logger().error(
                "consumer_stalled",
                service=self._service,
                seconds=self._stall_seconds,
                partitions=sorted(f"{tp.topic}:{tp.partition}" for tp in assigned),
            )
            logging.shutdown()
            os._exit(EXIT_STALLED)


def install(app: faust.App, service: str) -> Watchdog:
    """Check ``app``'s consumer every few seconds while it runs."""
    watchdog = Watchdog(service)

    async def watch() -> None:
        await watchdog.check(app)

    app.timer(CHECK_SECONDS)(watch)
    return watchdog
