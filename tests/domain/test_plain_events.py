"""The plain JSON form of an event (referral-model.md, section 3) is validated key by key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from backbone.domain.events import MalformedEvent, parse_event, read_events_file


def _event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": "0b7d6a8e-3f1c-4c55-9a51-2f7a1e9c0001",
        "event_type": "ReferralIssued",
        "occurred_at": "2026-12-11T16:00:00+05:00",
        "producer": "police.turkestan",
        "child_ref": "c-0001",
        "recipients": ["guardianship.turkestan"],
        "region": "turkestan",
        "attributes": {"kind": "guardianship_notification"},
        "referral_id": "r-0001",
        "payload": {"note": "synthetic"},
    }
    event.update(changes)
    return {k: v for k, v in event.items() if v is not ...}


def _problems(obj: dict[str, Any]) -> list[str]:
    with pytest.raises(MalformedEvent) as refused:
        parse_event(obj)
    return refused.value.problems


def test_valid_event_round_trips_through_the_plain_form() -> None:
    event = parse_event(_event())

    assert parse_event(event.to_json()) == event
    assert "payload" not in event.to_json(include_payload=False)
    assert event.header()["attributes"] == {"kind": "guardianship_notification"}


def test_optional_keys_may_be_absent_or_null() -> None:
    event = parse_event(_event(causation_id=None, payload=...))

    assert event.causation_id is None
    assert event.payload is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"nickname": "x"}, "nickname: unknown key"),
        ({"region": ...}, "region: missing"),
        ({"event_id": "not-a-uuid"}, "event_id: must be a UUID"),
        ({"event_type": "ChildSold"}, "event_type: unknown event type"),
        ({"occurred_at": "2026-12-11T16:00:00"}, "occurred_at: has no UTC offset"),
        ({"occurred_at": "2026-12-11T16:00+05:00"}, "occurred_at: is not an RFC 3339"),
        ({"occurred_at": "2026-12-11"}, "occurred_at: is not an RFC 3339"),
        ({"producer": "police"}, "producer: not an agency id"),
        ({"producer": "militia.turkestan"}, "producer: not an agency id"),
        ({"child_ref": "000000000000"}, "child_ref: must not be all digits"),
        ({"child_ref": "Name Surname"}, "child_ref: must be an opaque token"),
        ({"recipients": []}, "recipients: required and non-empty for ReferralIssued"),
        ({"recipients": ["ngo.a", "ngo.a"]}, "recipients: lists an agency twice"),
        ({"attributes": {"kind": "sale"}}, "attributes.kind: must be one of"),
        ({"attributes": {}}, "attributes.kind: required for ReferralIssued"),
        ({"attributes": {"kind": "other", "name": "x"}}, "attributes.name: not an attribute"),
        ({"attributes": {"kind": 3}}, "attributes.kind: must be a string"),
        ({"referral_id": None}, "referral_id: required for ReferralIssued"),
        ({"payload": "text"}, "payload: must be an object"),
        ({"correlation_id": "corr"}, "correlation_id: must be a UUID"),
    ],
)
def test_each_malformed_key_is_reported(changes: dict[str, Any], expected: str) -> None:
    assert any(p.startswith(expected) for p in _problems(_event(**changes)))


def test_recipients_must_be_empty_except_on_referral_issued() -> None:
    receipt = _event(
        event_type="ReferralReceived", attributes={}, producer="guardianship.turkestan"
    )

    assert "recipients: must be empty for ReferralReceived" in _problems(receipt)


def test_free_attribute_is_bounded_so_no_narrative_fits_in_the_header() -> None:
    declined = _event(
        event_type="ReferralDeclined", recipients=[], attributes={"reason": "x" * 201}
    )

    assert "attributes.reason: must be 1-200 characters" in _problems(declined)


def test_every_problem_of_a_line_is_reported_at_once() -> None:
    problems = _problems(_event(event_id="x", region="Turkestan!", nickname="y"))

    assert len(problems) == 3


def test_problems_never_quote_the_offending_values() -> None:
    secret = "Zarina-Test-Name"
    problems = _problems(_event(child_ref=f"{secret} 2011", attributes={"kind": secret}))

    assert all(secret not in p for p in problems)


def test_an_events_file_reports_each_bad_line_by_number(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(
        json.dumps(_event()) + "\n\n{not json\n" + json.dumps(_event(region=...)) + "\n"
    )

    events, problems = read_events_file(path)

    assert [e.event_id for e in events] == [_event()["event_id"]]
    assert problems[0].startswith("3: not JSON")
    assert problems[1] == "4: region: missing"
