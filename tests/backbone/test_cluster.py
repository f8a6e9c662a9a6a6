"""The backbone on a throwaway three-node KRaft cluster: replication as the rule says, and no
acknowledged event lost when the leader of the event log's partition is killed mid-stream."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from kafka import KafkaProducer
from kafka.producer.future import RecordMetadata

from backbone.audit.live.kafka_log import read_log
from backbone.broker import admin, partitions, replicas, topology
from backbone.broker.local import LocalCluster
from backbone.broker.replication import Replication
from backbone.broker.settings import KafkaSettings
from backbone.broker.topics import EVENT_LOG
from support.cluster import throwaway_cluster
from support.deployment import wait_for
from support.kafka_io import read_all

pytestmark = pytest.mark.cluster

EVENTS = 3000


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    root = tmp_path_factory.mktemp("cluster")
    previous = os.environ.get("BACKBONE_RUN_DIR")
    os.environ["BACKBONE_RUN_DIR"] = str(root)  # principals' passwords stay in this folder
    try:
        with throwaway_cluster(root, nodes=3) as running:
            topology.apply(running.admin_settings(), topology.load())
            yield running
    finally:
        if previous is None:
            os.environ.pop("BACKBONE_RUN_DIR")
        else:
            os.environ["BACKBONE_RUN_DIR"] = previous


def test_every_topic_of_the_topology_has_three_replicas_and_two_in_sync(
    cluster: LocalCluster,
) -> None:
    settings = cluster.admin_settings()
    names = [t.name for t in topology.load().topics]

    read = {t.name: (t.replicas, t.min_insync) for t in replicas.read(settings, names)}

    assert read == {name: (3, 2) for name in names}
    assert replicas.find(settings, Replication(3)) == []


def test_status_prints_one_line_per_node(cluster: LocalCluster) -> None:
    env = {
        **os.environ,
        "BACKBONE_RUN_DIR": str(cluster.root),
        "BACKBONE_KAFKA_PORT": str(cluster.client_port),
        "BACKBONE_KAFKA_CONTROLLER_PORT": str(cluster.controller_port),
    }
    shown = subprocess.run(
        [sys.executable, "-m", "backbone.cli", "broker", "status"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    lines = [json.loads(line) for line in shown.stdout.splitlines()]
    assert [line["node_id"] for line in lines] == [1, 2, 3]
    assert all(line["running"] and line["rss_mib"] > 0 for line in lines)
    assert [line["port"] for line in lines] == [cluster.client_port + 2 * i for i in range(3)]


def test_a_topic_replicated_below_the_rule_is_reported_then_repaired(
    cluster: LocalCluster,
) -> None:
    settings = cluster.admin_settings()
    admin.ensure_topics(settings, [admin.TopicSpec("test.thin", 2)], Replication(1))

    reported = topology.apply(settings, topology.load())
    repaired = topology.apply(settings, topology.load(), repair=True)

    assert [t["topic"] for t in reported["under_replicated"]] == ["test.thin"]
    assert repaired["repaired"] == ["test.thin"] and repaired["under_replicated"] == []
    # Any broker may answer a read, and each applies the new min ISR a moment after the others.
    wait_for(
        lambda: (
            [(t.replicas, t.min_insync) for t in replicas.read(settings, ["test.thin"])] == [(3, 2)]
        ),
        timeout=30,
        what="every broker reporting 3 replicas and min ISR 2",
    )


def _publish(
    settings: KafkaSettings, cluster: LocalCluster, kill_at: int
) -> tuple[set[bytes], int]:
    """Send EVENTS values, SIGKILLing the leader of partition 0 after ``kill_at`` sends; return
    the values the cluster acknowledged and the killed node."""
    producer = KafkaProducer(
        **settings.kafka_python(),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        delivery_timeout_ms=60000,
    )
    acknowledged: set[bytes] = set()
    killed = -1
    try:
        for n in range(EVENTS):
            value = b"event-%05d" % n

            def record(_: RecordMetadata, value: bytes = value) -> None:
                acknowledged.add(value)

            producer.send(EVENT_LOG, key=b"k-%02d" % (n % 30), value=value).add_callback(record)
            if n == kill_at:
                killed = partitions.leader_of(settings, EVENT_LOG, 0)
                cluster.kill_node(killed)
        producer.flush(timeout=90)
    finally:
        producer.close(timeout=10)
    return acknowledged, killed


def test_killing_the_event_logs_leader_mid_stream_loses_no_acknowledged_event(
    cluster: LocalCluster,
) -> None:
    settings = cluster.admin_settings()

    acknowledged, killed = _publish(settings, cluster, kill_at=EVENTS // 3)
    new_leader = partitions.leader_of(settings, EVENT_LOG, 0)
    cluster.start_node(killed)
    partitions.wait_full_isr(settings, [EVENT_LOG], timeout=90)
    stored = read_all(settings, EVENT_LOG)

    assert new_leader not in (killed, partitions.NO_LEADER)
    assert len(acknowledged) == EVENTS  # the producer retried through the election
    assert acknowledged <= set(stored)
    assert len(stored) == len(set(stored))  # idempotent: no retried batch written twice
    # Any broker may answer the describe, and its metadata may be a moment behind the others'.
    wait_for(
        lambda: all(
            s.fully_in_sync and len(s.replicas) == 3
            for s in partitions.describe(settings, [EVENT_LOG])
        ),
        timeout=30,
        what="every broker reporting the event log fully in sync",
    )


def test_the_event_log_is_read_whole_right_after_its_leader_is_killed(
    cluster: LocalCluster,
) -> None:
    """What ``audit replay --from-kafka`` reads: a broker that just died (still in the clients'
    metadata, its partitions not yet moved) is waited out, not an error."""
    settings = cluster.admin_settings()
    stored = sorted(read_all(settings, EVENT_LOG))
    killed = partitions.leader_of(settings, EVENT_LOG, 0)

    cluster.kill_node(killed)
    try:
        read = sorted(record.value for record in read_log(settings, EVENT_LOG))
    finally:
        cluster.start_node(killed)
        partitions.wait_full_isr(settings, [EVENT_LOG], timeout=90)

    assert stored and read == stored


def test_a_cluster_restarts_after_a_principal_was_removed(cluster: LocalCluster) -> None:
    """``remove_principal`` (the benchmarks' clean-up) retires a SCRAM credential without
    deleting it: a cluster whose metadata held a deletion refused its own inter-broker
    credential once restarted. Last in this module: it stops and starts the whole cluster."""
    settings = cluster.admin_settings()
    admin.upsert_scram_user(settings, "audit.national.b-restart", "not-a-real-password-1234567")
    admin.remove_principal(settings, "audit.national.b-restart")

    cluster.stop()
    statuses = cluster.start(3)

    assert [s.running for s in statuses] == [True, True, True]
    assert admin.partition_count(settings, EVENT_LOG) == 3
