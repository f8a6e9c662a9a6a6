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

from kafka import KafkaConsumer, TopicPartition

from backbone.audit.calendar import WorkingCalendar
from backbone.audit.context import AuditContext
from backbone.audit.gate import AuditGate
from backbone.audit.replay import Replay, replay_events
from backbone.audit.rules import RuleSet
from backbone.audit.store import EventStore
from backbone.broker.settings import KafkaSettings
from backbone.domain.events import Event
from backbone.envelope.quarantine import Inbound, MemoryQuarantine, Rejection

Progress = Callable[[int, int], None]  # (records read, records to read)

_BUFFERED = 20_000  # records held per partition before it is paused


def read_log(
    settings: KafkaSettings, topic: str, progress: Progress | None = None
) -> Iterator[Any]:
    """Every record of ``topic`` up to its current end, in arrival order, as they are read.

    At most about ``_BUFFERED`` records per partition are held: a partition that runs ahead of
    the others is paused until the merge catches up with it.
    """
    consumer = KafkaConsumer(**settings.kafka_python(), enable_auto_commit=False)
    try:
        partitions = [
            TopicPartition(topic, n) for n in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        total = sum(max(0, ends[p] - consumer.position(p)) for p in partitions)
        buffered: dict[TopicPartition, deque[Any]] = {p: deque() for p in partitions}
        done = {p: consumer.position(p) >= ends[p] for p in partitions}
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
            full = [p for p in partitions if len(buffered[p]) >= _BUFFERED]
            consumer.pause(*full)
            consumer.resume(*[p for p in partitions if p not in full])
            for part, records in consumer.poll(timeout_ms=1000).items():
                buffered[part].extend(r for r in records if r.offset < ends[part])
            for p in partitions:
                done[p] = done[p] or consumer.position(p) >= ends[p]
    finally:
        consumer.close()


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
