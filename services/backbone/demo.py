"""``backbone demo``: what ``make demo`` plays on the running broker.

For now (issue 2) it shows the platform: a SCRAM principal of its own, limited by ACLs to one demo
topic, produces records and reads them back; a principal without ACLs is refused by the broker.
"""

from __future__ import annotations

import argparse
import json
import secrets
import time
import uuid
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError

from backbone.broker import admin, local
from backbone.broker.settings import KafkaSettings
from backbone.logs import configure
from backbone.paths import run_dir

DEMO_TOPIC = "demo.roundtrip.v1"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="play the demo on the running broker")
    parser.set_defaults(func=run)


def _roundtrip(settings: KafkaSettings, records: list[bytes]) -> tuple[list[bytes], float]:
    producer = KafkaProducer(**settings.kafka_python())
    partition = TopicPartition(DEMO_TOPIC, 0)
    consumer = KafkaConsumer(**settings.kafka_python(), enable_auto_commit=False)
    try:
        consumer.assign([partition])
        start = consumer.end_offsets([partition])[partition]
        began = time.perf_counter()
        for value in records:
            producer.send(DEMO_TOPIC, key=b"demo", value=value)
        producer.flush()
        consumer.seek(partition, start)
        seen: list[bytes] = []
        while len(seen) < len(records):
            for batch in consumer.poll(timeout_ms=1000).values():
                seen.extend(r.value for r in batch)
        return seen, time.perf_counter() - began
    finally:
        producer.close()
        consumer.close()


def run(args: argparse.Namespace) -> int:
    log = configure("demo")
    root = KafkaSettings.local_admin()
    admin.ensure_topics(root, [admin.TopicSpec(DEMO_TOPIC)])
    name = f"demo-{uuid.uuid4().hex[:6]}"
    password = secrets.token_urlsafe(24)
    admin.upsert_scram_user(root, name, password)
    admin.grant(
        root,
        [
            admin.Grant(name, "write", "topic", DEMO_TOPIC),
            admin.Grant(name, "read", "topic", DEMO_TOPIC),
        ],
    )
    principal = root.as_principal(name, password)
    records = [json.dumps({"n": i, "note": "synthetic demo record"}).encode() for i in range(100)]
    seen, seconds = _roundtrip(principal, records)
    log.info("demo.roundtrip", principal=name, topic=DEMO_TOPIC, records=len(seen))

    outsider = root.as_principal(f"{name}-no-acl", password)
    admin.upsert_scram_user(root, outsider.username, password)
    try:
        refused = "not refused"
        _roundtrip(outsider, records[:1])
    except KafkaError as exc:
        refused = type(exc).__name__
    status = local.status()
    print(
        json.dumps(
            {
                "broker": status.bootstrap,
                "broker_pid": status.pid,
                "principal": name,
                "topic": DEMO_TOPIC,
                "produced": len(records),
                "consumed_back": len(seen),
                "roundtrip_ms": round(seconds * 1000, 1),
                "principal_without_acl": refused,
                "look_at": {
                    "broker log": str(run_dir() / "kafka" / "logs" / "server.log"),
                    "broker config": str(run_dir() / "kafka" / "server.properties"),
                    "stop everything": "make stop",
                },
            },
            indent=2,
        )
    )
    return 0 if seen == records and refused != "not refused" else 1
