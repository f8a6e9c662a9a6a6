"""No identifying text gets into the backbone's clear data, through any entry point (issue 12,
point 4), on the real broker with the real services.

Strings shaped like what a person could type about a child (a name, an IIN, a street address;
``support.leaks``: unique to this run and to each entry point and header place) are put in every
place of the clear header (each attribute that has a closed code list, an attribute name, a
top-level key, ``child_ref``, ``referral_id``, ``region``, a recipient, ``producer``,
``event_type``, ``occurred_at``, ``event_id``, ``causation_id``, ``correlation_id``), one place
per event, and tried through every way an agency or a device has into the backbone:

* ``emit``: ``backbone emit`` with a JSON Lines file (an agency);
* ``device``: ``backbone device record`` on an enrolled device; ``codec``: the device's own codec
  refuses to envelope such an event, so nothing of it can reach the queue or ``send``;
* ``intake``: the HTTP intake, posted a forged envelope validly signed with the device's key;
* ``direct``: an agency principal's own producer writing a forged, validly signed envelope to
  ``referral.events.v1``.

Then the files are searched for each string (``support.leaks``): every topic's segments on each
broker node (the event log, the quarantine, the inboxes, the services' changelogs) and the
broker's logs, the rest of the run folder but its key material (services' state and logs, the
intake's database, device folders) and this session's temporary folder (this module's router,
agency service, live audit, intake and device folder, with their state and logs); and so are the
audit API's answers and the intake's. What must hold:

* ``emit``, ``device``: refused at once (exit status 2), and the strings are in no file at all;
* ``intake``: 422, and the strings are in ``referral.rejected.v1`` only: the intake keeps a
  refused envelope's bytes there unchanged, by design (an operator may replay it once its cause
  is fixed), as every consumer of the log does;
* ``direct``: a broker cannot refuse bytes, so the strings are in ``referral.events.v1``, and the
  router and the audit each keep the refused record in ``referral.rejected.v1``; nowhere else: no
  inbox, no changelog, no service state, no log line, no API answer.

Why this fails if a v1.1 check goes: each place is tried on its own (one file, one envelope per
place), so if ``reason`` accepted free text again, ``backbone emit`` would publish that one event
and its string would be in the event log's segments (then, once routed, in an inbox and the
router's changelog); a forged envelope the consumers' header checks let through would be
delivered and projected, putting its string into the router's and the audit's changelogs and
state and into ``/children``. A scan only shows absence where it demonstrably finds presence, so
``test_the_scan_finds_what_the_services_keep`` first checks that a valid control referral's
``child_ref`` is found in each kind of place (event log, inbox, router and audit changelogs,
audit and agency state, the audit API) and its ``event_id`` in the agency's log, and that the
forged strings are found where they are allowed to be.

Two places the v1.1 grammar alone leaves open are closed by the project: a token shaped like an
IIN where people write events, and the ``rule`` of an SLA event written to the event log.
"""

from __future__ import annotations

import json
import re
import secrets
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer

from backbone.audit.live.client import AuditClient, AuditUnreachable
from backbone.broker import admin, topology
from backbone.broker.directory_topic import load_directory, publish_directory
from backbone.broker.quarantine import QuarantineFollower, read_quarantine
from backbone.broker.reader import read_to_end
from backbone.broker.topics import EVENT_LOG, REJECTED_TOPIC, inbox_topic
from backbone.consumer.quarantine import Rejection
from backbone.device.folder import DeviceFolder
from backbone.device.queue import EnvelopeQueue
from backbone.device.recorder import RecordRefused, record
from backbone.device.sender import HttpTransport
from backbone.domain.agencies import agency_type
from backbone.domain.catalogue import CATALOGUE, may_emit
from backbone.domain.events import Event, parse_event
from backbone.envelope import administration
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.errors import EncodingRefused, EnvelopeRejected
from backbone.envelope.keys import KeyPair, Keystore
from backbone.envelope.schemas import default_registry
from backbone.paths import run_dir
from support.broker import Broker
from support.deployment import BACKBONE, Deployment, deployment, wait_for
from support.envelopes import attributes_for, forge, minimal_payload
from support.leaks import Planted, Planter, files_holding
from support.net import answers, free_port
from support.referrals import child_ref, referral, referral_id
from support.service_logs import logged, tail

pytestmark = [pytest.mark.broker, pytest.mark.timeout(900)]

DEVICE = [sys.executable, "-m", "backbone.device.cli"]
INTAKE = [sys.executable, "-m", "backbone.intake.cli", "serve"]
AUDIT = "audit.national"
# Where each entry point's strings may be: in no file at all, or only in these topics' segments.
ALLOWED_TOPICS: dict[str, frozenset[str]] = {
    "emit": frozenset(),
    "device": frozenset(),
    "intake": frozenset({REJECTED_TOPIC}),
    "direct": frozenset({EVENT_LOG, REJECTED_TOPIC}),
    "emit (gap)": frozenset(),
    "direct (gap)": frozenset({EVENT_LOG, REJECTED_TOPIC}),
}
_PARTITION_DIR = re.compile(r"^(?P<topic>.+)-(?P<partition>[0-9]+)$")

Plant = Callable[[dict[str, Any], str], None]


def _key(name: str) -> Plant:
    def plant(event: dict[str, Any], text: str) -> None:
        event[name] = text

    return plant


def _attribute(name: str) -> Plant:
    def plant(event: dict[str, Any], text: str) -> None:
        event["attributes"] = {**event["attributes"], name: text}

    return plant


def _attribute_name(event: dict[str, Any], text: str) -> None:
    event["attributes"] = {**event["attributes"], text: "other"}


def _top_level_key(event: dict[str, Any], text: str) -> None:
    event[text] = "other"


def _recipient(event: dict[str, Any], text: str) -> None:
    event["recipients"] = [text]


@dataclass(frozen=True)
class Place:
    label: str
    event_type: str  # of the otherwise valid event the string is put in
    kind: str  # name, iin or address (support.leaks)
    plant: Plant
    reason: str = "header_invalid"  # why a consumer refuses a forged envelope carrying it
    avro: bool = True  # the envelope's header has a field for it (a top-level key has none)
    typed: bool = True  # an ``Event`` can hold it (its ``occurred_at`` is a datetime)


PLACES = (
    Place("reason of ReferralDeclined", "ReferralDeclined", "name", _attribute("reason")),
    Place("reason of ReferralWithdrawn", "ReferralWithdrawn", "address", _attribute("reason")),
    Place("reason of CaseClosed", "CaseClosed", "iin", _attribute("reason")),
    Place("scope of ConsentRecorded", "ConsentRecorded", "name", _attribute("scope")),
    Place("outcome of ReferralCompleted", "ReferralCompleted", "address", _attribute("outcome")),
    Place(
        "months of ServiceContractExtended", "ServiceContractExtended", "iin", _attribute("months")
    ),
    Place("an attribute name", "ReferralIssued", "name", _attribute_name),
    Place("a top-level key", "ChildIdentified", "name", _top_level_key, avro=False),
    Place("child_ref (a name)", "ChildIdentified", "name", _key("child_ref")),
    Place("child_ref (an IIN)", "ChildIdentified", "iin", _key("child_ref")),
    Place("referral_id (an address)", "ReferralAccepted", "address", _key("referral_id")),
    Place("referral_id (an IIN)", "ReferralReceived", "iin", _key("referral_id")),
    Place("region", "ChildIdentified", "address", _key("region")),
    # Every recipient is a reader, and a reader that is no agency id is refused first.
    Place("a recipient", "ReferralIssued", "name", _recipient, reason="malformed_envelope"),
    # The signer's certificate names another producer: refused before the header is judged.
    Place("producer", "ChildIdentified", "name", _key("producer"), reason="signer_mismatch"),
    Place("event_type", "ChildIdentified", "name", _key("event_type")),
    Place("occurred_at", "ChildIdentified", "iin", _key("occurred_at"), typed=False),
    Place("event_id", "ChildIdentified", "iin", _key("event_id")),
    Place("causation_id", "ChildIdentified", "address", _key("causation_id")),
    Place("correlation_id", "ChildIdentified", "iin", _key("correlation_id")),
)


@dataclass
class Tried:
    """One string through one entry point, and what the entry point did with it."""

    planted: Planted
    agency: str  # who tried: the producer, or the device's group
    event: dict[str, Any] = field(repr=False)
    base_type: str  # the event type before a string was planted (its payload's schema)
    reason: str = "header_invalid"
    status: int | None = None  # exit status, or the intake's HTTP status
    answer: str = field(default="", repr=False)  # stdout, or the intake's JSON answer
    errors: str = ""  # stderr's last line, the planted string replaced by <planted>
    record: tuple[int, int] | None = None  # (partition, offset) of a direct write
    value: bytes = field(default=b"", repr=False)  # the forged envelope


@dataclass
class AuditRun:
    url: str
    version: int
    log: Path
    state: Path


@dataclass(repr=False)
class Seen:
    """Everything the module tried and found; the tests judge it."""

    deployment: Deployment
    region: str
    device: Path
    audit: AuditRun
    agency_state: Path
    tried: list[Tried]
    gaps: list[Tried]
    control: dict[str, Any]
    rejections: list[Rejection]  # of the forged envelopes
    api: dict[str, tuple[int, str]]  # request -> (status, answer as JSON)
    hits: dict[str, list[Path]]  # core -> files holding it
    data_dirs: list[Path]
    queued: int = 0  # envelopes in the device's queue at the end
    scanned: list[Path] = field(default_factory=list)  # the run folder, this session's tmp

    def of(self, *entries: str) -> list[Tried]:
        return [t for t in self.tried if t.planted.entry in entries]

    def topic(self, path: Path) -> str | None:
        """The topic of a file in a partition folder of the broker, else ``None``."""
        for data in self.data_dirs:
            if path.is_relative_to(data):
                match = _PARTITION_DIR.match(path.relative_to(data).parts[0])
                return match["topic"] if match else None
        return None

    def topics_holding(self, text: str) -> set[str | None]:
        return {self.topic(path) for path in self.hits.get(text, [])}

    def files_under(self, text: str, folder: Path) -> list[Path]:
        return [p for p in self.hits.get(text, []) if p.is_relative_to(folder)]

    def where(self, path: Path) -> str:
        """A file's name relative to the run folder or this session's temporary folder."""
        for root in self.scanned:
            if path.is_relative_to(root):
                return f"{root.name}/{path.relative_to(root)}"
        return str(path)

    def leaks(self, tried: list[Tried]) -> list[str]:
        """Each string found outside its entry point's allowed topics, with the files."""
        found = []
        for t in tried:
            allowed = ALLOWED_TOPICS[t.planted.entry]
            files = [p for p in self.hits.get(t.planted.core, []) if self.topic(p) not in allowed]
            if files:
                found.append(f"{t.planted}: {sorted(self.where(p) for p in files)}")
        return found


# The services and the device.


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


@contextmanager
def _audit(d: Deployment, state: Path) -> Iterator[AuditRun]:
    """The live audit as ``audit.national`` with a faust app version of its own: its own
    consumer group and changelogs, a rebuild from the log's start beside any other audit (the
    national one is version 1). Its internal topics are deleted at the end."""
    store = Keystore(d.keystore)
    if not store.pairs(AUDIT):
        since = datetime.now(UTC) - timedelta(days=730)
        administration.issue(store, AUDIT, "audit projection (national)", not_before=since)
        publish_directory(d.broker.admin, administration.directory_of(store))
    version = 10_000 + secrets.randbelow(10_000_000)
    port = free_port()
    run = AuditRun(f"http://127.0.0.1:{port}", version, d.logs / f"audit-v{version}.log", state)
    command = [*BACKBONE, "audit", "serve", "--as", AUDIT, "--port", str(port)]
    command += ["--state-dir", str(state), "--version", str(version)]
    with run.log.open("ab") as log:
        process = subprocess.Popen(command, env=d.env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(
            lambda: process.poll() is not None or answers(f"{run.url}/health"),
            timeout=180,
            what="the live audit's health",
            explain=lambda: tail(run.log),
        )
        assert process.poll() is None, tail(run.log)
        yield run
    finally:
        _stop(process)
        with admin.admin_client(d.broker.admin) as client:
            mine = [t for t in client.list_topics() if t.startswith(f"{AUDIT}_svc-v{version}-")]
            if mine:
                client.delete_topics(mine)


@contextmanager
def _intake(d: Deployment, folder: Path) -> Iterator[str]:
    folder.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**d.env(), "BACKBONE_INTAKE_DB": str(folder / "accepted.db")}
    path = d.logs / "intake.log"
    with path.open("ab") as log:
        process = subprocess.Popen([*INTAKE, "--port", str(port)], env=env, stdout=log, stderr=log)
    try:
        wait_for(
            lambda: process.poll() is not None or answers(f"{url}/health"),
            what="the intake's health",
            explain=lambda: tail(path),
        )
        assert process.poll() is None, tail(path)
        yield url
    finally:
        _stop(process)


def _enrol(d: Deployment, folder: Path) -> Path:
    group = d.agencies["mobile"]
    enrolled = subprocess.run(
        [*DEVICE, "enrol", "--group", group, "--device", "tablet-1", "--device-dir", str(folder)],
        env=d.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert enrolled.returncode == 0, enrolled.stderr
    d.cli("keys", "publish")
    return folder


# Events with a string planted.


def _event(event_type: str, producer: str, region: str, recipient: str) -> dict[str, Any]:
    """A valid plain event of a new child, now (so a device's key, certified just now, signs it)."""
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "occurred_at": datetime.now(UTC).isoformat(),
        "producer": producer,
        "child_ref": child_ref(),
        "recipients": [recipient] if event_type == "ReferralIssued" else [],
        "region": region,
        "attributes": attributes_for(event_type),
        "referral_id": referral_id() if CATALOGUE[event_type].needs_referral_id else None,
        "payload": minimal_payload(event_type),
    }


def _try(
    planter: Planter, entry: str, place: Place, agency: str, region: str, recipient: str
) -> Tried:
    planted = planter.plant(place.kind, entry, place.label)
    event = _event(place.event_type, agency, region, recipient)
    place.plant(event, planted.text)
    return Tried(planted, agency, event, place.event_type, place.reason)


def _producer(d: Deployment, event_type: str) -> str:
    """The deployment's agency that may emit ``event_type``: the police, else the NGO."""
    return next(
        d.agencies[role]
        for role in ("police", "ngo")
        if may_emit(agency_type(d.agencies[role]), event_type)
    )


def _for_device(place: Place) -> bool:
    """A device signs for its mobile group, which may not emit every type: a place in a type
    it may not emit is refused for the type alone, whatever it holds."""
    return may_emit("mobile", place.event_type)


def _unchecked(event: dict[str, Any]) -> Event:
    """The ``Event`` of a plain event as it is, without the checks ``parse_event`` makes."""
    return Event(
        event_id=event["event_id"],
        event_type=event["event_type"],
        occurred_at=datetime.fromisoformat(event["occurred_at"]),
        producer=event["producer"],
        child_ref=event["child_ref"],
        recipients=tuple(event["recipients"]),
        region=event["region"],
        attributes=dict(event["attributes"]),
        referral_id=event.get("referral_id"),
        causation_id=event.get("causation_id"),
        correlation_id=event.get("correlation_id"),
        payload=event["payload"],
    )


def _forged(t: Tried, signer: KeyPair, directory: KeyDirectory) -> bytes:
    """The event as an envelope signed with ``signer``'s valid key, whatever its header holds,
    sealed to the signer's agency and to every recipient (a recipient that is no agency gets
    the signer's key: nobody opens it)."""
    now = datetime.now(UTC)
    own = directory.current(signer.agency, now)
    assert own is not None
    readers = []
    for agency in sorted({signer.agency, *t.event["recipients"]}):
        key = directory.current(agency, now) or own
        readers.append((agency, key.encryption_key_id, key.encryption_public_key))
    registry = default_registry()
    schema = registry.payload(t.base_type)
    plaintext = registry.soe_encode(schema, t.event["payload"])
    return forge(t.event, signer, readers, plaintext=plaintext, payload_schema=schema.fingerprint)


# The entry points.


def _last(stderr: str, t: Tried) -> str:
    """The last line of a refusal, which names the refused value (as it should, to the person
    who typed it), with the value replaced: a test report is no place for it either."""
    lines = stderr.strip().splitlines()
    last = lines[-1] if lines else ""
    return last.replace(t.planted.text, "<planted>").replace(t.planted.core, "<planted>")


def _through_emit(d: Deployment, tried: list[Tried], inputs: Path) -> None:
    """``backbone emit``, one file (one event) per place."""

    def emit(t: Tried) -> None:
        path = inputs / f"emit-{uuid.uuid4().hex[:8]}.jsonl"
        path.write_text(json.dumps(t.event) + "\n")
        result = d.cli("emit", "--as", t.agency, "--file", str(path), check=False)
        t.status, t.answer, t.errors = result.returncode, result.stdout, _last(result.stderr, t)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(emit, tried))


def _through_device(d: Deployment, tried: list[Tried], device: Path, inputs: Path) -> None:
    """``backbone device record``, one file (one event) per place."""

    def record_file(t: Tried) -> None:
        path = inputs / f"record-{uuid.uuid4().hex[:8]}.jsonl"
        path.write_text(json.dumps(t.event) + "\n")
        command = [*DEVICE, "record", "--device-dir", str(device), "--file", str(path)]
        result = subprocess.run(command, env=d.env(), capture_output=True, text=True, timeout=120)
        t.status, t.answer, t.errors = result.returncode, result.stdout, _last(result.stderr, t)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(record_file, tried))


def _through_intake(tried: list[Tried], device: Path, url: str) -> None:
    """Forged envelopes signed with the enrolled device's key, posted as the device would."""
    folder = DeviceFolder.open(device)
    signer, directory = folder.keyring().signing, folder.directory()
    transport = HttpTransport(url, timeout=30)
    for t in tried:
        t.value = _forged(t, signer, directory)
        reply = transport.post(t.value)
        t.status, t.answer = reply.status, json.dumps(dict(reply.body))


def _through_direct(d: Deployment, tried: list[Tried]) -> None:
    """Forged envelopes signed with the producer's key, written to the event log with the
    producer's own principal, keyed by the header's ``child_ref`` as the contract says."""
    store = Keystore(d.keystore)
    directory = load_directory(d.broker.admin, store.root_public_key())
    producers: dict[str, KafkaProducer] = {}
    try:
        for t in tried:
            t.value = _forged(t, store.keyring(t.agency).signing, directory)
            if t.agency not in producers:
                settings = topology.principal_settings(t.agency)
                producers[t.agency] = KafkaProducer(**settings.kafka_python())
            key = str(t.event["child_ref"]).encode()
            written = producers[t.agency].send(EVENT_LOG, key=key, value=t.value).get(30)
            t.record = (written.partition, written.offset)
    finally:
        for producer in producers.values():
            producer.close()


def _gaps(d: Deployment, planter: Planter, region: str, inputs: Path) -> list[Tried]:
    """What v1.1's grammar alone lets through, closed by the project: an IIN after ``c-`` is a
    ``child_ref`` and after ``r-`` a ``referral_id`` by the grammar (12 decimal digits are hex
    digits; ``backbone emit`` refuses them as typed); an SLA event's ``rule`` is a rule id by
    grammar only ([a-z0-9-], 1-64), so an IIN is one (the audit's gate refuses SLA events on
    the event log before keeping their header)."""
    police, ngo = d.agencies["police"], d.agencies["ngo"]
    minted = planter.plant("iin", "emit (gap)", "child_ref 'c-' and an IIN")
    child = _event("ChildIdentified", police, region, ngo)
    child["child_ref"] = f"c-{minted.text}"
    issued = planter.plant("iin", "emit (gap)", "referral_id 'r-' and an IIN")
    referral_event = _event("ReferralIssued", police, region, ngo)
    referral_event["referral_id"] = f"r-{issued.text}"
    emitted = [
        Tried(minted, police, child, "ChildIdentified"),
        Tried(issued, police, referral_event, "ReferralIssued"),
    ]
    _through_emit(d, emitted, inputs)
    rule = planter.plant("iin", "direct (gap)", "rule of an agency's SlaBreached")
    breach = _event("SlaBreached", police, region, ngo)
    breach["attributes"] = {"level": "1", "rule": rule.text}
    written = [Tried(rule, police, breach, "SlaBreached", "not_authorised")]
    _through_direct(d, written)
    return [*emitted, *written]


# Waiting for the services, asking the audit.


def _audit_quarantined(audit: AuditRun) -> set[tuple[int, int]]:
    return {
        (line["partition"], line["offset"])
        for line in logged(audit.log, "envelope_quarantined")
        if line.get("topic") == EVENT_LOG
    }


def _pathway(audit: AuditRun, child: str) -> int:
    try:
        return AuditClient(audit.url, timeout=10).pathway(child).status
    except AuditUnreachable:
        return 0


def _handled(d: Deployment, audit: AuditRun, tried: list[Tried]) -> None:
    """Wait until the router and this audit have handled each direct write, refused (in the
    quarantine at its offset) or taken (the router: copied to an inbox; the audit: in its
    child's pathway), and until the audit has projected what an entry point published; which
    of the two it was is for the tests to judge, so a check that went makes them fail, not
    this wait."""
    written = [t for t in tried if t.record is not None]
    published = [
        t
        for t in tried
        if t.record is None
        and (t.status, t.planted.entry.split()[0]) in ((0, "emit"), (201, "intake"))
    ]
    follower = QuarantineFollower(d.broker.admin)
    try:

        def router_handled() -> bool:
            follower.refresh()
            refused = {
                (r.source_partition, r.source_offset)
                for r in follower.rejections
                if r.rejected_by == "router" and r.source_topic == EVENT_LOG
            }
            left = [t for t in written if t.record not in refused]
            inboxes = {inbox_topic(t.agency) for t in left}
            copied = {r.value for topic in inboxes for r in read_to_end(d.broker.admin, topic)}
            return all(t.value in copied for t in left)

        wait_for(router_handled, timeout=180, what="the router to handle each direct write")
    finally:
        follower.close()

    def audit_handled() -> bool:
        refused = _audit_quarantined(audit)
        return all(
            t.record in refused or _pathway(audit, str(t.event["child_ref"])) == 200
            for t in [*written, *published]
        )

    wait_for(
        audit_handled,
        timeout=300,
        what="the audit to handle each direct write and published event",
        explain=lambda: tail(audit.log),
    )


def _ask_the_audit(audit: AuditRun, children: list[str]) -> dict[str, tuple[int, str]]:
    client = AuditClient(audit.url, timeout=60)
    answers = {
        "/obligations": client.obligations(),
        "/breaches": client.breaches(),
        "/children": client.children(),
    }
    for child in children:
        answers[f"/pathway/{child}"] = client.pathway(child)
    return {path: (a.status, json.dumps(a.body, ensure_ascii=False)) for path, a in answers.items()}


def _scan_roots(basetemp: Path) -> list[Path]:
    """What the scan reads: each broker node's data (every topic's segments) and logs, every
    other folder of the run folder (services' state and logs, the intake's database, device
    folders ...), and this session's temporary folder (this module's services); not the key
    material (``keys``, ``secrets``) nor the nodes' rendered configuration."""
    run = run_dir()
    nodes = sorted((run / "kafka").glob("node-*"))
    broker = [folder for node in nodes for folder in (node / "data", node / "logs")]
    kept = ("kafka", "keys", "secrets", "pids")
    services = [p for p in sorted(run.iterdir()) if p.is_dir() and p.name not in kept]
    return [*broker, *services, basetemp]


@pytest.fixture(scope="module")
def seen(broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seen]:
    data_dirs = sorted(path for path in (run_dir() / "kafka").glob("node-*/data") if path.is_dir())
    # The scan reads the broker's own segment files, so it needs the local broker that make test
    # starts (a broker in a container or behind KAFKA_BOOTSTRAP keeps them out of reach): fail,
    # never pass unseen.
    assert broker.kind == "local-jars" and data_dirs, (
        f"the scan needs the local broker's data folders under {run_dir() / 'kafka'} "
        f"(make broker); this suite's broker is {broker.kind!r}"
    )
    tmp = tmp_path_factory.mktemp("identifying-text")
    inputs = tmp / "inputs"  # the strings as a person typed them: the one place they may be
    inputs.mkdir()
    states = tmp / "state"
    roles = {"police": "police", "ngo": "ngo", "mobile": "mobile"}
    with deployment(broker, tmp, roles) as d, ExitStack() as running:
        police, ngo, group = d.agencies["police"], d.agencies["ngo"], d.agencies["mobile"]
        region = d.region
        device = _enrol(d, tmp / "device")
        d.start("router", "router", "--state-dir", str(states / "router"))
        d.start("ngo", "agency", "--as", ngo, "--state-dir", str(states / "ngo"))
        audit = running.enter_context(_audit(d, states / "audit"))
        url = running.enter_context(_intake(d, tmp / "intake"))

        planter = Planter()
        emitted = [
            _try(planter, "emit", p, _producer(d, p.event_type), region, ngo) for p in PLACES
        ]
        _through_emit(d, emitted, inputs)
        on_device = [p for p in PLACES if _for_device(p)]
        recorded = [_try(planter, "device", p, group, region, ngo) for p in on_device]
        _through_device(d, recorded, device, inputs)
        posted = [_try(planter, "intake", p, group, region, ngo) for p in on_device if p.avro]
        _through_intake(posted, device, url)
        written = [
            _try(planter, "direct", p, _producer(d, p.event_type), region, ngo)
            for p in PLACES
            if p.avro
        ]
        _through_direct(d, written)
        gaps = _gaps(d, planter, region, inputs)
        control = referral(police, [ngo], region, summary="Synthetic control referral")
        d.emit("police", [control], inputs)

        tried = [*emitted, *recorded, *posted, *written]
        _handled(d, audit, [*tried, *gaps])
        wait_for(
            lambda: any(
                line.get("event_id") == control["event_id"]
                for line in logged(d.logs / "ngo.log", "envelope_opened")
            ),
            timeout=120,
            what="the control referral in the NGO's service",
        )
        wait_for(
            lambda: _pathway(audit, control["child_ref"]) == 200,
            timeout=120,
            what="the control referral in the audit",
        )
        forged = {t.value for t in [*tried, *gaps] if t.value}
        rejections = [r for r in read_quarantine(d.broker.admin) if r.value in forged]
        children = [str(t.event["child_ref"]) for t in [*tried, *gaps]]
        api = _ask_the_audit(audit, [control["child_ref"], *children])
        cores = [t.planted.core for t in [*tried, *gaps]]
        basetemp = tmp_path_factory.getbasetemp()
        hits = files_holding(
            _scan_roots(basetemp), [*cores, control["child_ref"], control["event_id"]], [inputs]
        )
        yield Seen(
            deployment=d,
            region=region,
            device=device,
            audit=audit,
            agency_state=states / "ngo",
            tried=tried,
            gaps=gaps,
            control=control,
            rejections=rejections,
            api=api,
            hits=hits,
            data_dirs=data_dirs,
            queued=len(EnvelopeQueue(device).items()),
            scanned=[run_dir(), basetemp],
        )


# The checks. The scan's controls come first: a clean scan means something only if they hold.


def test_the_scan_finds_what_the_services_keep(seen: Seen) -> None:
    """The control referral's ``child_ref`` is found in each kind of place the scan reads (event
    log, inbox, router and audit changelogs, agency state), its ``event_id`` in the agency
    service's log, and the forged strings where they are allowed to be. The audit keeps nothing
    on disk (its changelogs are its state), so its state folder holds no file at all."""
    d = seen.deployment
    child, event_id = seen.control["child_ref"], seen.control["event_id"]
    topics = seen.topics_holding(child)
    audit_prefix = f"{AUDIT}_svc-v{seen.audit.version}-"
    assert {EVENT_LOG, inbox_topic(d.agencies["ngo"])} <= topics, topics
    assert any(t and t.startswith("router_svc-") for t in topics), topics
    assert any(t and t.startswith(audit_prefix) for t in topics), topics
    state = seen.audit.state
    assert not (state.exists() and any(p.is_file() for p in state.rglob("*"))), "audit state"
    assert seen.files_under(child, seen.agency_state), "not found in the NGO service's state"
    assert seen.files_under(event_id, d.logs / "ngo.log"), "not found in the NGO service's log"
    status, answer = seen.api[f"/pathway/{child}"]
    assert status == 200 and event_id in answer
    missing = [
        str(t.planted)
        for t in seen.of("intake", "direct")
        if not ALLOWED_TOPICS[t.planted.entry] <= seen.topics_holding(t.planted.core)
    ]
    assert not missing, f"forged envelopes not found where the broker keeps them: {missing}"


def test_the_device_codec_refuses_to_envelope_identifying_text(seen: Seen) -> None:
    """The enrolled device's codec envelopes each valid event and refuses it with a string in
    any place an ``Event`` can hold; the device's ``record`` refuses it and queues nothing."""
    folder = DeviceFolder.open(seen.device)
    codec = folder.codec()
    ngo = seen.deployment.agencies["ngo"]
    planter = Planter()
    encoded, recorded = [], []
    for place in PLACES:
        if not (place.avro and place.typed and _for_device(place)):
            continue
        assert codec.encode(parse_event(_event(place.event_type, folder.group, seen.region, ngo)))
        t = _try(planter, "codec", place, folder.group, seen.region, ngo)
        event = _unchecked(t.event)
        with suppress(EncodingRefused, EnvelopeRejected):
            codec.encode(event)
            encoded.append(str(t.planted))
        with suppress(RecordRefused):
            record(folder, [event])
            recorded.append(str(t.planted))

    assert encoded == [] and recorded == []
    assert EnvelopeQueue(seen.device).items() == []


def test_emit_refuses_each_event_and_publishes_nothing(seen: Seen) -> None:
    outcomes = {str(t.planted): (t.status, t.answer, t.errors) for t in seen.of("emit")}
    assert {place: o[:2] for place, o in outcomes.items()} == {p: (2, "") for p in outcomes}, (
        outcomes
    )


def test_the_device_refuses_each_event_at_record_time(seen: Seen) -> None:
    outcomes = {str(t.planted): (t.status, t.errors) for t in seen.of("device")}
    assert {place: o[0] for place, o in outcomes.items()} == {p: 2 for p in outcomes}, outcomes
    assert seen.queued == 0


def test_the_intake_answers_422_keeps_the_bytes_in_quarantine_and_publishes_nothing(
    seen: Seen,
) -> None:
    posted = seen.of("intake")
    answers = {str(t.planted): (t.status, json.loads(t.answer).get("reason")) for t in posted}
    kept = {
        str(t.planted): sorted({r.reason for r in seen.rejections if r.value == t.value})
        for t in posted
    }
    repeated = [str(t.planted) for t in posted if t.planted.core in t.answer]
    published = [str(t.planted) for t in posted if EVENT_LOG in seen.topics_holding(t.planted.core)]

    assert answers == {str(t.planted): (422, t.reason) for t in posted}
    assert kept == {str(t.planted): [t.reason] for t in posted}
    assert repeated == [] and published == []


def test_the_router_and_the_audit_quarantine_each_direct_write(seen: Seen) -> None:
    written = seen.of("direct")
    refused = {
        str(t.planted): {(r.rejected_by, r.reason) for r in seen.rejections if r.value == t.value}
        for t in written
    }
    named = [
        str(r.event_id) for r in seen.rejections for t in written if t.planted.core in r.detail
    ]

    expected = {str(t.planted): {("router", t.reason), (AUDIT, t.reason)} for t in written}
    missing = {place: sorted(expected[place] - refused[place]) for place in expected}
    assert {place: m for place, m in missing.items() if m} == {}, refused
    assert named == [], "a quarantine detail names a refused value"


def test_refused_text_reaches_no_file(seen: Seen) -> None:
    """``emit`` and ``device`` strings: no file at all; ``intake``: the quarantine's segments
    only; ``direct``: the event log's and the quarantine's segments only. Files are named, not
    shown."""
    leaks = seen.leaks(seen.tried)
    assert leaks == [], "identifying text kept outside the record bytes:\n" + "\n".join(leaks)


def test_the_audit_api_answers_none_of_it(seen: Seen) -> None:
    """No answer of ``/obligations``, ``/breaches``, ``/children`` or ``/pathway`` holds a
    string, and no refused event's child has a pathway."""
    found = [
        f"{path}: {t.planted}"
        for path, (_, answer) in seen.api.items()
        for t in seen.tried
        if t.planted.core in answer
    ]
    statuses = {path: status for path, (status, _) in seen.api.items()}
    pathways = {f"/pathway/{t.event['child_ref']}" for t in seen.tried}

    assert found == []
    assert {p: statuses[p] for p in pathways} == {p: 404 for p in pathways}
    assert {statuses[p] for p in ("/obligations", "/breaches", "/children")} == {200}


def test_an_iin_after_c_or_r_is_refused_where_people_write_events(seen: Seen) -> None:
    """12 decimal digits are hex digits, so "c-" or "r-" and an IIN is a minted token by the
    grammar; minting software never makes one, and ``backbone emit`` refuses it as typed."""
    gap = [t for t in seen.gaps if t.planted.entry == "emit (gap)"]
    statuses, leaks = [t.status for t in gap], seen.leaks(gap)
    assert (statuses, leaks) == ([2, 2], [])


def test_an_iin_as_the_rule_of_an_sla_event_on_the_log_is_not_kept(seen: Seen) -> None:
    """An SLA event's rule is a rule id by grammar only; the audit's gate refuses SLA events on
    the event log before keeping their header (changelog, state, /pathway)."""
    gap = [t for t in seen.gaps if t.planted.entry == "direct (gap)"]
    answered = [
        path for path, (_, answer) in seen.api.items() for t in gap if t.planted.core in answer
    ]
    leaks = seen.leaks(gap)
    assert (leaks, answered) == ([], [])
