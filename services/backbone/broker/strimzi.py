"""The topology as Strimzi resources: one ``KafkaTopic`` per topic, one ``KafkaUser`` per principal.

For a Kubernetes cluster run by the Strimzi operator (API ``kafka.strimzi.io/v1beta2``), where the
Topic and User Operators, not ``backbone topology apply``, make the broker match the topology.
Choices:

* Replicas follow the backbone's replication rule (``broker/replication.py``): min(3, brokers),
  and each topic carries ``min.insync.replicas`` (2 once there are 3 brokers, else 1), so a topic
  is safe whatever the ``Kafka`` resource's defaults are.
* Users authenticate with ``scram-sha-512``; the User Operator generates each password into a
  Secret named after the user. Nothing here is a secret and no password is ever written.
* ACLs use ``authorization.type: simple`` with one rule per resource and pattern, listing its
  operations (``operations``, the v1beta2 list; ``operation`` is deprecated). The topology's
  ``prefixed`` is Strimzi's ``prefix``; ``idempotent_write`` is ``IdempotentWrite``.
* A resource's ``metadata.name`` is the topic or principal name when that is a valid Kubernetes
  name (every name of the project's file is); otherwise the topic keeps its name in
  ``spec.topicName`` and the principal is refused, since Strimzi's user name is the resource name.

The output is YAML written here rather than by a YAML library (the services do not need one): block
mappings and sequences whose scalars are JSON strings or integers, which every YAML parser reads.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from backbone.broker.admin import Grant, TopicSpec
from backbone.broker.replication import Replication
from backbone.broker.topology import Topology, TopologyError

API_VERSION = "kafka.strimzi.io/v1beta2"
CLUSTER_LABEL = "strimzi.io/cluster"
OPERATIONS = {
    "read": "Read",
    "write": "Write",
    "describe": "Describe",
    "create": "Create",
    "delete": "Delete",
    "alter": "Alter",
    "idempotent_write": "IdempotentWrite",
}
RESOURCE_TYPES = {
    "topic": "topic",
    "group": "group",
    "transactional_id": "transactionalId",
    "cluster": "cluster",
}
_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _valid_name(name: str) -> bool:
    return len(name) <= 253 and bool(_K8S_NAME.match(name))


def _metadata(name: str, cluster: str) -> dict[str, Any]:
    return {"name": name, "labels": {CLUSTER_LABEL: cluster}}


def kafka_topic(topic: TopicSpec, cluster: str, brokers: int) -> dict[str, Any]:
    rule = Replication(brokers)
    spec: dict[str, Any] = {
        "partitions": topic.partitions,
        "replicas": rule.factor,
        "config": {**topic.configs, **rule.topic_configs()},
    }
    name = topic.name
    if not _valid_name(name):
        digest = hashlib.blake2b(name.encode(), digest_size=4).hexdigest()
        name = f"{re.sub(r'[^a-z0-9.-]+', '-', name.lower()).strip('.-')}-{digest}"
        spec = {"topicName": topic.name, **spec}
    return {
        "apiVersion": API_VERSION,
        "kind": "KafkaTopic",
        "metadata": _metadata(name, cluster),
        "spec": spec,
    }


def acl_rules(grants: Iterable[Grant]) -> list[dict[str, Any]]:
    """One rule per resource and pattern, its operations in the order first granted."""
    rules: dict[tuple[str, str, str], list[str]] = {}
    for grant in grants:
        key = (grant.resource_type, grant.resource, "prefix" if grant.prefixed else "literal")
        operations = rules.setdefault(key, [])
        operation = OPERATIONS[grant.operation]
        if operation not in operations:
            operations.append(operation)
    return [
        {"resource": _resource(kind, name, pattern), "operations": operations}
        for (kind, name, pattern), operations in rules.items()
    ]


def _resource(kind: str, name: str, pattern: str) -> dict[str, str]:
    if kind == "cluster":
        return {"type": "cluster"}
    return {"type": RESOURCE_TYPES[kind], "name": name, "patternType": pattern}


def kafka_user(principal: str, grants: Iterable[Grant], cluster: str) -> dict[str, Any]:
    if not _valid_name(principal):
        raise TopologyError(f"principal {principal!r} is not a valid Kubernetes resource name")
    return {
        "apiVersion": API_VERSION,
        "kind": "KafkaUser",
        "metadata": _metadata(principal, cluster),
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {"type": "simple", "acls": acl_rules(grants)},
        },
    }


def resources(topology: Topology, cluster: str, brokers: int = 3) -> list[dict[str, Any]]:
    """Every topic, then every principal, in the topology's order."""
    if not _valid_name(cluster):
        raise TopologyError(f"cluster name {cluster!r} is not a valid Kubernetes resource name")
    return [
        *(kafka_topic(topic, cluster, brokers) for topic in topology.topics),
        *(kafka_user(p, grants, cluster) for p, grants in topology.grants.items()),
    ]


def export(topology: Topology, cluster: str, brokers: int = 3) -> str:
    """The resources as one multi-document YAML stream."""
    return "".join(f"---\n{_block(doc, 0)}" for doc in resources(topology, cluster, brokers))


_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9_./-]*$")
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _scalar(value: Any) -> str:
    """A plain scalar where YAML reads it back as the same string, else a JSON string."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"no YAML form for {value!r}")
    if isinstance(value, str) and _PLAIN.match(value) and value.lower() not in _RESERVED:
        return value
    return json.dumps(value, ensure_ascii=False)


def _nested(value: Any) -> bool:
    return isinstance(value, Mapping | list) and bool(value)


def _leaf(value: Any) -> str:
    if isinstance(value, Mapping | list):
        return "{}" if isinstance(value, Mapping) else "[]"
    return _scalar(value)


def _block(value: Mapping[str, Any] | list[Any], indent: int) -> str:
    pad = " " * indent
    lines = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if _nested(item):
                lines.append(f"{pad}{_scalar(key)}:\n{_block(item, indent + 2)}")
            else:
                lines.append(f"{pad}{_scalar(key)}: {_leaf(item)}\n")
    else:
        for item in value:
            if _nested(item):
                lines.append(f"{pad}- {_block(item, indent + 2).lstrip()}")
            else:
                lines.append(f"{pad}- {_leaf(item)}\n")
    return "".join(lines)
