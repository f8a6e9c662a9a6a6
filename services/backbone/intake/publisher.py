"""Where accepted envelopes go: the shared event log, keyed by ``child_ref``.

``KafkaPublisher`` waits for the broker's acknowledgement from every in-sync replica
(``acks=all``) in a worker thread; ``MemoryPublisher`` is the in-process adapter for tests.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from kafka import KafkaProducer
from kafka.errors import KafkaError

from backbone.broker.settings import KafkaSettings
from backbone.broker.topics import EVENT_LOG


class PublishFailed(RuntimeError):
    """The broker did not acknowledge the record in time; it may or may not be in the log."""


class Publisher(Protocol):
    async def publish(self, key: bytes, value: bytes) -> None:
        """Return once the record is durably in the log; raise ``PublishFailed`` otherwise."""

    async def close(self) -> None: ...


class KafkaPublisher:
    def __init__(self, settings: KafkaSettings, timeout: float = 20.0) -> None:
        self._settings = settings
        self._timeout = timeout
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="intake-publish")

    async def publish(self, key: bytes, value: bytes) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._send, key, value)

    def _send(self, key: bytes, value: bytes) -> None:
        try:
            self._connected().send(EVENT_LOG, key=key, value=value).get(timeout=self._timeout + 5)
        except KafkaError as error:
            raise PublishFailed(type(error).__name__) from None

    def _connected(self) -> KafkaProducer:
        with self._lock:
            if self._producer is None:
                millis = int(self._timeout * 1000)
                self._producer = KafkaProducer(
                    **self._settings.kafka_python(),
                    acks="all",
                    enable_idempotence=True,
                    linger_ms=0,
                    max_block_ms=millis,
                    request_timeout_ms=millis // 2,
                    delivery_timeout_ms=millis,
                )
            return self._producer

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)

    def _close(self) -> None:
        with self._lock:
            if self._producer is not None:
                self._producer.close()
                self._producer = None


class MemoryPublisher:
    """Records what was published; ``down`` (or ``down_after`` records) is a broker outage."""

    def __init__(self, down_after: int | None = None) -> None:
        self.records: list[tuple[bytes, bytes]] = []
        self.down = False
        self.down_after = down_after

    async def publish(self, key: bytes, value: bytes) -> None:
        await asyncio.sleep(0)  # yield, as a real round trip would
        if self.down or (self.down_after is not None and len(self.records) >= self.down_after):
            raise PublishFailed("the in-memory broker is down")
        self.records.append((key, value))

    async def close(self) -> None:
        return None
