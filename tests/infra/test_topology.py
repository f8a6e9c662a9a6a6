"""The declarative topology makes the topic table of the domain contract true on the broker."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from kafka.errors import KafkaError, TopicAuthorizationFailedError

from backbone.broker import topology
from backbone.broker.settings import KafkaSettings
from support.broker import Broker
from support.kafka_io import produce, read_all

pytestmark = pytest.mark.broker

EVENT_LOG = "referral.events.v1"


@pytest.fixture(scope="module")
def applied(broker: Broker) -> topology.Topology:
    loaded = topology.load()
    topology.apply(broker.admin, loaded)
    return loaded


def _as(broker: Broker, principal: str) -> KafkaSettings:
    return topology.principal_settings(principal, broker.admin)


def test_agency_writes_the_event_log_but_cannot_read_it(
    broker: Broker, applied: topology.Topology
) -> None:
    police = _as(broker, "police.turkestan")

    produce(police, EVENT_LOG, uuid.uuid4().bytes)

    with pytest.raises(TopicAuthorizationFailedError):
        read_all(police, EVENT_LOG)


def test_agency_reads_its_own_inbox_and_not_another_agencys(
    broker: Broker, applied: topology.Topology
) -> None:
    router, ngo = _as(broker, "router"), _as(broker, "ngo.shymkent.sana-sezim")
    marker = uuid.uuid4().bytes
    produce(router, topology.inbox_topic("ngo.shymkent.sana-sezim"), marker)

    assert marker in read_all(ngo, topology.inbox_topic("ngo.shymkent.sana-sezim"))
    with pytest.raises(TopicAuthorizationFailedError):
        read_all(ngo, topology.inbox_topic("police.turkestan"))


def test_agency_cannot_write_into_an_inbox(broker: Broker, applied: topology.Topology) -> None:
    school = _as(broker, "school.turkestan.school-12")

    with pytest.raises(KafkaError):
        produce(school, topology.inbox_topic("police.turkestan"), b"forged delivery")


def test_every_agency_has_an_inbox_and_the_contract_topics_exist(
    applied: topology.Topology,
) -> None:
    names = {t.name for t in applied.topics}

    assert {EVENT_LOG, "keys.directory.v1", "audit.sla.v1", "referral.rejected.v1"} <= names
    assert all(topology.inbox_topic(a) in names for a in applied.agencies)
    compacted = {t.name for t in applied.topics if t.configs.get("cleanup.policy") == "compact"}
    assert compacted == {"keys.directory.v1"}
    assert all(t.configs.get("retention.ms") == "-1" for t in applied.topics if t.name == EVENT_LOG)


def test_agency_prefixes_cannot_cover_another_agency(applied: topology.Topology) -> None:
    prefixes = {g.resource for a in applied.agencies for g in applied.grants[a] if g.prefixed}
    for prefix in prefixes:
        owners = [a for a in applied.agencies if prefix.startswith(a)]
        assert len(owners) == 1, prefix
        assert all(not other.startswith(prefix) for other in applied.agencies if other != owners[0])


def test_a_topology_with_an_unknown_operation_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "topology.toml"
    bad.write_text('[principals.x]\nacls = [["devour", "topic", "t", "literal"]]\n')

    with pytest.raises(topology.TopologyError, match="unknown operation 'devour'"):
        topology.load(bad)
