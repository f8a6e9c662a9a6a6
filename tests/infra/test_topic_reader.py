"""The topic reader waits out brokers that cannot answer (and only those) and names a topic that
does not exist."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from kafka import KafkaProducer
from kafka.errors import KafkaConnectionError, TopicAuthorizationFailedError

from backbone.broker import admin
from backbone.broker.reader import (
    TopicMissing,
    TopicReader,
    read_partitions,
    read_to_end,
    retrying,
)
from support.broker import Broker
from support.kafka_io import produce


class Flaky:
    """Fails with ``error`` the first ``failures`` calls, then answers 42."""

    def __init__(self, error: Exception, failures: int) -> None:
        self.error, self.failures, self.calls = error, failures, 0

    def __call__(self) -> int:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return 42


def test_a_broker_that_refuses_connections_is_asked_again_until_it_answers() -> None:
    call = Flaky(KafkaConnectionError("111 ECONNREFUSED"), failures=2)

    assert retrying(call, patience=30) == 42
    assert call.calls == 3


def test_an_error_that_is_not_retriable_is_raised_at_once() -> None:
    call = Flaky(TopicAuthorizationFailedError(), failures=5)

    with pytest.raises(TopicAuthorizationFailedError):
        retrying(call, patience=30)
    assert call.calls == 1


def test_past_its_patience_the_last_error_is_raised() -> None:
    call = Flaky(KafkaConnectionError("111 ECONNREFUSED"), failures=1000)

    with pytest.raises(KafkaConnectionError):
        retrying(call, patience=0)
    assert call.calls == 1


@pytest.mark.broker
def test_a_topic_that_does_not_exist_is_named_not_read_as_empty(broker: Broker) -> None:
    missing = f"no-such-topic-{uuid.uuid4().hex[:8]}"

    with pytest.raises(TopicMissing, match=missing):
        list(read_to_end(broker.admin, missing))
    with TopicReader(broker.admin, missing, allow_missing=True) as waiting:
        assert list(waiting.records()) == []


@pytest.mark.broker
def test_records_appended_after_the_end_was_marked_are_read_by_the_next_read(
    broker: Broker,
) -> None:
    """A fetch can bring records past the end a read marked; the next read returns them, so a
    reader that reads again and again (a follower) loses none."""
    topic = broker.topic("follower")
    produce(broker.admin, topic, b"before")
    with TopicReader(broker.admin, topic) as reader:
        [partition] = reader.mark_end()
        produce(broker.admin, topic, b"after-1")  # appended after the end was marked
        produce(broker.admin, topic, b"after-2")
        first: list[bytes] = []
        while not reader.done(partition):
            for records in reader.poll().values():
                first.extend(r.value for r in records)
        again = [r.value for r in reader.records()]

    assert first == [b"before"]
    assert again == [b"after-1", b"after-2"]


@pytest.mark.broker
def test_the_async_read_gives_the_chosen_partitions_to_their_end_in_offset_order(
    broker: Broker,
) -> None:
    topic = f"test.read-partitions-{uuid.uuid4().hex[:8]}"
    admin.ensure_topics(broker.admin, [admin.TopicSpec(topic, 3)])
    producer = KafkaProducer(**broker.admin.kafka_python())
    try:
        for n in range(30):
            producer.send(topic, value=str(n).encode(), partition=n % 3)
        producer.flush(timeout=15)
    finally:
        producer.close()

    chosen = asyncio.run(read_partitions(broker.admin, topic, [2, 0]))
    later = asyncio.run(read_partitions(broker.admin, topic, [1]))

    assert sorted(int(r.value) for r in chosen) == [n for n in range(30) if n % 3 != 1]
    for partition in (0, 2):
        offsets = [r.offset for r in chosen if r.partition == partition]
        assert offsets == list(range(10))
    assert [int(r.value) for r in later] == list(range(1, 30, 3))
    assert asyncio.run(read_partitions(broker.admin, topic, [])) == []
