"""One record as a consumer got it, whatever client read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


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
