"""The quarantine on Kafka: the ``referral.rejected.v1`` topic, written and read.

``KafkaQuarantine`` is the ``consumer.quarantine.Quarantine`` adapter of the shared topic: each
rejection is one record with the refused record's original key and value bytes exactly, and why
and where from in record headers (``reason``, ``detail``, ``source``, ``event_id``,
``rejected_by``, ``rejected_at``: ``Rejection.headers``). ``QuarantineFollower`` reads it for a
reader that asks again and again (the console).
"""

from __future__ import annotations

from types import TracebackType

from kafka import KafkaProducer

from backbone.broker.reader import TopicReader
from backbone.broker.settings import KafkaSettings
from backbone.broker.topics import REJECTED_TOPIC
from backbone.consumer.quarantine import Rejection


class KafkaQuarantine:
    """Publishes rejections with kafka-python; ``put`` waits for the broker's acknowledgement.

    ``read`` follows the topic from its start; it needs the right to read it, which the
    services' principals, writers only, do not have."""

    def __init__(
        self, settings: KafkaSettings, topic: str = REJECTED_TOPIC, timeout: float = 30.0
    ) -> None:
        self.topic = topic
        self._settings = settings
        self._timeout = timeout
        self._producer: KafkaProducer | None = None
        self._follower: QuarantineFollower | None = None

    def put(self, rejection: Rejection) -> None:
        if self._producer is None:
            self._producer = KafkaProducer(
                **self._settings.kafka_python(), acks="all", enable_idempotence=True
            )
        future = self._producer.send(
            self.topic, key=rejection.key, value=rejection.value, headers=rejection.headers()
        )
        future.get(timeout=self._timeout)

    def read(self) -> list[Rejection]:
        if self._follower is None:
            self._follower = QuarantineFollower(self._settings, self.topic)
        self._follower.refresh()
        return list(self._follower.rejections)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()
            self._producer = None
        if self._follower is not None:
            self._follower.close()
            self._follower = None

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
