"""A faust agent's source with the service's own frontier (``continuity``), one record at a time.

The router (on the event log) and the agency services (on their inboxes) hand each record to
``Frontier.handed`` instead of handling it directly. It finds the holes below the record (records
faust skipped and acknowledged around a rebalance), reads them again from Kafka and handles them
first, then the record, then writes the partition's frontier to ``table`` under
``next:<partition>`` in the record's partition: after the handler's own writes to that table, so
the changelog's order makes a recorded frontier imply them.

Holes at a partition's end: every ``CONTINUITY_SECONDS`` the frontier of each owned partition is
compared with the partition's high watermark; one that has not moved for two looks while below it
is refilled up to it by a ``refill`` agent, which consumes an internal topic co-partitioned with
the source (``<app id>-refill``), so that the writes land in the partition.

The handler must make a record handled twice harmless (the services' ``event_id`` checks do).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import timedelta
from typing import Any

import faust
from faust.types import TP

from backbone.broker.reader import read_range
from backbone.broker.settings import KafkaSettings
from backbone.consumer.inbound import Inbound
from backbone.logs import get_logger
from backbone.runtime.continuity import Continuity, cursor_key, parse_cursor
from backbone.runtime.faust_app import exit_on_failure

# How often each owned partition's frontier is compared with the partition's end.
CONTINUITY_SECONDS = 10.0
# Refill requests are only wake-up calls; a lost one is made again by the next looks.
REFILL_RETENTION = timedelta(hours=1)

Handle = Callable[[Inbound], Awaitable[None]]


class Frontier:
    def __init__(
        self,
        app: faust.App,
        settings: KafkaSettings,
        topic: str,
        table: Any,
        partitions: int,
        handle: Handle,
        service: str,
    ) -> None:
        """``table``: a table of the service, co-partitioned with ``topic``, whose values are
        the service's own; ``handle``: the service's handling of one record."""
        self.continuity = Continuity()
        self._settings, self._topic, self._table = settings, topic, table
        self._handle, self._service = handle, service
        self._app = app
        self._log = get_logger().bind(service=service)
        # One hand-over or refill at a time moves a frontier.
        self._lock = asyncio.Lock()
        self._refills = app.topic(
            f"{app.conf.id}-refill",
            partitions=partitions,
            internal=True,
            retention=REFILL_RETENTION,
            key_serializer="raw",
            value_serializer="raw",
        )
        table.on_recover(self._reload)
        app.on_partitions_revoked.connect(self._revoked)
        app.agent(self._refills, name=f"{service}-refill")(exit_on_failure(service)(self._refill))
        app.timer(CONTINUITY_SECONDS)(self._watch)

    def consume(self, source: faust.TopicT) -> None:
        """The service's agent on ``source`` (the topic named ``topic``): every record through
        ``handed``."""
        self._app.agent(source, name=f"{self._service}-receive")(
            exit_on_failure(self._service)(self._receive)
        )

    async def _receive(self, stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            record = Inbound.from_record(event.message)
            await self.handed(event.message.partition, event.message.offset, record)

    async def handed(self, partition: int, offset: int, record: Inbound) -> None:
        """Handle the record at ``offset`` of ``partition``, after any records skipped below it."""
        async with self._lock:
            holes = self.continuity.see(partition, [offset])
            if holes:
                await self._fill(partition, holes)
            await self._handle(record)
            self._table[cursor_key(partition)] = self.continuity.next(partition)

    async def _fill(self, partition: int, holes: list[range]) -> None:
        loop = asyncio.get_running_loop()
        for hole in holes:
            read = await loop.run_in_executor(
                None, read_range, self._settings, self._topic, partition, hole
            )
            for record in read:
                await self._handle(Inbound.from_record(record))
            self._log.warning(
                f"{self._service}_hole_refilled",
                partition=partition,
                offsets=f"{hole.start}-{hole.stop - 1}",
                records=len(read),
            )

    async def _reload(self) -> None:
        self.continuity.clear()
        for key, value in self._table.items():
            cursor = parse_cursor(key, value)
            if cursor is not None:
                self.continuity.load(*cursor)

    async def _revoked(self, sender: Any, /, *partitions: Any, signal: Any, **_: Any) -> None:
        self.continuity.forget(tp.partition for tp in partitions[0] if tp.topic == self._topic)

    async def _refill(self, stream: faust.StreamT[bytes]) -> None:
        consumer = self._app.consumer
        async for message in stream.events():
            partition = message.message.partition
            tp = TP(self._topic, partition)
            async with self._lock:
                end = consumer.highwater(tp) if tp in consumer.assignment() else None
                hole = range(self.continuity.next(partition), end or 0)
                if hole:
                    await self._fill(partition, [hole])
                    self.continuity.refilled(partition, hole.stop)
                    self._table[cursor_key(partition)] = self.continuity.next(partition)

    async def _watch(self) -> None:
        consumer = self._app.consumer
        # All ends first: a rebalance during a send below may revoke a partition, and asking
        # for a partition's high watermark is only allowed while it is assigned.
        ends = {
            tp.partition: consumer.highwater(tp)
            for tp in consumer.assignment()
            if tp.topic == self._topic
        }
        for partition, end in ends.items():
            if end and self.continuity.stalled(partition, end):
                await self._refills.send(key=b"refill", value=b"", partition=partition)


def own_values(table: MutableMapping[Any, Any]) -> list[Any]:
    """The table's values that are the service's own, without the frontiers."""
    return [value for key, value in list(table.items()) if parse_cursor(key, value) is None]
