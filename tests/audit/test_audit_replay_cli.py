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
        "6: recipients: must be an array of agency ids, got 'police.turkestan'",
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


def test_v1_1_grammar_defects_exit_2_naming_each_line_and_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Contract v1.1: lines v1 accepted (free text, unminted refs, any region, loose times and
    UUID forms) are malformed; every problem of every line is on stderr with the refused value."""
    declined = event_json(
        "ReferralDeclined",
        "2026-12-14T09:00:00+05:00",
        NGO,
        referral=REFERRAL,
        reason="no_capacity",
    )
    unreadable = event_json(
        "EnvelopeUnreadable",
        "2026-12-14T09:00:00+05:00",
        NGO,
        referral=REFERRAL,
        reason="ciphertext_damaged",
    )
    extended = event_json(
        "ServiceContractExtended",
        "2026-12-14T09:00:00+05:00",
        NGO,
        months="3",
        reason="criminal_case_open",
    )
    lines = [
        _issue(),
        {**declined, "attributes": {"reason": "no places for her"}},
        {**_receipt(), "child_ref": "c-1"},
        {**_receipt(), "child_ref": "Test-Name-Alpha"},
        {**_receipt(), "child_ref": "c-7E57C0000001"},
        {**_receipt(), "region": "zhambyl"},
        {**_receipt(), "region": "national"},
        {**_receipt(), "producer": "ngo.nowhere.shelter-1"},
        {**_receipt(), "occurred_at": "2026-12-14t10:00:00+05:00"},
        {**_receipt(), "occurred_at": "2026-12-14T10:00+05:00"},
        {**_receipt(), "occurred_at": "2026-12-14T10:00:00.1234567+05:00"},
        {**_receipt(), "event_id": _receipt()["event_id"].upper()},
        unreadable,
        {**extended, "attributes": {"months": "4", "reason": "criminal_case_open"}},
        {**_issue(), "recipients": [NGO, POLICE]},
        {**_issue(), "recipients": [NGO, NGO]},
        {**_receipt(), "child_ref": "c-1", "region": "national", "occurred_at": "2026-12-14"},
    ]
    path = _write(tmp_path, *map(json.dumps, lines))

    status, out, err = _run(capsys, "--events", str(path), "--as-of", AS_OF, "--json")

    not_minted = "child_ref: is not a minted token (c- and 12-32 lower-case hex digits)"
    decline_reasons = (
        "child_not_found, consent_refused, duplicate_referral, no_capacity, not_in_mandate, "
        "other, wrong_region"
    )
    assert (status, out) == (2, "")
    assert err.splitlines() == [
        f"2: attributes.reason: is not one of ({decline_reasons}) 'no places for her'",
        f"3: {not_minted} 'c-1'",
        f"4: {not_minted} 'Test-Name-Alpha'",
        f"5: {not_minted} 'c-7E57C0000001'",
        "6: region: unknown region 'zhambyl'",
        "7: region: unknown region 'national'",
        "8: producer: is not an agency id <type>.<region>[.<name>] of a known type and region "
        "'ngo.nowhere.shelter-1'",
        f"9: {NOT_AN_INSTANT} '2026-12-14t10:00:00+05:00'",
        f"10: {NOT_AN_INSTANT} '2026-12-14T10:00+05:00'",
        f"11: {NOT_AN_INSTANT} '2026-12-14T10:00:00.1234567+05:00'",
        f"12: event_id: is not a canonical lower-case UUID '{_receipt()['event_id'].upper()}'",
        "13: causation_id: required for EnvelopeUnreadable (the event it answers)",
        "14: attributes.months: is not one of (1, 2, 3) '4'",
        f"15: recipients: must not list the producer '{POLICE}'",
        "16: recipients: lists an agency twice: 'ngo.turkestan.shelter-1'",
        f"17: {NOT_AN_INSTANT} '2026-12-14'; {not_minted} 'c-1'; region: unknown region 'national'",
    ]
