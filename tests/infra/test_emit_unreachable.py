"""``backbone emit`` when no broker answers: it says so, names nothing as published, lists every
event to publish again and exits 3 (not a traceback, not a silent success)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backbone.paths import run_dir
from support.broker import Broker
from support.deployment import deployment
from support.net import free_port
from support.referrals import child_ref, referral_id

pytestmark = pytest.mark.broker


def test_emit_with_no_broker_reachable_exits_3_and_lists_what_to_publish_again(
    broker: Broker, tmp_path: Path
) -> None:
    with deployment(broker, tmp_path, {"police": "police", "ngo": "ngo"}) as deployed:
        police, ngo = deployed.agencies["police"], deployed.agencies["ngo"]
        # The same secrets and keys, but no cluster description and a port nobody listens on.
        elsewhere = tmp_path / "run"
        shutil.copytree(run_dir() / "secrets", elsewhere / "secrets")
        shutil.copytree(deployed.keystore, elsewhere / "keys")
        event = {
            "event_id": "6f1f3f7e-2d1a-4c55-9f0e-0d8a5b7c9e01",
            "event_type": "ReferralIssued",
            "occurred_at": "2026-12-07T10:00:00+05:00",
            "producer": police,
            "child_ref": child_ref(),
            "recipients": [ngo],
            "region": deployed.region,
            "attributes": {"kind": "victim_services"},
            "referral_id": referral_id(),
            "payload": {
                "summary": "Synthetic test referral",
                "urgency": "urgent",
                "requested_services": ["psychological"],
                "contact_name": "Test Officer",
                "contact_phone": None,
                "documents": [],
            },
        }
        events = tmp_path / "one.jsonl"
        events.write_text(json.dumps(event) + "\n")
        env = {
            **os.environ,
            "BACKBONE_RUN_DIR": str(elsewhere),
            "BACKBONE_KEYSTORE": str(elsewhere / "keys"),
            "BACKBONE_KAFKA_PORT": str(free_port()),
        }
        done = subprocess.run(
            [sys.executable, "-m", "backbone.cli", "emit", "--as", police, "--file", str(events)],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert done.returncode == 3, done.stderr[-2000:]
    assert "not published: the brokers" in done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "published": 0,
        "event_ids": [],
        "unacknowledged": [event["event_id"]],
    }
