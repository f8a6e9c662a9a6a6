"""The shape of the local KRaft cluster: its nodes, their ports and folders, ``cluster.json``.

Node ``i`` (from 1) listens for clients on ``BACKBONE_KAFKA_PORT + 2*(i-1)`` and for the
controller quorum on ``BACKBONE_KAFKA_CONTROLLER_PORT + 2*(i-1)``, so the defaults (19092 and
19093) interleave without colliding; its storage, logs and rendered configuration live in
``<run dir>/kafka/node-<i>/``. Every node is broker and controller (combined mode) and every node
votes in the quorum. ``cluster.json`` is written when the storage is formatted and read by every
later command: the ports and directory ids it holds were baked into the quorum then, so they win
over the environment from then on. Nothing here starts a process.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

LOOPBACK = "127.0.0.1"


class ClusterError(RuntimeError):
    """The local cluster's description is missing, inconsistent or names no such node."""


def kafka_uuid() -> str:
    """A random id in Kafka's form (URL-safe base64 of 16 bytes, no padding). Like Kafka's own
    ``Uuid.randomUuid``, never one that starts with ``-``: the storage tool would read such a
    cluster id as an option (a 1-in-64 failure of every cluster start)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def node_ports(client_port: int, controller_port: int, node_id: int) -> tuple[int, int]:
    """Client and controller port of node ``node_id`` (from 1)."""
    if node_id < 1:
        raise ClusterError(f"node ids start at 1, not {node_id}")
    offset = 2 * (node_id - 1)
    return client_port + offset, controller_port + offset


@dataclass(frozen=True)
class Node:
    node_id: int
    port: int
    controller_port: int
    directory_id: str

    @property
    def voter(self) -> str:
        """This node in ``kafka-storage format --initial-controllers`` form."""
        return f"{self.node_id}@{LOOPBACK}:{self.controller_port}:{self.directory_id}"


@dataclass(frozen=True)
class ClusterSpec:
    cluster_id: str
    nodes: tuple[Node, ...]

    @classmethod
    def plan(cls, count: int, client_port: int, controller_port: int) -> ClusterSpec:
        if count < 1:
            raise ClusterError("a cluster has at least one node")
        nodes = []
        for node_id in range(1, count + 1):
            port, controller = node_ports(client_port, controller_port, node_id)
            nodes.append(Node(node_id, port, controller, kafka_uuid()))
        ports = [p for n in nodes for p in (n.port, n.controller_port)]
        if len(set(ports)) != len(ports):
            raise ClusterError(f"client and controller ports collide: {sorted(ports)}")
        return cls(kafka_uuid(), tuple(nodes))

    @property
    def bootstrap(self) -> str:
        return ",".join(f"{LOOPBACK}:{n.port}" for n in self.nodes)

    @property
    def quorum_bootstrap(self) -> str:
        return ",".join(f"{LOOPBACK}:{n.controller_port}" for n in self.nodes)

    @property
    def initial_controllers(self) -> str:
        return ",".join(n.voter for n in self.nodes)

    def node(self, node_id: int) -> Node:
        for node in self.nodes:
            if node.node_id == node_id:
                return node
        known = [n.node_id for n in self.nodes]
        raise ClusterError(f"no node {node_id} in the local cluster (nodes {known})")

    def to_json(self) -> str:
        return json.dumps({"cluster_id": self.cluster_id, "nodes": [asdict(n) for n in self.nodes]})

    @classmethod
    def from_json(cls, text: str) -> ClusterSpec:
        data = json.loads(text)
        return cls(data["cluster_id"], tuple(Node(**n) for n in data["nodes"]))


def spec_file(kafka_dir: Path) -> Path:
    return kafka_dir / "cluster.json"


def read_spec(kafka_dir: Path) -> ClusterSpec | None:
    path = spec_file(kafka_dir)
    if not path.exists():
        return None
    try:
        return ClusterSpec.from_json(path.read_text())
    except (ValueError, KeyError, TypeError) as exc:
        raise ClusterError(f"{path} is not a cluster description: {exc}") from None
