"""`backbone topology export --format strimzi` describes what `topology apply` makes true."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kafka.admin import (
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePatternFilter,
    ResourceType,
)

from backbone.broker import strimzi, topology
from backbone.broker.admin import TopicSpec, admin_client
from backbone.broker.topics import inbox_topic
from support.broker import Broker

# (principal, pattern type, resource type, resource name, operation), in Strimzi's spelling.
Permission = tuple[str, str, str, str, str]

EXPORT = (sys.executable, "-m", "backbone.cli", "topology", "export", "--format", "strimzi")
POLICE, NGO = (f"{kind}.turkestan.strimzi-{uuid.uuid4().hex[:6]}" for kind in ("police", "ngo"))
_PATTERNS = {ACLResourcePatternType.LITERAL: "literal", ACLResourcePatternType.PREFIXED: "prefix"}
_TYPES = {
    ResourceType.TOPIC: "topic",
    ResourceType.GROUP: "group",
    ResourceType.TRANSACTIONAL_ID: "transactionalId",
    ResourceType.CLUSTER: "cluster",
}
_OPERATIONS = {ACLOperation[name.upper()]: op for name, op in strimzi.OPERATIONS.items()}


def _documents(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def _exported_permissions(documents: list[dict[str, Any]]) -> set[Permission]:
    found = set()
    for user in (d for d in documents if d["kind"] == "KafkaUser"):
        for rule in user["spec"]["authorization"]["acls"]:
            resource = rule["resource"]
            for operation in rule["operations"]:
                found.add(
                    (
                        user["metadata"]["name"],
                        resource.get("patternType", "literal"),
                        resource["type"],
                        resource.get("name", "kafka-cluster"),
                        operation,
                    )
                )
    return found


def _broker_permissions(broker: Broker, principals: list[str]) -> set[Permission]:
    found = set()
    with admin_client(broker.admin) as client:
        for principal in principals:
            acls, error = client.describe_acls(
                ACLFilter(
                    principal=f"User:{principal}",
                    host="*",
                    operation=ACLOperation.ANY,
                    permission_type=ACLPermissionType.ANY,
                    resource_pattern=ResourcePatternFilter(
                        ResourceType.ANY, None, ACLResourcePatternType.ANY
                    ),
                )
            )
            assert error.errno == 0, error
            for acl in acls:
                assert acl.permission_type == ACLPermissionType.ALLOW
                pattern = acl.resource_pattern
                found.add(
                    (
                        principal,
                        _PATTERNS[pattern.pattern_type],
                        _TYPES[pattern.resource_type],
                        pattern.resource_name,
                        _OPERATIONS[acl.operation],
                    )
                )
    return found


@pytest.fixture(scope="module")
def applied(broker: Broker) -> Iterator[topology.Topology]:
    """The project's topology with two fresh agencies, applied to the real broker."""
    loaded = topology.load(agencies=[POLICE, NGO])
    topology.apply(broker.admin, loaded)
    yield loaded
    with admin_client(broker.admin) as client:
        client.delete_topics([inbox_topic(a) for a in (POLICE, NGO)])


@pytest.mark.broker
def test_exported_acls_equal_what_topology_apply_granted_on_the_broker(
    broker: Broker, applied: topology.Topology
) -> None:
    exported = _exported_permissions(_documents(strimzi.export(applied, "backbone")))

    on_broker = _broker_permissions(broker, list(applied.principals))

    assert on_broker == exported
    assert {p[0] for p in exported} == set(applied.principals)
    assert (POLICE, "prefix", "group", f"{POLICE}_", "Read") in on_broker
    assert ("router", "literal", "topic", "referral.events.v1", "Read") in on_broker


def test_export_has_a_topic_for_every_topic_and_a_user_for_every_principal() -> None:
    loaded = topology.load()

    documents = _documents(strimzi.export(loaded, "backbone"))

    assert documents == strimzi.resources(loaded, "backbone")  # the YAML reads back unchanged
    topics = {d["metadata"]["name"]: d for d in documents if d["kind"] == "KafkaTopic"}
    users = {d["metadata"]["name"]: d for d in documents if d["kind"] == "KafkaUser"}
    assert set(topics) == {t.name for t in loaded.topics}
    assert set(users) == set(loaded.principals)
    assert {d["apiVersion"] for d in documents} == {"kafka.strimzi.io/v1beta2"}
    assert {d["metadata"]["labels"]["strimzi.io/cluster"] for d in documents} == {"backbone"}
    event_log = topics["referral.events.v1"]["spec"]
    assert (event_log["partitions"], event_log["replicas"]) == (3, 3)
    assert event_log["config"]["retention.ms"] == "-1"
    assert event_log["config"]["min.insync.replicas"] == "2"
    assert all(u["spec"]["authentication"] == {"type": "scram-sha-512"} for u in users.values())
    assert all(u["spec"]["authorization"]["type"] == "simple" for u in users.values())


@pytest.mark.parametrize(
    ("brokers", "replicas", "min_isr"), [(1, 1, "1"), (2, 2, "1"), (3, 3, "2"), (5, 3, "2")]
)
def test_replicas_follow_the_number_of_brokers(brokers: int, replicas: int, min_isr: str) -> None:
    documents = _documents(strimzi.export(topology.load(), "backbone", brokers))

    specs = [d["spec"] for d in documents if d["kind"] == "KafkaTopic"]
    assert {s["replicas"] for s in specs} == {replicas}
    assert {s["config"]["min.insync.replicas"] for s in specs} == {min_isr}


def test_export_lists_the_topology_acls_without_losing_or_adding_one() -> None:
    loaded = topology.load()

    exported = _exported_permissions(_documents(strimzi.export(loaded, "backbone")))

    declared = {
        (
            g.principal,
            "prefix" if g.prefixed else "literal",
            strimzi.RESOURCE_TYPES[g.resource_type],
            g.resource,
            strimzi.OPERATIONS[g.operation],
        )
        for grants in loaded.grants.values()
        for g in grants
    }
    assert exported == declared


def test_export_holds_no_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Passwords that apply generated for the principals appear nowhere in the export."""
    monkeypatch.setenv("BACKBONE_RUN_DIR", str(tmp_path))
    loaded = topology.load()
    passwords = {p: f"pw-{uuid.uuid4().hex}" for p in loaded.principals}
    for principal, password in passwords.items():
        path = topology.password_file(principal)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(password)
    out = tmp_path / "strimzi.yaml"

    subprocess.run(
        [*EXPORT, "--cluster", "backbone", "--out", str(out)],
        check=True,
        timeout=60,
    )

    text = out.read_text()
    assert len(_documents(text)) == len(loaded.topics) + len(loaded.principals)
    assert not [p for p in passwords.values() if p in text]
    assert "password" not in text.lower()


def test_topic_names_that_are_not_kubernetes_names_keep_their_name_in_spec() -> None:
    odd = topology.Topology(topics=(TopicSpec("Audit_Rebuild.v2", 1, {}),), agencies=(), grants={})

    (document,) = strimzi.resources(odd, "backbone")

    assert document["spec"]["topicName"] == "Audit_Rebuild.v2"
    assert document["metadata"]["name"].startswith("audit-rebuild.v2-")


def test_an_invalid_cluster_name_is_refused() -> None:
    with pytest.raises(topology.TopologyError, match="cluster name"):
        strimzi.export(topology.load(), "Not A Name")
