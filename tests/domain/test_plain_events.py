"""The plain JSON form of an event (contract v1.1, section 3) is validated key by key, and every
problem names the key and the refused value (``MalformedEvent.safe`` the same without values)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from backbone.domain.events import MalformedEvent, parse_event, read_events_file
from backbone.scenario.ids import Minter

CHILD, REFERRAL = "c-7e57c0000001", "r-7e57e0000001"
KINDS = (
    "education_enrolment, guardianship_notification, health_services, hotline_alert, "
    "identification_assessment, other, placement, police_notification, return_support, "
    "service_permission, victim_services"
)
DECLINE_REASONS = (
    "child_not_found, consent_refused, duplicate_referral, no_capacity, not_in_mandate, other, "
    "wrong_region"
)
NOT_MINTED_CHILD = "child_ref: is not a minted token (c- and 12-32 lower-case hex digits)"
NOT_AN_INSTANT = "occurred_at: is not YYYY-MM-DDTHH:MM:SS[.ffffff] with Z or +HH:MM/-HH:MM"
NOT_AN_AGENCY = "is not an agency id <type>.<region>[.<name>] of a known type and region"


def _event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": "0b7d6a8e-3f1c-4c55-9a51-2f7a1e9c0001",
        "event_type": "ReferralIssued",
        "occurred_at": "2026-12-11T16:00:00+05:00",
        "producer": "police.turkestan",
        "child_ref": CHILD,
        "recipients": ["guardianship.turkestan"],
        "region": "turkestan",
        "attributes": {"kind": "guardianship_notification"},
        "referral_id": REFERRAL,
        "payload": {"note": "synthetic"},
    }
    event.update(changes)
    return {k: v for k, v in event.items() if v is not ...}


def _refused(obj: dict[str, Any]) -> MalformedEvent:
    with pytest.raises(MalformedEvent) as refused:
        parse_event(obj)
    return refused.value


def _problems(obj: dict[str, Any]) -> list[str]:
    return _refused(obj).problems


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
    "accepted",
    [
        {"occurred_at": "2026-12-11T11:00:00Z"},
        {"occurred_at": "2026-12-11T16:00:00.123456+05:00"},
        {"occurred_at": "2026-12-11T07:00:00.5-04:00"},
        {"child_ref": "c-" + "0123456789abcdef" * 2, "referral_id": "r-0123456789ab"},
        {"region": "almaty-region", "producer": "hotline.national.116-16"},
    ],
    ids=[
        "utc-z",
        "six-fraction-digits",
        "negative-offset",
        "longest-and-shortest-tokens",
        "national-producer",
    ],
)
def test_the_edges_of_the_grammar_are_accepted(accepted: dict[str, Any]) -> None:
    assert parse_event(_event(**accepted)).child_ref == _event(**accepted)["child_ref"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"nickname": "x"}, "event: has a key the contract does not define: 'nickname'"),
        ({"region": ...}, "region: missing"),
        ({"event_id": "not-a-uuid"}, "event_id: is not a canonical lower-case UUID 'not-a-uuid'"),
        ({"event_type": "ChildSold"}, "event_type: unknown event type 'ChildSold'"),
        ({"occurred_at": "2026-12-11T16:00:00"}, f"{NOT_AN_INSTANT} '2026-12-11T16:00:00'"),
        ({"occurred_at": "2026-12-11"}, f"{NOT_AN_INSTANT} '2026-12-11'"),
        ({"producer": "police"}, f"producer: {NOT_AN_AGENCY} 'police'"),
        ({"producer": "militia.turkestan"}, f"producer: {NOT_AN_AGENCY} 'militia.turkestan'"),
        ({"child_ref": "000000000000"}, f"{NOT_MINTED_CHILD} '000000000000'"),
        ({"recipients": []}, "recipients: required and non-empty for ReferralIssued"),
        ({"attributes": {"kind": "sale"}}, f"attributes.kind: is not one of ({KINDS}) 'sale'"),
        ({"attributes": {}}, "attributes.kind: required for ReferralIssued"),
        (
            {"attributes": {"kind": "other", "name": "x"}},
            "attributes: has a name that is not an attribute of ReferralIssued: 'name'",
        ),
        ({"attributes": {"kind": 3}}, "attributes.kind: must be a string, got 3"),
        ({"referral_id": None}, "referral_id: required for ReferralIssued"),
        ({"payload": "text"}, "payload: must be an object, got 'text'"),
        ({"correlation_id": "corr"}, "correlation_id: is not a canonical lower-case UUID 'corr'"),
    ],
)
def test_each_malformed_key_is_reported(changes: dict[str, Any], expected: str) -> None:
    assert expected in _problems(_event(**changes))


def test_recipients_must_be_empty_except_on_referral_issued() -> None:
    receipt = _event(
        event_type="ReferralReceived", attributes={}, producer="guardianship.turkestan"
    )

    assert "recipients: must be empty for ReferralReceived" in _problems(receipt)


# Contract v1.1, one refusal per rule of the header grammar: the problem names the key and the
# refused value, and it is the only problem of the line.
V1_1_REFUSALS = {
    "free text in an attribute": (
        {
            "event_type": "ReferralDeclined",
            "producer": "guardianship.turkestan",
            "recipients": [],
            "attributes": {"reason": "no places for her"},
        },
        f"attributes.reason: is not one of ({DECLINE_REASONS}) 'no places for her'",
    ),
    "unminted child_ref (too short)": ({"child_ref": "c-1"}, f"{NOT_MINTED_CHILD} 'c-1'"),
    "unminted child_ref (a name)": (
        {"child_ref": "Test-Name-Alpha"},
        f"{NOT_MINTED_CHILD} 'Test-Name-Alpha'",
    ),
    "child_ref with upper-case hex": (
        {"child_ref": "c-7E57C0000001"},
        f"{NOT_MINTED_CHILD} 'c-7E57C0000001'",
    ),
    "child_ref of 33 hex digits": (
        {"child_ref": "c-" + "a" * 33},
        f"{NOT_MINTED_CHILD} 'c-{'a' * 33}'",
    ),
    "unminted referral_id": (
        {"referral_id": "r-1"},
        "referral_id: is not a minted token (r- and 12-32 lower-case hex digits) 'r-1'",
    ),
    "unknown region": ({"region": "zhambyl"}, "region: unknown region 'zhambyl'"),
    "region national in a header": ({"region": "national"}, "region: unknown region 'national'"),
    "agency id with an unknown region": (
        {"producer": "police.nowhere"},
        f"producer: {NOT_AN_AGENCY} 'police.nowhere'",
    ),
    "recipient with an unknown region": (
        {"recipients": ["ngo.zhambyl.shelter-1"]},
        "recipients: is not an agency id 'ngo.zhambyl.shelter-1'",
    ),
    "lower-case t": (
        {"occurred_at": "2026-12-11t16:00:00+05:00"},
        f"{NOT_AN_INSTANT} '2026-12-11t16:00:00+05:00'",
    ),
    "lower-case z": (
        {"occurred_at": "2026-12-11T11:00:00z"},
        f"{NOT_AN_INSTANT} '2026-12-11T11:00:00z'",
    ),
    "no seconds": (
        {"occurred_at": "2026-12-11T16:00+05:00"},
        f"{NOT_AN_INSTANT} '2026-12-11T16:00+05:00'",
    ),
    "seven fraction digits": (
        {"occurred_at": "2026-12-11T16:00:00.1234567+05:00"},
        f"{NOT_AN_INSTANT} '2026-12-11T16:00:00.1234567+05:00'",
    ),
    "offset without a colon": (
        {"occurred_at": "2026-12-11T16:00:00+0500"},
        f"{NOT_AN_INSTANT} '2026-12-11T16:00:00+0500'",
    ),
    "upper-case UUID": (
        {"event_id": "0B7D6A8E-3F1C-4C55-9A51-2F7A1E9C0001"},
        "event_id: is not a canonical lower-case UUID '0B7D6A8E-3F1C-4C55-9A51-2F7A1E9C0001'",
    ),
    "UUID without hyphens": (
        {"event_id": "0b7d6a8e3f1c4c559a512f7a1e9c0001"},
        "event_id: is not a canonical lower-case UUID '0b7d6a8e3f1c4c559a512f7a1e9c0001'",
    ),
    "braced causation_id": (
        {"causation_id": "{0b7d6a8e-3f1c-4c55-9a51-2f7a1e9c0002}"},
        "causation_id: is not a canonical lower-case UUID '{0b7d6a8e-3f1c-4c55-9a51-2f7a1e9c0002}'",
    ),
    "EnvelopeUnreadable without causation_id": (
        {
            "event_type": "EnvelopeUnreadable",
            "producer": "guardianship.turkestan",
            "recipients": [],
            "attributes": {"reason": "ciphertext_damaged"},
        },
        "causation_id: required for EnvelopeUnreadable (the event it answers)",
    ),
    "months 4 on an extension": (
        {
            "event_type": "ServiceContractExtended",
            "producer": "ngo.turkestan.shelter-1",
            "recipients": [],
            "referral_id": None,
            "attributes": {"months": "4", "reason": "inpatient_treatment"},
        },
        "attributes.months: is not one of (1, 2, 3) '4'",
    ),
    "producer among the recipients": (
        {"recipients": ["guardianship.turkestan", "police.turkestan"]},
        "recipients: must not list the producer 'police.turkestan'",
    ),
    "a recipient twice": (
        {"recipients": ["guardianship.turkestan", "guardianship.turkestan"]},
        "recipients: lists an agency twice: 'guardianship.turkestan'",
    ),
}


@pytest.mark.parametrize(
    ("changes", "expected"), list(V1_1_REFUSALS.values()), ids=list(V1_1_REFUSALS)
)
def test_each_v1_1_grammar_rule_refuses_the_line_naming_the_value(
    changes: dict[str, Any], expected: str
) -> None:
    assert _problems(_event(**changes)) == [expected]


def test_non_canonical_uuids_are_refused_not_normalised() -> None:
    """v1 read any form ``uuid.UUID`` reads and normalised it; v1.1 refuses every other form."""
    canonical = "0b7d6a8e-3f1c-4c55-9a51-2f7a1e9c0001"
    for other in (canonical.upper(), canonical.replace("-", ""), f"urn:uuid:{canonical}"):
        assert _problems(_event(event_id=other)) == [
            f"event_id: is not a canonical lower-case UUID '{other}'"
        ]
    assert parse_event(_event(event_id=canonical)).event_id == canonical


def test_every_problem_of_a_line_is_reported_at_once_each_with_its_value() -> None:
    line = _event(
        event_id="x",
        occurred_at="2026-12-11t16:00+05:00",
        child_ref="c-1",
        region="Turkestan!",
        attributes={"kind": "urgent"},
        nickname="y",
    )

    assert _problems(line) == [
        "event: has a key the contract does not define: 'nickname'",
        "event_id: is not a canonical lower-case UUID 'x'",
        f"{NOT_AN_INSTANT} '2026-12-11t16:00+05:00'",
        f"{NOT_MINTED_CHILD} 'c-1'",
        "region: unknown region 'Turkestan!'",
        f"attributes.kind: is not one of ({KINDS}) 'urgent'",
    ]


def test_the_safe_form_names_the_same_problems_without_any_value() -> None:
    secret = "Test-Name-Alpha"
    refused = _refused(_event(child_ref=f"{secret} 2011", attributes={"kind": secret}))

    assert any(secret in p for p in refused.problems)
    assert refused.safe == [
        "child_ref: is not a minted token (c- and 12-32 lower-case hex digits)",
        f"attributes.kind: is not one of ({KINDS})",
    ]
    assert len(refused.safe) == len(refused.problems)


def test_a_long_refused_value_is_cut_short() -> None:
    [problem] = _problems(_event(child_ref="c-" + "z" * 200))

    assert problem == f"{NOT_MINTED_CHILD} 'c-{'z' * 54}..."


def test_an_events_file_reports_each_bad_line_by_number(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(
        json.dumps(_event())
        + "\n\n{not json\n"
        + json.dumps(_event(region=...))
        + "\n"
        + json.dumps(_event(child_ref="c-1", region="national"))
        + "\n"
    )

    events, problems = read_events_file(path)

    assert [e.event_id for e in events] == [_event()["event_id"]]
    assert problems[0].startswith("3: not JSON")
    assert problems[1] == "4: region: missing"
    assert problems[2] == f"5: {NOT_MINTED_CHILD} 'c-1'; region: unknown region 'national'"


@pytest.mark.parametrize("key", ["event_id", "child_ref", "producer", "referral_id"])
def test_a_trailing_newline_is_not_part_of_any_grammar(key: str) -> None:
    plain = _event()
    plain[key] = plain[key] + "\n"
    with pytest.raises(MalformedEvent) as refused:
        parse_event(plain)
    assert [p.split(":", 1)[0] for p in refused.value.problems] == [key]


def test_a_token_shaped_like_an_iin_is_refused_where_people_write_events(tmp_path: Path) -> None:
    """The grammar admits "c-" and twelve decimal digits (they are hex digits), but that is the
    shape of an identity number typed by a person: ``backbone emit`` and ``device record`` read
    files with ``read_events_file``, which refuses it without repeating it."""
    typed = _event()
    typed["child_ref"] = "c-080512345678"
    minted = _event()
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(typed) + "\n" + json.dumps(minted) + "\n")
    events, problems = read_events_file(path)
    assert [e.event_id for e in events] == [minted["event_id"]]
    assert problems == [
        "1: child_ref: looks like an identity number (12 decimal digits), not a minted token"
    ]


def test_minted_tokens_are_never_all_decimal() -> None:
    minter = Minter("test/iin-shape")
    tokens = [minter.child_ref(str(n)) for n in range(3000)]
    assert not any(t[2:].isdigit() for t in tokens)
