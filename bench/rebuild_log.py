"""A filled event log for ``bench_rebuild.py``, kept between runs, and the per-record floor work.

``FilledLog(admin, size)`` holds ``size`` synthetic envelopes on
``test.bench-rebuild-events.v1-1.p3.n<size>`` (``PARTITIONS`` partitions), each signed by its
producer, whose keys sit in a keystore under the run folder
(``$BACKBONE_RUN_DIR/bench-rebuild/v1-1.n<size>``, never committed), and the key directory on
``test.bench-rebuild-directory.v1-1.p3.n<size>``. ``fill()`` reuses them when the topic already
holds exactly ``size`` records and the keystore is there, so a rerun costs nothing; otherwise it
deletes and refills them. The names carry the contract version (``CONTRACT``): a log filled
under an earlier one, whose headers the codec now refuses, is never reused. All data is
synthetic.

``Floor`` is the raw per-record work a rebuild cannot avoid: PyNaCl's Ed25519 verification of
the envelope's signature (the signer's key looked up by id) and fastavro's decode of the clear
header. It is the bound of the bare consumers, not the project's codec (which does more checks).
"""

from __future__ import annotations

import io
import itertools
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import fastavro
import nacl.bindings as sodium
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from synthetic import synthetic_events

from backbone.broker import admin
from backbone.broker.directory_topic import DIRECTORY_TOPIC_CONFIG, publish_directory
from backbone.broker.settings import KafkaSettings
from backbone.domain.events import Event
from backbone.envelope import administration
from backbone.envelope.codec import ENVELOPE_DOMAIN, EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.keys import Keystore
from backbone.envelope.schemas import default_registry
from backbone.paths import run_dir

PARTITIONS = 3  # the audit's tables are co-partitioned with a three-partition event log
CONTRACT = "v1-1"  # the header contract the log's events follow (contracts/events.md)
SEED = 11
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
KEYS_SINCE = START - timedelta(days=30)
_KEY_AT, _SCHEMA_AT, _HEADER_AT = 10, 26, 34  # envelope framing (contracts/envelope.md)


class FilledLog:
    def __init__(self, admin_settings: KafkaSettings, size: int) -> None:
        self.admin, self.size = admin_settings, size
        self.topic = f"test.bench-rebuild-events.{CONTRACT}.p{PARTITIONS}.n{size}"
        self.directory_topic = f"test.bench-rebuild-directory.{CONTRACT}.p{PARTITIONS}.n{size}"
        self.base = run_dir() / "bench-rebuild" / f"{CONTRACT}.n{size}"
        self.keystore = Keystore(self.base / "keys")

    def directory(self) -> KeyDirectory:
        return administration.directory_of(self.keystore)

    def count(self) -> int:
        """Records on the topic now (0 when it does not exist)."""
        consumer = KafkaConsumer(**self.admin.kafka_python(), enable_auto_commit=False)
        try:
            numbers = consumer.partitions_for_topic(self.topic) or set()
            partitions = [TopicPartition(self.topic, n) for n in numbers]
            ends = consumer.end_offsets(partitions) if partitions else {}
            starts = consumer.beginning_offsets(partitions) if partitions else {}
            return sum(ends[p] - starts[p] for p in partitions)
        finally:
            consumer.close()

    def fill(self) -> bool:
        """Make the log hold ``size`` envelopes; ``True`` when it was written now (not reused)."""
        if (self.base / "keys").exists() and self.count() == self.size:
            return False
        with admin.admin_client(self.admin) as client:
            stale = [t for t in client.list_topics() if t in (self.topic, self.directory_topic)]
            if stale:
                client.delete_topics(stale)
        shutil.rmtree(self.base, ignore_errors=True)
        self.base.mkdir(parents=True)
        self.keystore.create_root()
        admin.ensure_topics(self.admin, [admin.TopicSpec(self.topic, PARTITIONS)])
        admin.ensure_topics(
            self.admin, [admin.TopicSpec(self.directory_topic, 1, DIRECTORY_TOPIC_CONFIG)]
        )
        self._publish(self._records())
        publish_directory(self.admin, self.directory(), self.directory_topic)
        return True

    def issue(self, agency: str) -> None:
        administration.issue(self.keystore, agency, f"Benchmark {agency}", not_before=KEYS_SINCE)

    def _records(self) -> Iterator[tuple[bytes, bytes]]:
        """Encoded events; agencies get their keys when first seen (the directory read once
        per new agency, not per codec: it checks every certificate when loaded)."""
        codecs: dict[str, EnvelopeCodec] = {}
        sample = itertools.islice(self.events(), 20_000)  # the agencies of the first children
        for agency in sorted({a for e in sample for a in (e.producer, *e.recipients)}):
            self.issue(agency)
        directory = self.directory()
        known = set(directory.subjects())
        for event in self.events():
            missing = {event.producer, *event.recipients} - known
            if missing:
                for agency in sorted(missing):
                    self.issue(agency)
                known |= missing
                directory = self.directory()
                codecs.clear()
            if event.producer not in codecs:
                keyring = self.keystore.keyring(event.producer)
                codecs[event.producer] = EnvelopeCodec(directory, keyring)
            yield event.child_ref.encode(), codecs[event.producer].encode(event)

    def events(self) -> Iterator[Event]:
        children = self.size // 4 + 100  # a child has about 8 events: always enough
        return itertools.islice(synthetic_events(children, SEED, start=START), self.size)

    def _publish(self, records: Iterator[tuple[bytes, bytes]]) -> None:
        producer = KafkaProducer(**self.admin.kafka_python(), linger_ms=20, acks="all")
        try:
            for key, value in records:
                producer.send(self.topic, key=key, value=value)
            producer.flush()
        finally:
            producer.close()


class Floor:
    """The raw work per record: Ed25519 verify (PyNaCl) and the clear header's Avro decode."""

    def __init__(self, directory: KeyDirectory) -> None:
        self._keys = {
            signed.certificate.signing_key_id: signed.certificate.signing_public_key
            for signed in directory.certificates()
        }
        definition = default_registry().latest("envelope", "Envelope").definition
        expanded: Any = fastavro.parse_schema(dict(definition), expand=True)
        self._header = fastavro.parse_schema(expanded["fields"][2]["type"])

    def check(self, value: bytes) -> dict[str, Any]:
        key = self._keys[value[_KEY_AT:_SCHEMA_AT]]
        sodium.crypto_sign_open(value[-64:] + ENVELOPE_DOMAIN + value[:-64], key)
        stream = io.BytesIO(value)
        stream.seek(_HEADER_AT)
        header: dict[str, Any] = fastavro.schemaless_reader(stream, self._header)
        return header


def read_values(settings: KafkaSettings, topic: str, limit: int) -> list[bytes]:
    """The first ``limit`` record values of ``topic`` (partition by partition)."""
    consumer = KafkaConsumer(**settings.kafka_python(), enable_auto_commit=False)
    values: list[bytes] = []
    try:
        partitions = [TopicPartition(topic, n) for n in range(PARTITIONS)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        while len(values) < limit:
            for records in consumer.poll(timeout_ms=1000).values():
                values += [r.value for r in records]
        return values[:limit]
    finally:
        consumer.close()
