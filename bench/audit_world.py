"""An isolated audit deployment on the local broker for ``bench_audit.py``.

Its own root and keystore (a temporary folder), its own key directory, event, SLA and
quarantine topics, and its own SCRAM principal ``audit.national.b-<hex>``, so a benchmark run
neither reads nor writes the shared deployment's topics. ``backbone audit serve`` runs as a
process.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from synthetic.payloads import referral_issued

from backbone.audit.live.client import AuditClient, AuditUnreachable
from backbone.broker import admin
from backbone.broker.directory_topic import DIRECTORY_TOPIC_CONFIG, publish_directory
from backbone.broker.settings import KafkaSettings
from backbone.domain.agencies import agency_type
from backbone.domain.events import Event, parse_event
from backbone.envelope import administration
from backbone.envelope.codec import EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.keys import Keystore
from backbone.paths import write_private

PARTITIONS = 3


class AuditWorld:
    def __init__(self, admin_settings: KafkaSettings, tmp: Path, events: list[Event]) -> None:
        suffix = uuid.uuid4().hex[:6]
        self.admin, self.tmp = admin_settings, tmp
        self.agency = f"audit.national.b-{suffix}"
        self.topics = {
            name: f"test.bench-audit-{name}.{suffix}"
            for name in ("events", "sla", "rejected", "directory")
        }
        self.agencies = sorted({a for e in events for a in (e.producer, *e.recipients)})
        regions = sorted({e.region for e in events})
        self._subjects = [*self.agencies, *(f"supervisor.{r}" for r in regions), self.agency]
        self.keystore = Keystore(tmp / "keys")
        self.directory = KeyDirectory(b"\0" * 32)
        self._codecs: dict[str, EnvelopeCodec] = {}
        self._password = secrets.token_urlsafe(24)
        self.port = 0
        self.kept: set[str] = set()  # topics of the world that outlive it (bench_rebuild's log)
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> AuditWorld:
        self.keystore.create_root()
        since = datetime.now(UTC) - timedelta(days=400)
        for subject in self._subjects:
            administration.issue(self.keystore, subject, f"Benchmark {subject}", not_before=since)
        self.directory = administration.directory_of(self.keystore)
        specs = [
            admin.TopicSpec(self.topics["events"], PARTITIONS),
            admin.TopicSpec(self.topics["sla"], PARTITIONS),
            admin.TopicSpec(self.topics["rejected"], 1),
            admin.TopicSpec(self.topics["directory"], 1, DIRECTORY_TOPIC_CONFIG),
        ]
        admin.ensure_topics(self.admin, specs)
        publish_directory(self.admin, self.directory, self.topics["directory"])
        admin.upsert_scram_user(self.admin, self.agency, self._password)
        admin.grant(self.admin, self._grants())
        return self

    def _grants(self) -> list[admin.Grant]:
        own = f"{self.agency}_"
        rows = [
            ("read", "topic", self.topics["events"], False),
            ("read", "topic", self.topics["directory"], False),
            ("write", "topic", self.topics["sla"], False),
            ("write", "topic", self.topics["rejected"], False),
            *((op, "topic", own, True) for op in ("read", "write", "create")),
            ("read", "group", own, True),
        ]
        described = [("describe", "topic", t, False) for t in self.topics.values()]
        return [
            admin.Grant(self.agency, op, kind, name, prefixed)
            for op, kind, name, prefixed in [*rows, *described, ("describe", "topic", own, True)]
        ]

    def record(self, event: Event) -> tuple[bytes, bytes]:
        if event.producer not in self._codecs:
            keyring = self.keystore.keyring(event.producer)
            self._codecs[event.producer] = EnvelopeCodec(self.directory, keyring)
        return event.child_ref.encode(), self._codecs[event.producer].encode(event)

    def publish(self, records: Iterable[tuple[bytes, bytes]]) -> None:
        producer = KafkaProducer(**self.admin.kafka_python(), linger_ms=5, acks="all")
        try:
            sent = [producer.send(self.topics["events"], key=k, value=v) for k, v in records]
            producer.flush()
            for future in sent:  # a record the broker did not take fails the run, loudly
                future.get(timeout=60)
        finally:
            producer.close()

    def environment(self) -> dict[str, str]:
        """The environment of a ``backbone`` process run as this world's audit principal. Its
        password is in an owner-only file (``KAFKA_PASSWORD_FILE``), not in the environment,
        which ``/proc/<pid>/environ`` shows; a ``KAFKA_PASSWORD`` of ours, which would win
        over the file, is not passed on."""
        password_file = self.tmp / "secrets" / f"{self.agency}.password"
        if not password_file.exists():
            write_private(password_file, self._password.encode())
        inherited = {k: v for k, v in os.environ.items() if k != "KAFKA_PASSWORD"}
        return {
            **inherited,
            "BACKBONE_KEYSTORE": str(self.keystore.path),
            "KAFKA_BOOTSTRAP": self.admin.bootstrap,
            "KAFKA_USERNAME": self.agency,
            "KAFKA_PASSWORD_FILE": str(password_file),
        }

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def start_audit(self, timeout: float = 120) -> None:
        self.port = free_port()
        self._process = self.spawn(self.port, self.tmp / "state", self.tmp / "audit.log")
        self.wait(lambda health: True, timeout=timeout)

    def stop_audit(self) -> None:
        """Stop the audit process (SIGTERM) and wait for it to exit."""
        assert self._process is not None
        self._process.send_signal(signal.SIGTERM)
        self._process.wait(timeout=120)

    def spawn(self, port: int, state: Path, log: Path, *options: str) -> subprocess.Popen[bytes]:
        """A ``backbone audit serve`` process of this world's audit (more ``options`` after)."""
        command = [sys.executable, "-m", "backbone.cli", "audit", "serve", "--as", self.agency]
        command += ["--port", str(port), "--state-dir", str(state)]
        for name in ("events", "sla", "rejected", "directory"):
            command += [f"--{name}-topic", self.topics[name]]
        with log.open("ab") as output:
            return subprocess.Popen(
                [*command, *options], env=self.environment(), stdout=output, stderr=output
            )

    @contextmanager
    def paused(self) -> Iterator[None]:
        """The audit process stopped (SIGSTOP) inside the block, resumed after it."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self._process.send_signal(signal.SIGCONT)

    def health(self) -> dict[str, Any]:
        assert self._process is not None and self._process.poll() is None, self._tail()
        answer = AuditClient(f"http://127.0.0.1:{self.port}", timeout=30).health()
        return answer.body if answer.status == 200 else {}

    def wait(
        self, condition: Callable[[dict[str, Any]], bool], timeout: float, every: float = 0.05
    ) -> dict[str, Any]:
        """The first health answer (of a ready audit) that meets ``condition``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                health = self.health()
            except AuditUnreachable:
                health = {}
            if health and condition(health):
                return health
            time.sleep(every)
        raise TimeoutError(f"the audit did not get there in {timeout:.0f} s\n{self._tail()}")

    def sla_watch(self) -> SlaWatch:
        return SlaWatch(self.admin, self.topics["sla"], self.directory)

    def _tail(self) -> str:
        log = self.tmp / "audit.log"
        return log.read_text(errors="replace")[-3000:] if log.exists() else ""

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGTERM)
            self._process.wait(timeout=60)
        with admin.admin_client(self.admin) as client:
            mine = [
                t
                for t in client.list_topics()
                if (t in self.topics.values() and t not in self.kept)
                or t.startswith(f"{self.agency}_")
            ]
            client.delete_topics(mine)
        admin.remove_principal(self.admin, self.agency)


class SlaWatch:
    """Reads the SLA topic from its end now; maps event ids to their record timestamps."""

    def __init__(self, settings: KafkaSettings, topic: str, directory: KeyDirectory) -> None:
        self._consumer = KafkaConsumer(**settings.kafka_python(), enable_auto_commit=False)
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        self._consumer.assign(partitions)
        self._consumer.seek_to_end(*partitions)
        for partition in partitions:  # fix the start before anything is published
            self._consumer.position(partition)
        self._codec = EnvelopeCodec(directory)

    def until(self, wanted: set[str], timeout: float) -> dict[str, datetime]:
        seen: dict[str, datetime] = {}
        deadline = time.monotonic() + timeout
        try:
            while not wanted <= set(seen):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{len(wanted - set(seen))} breaches never arrived")
                for records in self._consumer.poll(timeout_ms=200).values():
                    for record in records:
                        event_id = self._codec.decode(record.value).event.event_id
                        seen[event_id] = datetime.fromtimestamp(record.timestamp / 1000, UTC)
            return {event_id: seen[event_id] for event_id in wanted}
        finally:
            self._consumer.close()


def hotline_alert(world: AuditWorld, deadline_in: timedelta) -> Event:
    """A hotline alert whose one-hour receipt deadline passes ``deadline_in`` from now."""
    hotline = next(a for a in world.agencies if agency_type(a) == "hotline")
    police = next(a for a in world.agencies if agency_type(a) == "police")
    return parse_event(
        {
            "event_id": str(uuid.uuid4()),
            "event_type": "ReferralIssued",
            "occurred_at": (datetime.now(UTC) - timedelta(hours=1) + deadline_in).isoformat(),
            "producer": hotline,
            "child_ref": f"c-{uuid.uuid4().hex[:12]}",
            "referral_id": f"r-{uuid.uuid4().hex[:12]}",
            "recipients": [police],
            "region": police.split(".")[1],
            "attributes": {"kind": "hotline_alert"},
            "payload": referral_issued(
                summary="Synthetic alert", urgency="immediate", contact_name="Synthetic Operator"
            ),
        }
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
