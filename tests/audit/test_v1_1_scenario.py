"""A held-out-style scenario of contract v1.1, replayed with the CLI: unreadable answers (valid,
rejected, naming another event), reissues (late, cancelled by a withdrawal, open at level 2), and
the five other new rules around Nauryz, Victory Day and a short February.

``data/v1_1_scenario.expected.json`` was written by hand from the contract's text and the
official calendar, with each obligation's derivation in its ``why``; it is not the code's output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from backbone.cli import main

DATA = Path(__file__).parent / "data"
EVENTS = DATA / "v1_1_scenario.jsonl"
EXPECTED: dict[str, Any] = json.loads((DATA / "v1_1_scenario.expected.json").read_text("utf-8"))


def _replay(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    status = main(
        ["audit", "replay", "--events", str(EVENTS), "--as-of", EXPECTED["as_of"], "--json"]
    )
    captured = capsys.readouterr()
    assert (status, captured.err) == (0, "")
    result: dict[str, Any] = json.loads(captured.out)
    return result


def test_every_obligation_is_the_one_derived_by_hand(capsys: pytest.CaptureFixture[str]) -> None:
    found = _replay(capsys)["obligations"]
    expected = [{k: v for k, v in o.items() if k != "why"} for o in EXPECTED["obligations"]]

    assert [(o["rule"], o["trigger_event_id"], o["owed_by"]) for o in found] == [
        (o["rule"], o["trigger_event_id"], o["owed_by"]) for o in expected
    ]
    for actual, derived in zip(found, expected, strict=True):
        assert actual == derived, derived


def test_rejected_events_and_recipient_states_are_the_lifecycles(
    capsys: pytest.CaptureFixture[str],
) -> None:
    replayed = _replay(capsys)
    referrals = [r for pathway in replayed["pathways"] for r in pathway["referrals"]]

    assert replayed["rejected"] == EXPECTED["rejected"]
    assert {
        r["referral_id"]: {x["agency"]: x["state"] for x in r["recipients"]} for r in referrals
    } == EXPECTED["recipient_states"]
    assert {
        r["referral_id"]: r["withdrawn_by_event_id"]
        for r in referrals
        if r["withdrawn_by_event_id"] is not None
    } == EXPECTED["withdrawn"]
