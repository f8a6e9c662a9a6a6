"""The fault suite's parts: the workload, the ledger that counts what became of it, the cluster.

* ``Workload`` publishes referrals from a police agency to an NGO through ``backbone emit`` (the
  path an agency system uses), in batches, on a thread, so that a fault can strike mid-stream.
  ``published`` holds the ids the brokers acknowledged; a batch ``emit`` refused (exit 3) is kept
  with its message and its unacknowledged ids, to be published again once the cluster is back.
* ``Ledger`` reads what the services made of it: the NGO's inbox (delivered), the audit instances'
  merged ``/children`` (projected), the police inbox (the NGO's receipts), the NGO service's
  changelog (its referral views) and the SLA topic (breaches).
* ``Probe`` is a hotline alert whose receipt deadline falls during the fault: the delay between
  that deadline and the breach on ``audit.sla.v1`` is the scenario's ``breach_delay_ms``.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from backbone.audit.core.sla import breach_event_id
from backbone.audit.live.client import AuditClient, AuditUnreachable
from backbone.broker.local import LocalCluster
from backbone.broker.topics import inbox_topic
from backbone.domain.events import Event
from backbone.envelope.errors import EnvelopeRejected
from support import referrals
from support.deployment import BACKBONE, Deployment, wait_for
from support.groups import group_of, stable_members
from support.kafka_io import read_keyed, read_records
from support.live_audit import AUDIT, AuditProcess, Publisher, read_sla

REFERRALS, BATCH = 2000, 200


def referral(d: Deployment, region: str) -> dict[str, Any]:
    """A synthetic referral of a new child from the police to the NGO (no real-looking data)."""
    police, ngo = d.agencies["police"], d.agencies["ngo"]
    return referrals.referral(police, [ngo], region, summary="Synthetic fault-suite referral")


@dataclass
class Refusal:
    status: int
    message: str
    unacknowledged: list[dict[str, Any]]


@dataclass
class Workload:
    deployment: Deployment
    region: str
    folder: Path
    referrals: int = REFERRALS
    published: set[str] = field(default_factory=set)
    refusals: list[Refusal] = field(default_factory=list)
    batches_done: int = 0
    _thread: threading.Thread | None = None

    def start(self) -> Workload:
        self._thread = threading.Thread(target=self._run, name="workload", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout: float = 600.0) -> None:
        assert self._thread is not None
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the workload did not finish"

    def _run(self) -> None:
        for _ in range(0, self.referrals, BATCH):
            self.emit([referral(self.deployment, self.region) for _ in range(BATCH)])
            self.batches_done += 1

    def emit(self, events: list[dict[str, Any]]) -> int:
        """Publish ``events`` as the police; record what was acknowledged and what was not."""
        path = self.folder / f"emit-{uuid.uuid4().hex[:8]}.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in events))
        done = subprocess.run(
            [*BACKBONE, "emit", "--as", self.deployment.agencies["police"], "--file", str(path)],
            env=self.deployment.env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        answer = json.loads(done.stdout) if done.stdout.strip() else {}
        self.published.update(answer.get("event_ids", []))
        if done.returncode != 0:
            missing = set(answer.get("unacknowledged", [e["event_id"] for e in events]))
            again = [e for e in events if e["event_id"] in missing]
            self.refusals.append(Refusal(done.returncode, done.stderr.strip(), again))
        return done.returncode

    def republish_refused(self) -> None:
        """What ``emit`` reported as not published, published again (as an operator would)."""
        for refusal in list(self.refusals):
            for start in range(0, len(refusal.unacknowledged), BATCH):
                status = self.emit(refusal.unacknowledged[start : start + BATCH])
                assert status == 0, self.refusals[-1].message


@dataclass
class Probe:
    """A hotline alert to the police, due one hour after it occurred, with no receipt."""

    event: Event
    owed_by: str

    @property
    def deadline(self) -> datetime:
        return self.event.occurred_at + timedelta(hours=1)

    @property
    def breach_id(self) -> str:
        return breach_event_id("hotline-alert-receipt", self.event.event_id, self.owed_by, 1)


def probe(d: Deployment, region: str, due_in: timedelta) -> Probe:
    police = d.agencies["police"]
    return Probe(referrals.hotline_alert(d.agencies["hotline"], police, region, due_in), police)


@dataclass
class Count:
    """What became of a workload, as the ledger read it."""

    published: int
    delivered: int
    projected: int
    lost: int
    applied_twice: int

    @property
    def complete(self) -> bool:
        return self.lost == 0


@dataclass
class Ledger:
    deployment: Deployment
    publisher: Publisher
    region: str
    audit_urls: list[str]
    last_problem: str = ""  # why the last count could not be made, or what it found missing

    def _opened(self, role: str, topic: str) -> list[Event]:
        codec = self.publisher.codec(self.deployment.agencies[role])
        opened = []
        for record in read_records(self.deployment.broker.admin, topic):
            try:
                opened.append(codec.decode(record.value, require_body=True).event)
            except EnvelopeRejected:  # not addressed to this agency
                continue
        return opened

    def delivered(self) -> set[str]:
        ngo = self.deployment.agencies["ngo"]
        return {
            e.event_id
            for e in self._opened("ngo", inbox_topic(ngo))
            if e.event_type == "ReferralIssued"
        }

    def receipts(self) -> Counter[str]:
        """referral_id → how many distinct receipts the NGO sent for it."""
        police = self.deployment.agencies["police"]
        seen = {
            (e.referral_id, e.event_id)
            for e in self._opened("police", inbox_topic(police))
            if e.event_type == "ReferralReceived"
        }
        return Counter(str(referral_id) for referral_id, _ in seen)

    def projected(self) -> tuple[set[str], int] | None:
        """The event ids the audit instances hold for this region, and how many a child's events
        repeat (``None`` while an instance is recovering or a partition is not covered)."""
        client = AuditClient(",".join(self.audit_urls), timeout=30)
        try:
            answer = client.children(region=self.region)
        except AuditUnreachable as unreachable:
            self.last_problem = f"audit unreachable: {unreachable}"
            return None
        if answer.status != 200:
            self.last_problem = f"audit answered {answer.status}: {str(answer.body)[:300]}"
            return None
        ids: set[str] = set()
        repeated = 0
        for child in answer.body["children"]:
            mine = [e["event_id"] for e in child["events"]]
            repeated += len(mine) - len(set(mine))
            ids.update(mine)
        return ids, repeated

    def views_repeated(self) -> int:
        """Events that the NGO service's referral views hold more than once (its changelog)."""
        topic = f"{group_of(self.deployment.agencies['ngo'])}-referrals-changelog"
        views: dict[str, Any] = {}
        for key, value in read_keyed(self.deployment.broker.admin, topic):
            if key is not None and value is not None:
                views[json.loads(key)] = json.loads(value)
        views = {k: v for k, v in views.items() if isinstance(v, dict)}  # not the frontiers
        repeated = 0
        for view in views.values():
            history = [line["event_id"] for line in view.get("history", [])]
            repeated += len(history) - len(set(history))
        return repeated

    def count(self, published: set[str]) -> Count | None:
        projected = self.projected()
        if projected is None:
            return None
        in_audit, audit_repeats = projected
        delivered = self.delivered() & published
        receipts = self.receipts()
        missing = (published - delivered) | (published - in_audit)
        self.last_problem = (
            f"{len(published - delivered)} not delivered, {len(published - in_audit)} not"
            f" projected, e.g. {sorted(missing)[:3]}"
        )
        twice = audit_repeats + sum(n - 1 for n in receipts.values() if n > 1)
        return Count(
            published=len(published),
            delivered=len(delivered),
            projected=len(published & in_audit),
            lost=len(missing),
            applied_twice=twice,
        )

    def breach_delay_ms(self, probe: Probe) -> float | None:
        reader = self.deployment.agencies["supervisor"]
        copies = [
            at for at, c in read_sla(self.publisher, reader) if c.event.event_id == probe.breach_id
        ]
        if not copies:
            return None
        return (min(copies) - probe.deadline).total_seconds() * 1000

    def breach_ids_per_key(self, probes: list[Probe]) -> int:
        """Breaches of the probes emitted under more than one id (a failover must not do that)."""
        reader = self.deployment.agencies["supervisor"]
        ids: dict[tuple[str, str], set[str]] = {}
        causes = {p.event.event_id for p in probes}
        for _, copy in read_sla(self.publisher, reader):
            event = copy.event
            if event.event_type == "SlaBreached" and event.causation_id in causes:
                key = (str(event.causation_id), dict(event.attributes).get("level", ""))
                ids.setdefault(key, set()).add(event.event_id)
        return sum(len(found) - 1 for found in ids.values())


ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = ROOT / "artifacts" / "faults.json"
REPORT = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- faults:begin -->", "<!-- faults:end -->"
FIELDS = (
    "scenario",
    "published",
    "delivered",
    "projected",
    "lost",
    "applied_twice",
    "recovery_seconds",
    "breach_delay_ms",
)
RESULTS: list[dict[str, Any]] = []
# Instances the supervisor started again during each scenario (a watchdog's exit, a crash).
RESTARTS: dict[str, dict[str, int]] = {}


@dataclass
class Faulty:
    """The cluster and the services under fault, and how to kill and restart each instance."""

    cluster: LocalCluster
    deployment: Deployment
    publisher: Publisher
    audits: list[AuditProcess]
    region: str
    tmp: Path
    instances: dict[str, tuple[str, ...]] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _done: threading.Event = field(default_factory=threading.Event)
    _supervisor: threading.Thread | None = None

    @property
    def ledger(self) -> Ledger:
        urls = [f"http://127.0.0.1:{a.port}" for a in self.audits]
        return Ledger(self.deployment, self.publisher, self.region, urls)

    def start(self, name: str) -> None:
        """(Re)start the instance ``name`` (``router@2``, ``ngo@2``, ``audit@2`` ...)."""
        with self._lock:
            self._start(name)

    def _start(self, name: str) -> None:
        if name.startswith("audit"):
            self.audits[_index(name)].start()
            return
        self.deployment.start(name, *self.instances[name])

    def kill(self, name: str) -> None:
        with self._lock:
            if name.startswith("audit"):
                self.audits[_index(name)].stop(signal.SIGKILL)
                return
            self.deployment.stop(name, signal.SIGKILL)

    def exited(self) -> list[str]:
        """Instances that exited on their own (a watchdog's exit, a crash), not killed here."""
        gone = [n for n, p in self.deployment.processes.items() if p.poll() is not None]
        for k, audit in enumerate(self.audits, start=1):
            if audit.process is not None and audit.process.poll() is not None:
                gone.append("audit" if k == 1 else f"audit@{k}")
        return gone

    def supervise(self) -> None:
        """Start again what exited on its own, as ``backbone services start`` or a container's
        restart policy would, counting each restart (``restarts``), until ``stop_supervising``."""

        def run() -> None:
            while not self._done.wait(1.0):
                with self._lock:
                    for name in self.exited():
                        self.restarts[name] = self.restarts.get(name, 0) + 1
                        if name.startswith("audit"):
                            self.audits[_index(name)].process = None
                        else:
                            self.deployment.processes.pop(name)
                        self._start(name)

        self._supervisor = threading.Thread(target=run, name="supervisor", daemon=True)
        self._supervisor.start()

    def stop_supervising(self) -> None:
        self._done.set()
        if self._supervisor is not None:
            self._supervisor.join(10)

    def wait_stable(self) -> None:
        """Both members of every group are in and the group is stable."""
        groups = [
            group_of("router"),
            group_of(self.deployment.agencies["ngo"]),
            group_of(AUDIT, self.audits[0].version),
        ]
        for group in groups:
            wait_for(
                lambda g=group: stable_members(self.deployment.broker.admin, g) == 2,
                timeout=180,
                what=f"two stable members in {group}",
            )
        for audit in self.audits:
            wait_for(audit.health, timeout=180, what="the audit instances ready")


def _index(name: str) -> int:
    return int(name.partition("@")[2] or 1) - 1


def write_report() -> None:
    """``artifacts/faults.json`` and the table in ``docs/reliability.md``, if any scenario ran."""
    if not RESULTS:
        return
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(json.dumps({"scenarios": RESULTS}, indent=2) + "\n")
    heads = [*FIELDS, "restarted (watchdog, crash)"]
    rows = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for result in RESULTS:
        again = RESTARTS.get(result["scenario"], {})
        restarted = ", ".join(f"{n}: {k}" for n, k in sorted(again.items())) or "none"
        cells = [_cell(result[f]) for f in FIELDS]
        rows.append("| " + " | ".join([*cells, restarted]) + " |")
    text = REPORT.read_text()
    if BEGIN in text and END in text:
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        REPORT.write_text(f"{head}{BEGIN}\n" + "\n".join(rows) + f"\n{END}{tail}")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)
