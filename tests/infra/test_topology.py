"""The declarative topology makes the topic table of the domain contract true on the broker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import KafkaError, TopicAuthorizationFailedError

from backbone.broker import topology
from backbone.broker.admin import AdminError, TopicSpec, admin_client, align_topic_configs
from backbone.broker.settings import KafkaSettings
from backbone.broker.topics import EVENT_LOG, inbox_topic
from support.broker import Broker
from support.kafka_io import produce, read_all

pytestmark = pytest.mark.broker


POLICE, NGO, SCHOOL = (
    f"{kind}.turkestan.t-{uuid.uuid4().hex[:6]}" for kind in ("police", "ngo", "school")
)


@pytest.fixture(scope="module")
def applied(broker: Broker) -> Iterator[topology.Topology]:
    """The project's topology file with test agencies, so real inboxes stay untouched."""
    loaded = topology.load(agencies=[POLICE, NGO, SCHOOL])
    topology.apply(broker.admin, loaded)
    yield loaded
    with admin_client(broker.admin) as client:
        client.delete_topics([inbox_topic(a) for a in (POLICE, NGO, SCHOOL)])


def _as(broker: Broker, principal: str) -> KafkaSettings:
    return topology.principal_settings(principal, broker.admin)


def test_agency_writes_the_event_log_but_cannot_read_it(
    broker: Broker, applied: topology.Topology
) -> None:
    police = _as(broker, POLICE)

    produce(police, EVENT_LOG, uuid.uuid4().bytes)

    with pytest.raises(TopicAuthorizationFailedError):
        read_all(police, EVENT_LOG)


def test_agency_reads_its_own_inbox_and_not_another_agencys(
    broker: Broker, applied: topology.Topology
) -> None:
    router, ngo = _as(broker, "router"), _as(broker, NGO)
    marker = uuid.uuid4().bytes
    produce(router, inbox_topic(NGO), marker)

    assert marker in read_all(ngo, inbox_topic(NGO))
    with pytest.raises(TopicAuthorizationFailedError):
        read_all(ngo, inbox_topic(POLICE))


def test_agency_cannot_write_into_an_inbox(broker: Broker, applied: topology.Topology) -> None:
    school = _as(broker, SCHOOL)

    with pytest.raises(KafkaError):
        produce(school, inbox_topic(POLICE), b"forged delivery")


def test_every_agency_has_an_inbox_and_the_contract_topics_exist(
    applied: topology.Topology,
) -> None:
    names = {t.name for t in applied.topics}

    assert {EVENT_LOG, "keys.directory.v1", "audit.sla.v1", "referral.rejected.v1"} <= names
    assert all(inbox_topic(a) in names for a in applied.agencies)
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


def test_event_log_and_inboxes_are_stamped_by_the_broker(
    broker: Broker, applied: topology.Topology
) -> None:
    with admin_client(broker.admin) as client:
        described = client.describe_configs(
            [
                ConfigResource(ConfigResourceType.TOPIC, EVENT_LOG),
                ConfigResource(ConfigResourceType.TOPIC, inbox_topic(NGO)),
            ]
        )

    for topic in (EVENT_LOG, inbox_topic(NGO)):
        assert described["topic"][topic]["message.timestamp.type"]["value"] == "LogAppendTime"


def test_a_topic_setting_the_broker_refuses_is_reported_with_the_topic(
    broker: Broker, applied: topology.Topology
) -> None:
    inbox = inbox_topic(SCHOOL)

    with pytest.raises(AdminError, match=inbox) as refused:
        align_topic_configs(broker.admin, [TopicSpec(inbox, configs={"retention.ms": "often"})])

    assert "retention.ms" in str(refused.value)
    with admin_client(broker.admin) as client:
        described = client.describe_configs([ConfigResource(ConfigResourceType.TOPIC, inbox)])
    assert described["topic"][inbox]["retention.ms"]["value"] == "-1"
