"""The quarantine as operations browse it: reasons and where records came from, never bytes.

``KafkaQuarantineSource`` reads ``referral.rejected.v1`` as the ``operations`` principal: from
the beginning at the first page, then only what was added since (``QuarantineFollower``), so a
page costs what is new, not the whole topic; ``MemoryQuarantineSource`` is the in-process
adapter for tests. The record's value is counted, not shown: it is ciphertext the console has no
key for, and the ``detail`` header never holds payload contents.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from kafka.errors import KafkaError

from backbone.broker.quarantine import QuarantineFollower
from backbone.broker.settings import KafkaSettings, MissingSecret
from backbone.broker.topics import REJECTED_TOPIC
from backbone.broker.topology import TopologyError
from backbone.consumer.quarantine import MemoryQuarantine, Rejection
from backbone.runtime.context import kafka_settings

PRINCIPAL = "operations"


class QuarantineUnavailable(RuntimeError):
    """The quarantine topic could not be read (no credentials, broker down)."""


class QuarantineSource(Protocol):
    def read(self) -> Sequence[Rejection]:
        """Every rejection now, oldest first."""


class KafkaQuarantineSource:
    def __init__(
        self,
        topic: str = REJECTED_TOPIC,
        settings: Callable[[], KafkaSettings] = lambda: kafka_settings(PRINCIPAL),
    ) -> None:
        self.topic = topic
        self._settings = settings
        self._lock = threading.Lock()  # waitress serves pages from several threads
        self._follower: QuarantineFollower | None = None

    def read(self) -> Sequence[Rejection]:
        with self._lock:
            try:
                if self._follower is None:
                    self._follower = QuarantineFollower(self._settings(), self.topic)
                self._follower.refresh()
                return list(self._follower.rejections)
            except (MissingSecret, TopologyError, KafkaError, OSError, ValueError) as error:
                self._close()  # start afresh next time
                raise QuarantineUnavailable(f"{self.topic}: {error}") from None

    def _close(self) -> None:
        follower, self._follower = self._follower, None
        if follower is not None:
            with contextlib.suppress(KafkaError, OSError):
                follower.close()


class MemoryQuarantineSource:
    def __init__(self, memory: MemoryQuarantine) -> None:
        self._memory = memory

    def read(self) -> Sequence[Rejection]:
        return list(self._memory.rejections)


@dataclass(frozen=True)
class QuarantineRow:
    reason: str
    detail: str
    source: str
    event_id: str | None
    rejected_by: str
    rejected_at: datetime
    size: int  # bytes of the original record's value

    @classmethod
    def of(cls, rejection: Rejection) -> QuarantineRow:
        where = "/".join(
            "" if part is None else str(part)
            for part in (
                rejection.source_topic,
                rejection.source_partition,
                rejection.source_offset,
            )
        )
        return cls(
            reason=rejection.reason,
            detail=rejection.detail,
            source=where,
            event_id=rejection.event_id,
            rejected_by=rejection.rejected_by,
            rejected_at=rejection.rejected_at,
            size=len(rejection.value),
        )


def rows(rejections: Sequence[Rejection], reason: str | None = None) -> list[QuarantineRow]:
    """Newest first, optionally one reason only."""
    chosen = [QuarantineRow.of(r) for r in rejections if reason is None or r.reason == reason]
    return sorted(chosen, key=lambda r: r.rejected_at, reverse=True)


def by_reason(rejections: Sequence[Rejection]) -> list[tuple[str, int]]:
    return sorted(Counter(r.reason for r in rejections).items())
