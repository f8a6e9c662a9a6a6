"""``contracts/lifecycle-and-deadlines.md`` against the code: each of its tables is read from the
markdown and compared with the code's own data or behaviour (reasons, ranks, states, rules,
working days, deadline examples, statuses), and the replay vectors of
``contracts/vectors/replay-v1.1.json`` are run through ``backbone audit replay`` and compared
with their expected output, so the text cannot drift from the code."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import holidays
import pytest
from audit_events import (
    AUDIT,
    CENTRE,
    CHILD,
    NGO,
    OTHER_CHILD,
    POLICE,
    REFERRAL,
    SCHOOL,
    calendar,
    event,
)

from backbone.audit.core.calendar import Period, Unit, load_corrections, render
from backbone.audit.core.rules import Pattern, Rule, load_rules
from backbone.audit.core.sla import Status
from backbone.cli import main
from backbone.domain.agencies import agency_type
from backbone.domain.catalogue import CATALOGUE, LIFECYCLE_RANK
from backbone.domain.events import Event
from backbone.domain.lifecycle import Reason, RecipientState, judge

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = (ROOT / "contracts" / "lifecycle-and-deadlines.md").read_text(encoding="utf-8")
VECTORS = json.loads((ROOT / "contracts" / "vectors" / "replay-v1.1.json").read_text())
CASES = {case["name"]: case for case in VECTORS["cases"]}
UNITS = {
    "working day": Unit.WORKING_DAYS,
    "working days": Unit.WORKING_DAYS,
    "hour": Unit.HOURS,
    "hours": Unit.HOURS,
    "month": Unit.MONTHS,
    "months": Unit.MONTHS,
}


def _section(number: str) -> str:
    """The text of section ``number`` ("3.3", "6") up to the next heading."""
    match = re.search(rf"^#+ {re.escape(number)}\.? .*?$(.*?)(?=^#)", CONTRACT + "\n#", re.M | re.S)
    assert match, number
    return match.group(1)


def _table(number: str) -> list[list[str]]:
    """The body rows of the (first) table of section ``number``, as stripped cells."""
    lines = [line for line in _section(number).splitlines() if line.startswith("|")]
    assert len(lines) > 2, number
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines[2:]]


def _codes(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


def _replay(
    lines: list[str], as_of: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    status = main(["audit", "replay", "--events", str(path), "--as-of", as_of, "--json"])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(autouse=True)
def _national_rules_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BACKBONE_SLA_RULES", raising=False)


# --- section 2: time order -------------------------------------------------------------------


def test_the_rank_table_is_the_lifecycle_rank() -> None:
    ranks: dict[str, int] = {}
    others = None
    for rank, types in _table("2"):
        for event_type in _codes(types):
            ranks[event_type] = int(rank)
        if "every type that is not in this table" in types:
            others = int(rank)
    assert ranks == dict(LIFECYCLE_RANK)
    assert others == 0  # Event.sort_key's default
    unranked = [t for t in CATALOGUE if t not in LIFECYCLE_RANK]
    assert unranked and all(LIFECYCLE_RANK.get(t, 0) == others for t in unranked)


# --- section 3.1: states ---------------------------------------------------------------------


def _reach(state: str) -> list[Event]:
    """Events that leave NGO, a recipient of REFERRAL, in ``state``."""
    issue = event(
        "ReferralIssued",
        "2026-12-14T10:00:00+05:00",
        POLICE,
        referral=REFERRAL,
        recipients=[NGO, CENTRE],
        kind="victim_services",
    )
    path = {"issued": [], "received": ["ReferralReceived"]}
    path["accepted"] = [*path["received"], "ReferralAccepted"]
    steps = [issue]
    for minute, event_type in enumerate(path[state], start=1):
        steps.append(
            event(event_type, f"2026-12-14T10:{minute:02d}:00+05:00", NGO, referral=REFERRAL)
        )
    return steps


_ATTRIBUTES = {
    "ReferralDeclined": {"reason": "no_capacity"},
    "ReferralCompleted": {"outcome": "services_delivered"},
    "EnvelopeUnreadable": {"reason": "ciphertext_damaged"},
}


@pytest.mark.parametrize("row", _table("3.1"), ids=lambda row: row[0])
def test_each_row_of_the_state_table_is_a_transition_of_the_judge(row: list[str]) -> None:
    (event_type, *_), (before,), (after,) = _codes(row[0]), _codes(row[1]), _codes(row[2])
    events = _reach(before)
    extra: dict[str, Any] = dict(_ATTRIBUTES.get(event_type, {}))
    if event_type == "EnvelopeUnreadable":
        extra["causation"] = events[0].event_id
    step = event(event_type, "2026-12-14T11:00:00+05:00", NGO, referral=REFERRAL, **extra)
    judgement = judge([*events, step])
    assert judgement.rejection(step.event_id) is None
    assert judgement.referrals[REFERRAL].recipients[NGO] == RecipientState(after)


def test_the_state_table_names_every_recipient_state() -> None:
    states = {code for row in _table("3.1") for code in _codes(row[1]) + _codes(row[2])}
    assert states == {state.value for state in RecipientState}


# --- section 3.3: rejections -----------------------------------------------------------------

CHECKS = _table("3.3")


def test_the_reason_table_is_the_lifecycle_reasons_in_numbered_rows() -> None:
    assert [int(row[0]) for row in CHECKS] == list(range(1, len(CHECKS) + 1))
    assert {_codes(row[1])[0] for row in CHECKS} == {reason.value for reason in Reason}


def _message_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", template)
    return re.compile(
        "".join(
            f"(?P<{part[1:-1]}>[^ ()]+)" if re.fullmatch(r"\{\w+\}", part) else re.escape(part)
            for part in parts
        )
    )


@pytest.mark.parametrize("row", CHECKS, ids=lambda row: f"check-{row[0]}")
def test_each_check_is_what_its_vector_shows_with_the_documented_message(
    row: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check, reason, template = int(row[0]), _codes(row[1])[0], _codes(row[4])[0]
    [case] = [c for c in VECTORS["cases"] if c.get("check") == check]
    status, out, err = _replay(
        [json.dumps(e) for e in case["events"]], case["as_of"], tmp_path, capsys
    )
    assert (status, err) == (0, "")
    report = json.loads(out)
    [rejected] = report["rejected"]
    assert rejected["reason"] == reason
    plain = case["events"][rejected["line"] - 1]
    [step] = [s for p in report["pathways"] for s in p["timeline"] if s["rejected"]]
    assert step["event_id"] == plain["event_id"]
    assert step["rejected"]["reason"] == reason
    found = _message_pattern(template).fullmatch(step["rejected"]["message"])
    assert found, (template, step["rejected"]["message"])
    expected = {
        "type": agency_type(plain["producer"]),
        "event_type": plain["event_type"],
        "producer": plain["producer"],
        "referral_id": plain.get("referral_id"),
    }
    for name, value in found.groupdict().items():
        if name == "state":
            assert value in {state.value for state in RecipientState}
        else:
            assert value == expected[name], name


def _row_of(reason: Reason, applies_to: str = "") -> int:
    rows = [int(r[0]) for r in CHECKS if _codes(r[1])[0] == reason.value and applies_to in r[2]]
    assert rows, (reason, applies_to)
    return rows[0]


def _issue(**fields: Any) -> Event:
    fields.setdefault("recipients", [NGO, CENTRE])
    return event(
        "ReferralIssued",
        "2026-12-14T10:00:00+05:00",
        POLICE,
        referral=REFERRAL,
        kind="victim_services",
        **fields,
    )


def _withdrawn(by: str = POLICE, at: str = "2026-12-14T10:30:00+05:00") -> Event:
    return event("ReferralWithdrawn", at, by, referral=REFERRAL, reason="other")


def _finished() -> list[Event]:
    issue = _issue(recipients=[NGO])
    return [
        issue,
        event("ReferralReceived", "2026-12-14T10:05:00+05:00", NGO, referral=REFERRAL),
        event(
            "ReferralDeclined", "2026-12-14T10:10:00+05:00", NGO, referral=REFERRAL, reason="other"
        ),
    ]


def _unreadable_before_issue_for_another_child() -> list[Event]:
    issue = _issue()
    return [
        issue,
        event(
            "EnvelopeUnreadable",
            "2026-12-14T09:00:00+05:00",
            NGO,
            child=OTHER_CHILD,
            referral=REFERRAL,
            causation=issue.event_id,
            reason="ciphertext_damaged",
        ),
    ]


# Events whose last one fails two checks: the earlier row of the table gives the reason.
PRECEDENCE: list[tuple[str, Callable[[], list[Event]], Reason, int, Reason, int]] = [
    (
        "the audit's receipt of an unknown referral",
        lambda: [event("ReferralReceived", "2026-12-14T11:00:00+05:00", AUDIT, referral=REFERRAL)],
        Reason.NOT_AUTHORISED,
        1,
        Reason.UNKNOWN_REFERRAL,
        5,
    ),
    (
        "an unreadable answer before its issue, for another child",
        _unreadable_before_issue_for_another_child,
        Reason.UNKNOWN_REFERRAL,
        3,
        Reason.CHILD_MISMATCH,
        6,
    ),
    (
        "a receipt for another child after the withdrawal",
        lambda: [
            _issue(),
            _withdrawn(),
            event(
                "ReferralReceived",
                "2026-12-14T11:00:00+05:00",
                NGO,
                referral=REFERRAL,
                child=OTHER_CHILD,
            ),
        ],
        Reason.CHILD_MISMATCH,
        6,
        Reason.AFTER_WITHDRAWAL,
        7,
    ),
    (
        "a non-recipient's receipt after the withdrawal",
        lambda: [
            _issue(),
            _withdrawn(),
            event("ReferralReceived", "2026-12-14T11:00:00+05:00", SCHOOL, referral=REFERRAL),
        ],
        Reason.AFTER_WITHDRAWAL,
        7,
        Reason.NOT_A_RECIPIENT,
        10,
    ),
    (
        "a recipient's withdrawal after the withdrawal",
        lambda: [_issue(), _withdrawn(), _withdrawn(by=NGO, at="2026-12-14T11:00:00+05:00")],
        Reason.AFTER_WITHDRAWAL,
        7,
        Reason.NOT_ISSUER,
        8,
    ),
    (
        "a recipient's withdrawal of a finished referral",
        lambda: [*_finished(), _withdrawn(by=NGO, at="2026-12-14T11:00:00+05:00")],
        Reason.NOT_ISSUER,
        8,
        Reason.REFERRAL_CLOSED,
        9,
    ),
]


@pytest.mark.parametrize("case", PRECEDENCE, ids=lambda case: case[0])
def test_the_first_row_that_applies_gives_the_reason(
    case: tuple[str, Callable[[], list[Event]], Reason, int, Reason, int],
) -> None:
    _, build, first, first_row, second, second_row = case
    events = build()
    rejection = judge(events).rejection(events[-1].event_id)
    assert rejection is not None and rejection.reason is first
    assert _codes(CHECKS[first_row - 1][1])[0] == first.value
    assert _codes(CHECKS[second_row - 1][1])[0] == second.value
    assert first_row < second_row


def test_rows_named_by_type_are_where_the_table_puts_them() -> None:
    assert _row_of(Reason.UNKNOWN_REFERRAL, "EnvelopeUnreadable") == 3
    assert _row_of(Reason.UNKNOWN_REFERRAL, "the other `Referral*` types") == 5
    assert _row_of(Reason.DUPLICATE_RECEIPT, "`ReferralReceived`") == 12
    assert _row_of(Reason.DUPLICATE_RECEIPT, "`EnvelopeUnreadable`") == 13


# --- section 4: the rules --------------------------------------------------------------------


def _pattern(
    text: str,
) -> list[tuple[frozenset[str], dict[str, tuple[frozenset[str], bool]], bool]]:
    """A trigger or expected cell: alternatives of (types, attribute tests, referral transition)."""
    patterns = []
    for alternative in text.split(" or "):
        transition = alternative.endswith(" (referral transition)")
        alternative = alternative.removesuffix(" (referral transition)")
        types, _, tests_text = alternative.partition(" with ")
        tests: dict[str, tuple[frozenset[str], bool]] = {}
        for test in tests_text.split(" and ") if tests_text else []:
            found = re.fullmatch(r"`(\w+)` (in|not in) \((.+)\)", test)
            assert found, test
            tests[found[1]] = (frozenset(_codes(found[3])), found[2] == "not in")
        patterns.append((frozenset(_codes(types)), tests, transition))
    return patterns


def _of(
    pattern: Pattern,
) -> list[tuple[frozenset[str], dict[str, tuple[frozenset[str], bool]], bool]]:
    parts = pattern.alternatives or (pattern,)
    return [
        (
            p.event_types,
            {t.name: (t.values, t.negated) for t in p.attributes},
            p.referral_transition,
        )
        for p in parts
    ]


def _within(text: str) -> Period:
    amount, unit = text.split(" ", 1)
    return Period(int(amount), UNITS[unit])


def test_the_rules_table_is_the_national_rules_file_field_by_field() -> None:
    rules: tuple[Rule, ...] = load_rules([]).rules
    rows = _table("4.2")
    assert [_codes(row[0])[0] for row in rows] == [rule.id for rule in rules]
    for row, rule in zip(rows, rules, strict=True):
        _, scope, trigger, expected, sender, match, owed_by, within, basis = row
        assert _codes(scope) == [rule.scope.value], rule.id
        assert _pattern(trigger) == _of(rule.trigger), rule.id
        assert _pattern(expected) == _of(rule.expected), rule.id
        assert _codes(sender) == [rule.expected_from.value], rule.id
        assert _codes(match) == [rule.match.value], rule.id
        assert _codes(owed_by) == [rule.owed_by.value], rule.id
        assert _within(within) == rule.within, rule.id
        assert basis == rule.basis, rule.id
        assert rule.regions is None, rule.id


def test_the_field_table_names_every_rule_key_and_every_code() -> None:
    fields = {_codes(row[0])[0]: row[1] for row in _table("4.1")}
    document = json.loads(
        (ROOT / "services/backbone/audit/data/sla-rules.v1.json").read_text(encoding="utf-8")
    )
    keys = {key for rule in document["rules"] for key in rule} | {"regions", "from", "match"}
    assert set(fields) == keys
    rules = load_rules([]).rules
    for name, values in (
        ("scope", {r.scope.value for r in rules}),
        ("from", {r.expected_from.value for r in rules}),
        ("match", {r.match.value for r in rules}),
        ("owed_by", {r.owed_by.value for r in rules}),
        ("within", {unit.value for unit in Unit}),
    ):
        assert values <= set(_codes(fields[name])), name


# --- section 5: the calendar -----------------------------------------------------------------


def _dates(year: int, cell: str) -> set[date]:
    if cell == "—":
        return set()
    return {date(year, int(m), int(d)) for m, d in (day.split("-") for day in cell.split(", "))}


def test_the_working_day_table_is_the_calendar_day_by_day() -> None:
    rows = _table("5.2")
    years = [int(row[0]) for row in rows]
    assert years == list(range(2024, 2031))
    assert "from 2024-01-01 to 2030-12-31" in _section("5.2")
    working = calendar()
    for year, off, on in rows:
        not_working, working_weekend = _dates(int(year), off), _dates(int(year), on)
        assert all(d.weekday() < 5 for d in not_working)
        assert all(d.weekday() >= 5 for d in working_weekend)
        day = date(int(year), 1, 1)
        while day.year == int(year):
            listed = day in working_weekend or (day.weekday() < 5 and day not in not_working)
            assert working.is_working_day(day) == listed, day
            day += timedelta(days=1)


def test_the_calendar_source_is_the_pinned_package_and_the_shipped_corrections() -> None:
    pinned = re.search(r'"holidays==([0-9.]+)"', (ROOT / "pyproject.toml").read_text())
    assert pinned and pinned[1] == holidays.__version__
    assert f"version {pinned[1]}" in _section("5.2")
    assert "the shipped list is empty" in " ".join(_section("5.2").split())
    assert load_corrections() == {}


# --- section 6: deadline arithmetic ----------------------------------------------------------


@pytest.mark.parametrize("row", _table("6"), ids=lambda row: f"{row[0]} + {row[1]}")
def test_each_deadline_example_is_what_the_calendar_computes(row: list[str]) -> None:
    trigger, within, deadline, _ = row
    moment = datetime.fromisoformat(trigger)
    assert render(calendar().deadline(moment, _within(within))) == deadline


# --- section 7.4: statuses -------------------------------------------------------------------


def test_the_status_table_names_every_status() -> None:
    statuses = [_codes(row[0])[0] for row in _table("7.4")]
    assert sorted(statuses) == sorted(status.value for status in Status)


# --- the vectors and the worked example ------------------------------------------------------


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda case: case["name"])
def test_each_vector_replays_to_its_expected_output(
    case: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [json.dumps(e) for e in case["events"]]
    status, out, err = _replay(lines, case["as_of"], tmp_path, capsys)
    assert (status, err) == (0, "")
    assert json.loads(out) == case["expected"]


@pytest.mark.parametrize("case", VECTORS["malformed"], ids=lambda case: case["name"])
def test_each_malformed_vector_is_refused_as_a_whole(
    case: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _replay(case["lines"], case["as_of"], tmp_path, capsys)
    assert (status, out) == (case["exit_status"], "")
    assert [int(line.split(":", 1)[0]) for line in err.splitlines()] == case["bad_lines"]


def test_the_vectors_cover_every_rule_status_level_and_check() -> None:
    obligations = [o for case in VECTORS["cases"] for o in case["expected"]["obligations"]]
    assert {o["rule"] for o in obligations} == {rule.id for rule in load_rules([]).rules}
    assert {o["status"] for o in obligations} == {status.value for status in Status}
    assert {o["level"] for o in obligations} == {0, 1, 2}
    assert sorted(c["check"] for c in VECTORS["cases"] if "check" in c) == [
        int(row[0]) for row in CHECKS
    ]


def test_the_worked_example_in_the_text_is_the_vector() -> None:
    case = CASES["worked-example"]
    text = _section("9")
    block = re.search(r"```jsonl\n(.*?)\n```", text, re.S)
    assert block
    assert [json.loads(line) for line in block[1].splitlines()] == case["events"]
    assert f"*t* = {case['as_of']}" in text
    flat = " ".join(text.split())
    expected = case["expected"]
    [rejected] = expected["rejected"]
    assert f"`{json.dumps(rejected)}`" in flat
    [pathway] = expected["pathways"]
    [step] = [s for s in pathway["timeline"] if s["rejected"]]
    assert f"`{step['rejected']['message']}`" in flat
    assert f"`{json.dumps(pathway['responsible'])}`" in flat
    ids = {f"line {n}": e["event_id"] for n, e in enumerate(case["events"], start=1)}
    ids["—"] = None
    rows = _table("9")
    assert len(rows) == len(expected["obligations"])
    for row, obligation in zip(rows, expected["obligations"], strict=True):
        rule, owed_by, trigger, deadline, status, level, closed_by = row
        assert _codes(rule) == [obligation["rule"]]
        assert _codes(owed_by) == [obligation["owed_by"]]
        assert ids[trigger] == obligation["trigger_event_id"]
        assert deadline == obligation["deadline"]
        assert _codes(status) == [obligation["status"]]
        assert int(level) == obligation["level"]
        assert ids[closed_by] == obligation["closed_by_event_id"]
    assert pathway["child_ref"] == CHILD
