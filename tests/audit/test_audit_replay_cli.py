"""``backbone audit replay``: the JSON report, and all-or-nothing handling of bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from audit_events import CENTRE, CHILD, NGO, POLICE, REFERRAL, event_json

from backbone.cli import main
from backbone.domain.catalogue import REFERRAL_KINDS

AS_OF = "2026-12-16T00:00:00+05:00"
NOT_AN_INSTANT = "occurred_at: is not YYYY-MM-DDTHH:MM:SS[.ffffff] with Z or +HH:MM/-HH:MM"


def _issue() -> dict[str, Any]:
    return event_json(
        "ReferralIssued",
        "2026-12-11T16:00:00+05:00",
        POLICE,
        referral=REFERRAL,
        recipients=[NGO, CENTRE],
        kind="victim_services",
    )


def _receipt(producer: str = NGO) -> dict[str, Any]:
    return event_json("ReferralReceived", "2026-12-14T10:00:00+05:00", producer, referral=REFERRAL)


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["audit", "replay", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_good_file_prints_pathways_obligations_and_rejections(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = _receipt("guardianship.turkestan")
    path = _write(
        tmp_path,
        json.dumps(_receipt()),
        "",
        json.dumps(_issue()),
        "   ",
        json.dumps(foreign),
        json.dumps(_issue()),
    )
    status, out, err = _run(capsys, "--events", str(path), "--as-of", AS_OF, "--json")
    assert (status, err) == (0, "")
    report = json.loads(out)
    assert list(report) == ["pathways", "obligations", "rejected"]
    assert report["rejected"] == [
        {"line": 5, "event_id": foreign["event_id"], "reason": "not_a_recipient"}
    ]
    summary = [(o["rule"], o["owed_by"], o["status"], o["level"]) for o in report["obligations"]]
    assert summary == [
        ("referral-receipt", CENTRE, "open", 1),
        ("referral-receipt", NGO, "met", 0),
        ("referral-decision", NGO, "pending", 0),  # due 2026-12-16T00:00 = as-of
    ]
    (pathway,) = report["pathways"]
    assert pathway["child_ref"] == CHILD
    assert [step["event_type"] for step in pathway["timeline"]] == [
        "ReferralIssued",
        "ReferralReceived",
        "ReferralReceived",
    ]


def test_every_malformed_line_is_reported_and_nothing_is_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    naive = {**_issue(), "occurred_at": "2026-12-11T16:00:00"}
    unknown_key = {**_receipt(), "name": "a child's name"}
    missing = {k: v for k, v in _receipt().items() if k != "producer"}
    mistyped = {**_receipt(), "recipients": "police.turkestan"}
    unknown_type = {**_receipt(), "event_type": "ReferralForgotten"}
    bad_value = {**_issue(), "event_id": "0d7d5a38-1111-4a8e-9a57-8d4a6a1c0001"}
    bad_value["attributes"] = {"kind": "adoption"}
    conflicting = {**_issue(), "recipients": [NGO]}
    path = _write(
        tmp_path,
        json.dumps(_issue()),
        "{not json",
        json.dumps(naive),
        json.dumps(unknown_key),
        json.dumps(missing),
        json.dumps(mistyped),
        json.dumps(unknown_type),
        json.dumps(bad_value),
        json.dumps(conflicting),
        '{"event_id": "x", "event_id": "y"}',
    )
    status, out, err = _run(capsys, "--events", str(path), "--as-of", AS_OF, "--json")
    assert (status, out) == (2, "")
    assert err.splitlines() == [
        "2: not JSON: Expecting property name enclosed in double quotes at column 2",
        f"3: {NOT_AN_INSTANT} '2026-12-11T16:00:00'",
        "4: event: has a key the contract does not define: 'name'",
        "5: producer: missing",
        "6: recipients: must be an array of agency ids",
        "7: event_type: unknown event type 'ReferralForgotten'",
        f"8: attributes.kind: is not one of ({', '.join(sorted(REFERRAL_KINDS))}) 'adoption'",
        "9: event_id: same as line 1 with different content",
        "10: not JSON: key event_id appears twice in one object",
    ]
    assert "a child's name" not in err


def test_as_of_without_an_offset_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, json.dumps(_issue()))
    status, out, err = _run(capsys, "--events", str(path), "--as-of", "2026-12-16T00:00:00")
    assert (status, out) == (2, "")
    assert "--as-of: must be an RFC 3339 time with an offset" in err


def test_missing_events_file_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(capsys, "--events", str(tmp_path / "none.jsonl"), "--as-of", AS_OF)
    assert (status, out) == (2, "")
    assert "--events: cannot read" in err


def test_invalid_rules_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, json.dumps(_issue()))
    rules = tmp_path / "rules.json"
    rules.write_text('{"format": "backbone/sla-rules", "version": 1, "rules": []}', "utf-8")
    status, out, err = _run(
        capsys, "--events", str(path), "--as-of", AS_OF, "--rules", str(rules), "--json"
    )
    assert (status, out) == (2, "")
    assert "rules: must be a non-empty array" in err


def test_events_after_as_of_are_left_out_of_every_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, json.dumps(_issue()), json.dumps(_receipt("social.turkestan")))
    status, out, _ = _run(
        capsys, "--events", str(path), "--as-of", "2026-12-12T00:00:00+05:00", "--json"
    )
    report = json.loads(out)
    assert status == 0
    assert report["rejected"] == []
    assert [o["status"] for o in report["obligations"]] == ["pending", "pending"]
    assert len(report["pathways"][0]["timeline"]) == 1


def test_text_report_lists_obligations_and_rejections(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, json.dumps(_issue()), json.dumps(_receipt("social.turkestan")))
    status, out, _ = _run(capsys, "--events", str(path), "--as-of", AS_OF)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "obligations: 2"
    assert "open      level 1  referral-receipt  owed by " + CENTRE in lines[1]
    assert lines[3] == "rejected: 1"
    assert lines[4].endswith("not_a_recipient")
