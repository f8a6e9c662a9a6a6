"""What ``backbone demo`` prints once the story has played: a summary a person can read, and the
full JSON report only with ``--json`` (the stack itself is left out: ``play_demo`` is replaced by
a report of the shape it returns, built from the story's own breaches)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from backbone import demo
from backbone.cli import main
from backbone.scenario import expected_breaches, scenario_as_of

START = datetime.fromisoformat("2026-02-02T10:30:00+05:00")
PASSWORDS = {"sup-turkestan": "synthetic-pw-one", "sup-almaty": "synthetic-pw-two", "ops": "pw-3"}


def _report() -> dict[str, Any]:
    breaches = expected_breaches(START)
    shown = ("child_ref", "rule", "owed_by", "status", "level", "deadline")
    return {
        "provisioned": {"topics": 12, "keys_issued": 0},
        "services": {"router": 101, "audit": 102, "console": 103, "police.turkestan": 104},
        "scenario": {
            "start": START.isoformat(),
            "as_of": scenario_as_of(START).isoformat(),
            "events_published": 31,
            "field_device": {
                "device": "mobile.turkestan.q1-raid/tablet-1",
                "recorded_on_device": 3,
                "sent_by_device": 3,
            },
            "delivered_in_seconds": 4.2,
            "breaches_flagged_in_seconds": 6.8,
        },
        "inboxes": [
            {"agency": "police.turkestan", "envelopes": 7, "by_type": {}, "opened_bodies": 7}
        ],
        "expected_breaches": [{**b} for b in breaches],
        "flagged_by_the_live_audit": [{k: b[k] for k in shown} for b in breaches],
        "console": {
            "url": "http://127.0.0.1:6090/",
            "sign_in": [
                {"user": user, "role": role, "region": region, "password": PASSWORDS[user]}
                for user, role, region in demo.CONSOLE_USERS
            ],
            "passwords": "generated for this run and shown only here",
        },
        "look_at": {"the console": "http://127.0.0.1:6090/", "stop everything": "make stop"},
    }


def _printed(capsys: pytest.CaptureFixture[str], monkeypatch: Any, *argv: str) -> str:
    report = _report()
    monkeypatch.setattr(demo, "play_demo", lambda instances: report)
    assert main(["demo", *argv]) == 0
    return capsys.readouterr().out


def test_demo_prints_a_summary_with_the_console_passwords_and_the_breaches(
    capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    printed = _printed(capsys, monkeypatch)

    with pytest.raises(json.JSONDecodeError):
        json.loads(printed)
    lines = printed.splitlines()
    assert lines[0] == "The referral backbone is running on this host and has played the story."
    assert "The console: http://127.0.0.1:6090/" in lines
    for user, role, region in demo.CONSOLE_USERS:
        [line] = [line for line in lines if line.split()[:1] == [user]]
        assert PASSWORDS[user] in line and role in line and (region or role) in line
    breaches = expected_breaches(START)
    assert f"Breaches the live audit flagged ({len(breaches)})" in lines
    for breach in breaches:
        [line] = [line for line in lines if breach["child_ref"] in line]
        assert line.split()[:6] == [
            breach["child"],
            breach["child_ref"],
            breach["rule"],
            breach["owed_by"],
            breach["status"],
            str(breach["level"]),
        ]
    assert any("31 events from 2026-02-02 10:30+05:00" in line for line in lines)
    assert any(
        line.split() == ["police.turkestan", "7", "envelopes,", "7", "opened"] for line in lines
    )
    assert any(line.split()[:3] == ["stop", "everything", "make"] for line in lines)
    assert lines[-1] == "The same report as JSON: backbone demo --json"


def test_demo_prints_the_full_report_as_json_when_asked(
    capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    assert json.loads(_printed(capsys, monkeypatch, "--json")) == _report()
