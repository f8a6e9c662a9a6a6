"""Plain kafka-python produce and read helpers for broker tests."""

from __future__ import annotations

from kafka import KafkaProducer

from backbone.broker.reader import TopicReader, read_to_end
from backbone.broker.settings import KafkaSettings


def produce(
    settings: KafkaSettings, topic: str, value: bytes, key: bytes = b"c-000000000000"
) -> None:
    producer = KafkaProducer(**settings.kafka_python(), max_block_ms=10000)
    try:
        producer.send(topic, key=key, value=value).get(timeout=15)
    finally:
        producer.close()


def read_all(settings: KafkaSettings, topic: str, group: str | None = None) -> list[bytes]:
    """Read every partition from the start to its end offset (the broker authorises each call)."""
    with TopicReader(settings, topic, group=group) as reader:
        return [record.value for record in reader.records()]


def read_keyed(settings: KafkaSettings, topic: str) -> list[tuple[bytes | None, bytes | None]]:
    """Every record's (key, value), every partition from the start to its end offset now."""
    return [(record.key, record.value) for record in read_to_end(settings, topic)]
