"""``backbone audit replay --from-kafka``: the event log from offset 0, through the audit's gate.

Records are read in arrival order: each partition in offset order, partitions interleaved by the
broker's timestamp (then partition number). Each goes through the same ``AuditGate`` as in the
live service (signature and directory checks, the first content of an ``event_id`` wins), and
the admitted events are replayed with ``replay_events``, numbered by their position in that
order. Records the live audit would quarantine are returned, not published.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from kafka import TopicPartition

from backbone.audit.core.calendar import WorkingCalendar
from backbone.audit.core.replay import Replay, replay_events
from backbone.audit.core.rules import RuleSet
from backbone.audit.core.store import EventStore
from backbone.audit.live.context import AuditContext
from backbone.audit.live.gate import AuditGate
from backbone.broker.reader import TopicReader
from backbone.broker.settings import KafkaSettings
from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import MemoryQuarantine, Rejection
from backbone.domain.events import Event

Progress = Callable[[int, int], None]  # (records read, records to read)


def read_log(
    settings: KafkaSettings, topic: str, progress: Progress | None = None
) -> Iterator[Any]:
    """Every record of ``topic`` up to its current end, in arrival order, as they are read.

    Only the records a partition has fetched ahead of the merge are held (the consumer fetches
    every partition in the same requests). A partition is not paused when it runs ahead:
    kafka-python then keeps the paused partition's fetched data aside and, with every partition
    on one broker, sends that broker no further fetch (seen here: the read stopped for good).
    """
    with TopicReader(settings, topic) as reader:
        ends = reader.mark_end()
        partitions = reader.partitions
        total = sum(max(0, ends[p] - reader.position(p)) for p in partitions)
        buffered: dict[TopicPartition, deque[Any]] = {p: deque() for p in partitions}
        done = {p: reader.done(p) for p in partitions}
        read = 0
        while True:
            while buffered and all(buffered[p] or done[p] for p in partitions):
                heads = [(b[0].timestamp, p.partition, p) for p, b in buffered.items() if b]
                if not heads:
                    return
                yield buffered[min(heads)[2]].popleft()
                read += 1
                if progress is not None and read % 10_000 == 0:
                    progress(read, total)
            if not partitions:
                return
            for part, records in reader.poll().items():
                buffered[part].extend(records)
            for p in partitions:
                done[p] = done[p] or reader.done(p)


def replay_from_kafka(
    context: AuditContext,
    topic: str,
    at: datetime,
    rules: RuleSet,
    calendar: WorkingCalendar,
    progress: Progress | None = None,
) -> tuple[Replay, list[Rejection]]:
    quarantine = MemoryQuarantine()
    gate = AuditGate(context.verifier, quarantine, EventStore(), name=context.agency, log=False)
    admitted: list[tuple[int, Event]] = []
    for position, record in enumerate(read_log(context.kafka, topic, progress), start=1):
        stored = gate.admit(Inbound.from_record(record))
        if stored is not None:
            admitted.append((position, stored.event))
    return replay_events(admitted, at, rules, calendar), quarantine.rejections
