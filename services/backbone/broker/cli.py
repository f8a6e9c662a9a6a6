"""``backbone broker start|stop|status``: the local Apache Kafka broker."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from backbone.broker import local, topology
from backbone.broker.settings import KafkaSettings


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


def _topology_apply(args: argparse.Namespace) -> int:
    counts = topology.apply(KafkaSettings.local_admin(), topology.load(args.file))
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
