"""A throwaway local KRaft cluster for one test module: its own run folder and its own ports.

Ports default to the environment's (``BACKBONE_KAFKA_PORT``, ``BACKBONE_KAFKA_CONTROLLER_PORT``)
plus 200, or ``BACKBONE_TEST_CLUSTER_PORT`` and that plus 100 for controllers; the first base
from there whose ports are all free is used, so the session's broker keeps running beside it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from backbone.broker.cluster import node_ports
from backbone.broker.local import LocalCluster
from backbone.broker.settings import local_client_port, local_controller_port


def _free(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _ports(nodes: int) -> tuple[int, int]:
    configured = os.environ.get("BACKBONE_TEST_CLUSTER_PORT")
    client = int(configured) if configured else local_client_port() + 200
    controller = client + 100 if configured else local_controller_port() + 200
    for step in range(0, 1000, 10):
        wanted = [
            port
            for node in range(1, nodes + 1)
            for port in node_ports(client + step, controller + step, node)
        ]
        if all(_free(port) for port in wanted):
            return client + step, controller + step
    raise RuntimeError(f"no free ports for a {nodes}-node test cluster from {client}")


@contextmanager
def throwaway_cluster(root: Path, nodes: int = 3, timeout: float = 150.0) -> Iterator[LocalCluster]:
    """Start ``nodes`` KRaft nodes with their storage under ``root``; stop them on the way out."""
    client, controller = _ports(nodes)
    cluster = LocalCluster(root, client, controller)
    try:
        cluster.start(nodes, timeout=timeout)
        yield cluster
    finally:
        cluster.stop()
