"""Plain kafka-python produce and read helpers for broker tests.

Every read goes through the services' own ``TopicReader``: each partition from its start to the
end offsets the brokers report when the read begins.
"""

from __future__ import annotations

from typing import Any

from kafka import KafkaProducer

from backbone.broker.reader import TopicReader
from backbone.broker.settings import KafkaSettings


def produce(
    settings: KafkaSettings, topic: str, value: bytes, key: bytes = b"c-000000000000"
) -> None:
    producer = KafkaProducer(**settings.kafka_python(), max_block_ms=10000)
    try:
        producer.send(topic, key=key, value=value).get(timeout=15)
    finally:
        producer.close()


def read_records(settings: KafkaSettings, topic: str, group: str | None = None) -> list[Any]:
    """Every record (kafka-python's) of every partition, from the start to its end now; with
    ``group``, read in that consumer group (the broker then authorises it too), committing
    nothing."""
    with TopicReader(settings, topic, group=group) as reader:
        return list(reader.records())


def read_all(settings: KafkaSettings, topic: str, group: str | None = None) -> list[bytes]:
    """Every record's value (see ``read_records``)."""
    return [record.value for record in read_records(settings, topic, group)]


def read_keyed(settings: KafkaSettings, topic: str) -> list[tuple[bytes | None, bytes | None]]:
    """Every record's (key, value) (see ``read_records``)."""
    return [(record.key, record.value) for record in read_records(settings, topic)]
