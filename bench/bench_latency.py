"""End-to-end latency: an agency publishes a referral, how long until it is in the recipient's
inbox (verified and delivered by the router), beside the broker's own produce-to-consume latency
on a plain topic measured in the same run.

It provisions the local deployment (as ``make demo`` does), starts the router and the
recipient's service if they do not run (and stops those again at the end), then publishes
``--count`` synthetic referrals from police to the NGO one at a time at ``--rate`` per second and
reads the NGO's inbox as the NGO.
Publish time is taken just before the producer's send; arrival when the inbox record is polled.

Run: ``.venv/bin/python bench/bench_latency.py`` (about 30 s). All data is synthetic.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import UTC, datetime

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from backbone import deploy
from backbone.audit.core.calendar import ALMATY
from backbone.broker import admin, topology
from backbone.broker.settings import KafkaSettings
from backbone.broker.topics import EVENT_LOG, inbox_topic
from backbone.domain.events import Event
from backbone.logs import configure
from backbone.runtime import supervisor
from backbone.runtime.context import ServiceContext

POLICE, NGO = "police.turkestan", "ngo.shymkent.sana-sezim"


def referral(n: int) -> Event:
    return Event(
        event_id=str(uuid.uuid4()),
        event_type="ReferralIssued",
        occurred_at=datetime.now(UTC).astimezone(ALMATY),
        producer=POLICE,
        child_ref=f"c-{uuid.uuid4().hex[:12]}",
        recipients=(NGO,),
        region="turkestan",
        attributes={"kind": "victim_services"},
        referral_id=f"r-{uuid.uuid4().hex[:12]}",
        payload={
            "summary": f"Synthetic benchmark referral {n}",
            "urgency": "routine",
            "requested_services": ["psychological"],
            "contact_name": "Benchmark Officer",
            "contact_phone": None,
            "documents": [],
        },
    )


def tail(settings: KafkaSettings, topic: str) -> KafkaConsumer:
    consumer = KafkaConsumer(**settings.kafka_python(), enable_auto_commit=False)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or {0}]
    consumer.assign(partitions)
    consumer.seek_to_end(*partitions)
    for partition in partitions:
        consumer.position(partition)
    return consumer


def measure(
    producer: KafkaProducer,
    consumer: KafkaConsumer,
    topic: str,
    records: list[tuple[bytes, bytes]],
    rate: float,
) -> list[float]:
    """Send the records one at a time, each keyed uniquely; seconds from send to arrival."""
    latencies = []
    for key, value in records:
        started = time.perf_counter()
        producer.send(topic, key=key, value=value)
        producer.flush()
        arrived = None
        while arrived is None and time.perf_counter() < started + 30:
            for polled in consumer.poll(timeout_ms=20).values():
                if any(record.key == key for record in polled):
                    arrived = time.perf_counter()
        if arrived is not None:
            latencies.append(arrived - started)
        time.sleep(max(0.0, 1 / rate - (time.perf_counter() - started)))
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="referrals per second")
    args = parser.parse_args()
    configure("bench")  # log lines as JSON on stderr; the table stays alone on stdout

    root = KafkaSettings.local_admin()
    deploy.provision(root)
    started = []  # stopped again at the end; services that were running are left running
    for spec in deploy.services():
        if spec.name in ("router", NGO) and not supervisor.status(spec.name).running:
            supervisor.start(spec)
            started.append(spec.name)
    try:
        run(root, args.count, args.rate)
    finally:
        for name in started:
            supervisor.stop(name)


def run(root: KafkaSettings, count: int, rate: float) -> None:
    police = ServiceContext.load(POLICE, agency=True)
    ngo = topology.principal_settings(NGO)

    # The bound: the same broker, a plain topic, produce to consume, same record sizes.
    plain = f"bench.latency.{uuid.uuid4().hex[:8]}"
    admin.ensure_topics(root, [admin.TopicSpec(plain)])
    events = [referral(n) for n in range(count)]
    envelopes = [(e.child_ref.encode(), police.codec.encode(e)) for e in events]
    producer = KafkaProducer(**police.kafka.kafka_python(), acks="all", linger_ms=0)
    raw_producer = KafkaProducer(**root.kafka_python(), acks="all", linger_ms=0)
    inbox = tail(ngo, inbox_topic(NGO))
    # Warm up: the router and the NGO service may just have started.
    warm = [referral(-1) for _ in range(5)]
    measure(
        producer,
        inbox,
        EVENT_LOG,
        [(e.child_ref.encode(), police.codec.encode(e)) for e in warm],
        rate,
    )

    raw = measure(raw_producer, tail(root, plain), plain, envelopes, rate)
    end_to_end = measure(producer, inbox, EVENT_LOG, envelopes, rate)
    with admin.admin_client(root) as client:
        client.delete_topics([plain])

    print(
        f"end-to-end latency, publish -> recipient's inbox, {count} referrals "
        f"at {rate:g}/s, one at a time"
    )
    print(f"{'path':52} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, values in (
        ("broker bound: produce -> consume, plain topic", raw),
        ("agency -> event log -> router -> inbox (verified)", end_to_end),
    ):
        print(
            f"{name:52} {len(values):5d} {percentile(values, 0.5) * 1000:8.1f} "
            f"{percentile(values, 0.99) * 1000:8.1f} {max(values) * 1000:8.1f}"
        )
    lost = count - len(end_to_end)
    print(
        f"undelivered within 30 s: {lost}  median overhead over the bound: "
        f"{(statistics.median(end_to_end) - statistics.median(raw)) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
