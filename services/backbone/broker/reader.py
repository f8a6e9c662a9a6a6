"""Reading a topic from its start to its end now: the one way the backbone does it.

A ``TopicReader`` holds one kafka-python consumer assigned to every partition of a topic (no
consumer group, nothing committed) and reads, at each call, up to the end offsets the brokers
report at that call; the next call continues where the last stopped, with the first record past
that end, even if a fetch already brought it. That serves a one-off read (``read_to_end``) as
well as a follower that is refreshed (the key directory, the quarantine, an inbox).

``read_partitions`` is the same read for an asyncio service (aiokafka): chosen partitions of a
topic, from their start to their end at the call (``stream_partitions``: batch by batch).

On a cluster, a request kafka-python sends to a broker that just died fails at once
(``KafkaConnectionError``), including its metadata request when it picks that broker to ask.
Errors Kafka calls retriable (a broker down, a leader being elected) are retried here for up to
``patience`` seconds, then raised; any other error is raised at once.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, TypeVar

import aiokafka
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError, UnknownTopicOrPartitionError, for_code

from backbone.broker.admin import admin_client
from backbone.broker.settings import KafkaSettings

# How long a read waits out brokers that cannot answer (a killed broker is fenced, and its
# partitions get new leaders, about 10 s after it died).
PATIENCE_SECONDS = 60.0
# Between two attempts of a request that failed with a retriable error.
RETRY_BACKOFF_SECONDS = 0.5
POLL_MS = 1000

T = TypeVar("T")


class TopicMissing(LookupError):
    """The topic does not exist on the cluster."""

    def __init__(self, topic: str) -> None:
        super().__init__(f"topic {topic} does not exist (has `backbone topology apply` run?)")
        self.topic = topic


def retrying(call: Callable[[], T], patience: float = PATIENCE_SECONDS) -> T:
    """``call()``, repeated while it fails with a retriable ``KafkaError``, for up to ``patience``
    seconds; the last error after that, and any other error at once."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return call()
        except KafkaError as error:
            if not error.retriable or time.monotonic() >= deadline:
                raise
        time.sleep(RETRY_BACKOFF_SECONDS)


class TopicReader:
    """Every partition of ``topic``, from its first offset, up to its end at each read."""

    def __init__(
        self,
        settings: KafkaSettings,
        topic: str,
        patience: float = PATIENCE_SECONDS,
        group: str | None = None,
        allow_missing: bool = False,
    ) -> None:
        """``group``: a consumer group the reads are made in (the broker then authorises the
        principal for it too); nothing is committed. ``allow_missing``: a topic that does not
        exist yet reads as empty (and is looked for again at the next read)."""
        self.topic, self._patience, self._allow_missing = topic, patience, allow_missing
        self._settings = settings
        self._consumer = KafkaConsumer(
            **settings.kafka_python(), group_id=group, enable_auto_commit=False
        )
        self.partitions: list[TopicPartition] = []
        self._ends: dict[TopicPartition, int] = {}

    def __enter__(self) -> TopicReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _assign(self) -> bool:
        """Assign the topic's partitions from their start, once they are known."""
        if not self.partitions:
            consumer, topic = self._consumer, self.topic
            known = retrying(lambda: consumer.partitions_for_topic(topic), self._patience)
            if not known:
                self._unseen()
                return False
            self.partitions = [TopicPartition(self.topic, n) for n in sorted(known)]
            self._consumer.assign(self.partitions)
            self._consumer.seek_to_beginning(*self.partitions)
        return True

    def _unseen(self) -> None:
        """The topic is not in this principal's metadata: it does not exist, or the principal may
        not see it. The broker's answer to a describe of the topic by name tells which: an
        unauthorised principal's refusal is raised (``TopicAuthorizationFailedError``); a topic
        that does not exist is ``TopicMissing``, unless the reader was made to wait for it.
        (Asking the consumer for the partition's end instead hung kafka-python once.)"""
        with admin_client(self._settings) as admin:
            described = retrying(lambda: admin.describe_topics([self.topic]), self._patience)
        code = next((t["error_code"] for t in described if t["name"] == self.topic), 0)
        if code == UnknownTopicOrPartitionError.errno:
            if not self._allow_missing:
                raise TopicMissing(self.topic)
        elif code:
            raise for_code(code)(f"describing {self.topic}")

    def mark_end(self) -> dict[TopicPartition, int]:
        """Take each partition's end offset now as where the following reads stop."""
        if self._assign():
            self._ends = retrying(
                lambda: self._consumer.end_offsets(self.partitions), self._patience
            )
        return dict(self._ends)

    def position(self, partition: TopicPartition) -> int:
        return int(retrying(lambda: self._consumer.position(partition), self._patience))

    def done(self, partition: TopicPartition) -> bool:
        """Whether ``partition`` is read up to the end last marked."""
        return self.position(partition) >= self._ends.get(partition, 0)

    def poll(self) -> dict[TopicPartition, list[Any]]:
        """One fetch: records per partition, none past the end last marked.

        A fetch can bring records appended after that end was marked, and the consumer's
        position then moves past them. Such a partition is sought back to its first record past
        the end, so the next read, after its own ``mark_end``, returns them: dropped here, they
        were lost to a reader that reads again (a follower of an inbox or of the directory)."""
        fetched = self._consumer.poll(timeout_ms=POLL_MS)
        kept: dict[TopicPartition, list[Any]] = {}
        for part, records in fetched.items():
            end = self._ends.get(part, 0)
            kept[part] = [r for r in records if r.offset < end]
            beyond = [r.offset for r in records if r.offset >= end]
            if beyond:
                self._consumer.seek(part, min(beyond))
        return kept

    def batches(self) -> Iterator[list[Any]]:
        """The records up to the topic's end now, a fetched batch of a partition at a time."""
        self.mark_end()
        while not all(self.done(p) for p in self.partitions):
            for records in self.poll().values():
                if records:
                    yield records

    def records(self) -> Iterator[Any]:
        """The records up to the topic's end now, each partition in offset order."""
        for batch in self.batches():
            yield from batch

    def close(self) -> None:
        self._consumer.close()


def read_to_end(settings: KafkaSettings, topic: str) -> Iterator[Any]:
    """Every record of ``topic`` from the start to its end now (kafka-python records)."""
    with TopicReader(settings, topic) as reader:
        yield from reader.records()


def read_range(
    settings: KafkaSettings,
    topic: str,
    partition: int,
    offsets: range,
    patience: float = PATIENCE_SECONDS,
) -> list[Any]:
    """The records of one partition at ``offsets`` (a range: start included, stop not), fewer if
    some of those offsets hold no record (the end of the log, a transaction marker)."""
    part = TopicPartition(topic, partition)
    consumer = KafkaConsumer(**settings.kafka_python(), enable_auto_commit=False)
    try:
        consumer.assign([part])
        end = min(offsets.stop, retrying(lambda: consumer.end_offsets([part])[part], patience))
        consumer.seek(part, offsets.start)
        records: list[Any] = []
        while retrying(lambda: consumer.position(part), patience) < end:
            for batch in consumer.poll(timeout_ms=POLL_MS).values():
                records.extend(r for r in batch if offsets.start <= r.offset < end)
        return records
    finally:
        consumer.close()


async def read_partitions(
    settings: KafkaSettings, topic: str, partitions: Iterable[int]
) -> list[Any]:
    """Every record of ``partitions`` of ``topic``, from the start to the end at the call, each
    partition in offset order (aiokafka records), read without a consumer group."""
    return [r async for batch in stream_partitions(settings, topic, partitions) for r in batch]


async def stream_partitions(
    settings: KafkaSettings, topic: str, partitions: Iterable[int]
) -> AsyncIterator[list[Any]]:
    """``read_partitions`` one fetched batch at a time, so the caller need not hold them all."""
    parts = [aiokafka.TopicPartition(topic, p) for p in sorted(set(partitions))]
    if not parts:
        return
    consumer = aiokafka.AIOKafkaConsumer(**settings.aiokafka(), enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        left = {p for p in parts if ends[p] > 0}
        while left:
            for part, batch in (await consumer.getmany(*left, timeout_ms=POLL_MS)).items():
                yield [r for r in batch if r.offset < ends[part]]
                if await consumer.position(part) >= ends[part]:
                    left.discard(part)
    finally:
        await consumer.stop()
