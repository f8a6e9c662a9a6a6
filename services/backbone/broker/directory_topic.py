"""The key directory on Kafka: the compacted ``keys.directory.v1`` topic, key = agency id.

Each record's value is a ``DirectoryEntry`` holding every certificate the agency ever held, so
compaction (which keeps the last record per key) never drops a key that old events need.
Publishing is the directory administrator's job (the broker's ACLs let nobody else write). The
directory itself, and what it trusts, is the envelope's (``envelope.directory``); this module only
carries its entries to and from the topic.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from kafka import KafkaProducer
from kafka.errors import ClusterAuthorizationFailedError, TopicAuthorizationFailedError

from backbone.broker.admin import TopicSpec, ensure_topics
from backbone.broker.reader import TopicReader, read_to_end
from backbone.broker.settings import KafkaSettings
from backbone.broker.topics import DIRECTORY_TOPIC
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.errors import CertificateInvalid

DIRECTORY_TOPIC_CONFIG = {"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1"}


def publish_directory(
    settings: KafkaSettings, directory: KeyDirectory, topic: str = DIRECTORY_TOPIC
) -> list[str]:
    """Write one record per agency and return the agencies.

    The compacted topic is created first if it is missing and ``settings`` may create topics
    (the local admin); otherwise ``backbone topology apply`` has made it.
    """
    # A directory administrator without Create rights publishes to the existing topic.
    with suppress(TopicAuthorizationFailedError, ClusterAuthorizationFailedError):
        ensure_topics(settings, [TopicSpec(topic, 1, DIRECTORY_TOPIC_CONFIG)])
    producer = KafkaProducer(**settings.kafka_python(), acks="all", enable_idempotence=True)
    try:
        subjects = directory.subjects()
        futures = [
            producer.send(topic, key=subject.encode(), value=directory.entry(subject))
            for subject in subjects
        ]
        for future in futures:
            future.get(timeout=30)
        return subjects
    finally:
        producer.close()


def load_directory(
    settings: KafkaSettings,
    root_public_key: bytes,
    topic: str = DIRECTORY_TOPIC,
    into: KeyDirectory | None = None,
) -> KeyDirectory:
    """Read the topic from the start to its current end into a directory under ``root``.

    A record that does not verify under this root (another root's certificates, an attempt to
    undo a revocation, bytes that are not an entry) is skipped and noted in
    ``directory.refused``: the directory trusts nothing it cannot verify, and one bad record does
    not stop a service from starting. Nothing is logged here; the caller reports new refusals.
    """
    directory = into or KeyDirectory(root_public_key)
    for record in read_to_end(settings, topic):
        if record.value is not None:  # a tombstone removes nothing we trust
            _admit(directory, record)
    return directory


def _admit(directory: KeyDirectory, record: Any) -> None:
    try:
        directory.add_entry(record.value)
    except CertificateInvalid as error:
        directory.refused[f"{record.topic}/{record.partition}/{record.offset}"] = error.detail


class DirectoryFollower:
    """Keeps a directory in step with the topic through one long-lived consumer.

    ``refresh`` reads what was appended since the last call (everything, the first time), so a
    service picks up new agencies, rotations and revocations without re-reading the topic.
    """

    def __init__(
        self, settings: KafkaSettings, directory: KeyDirectory, topic: str = DIRECTORY_TOPIC
    ) -> None:
        self.directory = directory
        self._reader = TopicReader(settings, topic)

    def refresh(self) -> list[str]:
        """Admit every record up to the topic's current end; return newly refused positions."""
        before = set(self.directory.refused)
        for record in self._reader.records():
            if record.value is not None:
                _admit(self.directory, record)
        return sorted(set(self.directory.refused) - before)

    def close(self) -> None:
        self._reader.close()
