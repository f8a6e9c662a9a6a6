"""Quarantine: refused records go to ``referral.rejected.v1`` unchanged, with their reason.

The Kafka record keeps the original key and value bytes exactly; why and where from travel in
record headers (``reason``, ``detail``, ``source``, ``event_id``, ``rejected_by``,
``rejected_at``), so an operator can replay a record once its cause is fixed. ``detail`` never
holds payload contents (see ``errors``). ``MemoryQuarantine`` is the in-process adapter for tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol

from kafka import KafkaProducer

from backbone.broker.reader import TopicReader
from backbone.broker.settings import KafkaSettings
from backbone.broker.topics import REJECTED_TOPIC
from backbone.envelope.errors import EnvelopeRejected


@dataclass(frozen=True)
class Inbound:
    """One record as a consumer got it. ``received_at`` is the broker's log-append time."""

    value: bytes = field(repr=False)
    key: bytes | None = None
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    received_at: datetime | None = None

    @classmethod
    def from_record(cls, record: Any) -> Inbound:
        """From a kafka-python or aiokafka ``ConsumerRecord`` or a faust ``Message``.

        Only a log-append timestamp (``timestamp_type`` 1) is trusted as ``received_at``: a
        create time is the producer's claim. The clients give milliseconds (int); faust's
        ``Message`` gives seconds (float).
        """
        timestamp = getattr(record, "timestamp", None)
        received_at = None
        if (
            getattr(record, "timestamp_type", None) == 1
            and timestamp is not None
            and timestamp >= 0
        ):
            seconds = timestamp if isinstance(timestamp, float) else timestamp / 1000
            received_at = datetime.fromtimestamp(seconds, UTC)
        return cls(
            value=record.value,
            key=record.key,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            received_at=received_at,
        )


@dataclass(frozen=True)
class Rejection:
    reason: str
    detail: str
    value: bytes = field(repr=False)
    key: bytes | None = None
    source_topic: str | None = None
    source_partition: int | None = None
    source_offset: int | None = None
    event_id: str | None = None
    rejected_by: str = ""
    rejected_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def of(cls, error: EnvelopeRejected, record: Inbound, rejected_by: str) -> Rejection:
        return cls(
            reason=error.reason,
            detail=error.detail,
            value=record.value,
            key=record.key,
            source_topic=record.topic,
            source_partition=record.partition,
            source_offset=record.offset,
            event_id=error.event_id,
            rejected_by=rejected_by,
        )

    def log_fields(self) -> dict[str, Any]:
        """What a consumer logs of a rejection it quarantined (never the record's bytes)."""
        return {
            "reason": self.reason,
            "detail": self.detail,
            "event_id": self.event_id,
            "topic": self.source_topic,
            "partition": self.source_partition,
            "offset": self.source_offset,
        }

    def headers(self) -> list[tuple[str, bytes]]:
        source = (
            f"{self.source_topic or ''}/{_text(self.source_partition)}/{_text(self.source_offset)}"
        )
        return [
            ("reason", self.reason.encode()),
            ("detail", self.detail.encode()),
            ("source", source.encode()),
            ("event_id", (self.event_id or "").encode()),
            ("rejected_by", self.rejected_by.encode()),
            ("rejected_at", self.rejected_at.isoformat().encode()),
        ]

    @classmethod
    def from_kafka(
        cls, key: bytes | None, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> Rejection:
        fields = {name: raw.decode() for name, raw in headers}
        topic, partition, offset = fields.get("source", "//").rsplit("/", 2)
        return cls(
            reason=fields["reason"],
            detail=fields.get("detail", ""),
            value=value,
            key=key,
            source_topic=topic or None,
            source_partition=int(partition) if partition else None,
            source_offset=int(offset) if offset else None,
            event_id=fields.get("event_id") or None,
            rejected_by=fields.get("rejected_by", ""),
            rejected_at=datetime.fromisoformat(fields["rejected_at"]),
        )


class Quarantine(Protocol):
    def put(self, rejection: Rejection) -> None:
        """Store ``rejection`` durably before the consumer moves past its record."""


class MemoryQuarantine:
    def __init__(self) -> None:
        self.rejections: list[Rejection] = []

    def put(self, rejection: Rejection) -> None:
        self.rejections.append(rejection)


class KafkaQuarantine:
    """Publishes rejections with kafka-python; ``put`` waits for the broker's acknowledgement."""

    def __init__(
        self, settings: KafkaSettings, topic: str = REJECTED_TOPIC, timeout: float = 30.0
    ) -> None:
        self.topic = topic
        self._settings = settings
        self._timeout = timeout
        self._producer: KafkaProducer | None = None

    def put(self, rejection: Rejection) -> None:
        if self._producer is None:
            self._producer = KafkaProducer(
                **self._settings.kafka_python(), acks="all", enable_idempotence=True
            )
        future = self._producer.send(
            self.topic, key=rejection.key, value=rejection.value, headers=rejection.headers()
        )
        future.get(timeout=self._timeout)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()
            self._producer = None

    def __enter__(self) -> KafkaQuarantine:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class QuarantineFollower:
    """The rejections on ``topic``: read from the beginning once, then only what is new.

    For a reader that asks again and again (the console's quarantine page): each ``refresh``
    reads from where the last one stopped up to the topic's end at that moment. Not
    thread-safe; its owner serialises calls."""

    def __init__(self, settings: KafkaSettings, topic: str = REJECTED_TOPIC) -> None:
        self.topic = topic
        self.rejections: list[Rejection] = []
        self._reader = TopicReader(settings, topic, allow_missing=True)

    def refresh(self) -> list[Rejection]:
        """Read up to the topic's current end; return the rejections read by this call."""
        new = [Rejection.from_kafka(r.key, r.value, r.headers) for r in self._reader.records()]
        self.rejections.extend(new)
        return new

    def close(self) -> None:
        self._reader.close()


def read_quarantine(settings: KafkaSettings, topic: str = REJECTED_TOPIC) -> list[Rejection]:
    """Every rejection on ``topic`` now (operations tooling and tests)."""
    follower = QuarantineFollower(settings, topic)
    try:
        return follower.refresh()
    finally:
        follower.close()


def _text(number: int | None) -> str:
    return "" if number is None else str(number)
