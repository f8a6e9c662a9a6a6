"""The broker authenticates every client with SCRAM and authorises it by ACL alone."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient
from kafka.errors import (
    KafkaError,
    KafkaTimeoutError,
    TopicAuthorizationFailedError,
)

from backbone.broker import local
from support.broker import Broker
from support.kafka_io import produce, read_all

pytestmark = pytest.mark.broker


def test_scram_principal_with_acls_produces_and_consumes(broker: Broker) -> None:
    topic = broker.topic("roundtrip")
    group = f"reader-{uuid.uuid4().hex[:8]}"
    writer = broker.principal("writer", [("write", "topic", topic)])
    reader = broker.principal("reader", [("read", "topic", topic), ("read", "group", group)])
    marker = uuid.uuid4().bytes

    produce(writer, topic, marker)

    assert read_all(reader, topic, group) == [marker]


def test_principal_without_write_acl_is_refused(broker: Broker) -> None:
    topic = broker.topic("guarded")
    outsider = broker.principal("outsider")

    with pytest.raises(KafkaError) as refused:
        produce(outsider, topic, b"not allowed")

    assert isinstance(refused.value, TopicAuthorizationFailedError) or "Authorization" in repr(
        refused.value
    )


def test_principal_without_read_acl_cannot_consume(broker: Broker) -> None:
    topic = broker.topic("private")
    group = f"snoop-{uuid.uuid4().hex[:8]}"
    writer = broker.principal("writer", [("write", "topic", topic)])
    snoop = broker.principal("snoop", [("read", "group", group)])
    produce(writer, topic, b"for the owner only")

    with pytest.raises(TopicAuthorizationFailedError):
        read_all(snoop, topic, group)


def test_wrong_password_is_not_authenticated(broker: Broker) -> None:
    known = broker.principal("known")
    impostor = known.as_principal(known.username, "not-the-password")

    # The broker closes the connection of a failed SCRAM login, so the client never bootstraps;
    # the same principal with its own password does.
    with pytest.raises(KafkaTimeoutError):
        KafkaAdminClient(**impostor.kafka_python(), bootstrap_timeout_ms=3000)
    KafkaAdminClient(**known.kafka_python(), bootstrap_timeout_ms=10000).close()


def test_local_broker_is_the_apache_kafka_jvm(broker: Broker) -> None:
    if broker.kind != "local-jars":
        # An external or containerised broker has no local process to inspect; the tests above
        # show its SCRAM and ACL behaviour.
        assert broker.admin.bootstrap
        return
    pid = local.statuses()[0].pid
    assert pid is not None
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")

    assert b"kafka.Kafka" in argv
    assert Path(argv[0].decode()).name == "java"
