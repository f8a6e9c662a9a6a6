"""``backbone audit replay --from-kafka``: the event log from offset 0, through the audit's gate.

Records are read in arrival order: each partition in offset order, partitions interleaved by the
broker's timestamp (then partition number). Each goes through the same ``AuditGate`` as in the
live service (signature and directory checks, the first content of an ``event_id`` wins), and
the admitted events are replayed with ``replay_events``, numbered by their position in that
order. Records the live audit would quarantine are returned, not published.
"""

from __future__ import annotations

import heapq
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


def read_log(settings: KafkaSettings, topic: str) -> list[Any]:
    """Every record of ``topic`` up to its current end, in arrival order."""
    consumer = KafkaConsumer(**settings.kafka_python(), enable_auto_commit=False)
    try:
        numbers = sorted(consumer.partitions_for_topic(topic) or ())
        partitions = [TopicPartition(topic, number) for number in numbers]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        by_partition: dict[int, list[Any]] = {number: [] for number in numbers}
        while any(consumer.position(p) < ends[p] for p in partitions):
            for part, records in consumer.poll(timeout_ms=1000).items():
                by_partition[part.partition].extend(r for r in records if r.offset < ends[part])
        return list(heapq.merge(*by_partition.values(), key=lambda r: (r.timestamp, r.partition)))
    finally:
        consumer.close()


def replay_from_kafka(
    context: AuditContext, topic: str, at: datetime, rules: RuleSet, calendar: WorkingCalendar
) -> tuple[Replay, list[Rejection]]:
    quarantine = MemoryQuarantine()
    gate = AuditGate(context.verifier, quarantine, EventStore(), name=context.agency, log=False)
    admitted: list[tuple[int, Event]] = []
    for position, record in enumerate(read_log(context.kafka, topic), start=1):
        stored = gate.admit(Inbound.from_record(record))
        if stored is not None:
            admitted.append((position, stored.event))
    return replay_events(admitted, at, rules, calendar), quarantine.rejections
