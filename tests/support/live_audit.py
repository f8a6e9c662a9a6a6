"""Helpers for the live audit's broker tests: its processes, publishing, reading its output.

The audit under test is the real ``audit.national`` (its principal, ACLs and key under the
broker's one trust anchor, the local keystore's root). Each process gets its own faust app
version, so its consumer group and changelogs are its own: to the broker it is a rebuild of the
national audit beside any other, and the SLA events it emits carry the same ids and content as
the national audit's (repeats, not conflicts). Its internal topics are deleted at the end.
"""

from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kafka import KafkaProducer

from backbone.audit.live.client import AuditClient, AuditUnreachable
from backbone.broker import admin, topology
from backbone.broker.directory_topic import load_directory, publish_directory
from backbone.broker.settings import KafkaSettings
from backbone.broker.topics import EVENT_LOG, SLA_TOPIC
from backbone.domain.events import Event
from backbone.envelope import administration
from backbone.envelope.codec import EnvelopeCodec, VerifiedEnvelope
from backbone.envelope.errors import EnvelopeRejected
from backbone.envelope.keys import Keystore
from support.deployment import BACKBONE, Deployment
from support.kafka_io import read_records
from support.net import free_port
from support.service_logs import logged, tail

AUDIT = "audit.national"


def ensure_audit_keys(admin_settings: KafkaSettings) -> None:
    """``audit.national``'s keys under the local root, as ``backbone demo`` provisions them."""
    store = Keystore()
    if not store.pairs(AUDIT):
        since = datetime.now(UTC) - timedelta(days=730)
        administration.issue(store, AUDIT, "audit projection (national)", not_before=since)
        publish_directory(admin_settings, administration.directory_of(store))


def new_version() -> int:
    """A faust app version of this test's own (1 is the national audit's)."""
    return random.randrange(10_000, 10_000_000)


@dataclass
class AuditProcess:
    """One ``backbone audit serve`` process with its own version, port and state folder."""

    deployment: Deployment
    state_dir: Path
    version: int = field(default_factory=new_version)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    instance: int = 1  # instances of one version are members of one consumer group

    @property
    def log(self) -> Path:
        suffix = "" if self.instance == 1 else f"@{self.instance}"
        return self.deployment.logs / f"audit-v{self.version}{suffix}.log"

    def start(self) -> AuditProcess:
        command = [*BACKBONE, "audit", "serve", "--as", AUDIT, "--port", str(self.port)]
        command += ["--state-dir", str(self.state_dir), "--version", str(self.version)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=self.deployment.env(), stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def stop(self, sig: int) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        status = self.process.wait(timeout=60)
        self.process = None
        return status

    @property
    def client(self) -> AuditClient:
        return AuditClient(f"http://127.0.0.1:{self.port}", timeout=10)

    def health(self) -> dict[str, Any] | None:
        """The health answer once the service is ready, else ``None``."""
        assert self.process is not None and self.process.poll() is None, "the audit exited"
        try:
            answer = self.client.health()
        except AuditUnreachable:
            return None
        return answer.body if answer.status == 200 else None

    def timeline_sizes(self, children: list[str], as_of: str) -> dict[str, int] | None:
        """How many events each child's pathway shows at ``as_of`` (``None``: no answer yet)."""
        if self.health() is None:
            return None
        sizes = {}
        for child in children:
            answer = self.client.pathway(child, as_of)
            sizes[child] = len(answer.body["pathway"]["timeline"]) if answer.status == 200 else 0
        return sizes

    def log_tail(self, lines: int = 60) -> str:
        """The last ``lines`` lines of this process's log (for a failing test's message)."""
        return tail(self.log, lines)

    def logged(self, event: str, since: int = 0) -> list[dict[str, Any]]:
        """This process's log lines of ``event`` (structlog's JSON), from byte ``since``."""
        return logged(self.log, event, since)

    def emitted_ids(self, since: int = 0) -> list[str]:
        """Ids of the SLA events this process logged as emitted, from byte ``since`` of its log."""
        return [line["event_id"] for line in self.logged("sla_event_emitted", since)]

    def drop_internal_topics(self, admin_settings: KafkaSettings) -> None:
        prefix = f"{AUDIT}_svc-v{self.version}-"
        with admin.admin_client(admin_settings) as client:
            mine = [t for t in client.list_topics() if t.startswith(prefix)]
            if mine:
                client.delete_topics(mine)


class Publisher:
    """Signs events as their producers (the local keystore) and appends them to the log."""

    def __init__(self, deployment: Deployment, topic: str = EVENT_LOG) -> None:
        self._keystore = Keystore(deployment.keystore)
        self.admin = deployment.broker.admin
        self.directory = load_directory(self.admin, self._keystore.root_public_key())
        self._topic = topic
        self._codecs: dict[str, EnvelopeCodec] = {}
        self._producers: dict[str, KafkaProducer] = {}

    def codec(self, agency: str) -> EnvelopeCodec:
        if agency not in self._codecs:
            self._codecs[agency] = EnvelopeCodec(self.directory, self._keystore.keyring(agency))
        return self._codecs[agency]

    def publish(self, events: list[Event]) -> None:
        """Each event as its producer's principal, keyed by ``child_ref``, in list order."""
        for event in events:
            if event.producer not in self._producers:
                settings = topology.principal_settings(event.producer)
                self._producers[event.producer] = KafkaProducer(**settings.kafka_python())
            data = self.codec(event.producer).encode(event)
            future = self._producers[event.producer].send(
                self._topic, key=event.child_ref.encode(), value=data
            )
            future.get(30)

    def close(self) -> None:
        for producer in self._producers.values():
            producer.close()
        self._producers.clear()


def read_sla(
    publisher: Publisher, reader: str, topic: str = SLA_TOPIC
) -> list[tuple[datetime, VerifiedEnvelope]]:
    """The SLA envelopes on ``topic`` that ``reader`` can open, each with the time the audit's
    producer stamped on its record."""
    opened = []
    for record in read_records(publisher.admin, topic):
        try:
            envelope = publisher.codec(reader).decode(record.value, require_body=True)
        except EnvelopeRejected:  # addressed to others
            continue
        opened.append((datetime.fromtimestamp(record.timestamp / 1000, UTC), envelope))
    return opened
