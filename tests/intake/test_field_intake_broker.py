"""End to end on the real broker: a real device folder, a real intake process, the real log."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from backbone.broker.quarantine import read_quarantine
from backbone.broker.reader import read_to_end
from backbone.broker.settings import KafkaSettings
from backbone.broker.topics import EVENT_LOG
from backbone.device.queue import EnvelopeQueue
from backbone.envelope.codec import EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.keys import KeyPair
from support.broker import Broker
from support.deployment import Deployment, deployment, wait_for
from support.envelopes import forge, minimal_payload
from support.net import answers, free_port

pytestmark = pytest.mark.broker

DEVICE = [sys.executable, "-m", "backbone.device.cli"]
INTAKE = [sys.executable, "-m", "backbone.intake.cli", "serve"]


@pytest.fixture(scope="module")
def field(broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    roles = {"mobile": "mobile", "ngo": "ngo"}
    with deployment(broker, tmp_path_factory.mktemp("field"), roles) as deployed:
        yield deployed


def _device(d: Deployment, *args: str) -> tuple[int, dict[str, Any]]:
    result = subprocess.run(
        [*DEVICE, *args], env=d.env(), capture_output=True, text=True, timeout=120
    )
    return result.returncode, json.loads(result.stdout or json.dumps({"stderr": result.stderr}))


def _enrol(d: Deployment, tmp: Path, label: str) -> Path:
    folder = tmp / label
    group = d.agencies["mobile"]
    assert (
        _device(d, "enrol", "--group", group, "--device", label, "--device-dir", str(folder))[0]
        == 0
    )
    d.cli("keys", "publish")
    return folder


def _record(d: Deployment, folder: Path, events: list[dict[str, Any]]) -> None:
    lines = folder.parent / f"events-{uuid.uuid4().hex[:8]}.jsonl"
    lines.write_text("".join(json.dumps(e) + "\n" for e in events))
    status, report = _device(d, "record", "--device-dir", str(folder), "--file", str(lines))
    assert status == 0, report


def _events(d: Deployment) -> list[dict[str, Any]]:
    group, ngo = d.agencies["mobile"], d.agencies["ngo"]
    now = datetime.now(UTC).isoformat()  # after the enrolment: the device key is valid
    child_ref = f"c-{uuid.uuid4().hex[:12]}"

    def event(event_type: str, attributes: dict[str, str], **more: Any) -> dict[str, Any]:
        return {
            "event_id": str(uuid.uuid4()),
            "event_type": event_type,
            "occurred_at": now,
            "producer": group,
            "child_ref": child_ref,
            "recipients": [],
            "region": d.region,
            "attributes": attributes,
            "payload": minimal_payload(event_type),
            **more,
        }

    return [
        event("ChildIdentified", {"setting": "raid", "accompanied": "false", "age_band": "14-17"}),
        event(
            "ReferralIssued",
            {"kind": "victim_services"},
            recipients=[ngo],
            referral_id=f"r-{uuid.uuid4().hex[:12]}",
        ),
        event("ConsentRecorded", {"scope": "services", "decision": "granted"}),
    ]


@contextmanager
def _intake(d: Deployment, port: int) -> Iterator[str]:
    url = f"http://127.0.0.1:{port}"
    env = {**d.env(), "BACKBONE_INTAKE_DB": str(d.logs.parent / f"intake-{port}.db")}
    log = (d.logs / f"intake-{port}.log").open("ab")
    process = subprocess.Popen([*INTAKE, "--port", str(port)], env=env, stdout=log, stderr=log)
    try:
        wait_for(
            lambda: process.poll() is not None or answers(f"{url}/health"),
            what="the intake's health",
        )
        assert process.poll() is None, (d.logs / f"intake-{port}.log").read_text()[-2000:]
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0


def _log_records(settings: KafkaSettings, keys: set[bytes]) -> list[bytes]:
    """The values of every record in the event log whose key is one of ``keys``."""
    return [r.value for r in read_to_end(settings, EVENT_LOG) if r.key in keys]


def _event_ids(d: Deployment, values: list[bytes]) -> Counter[str]:
    verifier = EnvelopeCodec(KeyDirectory.load(d.keystore / "directory.json", _root(d)))
    return Counter(verifier.decode(value).event.event_id for value in values)


def _root(d: Deployment) -> bytes:
    return bytes.fromhex((d.keystore / "root" / "root.pub").read_text().strip())


def test_queue_recorded_offline_reaches_the_log_exactly_once_after_an_outage(
    field: Deployment, broker: Broker, tmp_path: Path
) -> None:
    device = _enrol(field, tmp_path, "tablet-3")
    events = _events(field)
    ids = [e["event_id"] for e in events]
    _record(field, device, events)
    port = free_port()

    status, outage = _device(
        field, "send", "--device-dir", str(device), "--intake", f"http://127.0.0.1:{port}"
    )
    assert (status, outage["sent"], outage["remaining"]) == (3, [], 3)
    kept = tmp_path / "kept"
    shutil.copytree(device / "queue", kept)

    with _intake(field, port) as url:
        status, first = _device(field, "send", "--device-dir", str(device), "--intake", url)
        assert (status, first["sent"], first["remaining"]) == (0, ids, 0)
        for envelope in kept.glob("*.envelope"):  # the device lost the answers: it resends
            shutil.copy(envelope, device / "queue" / envelope.name)
        status, again = _device(field, "send", "--device-dir", str(device), "--intake", url)
        assert (status, again["sent"], again["already_accepted"]) == (0, [], ids)

    values = _log_records(broker.admin, {events[0]["child_ref"].encode()})
    assert _event_ids(field, values) == Counter(ids)
    assert sorted(values) == sorted(p.read_bytes() for p in kept.glob("*.envelope"))


def test_forged_device_is_refused_422_unknown_key_and_quarantined(
    field: Deployment, broker: Broker, tmp_path: Path
) -> None:
    device = _enrol(field, tmp_path, "tablet-5")
    group = field.agencies["mobile"]
    plain = _events(field)[0]
    directory = KeyDirectory.load(field.keystore / "directory.json", _root(field))
    group_key = directory.current(group, datetime.now(UTC))
    assert group_key is not None
    readers = [(group, group_key.encryption_key_id, group_key.encryption_public_key)]
    forged = forge(plain, KeyPair.generate(group), readers)  # a key the root never certified
    EnvelopeQueue(device).add(plain["event_id"], forged)

    with _intake(field, free_port()) as url:
        status, report = _device(field, "send", "--device-dir", str(device), "--intake", url)

    assert status == 2
    assert [(r["status"], r["reason"]) for r in report["refused"]] == [(422, "unknown_key")]
    assert _log_records(broker.admin, {plain["child_ref"].encode()}) == []
    rejections = [r for r in read_quarantine(broker.admin) if r.value == forged]
    assert [(r.reason, r.rejected_by) for r in rejections] == [("unknown_key", "intake")]


def test_device_enrolled_while_the_intake_runs_is_accepted_beside_the_others(
    field: Deployment, broker: Broker, tmp_path: Path
) -> None:
    first = _enrol(field, tmp_path, "tablet-6")
    with _intake(field, free_port()) as url:
        second = _enrol(field, tmp_path, "tablet-7")  # published after the intake loaded keys
        sent = {}
        for folder in (first, second):
            events = _events(field)[:1]
            _record(field, folder, events)
            status, report = _device(field, "send", "--device-dir", str(folder), "--intake", url)
            assert status == 0, report
            sent[events[0]["child_ref"].encode()] = events[0]["event_id"]

    values = _log_records(broker.admin, set(sent))
    assert _event_ids(field, values) == Counter(sent.values())
