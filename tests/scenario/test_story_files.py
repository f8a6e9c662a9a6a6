"""The demo's story as data files: well-formed plain events, shipped, played by working days."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import UTC, date, datetime, timedelta
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from scenario_checks import STORY_START, calendar, check_payload, replay, strings

from backbone.domain.events import Event, parse_event, read_events_file, typed_identity_numbers
from backbone.paths import PROJECT_ROOT
from backbone.scenario import expected_breaches
from backbone.scenario.placement import local
from backbone.scenario.recording import (
    MANIFEST,
    RecordingInvalid,
    demo_recording,
    read_recording,
)
from backbone.scenario.story import (
    scenario_as_of,
    scenario_events,
    scenario_labels,
    scenario_start_before,
)

STORIES = Path(str(resources.files("backbone.scenario.stories")))
FILES = sorted(STORIES.glob("*.jsonl"))
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_every_line_of_every_story_file_is_a_plain_event_in_its_own_form() -> None:
    assert len(FILES) == 4
    for path in FILES:
        events, problems = read_events_file(path)  # the reader of backbone emit
        assert problems == [], path.name
        assert [e.to_json() for e in events] == _lines(path), path.name
        for event in events:
            check_payload(event)
            assert typed_identity_numbers(event) == []


def test_the_manifest_names_each_file_once_as_one_child() -> None:
    manifest = json.loads((STORIES / MANIFEST).read_text("utf-8"))
    recording = demo_recording()

    assert sorted(manifest["children"]) == ["A", "B", "C", "D"]
    assert sorted(manifest["children"].values()) == [path.name for path in FILES]
    assert sorted(recording.labels().values()) == ["A", "B", "C", "D"]
    assert recording.start == STORY_START


def test_the_story_files_are_package_data() -> None:
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["*"]

    for path in [*FILES, STORIES / MANIFEST]:
        assert any(fnmatchcase(path.name, pattern) for pattern in patterns), path.name


def test_a_play_at_the_recorded_start_is_the_files_own_events() -> None:
    recorded = sorted(
        (parse_event(line) for path in FILES for line in _lines(path)), key=lambda e: e.sort_key
    )

    assert scenario_events(STORY_START) == recorded


def test_a_broken_line_is_refused_with_its_file_and_line(tmp_path: Path) -> None:
    good = FILES[0].read_text("utf-8").splitlines()
    (tmp_path / "a.jsonl").write_text(f"{good[0]}\n{good[1][:-1]}\n", "utf-8")
    (tmp_path / MANIFEST).write_text(
        json.dumps({"start": STORY_START.isoformat(), "as_of": "2026-02-16T18:00:00+05:00",
                    "children": {"A": "a.jsonl"}}), "utf-8"
    )  # fmt: skip

    with pytest.raises(RecordingInvalid, match=r"^a\.jsonl:2: "):
        read_recording(tmp_path, MANIFEST)


def _plays() -> list[datetime]:
    """Starts across two years at the recorded time, the holidays included."""
    return [STORY_START + timedelta(days=n) for n in range(0, 730, 3)]


def test_every_later_step_keeps_its_working_day_rank_and_its_time_of_day() -> None:
    recorded = scenario_events(STORY_START)
    for start in _plays():
        played = scenario_events(start)
        assert len(played) == len(recorded)
        for before, after in zip(
            _in_story_order(recorded, STORY_START), _in_story_order(played, start), strict=True
        ):
            was, now = local(before.occurred_at), local(after.occurred_at)
            if was.date() == STORY_START.date():
                assert now - local(start) == was - STORY_START, (start, before)
            else:
                assert now.time() == was.time(), (start, before)
                assert _rank(start.date(), now.date()) == _rank(STORY_START.date(), was.date())


def test_a_payload_date_keeps_its_distance_from_its_event() -> None:
    recorded = _in_story_order(scenario_events(STORY_START), STORY_START)
    start = datetime.fromisoformat("2026-03-19T10:30:00+05:00")  # Nauryz falls in the story
    played = _in_story_order(scenario_events(start), start)
    moved = 0
    for before, after in zip(recorded, played, strict=True):
        dates = [(k, t) for k, t in strings(before.payload) if DATE.fullmatch(t)]
        for (key, was), (_, now) in zip(dates, _dates(after), strict=True):
            gap = date.fromisoformat(was) - local(before.occurred_at).date()
            assert date.fromisoformat(now) - local(after.occurred_at).date() == gap, key
            moved += 1
    assert moved > 10


def test_a_play_mints_its_own_ids_and_points_only_at_its_own_events() -> None:
    recorded = scenario_events(STORY_START)
    played = scenario_events(STORY_START + timedelta(days=35))
    ids = {e.event_id for e in played}

    assert not ids & {e.event_id for e in recorded}
    for event in played:
        assert event.causation_id is None or event.causation_id in ids
        assert event.correlation_id is None or event.correlation_id in ids


def test_the_demos_expected_breaches_are_what_the_audit_rules_compute_now() -> None:
    start = scenario_start_before(datetime.now(UTC))
    events = scenario_events(start, calendar())
    report = replay(events, scenario_as_of(start, calendar()))
    computed = [o for o in report.obligations if o.status.value in ("open", "late")]
    breaches = expected_breaches(start)
    children = {e.child_ref for e in events}

    assert report.rejected == ()
    assert [b["trigger_event_id"] for b in breaches] == [o.trigger_event_id for o in computed]
    for breach, obligation in zip(breaches, computed, strict=True):
        plain = obligation.to_json()
        assert plain == {key: value for key, value in breach.items() if key in plain}
        assert breach["child_ref"] in children
    assert [(b["rule"], b["status"], b["child"]) for b in breaches] == [
        ("referral-decision", "open", "B"),
        ("guardianship-notification", "late", "C"),
    ]


def _in_story_order(events: list[Event], start: datetime) -> list[Event]:
    """Each child's events in time order, children by label: the same order in every play
    (the time order of a play breaks ties by its minted event ids)."""
    labels = scenario_labels(start)
    return sorted(
        events,
        key=lambda e: (
            labels[e.child_ref], e.occurred_at, e.event_type, e.producer, e.recipients,
            sorted(e.attributes.items()),
        ),
    )  # fmt: skip


def _dates(event: Event) -> list[tuple[str, str]]:
    return [(k, t) for k, t in strings(event.payload) if DATE.fullmatch(t)]


def _rank(origin: date, day: date) -> int:
    return sum(
        1
        for n in range(1, (day - origin).days + 1)
        if calendar().is_working_day(origin + timedelta(days=n))
    )
