"""``backbone audit replay --from-kafka``: the event log from offset 0, through the audit's gate.

Records are read in arrival order: each partition in offset order, partitions interleaved by the
broker's timestamp (then partition number). Each goes through the same ``AuditGate`` as in the
live service (signature and directory checks, the first content of an ``event_id`` wins), and
the admitted events are replayed with ``replay_events``, numbered by their position in that
order. Records the live audit would quarantine are returned, not published.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from backbone.audit.core.calendar import WorkingCalendar
from backbone.audit.core.projection import replay_store
from backbone.audit.core.replay import Replay
from backbone.audit.core.rules import RuleSet
from backbone.audit.core.store import EventStore, Stored
from backbone.audit.live.context import AuditContext
from backbone.audit.live.gate import AuditGate, Checked
from backbone.broker.reader import PATIENCE_SECONDS, POLL_MS, TopicReader
from backbone.broker.settings import KafkaSettings
from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import MemoryQuarantine, Rejection
from backbone.domain.events import Event
from backbone.envelope.codec import read_clear_header

Progress = Callable[[int, int], None]  # (records read, records to read)
# Records checked, looked up and admitted together.
BATCH = 1000


def read_log(
    settings: KafkaSettings, topic: str, progress: Progress | None = None
) -> Iterator[Any]:
    """Every record of ``topic`` up to its end at the call, in arrival order, as they are read
    (aiokafka records).

    The partitions and their ends are taken as ``TopicReader`` takes them (a topic that does not
    exist or may not be read is refused the same way). Then one aiokafka consumer reads them:
    it fetches in the background while records are checked, and parses record batches in
    compiled code (kafka-python's pure-Python parsing and fetches made in ``poll`` only were a
    tenth of the replay). A partition is asked for records only when none of its records is
    left to merge, so at most one fetch per partition is held besides what is merged.
    """
    with TopicReader(settings, topic) as reader:
        ends = {p.partition: end for p, end in reader.mark_end().items()}
    loop = asyncio.new_event_loop()
    merge = _Merge(settings, topic, ends, progress)
    try:
        loop.run_until_complete(merge.start())
        while batch := loop.run_until_complete(merge.next_batch()):
            yield from batch
    finally:
        loop.run_until_complete(merge.stop())
        loop.close()


class _Merge:
    """The partitions of a topic up to given ends, merged by the broker's timestamp (then
    partition number), one batch of records at a time."""

    def __init__(
        self, settings: KafkaSettings, topic: str, ends: dict[int, int], progress: Progress | None
    ) -> None:
        self._settings = settings
        self._consumer: AIOKafkaConsumer | None = None
        self._ends = {TopicPartition(topic, n): end for n, end in sorted(ends.items())}
        self._parts = list(self._ends)
        self._buffered: dict[TopicPartition, deque[Any]] = {p: deque() for p in self._parts}
        self._left: set[TopicPartition] = set()
        self._progress, self._read, self._total = progress, 0, 0

    async def start(self) -> None:
        """Made here: an aiokafka client belongs to the event loop it is made in."""
        self._consumer = consumer = AIOKafkaConsumer(
            **self._settings.aiokafka(), enable_auto_commit=False
        )
        await consumer.start()
        if not self._parts:
            return
        consumer.assign(self._parts)
        await consumer.seek_to_beginning(*self._parts)
        starts = {p: await consumer.position(p) for p in self._parts}
        self._left = {p for p in self._parts if starts[p] < self._ends[p]}
        self._total = sum(self._ends[p] - starts[p] for p in self._left)

    async def next_batch(self) -> list[Any]:
        """The records that can be merged now (empty once every partition is read to its end):
        taken while every partition not read to its end has a record waiting."""
        consumer, buffered, left = self._consumer, self._buffered, self._left
        assert consumer is not None, "started"
        waited = time.monotonic()
        while True:
            needy = [p for p in left if not buffered[p]]
            if not needy:
                break
            fetched = await consumer.getmany(*needy, timeout_ms=POLL_MS)
            for part, records in fetched.items():
                end = self._ends[part]
                buffered[part].extend(r for r in records if r.offset < end)
                if await consumer.position(part) >= end:
                    left.discard(part)
            if fetched:
                waited = time.monotonic()
            elif time.monotonic() - waited > PATIENCE_SECONDS:
                names = ", ".join(str(p.partition) for p in sorted(needy))
                raise TimeoutError(
                    f"{needy[0].topic}: no record of partition {names} could be read for "
                    f"{PATIENCE_SECONDS:.0f} s"
                )
        batch: list[Any] = []
        heads = [p for p in self._parts if buffered[p]]
        while heads and all(buffered[p] or p not in left for p in self._parts):
            part = min(heads, key=lambda p: (buffered[p][0].timestamp, p.partition))
            queue = buffered[part]
            batch.append(queue.popleft())
            if not queue:
                heads.remove(part)
        self._report(len(batch))
        return batch

    def _report(self, count: int) -> None:
        before, self._read = self._read, self._read + count
        if self._progress is not None and before // 10_000 != self._read // 10_000:
            self._progress(self._read // 10_000 * 10_000, self._total)

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()


class _Positioned:
    """The store as the gate's ledger, numbering each event by its record's position in the
    merged order (the replay's line numbers)."""

    def __init__(self, store: EventStore) -> None:
        self.store, self.position = store, 0

    def digest(self, event_id: str) -> bytes | None:
        return self.store.digest(event_id)

    def add(self, event: Event, digest: bytes, clear_header: bytes) -> Stored:
        return self.store.add(event, digest, clear_header, sequence=self.position)


def replay_from_kafka(
    context: AuditContext,
    topic: str,
    at: datetime,
    rules: RuleSet,
    calendar: WorkingCalendar,
    progress: Progress | None = None,
    *,
    pathways: bool = True,
) -> tuple[Replay, list[Rejection]]:
    """The replay of the log at ``at`` and the records left out. The admitted headers are kept in
    an ``EventStore`` (on disk) and judged one child's closure at a time (``replay_store``), so
    the memory held grows with the children, not with the events; ``pathways=False`` leaves the
    pathways out of the report (its text form does not print them)."""
    quarantine = MemoryQuarantine()
    registry = context.directory.registry
    store = EventStore(
        lambda header: read_clear_header(header, registry),
        lambda kept: read_clear_header(kept, registry, checked=False),
    )
    ledger = _Positioned(store)
    gate = AuditGate(context.verifier, quarantine, ledger, name=context.agency, log=False)
    records = enumerate(read_log(context.kafka, topic, progress), start=1)
    while batch := list(itertools.islice(records, BATCH)):
        inbound = [Inbound.from_record(record) for _, record in batch]
        outcomes = gate.verify(inbound)
        ledger.store.prefetch(o.envelope.event.event_id for o in outcomes if isinstance(o, Checked))
        for (position, _), record, outcome in zip(batch, inbound, outcomes, strict=True):
            ledger.position = position
            gate.admit(record, outcome)
    report = replay_store(ledger.store, at, rules, calendar, pathways=pathways)
    return report, quarantine.rejections
