"""The quarantine: where a consumer puts a record it refuses, unchanged, with its reason.

``Quarantine`` is the one interface: ``put`` stores a ``Rejection`` durably before the consumer
moves past its record, ``read`` reads back what was stored. Its adapters, each passing
``tests/consumer/test_quarantine_contract.py``: ``MemoryQuarantine`` (in process, for tests and
the replay), ``broker.quarantine.KafkaQuarantine`` (the shared ``referral.rejected.v1`` topic:
the original key and value bytes exactly, why and where from in record headers, so an operator
can replay a record once its cause is fixed) and the agency service's ``TableQuarantine`` (its
own changelog-backed table). ``detail`` never holds payload contents (see ``envelope.errors``).
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from backbone.consumer.inbound import Inbound
from backbone.envelope.errors import EnvelopeRejected


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

    def source(self) -> str:
        """Where the refused record was: ``topic/partition/offset``, a part empty if unknown."""
        return (
            f"{self.source_topic or ''}/{_text(self.source_partition)}/{_text(self.source_offset)}"
        )

    def headers(self) -> list[tuple[str, bytes]]:
        return [
            ("reason", self.reason.encode()),
            ("detail", self.detail.encode()),
            ("source", self.source().encode()),
            ("event_id", (self.event_id or "").encode()),
            ("rejected_by", self.rejected_by.encode()),
            ("rejected_at", self.rejected_at.isoformat().encode()),
        ]

    @classmethod
    def from_kafka(
        cls, key: bytes | None, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> Rejection:
        fields = {name: raw.decode() for name, raw in headers}
        topic, partition, offset = _position(fields.get("source", "//"))
        return cls(
            reason=fields["reason"],
            detail=fields.get("detail", ""),
            value=value,
            key=key,
            source_topic=topic,
            source_partition=partition,
            source_offset=offset,
            event_id=fields.get("event_id") or None,
            rejected_by=fields.get("rejected_by", ""),
            rejected_at=datetime.fromisoformat(fields["rejected_at"]),
        )


class Quarantine(Protocol):
    def put(self, rejection: Rejection) -> None:
        """Store ``rejection`` durably before the consumer moves past its record."""

    def read(self) -> list[Rejection]:
        """Every rejection stored so far (operations tooling and tests)."""


class MemoryQuarantine:
    """In process: ``rejections`` in the order they were put."""

    def __init__(self) -> None:
        self.rejections: list[Rejection] = []

    def put(self, rejection: Rejection) -> None:
        self.rejections.append(rejection)

    def read(self) -> list[Rejection]:
        return list(self.rejections)


class TableQuarantine:
    """In a mutable mapping, e.g. an agency service's changelog-backed table: one entry per
    refused record, keyed by its position (``topic/partition/offset``), its bytes in hex."""

    def __init__(self, table: MutableMapping[str, Any]) -> None:
        self._table = table

    def put(self, rejection: Rejection) -> None:
        self._table[rejection.source()] = {
            "reason": rejection.reason,
            "detail": rejection.detail,
            "event_id": rejection.event_id,
            "rejected_by": rejection.rejected_by,
            "rejected_at": rejection.rejected_at.isoformat(),
            "value": rejection.value.hex(),
            "key": None if rejection.key is None else rejection.key.hex(),
        }

    def read(self) -> list[Rejection]:
        """Every entry as a ``Rejection`` (``rejected_by`` is empty in entries written before
        it was kept)."""
        return [_from_entry(source, entry) for source, entry in self._table.items()]


def _from_entry(source: str, entry: dict[str, Any]) -> Rejection:
    topic, partition, offset = _position(source)
    return Rejection(
        reason=entry["reason"],
        detail=entry["detail"],
        value=bytes.fromhex(entry["value"]),
        key=None if entry["key"] is None else bytes.fromhex(entry["key"]),
        source_topic=topic,
        source_partition=partition,
        source_offset=offset,
        event_id=entry["event_id"],
        rejected_by=entry.get("rejected_by", ""),
        rejected_at=datetime.fromisoformat(entry["rejected_at"]),
    )


def _position(source: str) -> tuple[str | None, int | None, int | None]:
    """``topic/partition/offset`` (each part possibly empty) back into its parts."""
    topic, partition, offset = source.rsplit("/", 2)
    return topic or None, int(partition) if partition else None, int(offset) if offset else None


def _text(number: int | None) -> str:
    return "" if number is None else str(number)
