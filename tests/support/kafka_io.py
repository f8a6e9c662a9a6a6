"""Plain kafka-python produce and read helpers for broker tests."""

from __future__ import annotations

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from backbone.broker.settings import KafkaSettings


def produce(settings: KafkaSettings, topic: str, value: bytes, key: bytes = b"c-0001") -> None:
    producer = KafkaProducer(**settings.kafka_python(), max_block_ms=10000)
    try:
        producer.send(topic, key=key, value=value).get(timeout=15)
    finally:
        producer.close()


def read_all(settings: KafkaSettings, topic: str, group: str | None = None) -> list[bytes]:
    """Read every partition from the start to its end offset (the broker authorises each call)."""
    consumer = KafkaConsumer(**settings.kafka_python(), group_id=group, enable_auto_commit=False)
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or {0})
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        values: list[bytes] = []
        while any(consumer.position(p) < ends[p] for p in partitions):
            for records in consumer.poll(timeout_ms=1000).values():
                values.extend(record.value for record in records)
        return values
    finally:
        consumer.close()


def read_keyed(settings: KafkaSettings, topic: str) -> list[tuple[bytes | None, bytes | None]]:
    """Every record's (key, value), every partition from the start to its end offset now."""
    consumer = KafkaConsumer(**settings.kafka_python(), enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        records: list[tuple[bytes | None, bytes | None]] = []
        while any(consumer.position(p) < ends[p] for p in partitions):
            for batch in consumer.poll(timeout_ms=1000).values():
                records.extend((record.key, record.value) for record in batch)
        return records
    finally:
        consumer.close()
