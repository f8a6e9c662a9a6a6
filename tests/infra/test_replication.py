"""The replication rule and the local cluster's layout, without a broker."""

from __future__ import annotations

import json

import pytest

from backbone.broker import strimzi, topology
from backbone.broker.admin import TopicSpec
from backbone.broker.cluster import ClusterError, ClusterSpec, kafka_uuid, node_ports
from backbone.broker.replication import Replication


@pytest.mark.parametrize(
    ("brokers", "factor", "min_insync"), [(1, 1, 1), (2, 2, 1), (3, 3, 2), (5, 3, 2)]
)
def test_replication_is_min_of_three_and_brokers_with_two_in_sync_from_three(
    brokers: int, factor: int, min_insync: int
) -> None:
    rule = Replication(brokers)

    assert (rule.factor, rule.min_insync) == (factor, min_insync)
    assert rule.topic_configs() == {"min.insync.replicas": str(min_insync)}
    assert rule.server_properties() == {
        "replication_factor": str(factor),
        "min_insync_replicas": str(min_insync),
    }


def test_a_cluster_without_brokers_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one broker"):
        Replication(0)


def test_a_topic_carries_the_rules_min_insync_beside_its_own_config() -> None:
    topic = TopicSpec("referral.events.v1", 3, {"cleanup.policy": "delete"})

    replicated = topology.replicated(topic, Replication(3))

    assert replicated.configs == {"cleanup.policy": "delete", "min.insync.replicas": "2"}
    assert replicated.partitions == 3


def test_strimzi_export_follows_the_same_rule() -> None:
    topic = TopicSpec("referral.events.v1", 3, {"cleanup.policy": "delete"})

    for brokers in (1, 2, 3, 4):
        resource = strimzi.kafka_topic(topic, "backbone", brokers)
        rule = Replication(brokers)
        assert resource["spec"]["replicas"] == rule.factor
        assert resource["spec"]["config"]["min.insync.replicas"] == str(rule.min_insync)


def test_node_i_takes_both_base_ports_plus_two_per_node_before_it() -> None:
    assert node_ports(19092, 19093, 1) == (19092, 19093)
    assert node_ports(19092, 19093, 2) == (19094, 19095)
    assert node_ports(21092, 21192, 3) == (21096, 21196)
    with pytest.raises(ClusterError):
        node_ports(19092, 19093, 0)


def test_a_planned_cluster_lists_every_node_as_voter_and_bootstrap() -> None:
    spec = ClusterSpec.plan(3, 19092, 19093)

    assert spec.bootstrap == "127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096"
    assert spec.quorum_bootstrap == "127.0.0.1:19093,127.0.0.1:19095,127.0.0.1:19097"
    voters = spec.initial_controllers.split(",")
    assert [v.split("@")[0] for v in voters] == ["1", "2", "3"]
    assert voters[1].startswith("2@127.0.0.1:19095:")
    assert len({n.directory_id for n in spec.nodes}) == 3
    assert ClusterSpec.from_json(spec.to_json()) == spec
    assert json.loads(spec.to_json())["cluster_id"] == spec.cluster_id


def test_ports_that_would_collide_are_refused() -> None:
    with pytest.raises(ClusterError, match="collide"):
        ClusterSpec.plan(2, 19092, 19094)


def test_an_unknown_node_is_named_in_the_error() -> None:
    spec = ClusterSpec.plan(1, 19092, 19093)

    with pytest.raises(ClusterError, match="no node 4"):
        spec.node(4)


def test_kafka_ids_are_22_url_safe_characters_never_starting_with_a_dash() -> None:
    ids = {kafka_uuid() for _ in range(2000)}  # about 31 would start with "-" if allowed

    assert len(ids) == 2000
    assert all(len(i) == 22 and "=" not in i and "+" not in i and "/" not in i for i in ids)
    assert not any(i.startswith("-") for i in ids)
