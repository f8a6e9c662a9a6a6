"""``backbone broker start|stop|status`` (the local Kafka cluster) and ``backbone topology``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from backbone.broker import local, replicas, strimzi, topology
from backbone.broker.cluster import ClusterError
from backbone.broker.jvm import BrokerError
from backbone.broker.settings import admin_settings, local_bootstrap


def register(subparsers: Any) -> None:
    register_broker(subparsers)
    register_topology(subparsers)


def register_broker(subparsers: Any) -> None:
    parser = subparsers.add_parser("broker", help="the local Kafka cluster (KRaft, SCRAM, ACLs)")
    actions = parser.add_subparsers(dest="action", required=True)
    start = actions.add_parser("start", help="start the nodes and wait until they serve clients")
    start.add_argument(
        "--nodes", type=int, help="nodes of a new cluster (1; an existing one keeps its size)"
    )
    start.add_argument("--node", type=int, help="start only this node of the cluster")
    start.add_argument("--timeout", type=float, default=90.0)
    start.set_defaults(func=_start)
    stop = actions.add_parser("stop", help="stop every node (or one) cleanly")
    stop.add_argument("--node", type=int, help="stop only this node")
    stop.set_defaults(func=_stop)
    actions.add_parser("status", help="one JSON line per node: pid, port, RSS").set_defaults(
        func=_status
    )


def _node_line(status: local.NodeStatus) -> str:
    return json.dumps(
        {
            "node_id": status.node_id,
            "pid": status.pid,
            "port": status.port,
            "running": status.running,
            "rss_mib": status.rss_mib,
        }
    )


def _start(args: argparse.Namespace) -> int:
    began = time.monotonic()
    try:
        if args.node is not None:
            if args.nodes is not None:
                raise BrokerError("give --nodes or --node, not both")
            statuses = [local.start_node(args.node, timeout=args.timeout)]
        else:
            statuses = local.start(args.nodes, timeout=args.timeout)
    except (BrokerError, ClusterError) as error:
        print(json.dumps({"error": str(error)}), file=sys.stderr)
        return 2
    print(
        json.dumps(
            {
                "broker": "started",
                "bootstrap": local_bootstrap(),
                "nodes": len(local.statuses()),
                "ready_seconds": round(time.monotonic() - began, 2),
            }
        )
    )
    for status in statuses:
        print(_node_line(status))
    return 0


def _stop(args: argparse.Namespace) -> int:
    try:
        if args.node is not None:
            local.stop_node(args.node)
        else:
            local.stop()
    except ClusterError as error:
        print(json.dumps({"error": str(error)}), file=sys.stderr)
        return 2
    print(json.dumps({"broker": "stopped", "node": args.node}))
    return 0


def _status(args: argparse.Namespace) -> int:
    statuses = local.statuses()
    for status in statuses:
        print(_node_line(status))
    if not statuses:
        print(json.dumps({"running": False, "nodes": 0}))
    return 0 if statuses and all(s.running for s in statuses) else 1


def register_topology(subparsers: Any) -> None:
    parser = subparsers.add_parser("topology", help="topics, principals and ACLs of the backbone")
    actions = parser.add_subparsers(dest="action", required=True)
    for name, func, text in (
        ("apply", _topology_apply, "create missing topics, SCRAM users and ACLs"),
        ("show", _topology_show, "print the expanded topology and each topic's replication"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("--file", type=Path, default=topology.DEFAULT_FILE)
        action.set_defaults(func=func)
    actions.choices["apply"].add_argument(
        "--repair",
        action="store_true",
        help="raise topics replicated less than the cluster allows (else exit 3 naming them)",
    )
    actions.choices["show"].add_argument(
        "--offline", action="store_true", help="the file only: no replication read from the broker"
    )
    passwords = actions.add_parser(
        "passwords", help="write a random password for every principal without one (no broker)"
    )
    passwords.add_argument("--file", type=Path, default=topology.DEFAULT_FILE)
    passwords.set_defaults(func=_topology_passwords)
    export = actions.add_parser(
        "export", help="write the topology as Strimzi KafkaTopic and KafkaUser resources (YAML)"
    )
    export.add_argument("--file", type=Path, default=topology.DEFAULT_FILE)
    export.add_argument("--format", choices=["strimzi"], required=True)
    export.add_argument("--cluster", required=True, help="the Strimzi Kafka resource's name")
    export.add_argument("--brokers", type=int, default=3, help="brokers in that cluster (3)")
    export.add_argument("--out", type=Path, help="write here instead of standard output")
    export.set_defaults(func=_topology_export)


EXIT_UNDER_REPLICATED = 3


def _topology_apply(args: argparse.Namespace) -> int:
    counts = topology.apply(admin_settings(), topology.load(args.file), repair=args.repair)
    print(json.dumps(counts))
    if counts["under_replicated"]:
        names = ", ".join(t["topic"] for t in counts["under_replicated"])
        print(
            f"under-replicated (fewer than {counts['replication_factor']} replicas or min ISR "
            f"below {counts['min_insync_replicas']}): {names}; "
            "run `backbone topology apply --repair` to raise them",
            file=sys.stderr,
        )
        return EXIT_UNDER_REPLICATED
    return 0


def _topology_show(args: argparse.Namespace) -> int:
    loaded = topology.load(args.file)
    on_broker: dict[str, replicas.TopicReplication] = {}
    if not args.offline:
        names = [t.name for t in loaded.topics]
        settings = admin_settings()
        existing = set(replicas.existing_topics(settings))
        read = replicas.read(settings, [n for n in names if n in existing])
        on_broker = {t.name: t for t in read}

    def replication(name: str) -> dict[str, Any]:
        if args.offline:
            return {}
        found = on_broker.get(name)
        if found is None:
            return {"replication_factor": None, "min_insync_replicas": None}
        return {"replication_factor": found.replicas, "min_insync_replicas": found.min_insync}

    print(
        json.dumps(
            {
                "topics": [
                    {
                        "name": t.name,
                        "partitions": t.partitions,
                        "config": dict(t.configs),
                        **replication(t.name),
                    }
                    for t in loaded.topics
                ],
                "acls": {
                    p: [
                        [
                            g.operation,
                            g.resource_type,
                            g.resource,
                            "prefixed" if g.prefixed else "literal",
                        ]
                        for g in grants
                    ]
                    for p, grants in loaded.grants.items()
                },
            },
            indent=2,
        )
    )
    return 0


def _topology_passwords(args: argparse.Namespace) -> int:
    loaded = topology.load(args.file)
    made = topology.ensure_passwords(loaded)
    folder = str(topology.password_folder())
    print(json.dumps({"principals": len(loaded.principals), "new": made, "folder": folder}))
    return 0


def _topology_export(args: argparse.Namespace) -> int:
    try:
        text = strimzi.export(topology.load(args.file), args.cluster, args.brokers)
    except (topology.TopologyError, ValueError) as error:
        print(json.dumps({"error": str(error)}), file=sys.stderr)
        return 2
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text)
    return 0
