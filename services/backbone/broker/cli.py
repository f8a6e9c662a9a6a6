"""``backbone broker start|stop|status``: the local Apache Kafka broker."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from backbone.broker import local, strimzi, topology
from backbone.broker.settings import admin_settings


def register(subparsers: Any) -> None:
    register_broker(subparsers)
    register_topology(subparsers)


def register_broker(subparsers: Any) -> None:
    parser = subparsers.add_parser("broker", help="the local Kafka broker (KRaft, SCRAM, ACLs)")
    actions = parser.add_subparsers(dest="action", required=True)
    start = actions.add_parser("start", help="start the broker and wait until it serves clients")
    start.add_argument("--timeout", type=float, default=90.0)
    start.set_defaults(func=_start)
    actions.add_parser("stop", help="stop the broker cleanly").set_defaults(func=_stop)
    actions.add_parser("status", help="print whether it runs, its pid and RSS").set_defaults(
        func=_status
    )


def _start(args: argparse.Namespace) -> int:
    began = time.monotonic()
    was_running = local.status().running
    status = local.start(timeout=args.timeout)
    print(
        json.dumps(
            {
                "broker": "already running" if was_running else "started",
                "bootstrap": status.bootstrap,
                "pid": status.pid,
                "ready_seconds": round(time.monotonic() - began, 2),
                "rss_mib": round((status.rss_kib or 0) / 1024, 1),
            }
        )
    )
    return 0


def _stop(args: argparse.Namespace) -> int:
    local.stop()
    print(json.dumps({"broker": "stopped"}))
    return 0


def _status(args: argparse.Namespace) -> int:
    status = local.status()
    print(
        json.dumps(
            {
                "running": status.running,
                "pid": status.pid,
                "bootstrap": status.bootstrap,
                "rss_mib": round((status.rss_kib or 0) / 1024, 1),
            }
        )
    )
    return 0 if status.running else 1


def register_topology(subparsers: Any) -> None:
    parser = subparsers.add_parser("topology", help="topics, principals and ACLs of the backbone")
    actions = parser.add_subparsers(dest="action", required=True)
    for name, func, text in (
        ("apply", _topology_apply, "create missing topics, SCRAM users and ACLs"),
        ("show", _topology_show, "print the expanded topology"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("--file", type=Path, default=topology.DEFAULT_FILE)
        action.set_defaults(func=func)
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


def _topology_apply(args: argparse.Namespace) -> int:
    counts = topology.apply(admin_settings(), topology.load(args.file))
    print(json.dumps(counts))
    return 0


def _topology_show(args: argparse.Namespace) -> int:
    loaded = topology.load(args.file)
    print(
        json.dumps(
            {
                "topics": [
                    {"name": t.name, "partitions": t.partitions, "config": dict(t.configs)}
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
