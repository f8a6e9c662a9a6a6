"""Kazakhstan working days and the deadline arithmetic of section 6."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from backbone.audit.core.calendar import (
    CorrectionsError,
    Period,
    Unit,
    WorkingCalendar,
    add_months,
    kazakhstan_calendar,
    load_corrections,
    render,
)

ONE_WORKING_DAY = Period(1, Unit.WORKING_DAYS)


def _deadline(at: str, period: Period, calendar: WorkingCalendar | None = None) -> str:
    calendar = calendar or kazakhstan_calendar()
    return render(calendar.deadline(datetime.fromisoformat(at), period))


def _corrections_file(tmp_path: Path, corrections: list[dict[str, Any]], **extra: Any) -> Path:
    document = {
        "format": "backbone/calendar-corrections",
        "version": 1,
        "country": "KZ",
        "corrections": corrections,
        **extra,
    }
    path = tmp_path / "corrections.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_contract_example_friday_afternoon_is_due_at_the_end_of_monday() -> None:
    assert _deadline("2026-12-11T16:00:00+05:00", ONE_WORKING_DAY) == "2026-12-15T00:00:00+05:00"


def test_contract_example_day_before_independence_day_is_due_at_the_end_of_thursday() -> None:
    assert _deadline("2026-12-15T16:00:00+05:00", ONE_WORKING_DAY) == "2026-12-18T00:00:00+05:00"


def test_trigger_at_2359_counts_from_its_own_calendar_day() -> None:
    assert _deadline("2026-12-11T23:59:00+05:00", ONE_WORKING_DAY) == "2026-12-15T00:00:00+05:00"


def test_calendar_day_is_taken_in_almaty_not_in_the_trigger_offset() -> None:
    # Thursday 20:30 UTC is Friday 01:30 in Almaty.
    assert _deadline("2026-12-10T20:30:00+00:00", ONE_WORKING_DAY) == "2026-12-15T00:00:00+05:00"


def test_transferred_working_saturday_counts_as_a_working_day() -> None:
    calendar = kazakhstan_calendar()
    assert calendar.is_working_day(date(2024, 5, 4))  # Saturday, worked for Wednesday 8 May
    assert not calendar.is_working_day(date(2024, 5, 8))
    assert _deadline("2024-05-03T12:00:00+05:00", ONE_WORKING_DAY) == "2024-05-05T00:00:00+05:00"


def test_trigger_on_a_transferred_working_day_counts_from_that_day() -> None:
    assert _deadline("2024-05-04T10:00:00+05:00", ONE_WORKING_DAY) == "2024-05-07T00:00:00+05:00"


def test_holiday_run_with_substituted_day_off_is_skipped() -> None:
    # 7 May Defender's Day, 8 May day off (worked on 4 May), 9 May Victory Day.
    assert _deadline("2024-05-06T09:00:00+05:00", ONE_WORKING_DAY) == "2024-05-11T00:00:00+05:00"


def test_transferred_working_sunday_in_january_2025() -> None:
    # 2 and 3 January are days off, 5 January (a Sunday) is worked instead of the 3rd.
    assert _deadline("2025-01-02T10:00:00+05:00", ONE_WORKING_DAY) == "2025-01-06T00:00:00+05:00"


def test_three_working_days_skip_the_weekend_and_independence_day() -> None:
    three = Period(3, Unit.WORKING_DAYS)
    assert _deadline("2026-12-11T16:00:00+05:00", three) == "2026-12-18T00:00:00+05:00"


def test_hours_are_exact_and_cross_midnight() -> None:
    one_hour = Period(1, Unit.HOURS)
    assert _deadline("2026-12-11T23:59:00+05:00", one_hour) == "2026-12-12T00:59:00+05:00"


def test_hours_are_counted_on_the_instant_across_the_2024_offset_change() -> None:
    # Almaty moved from UTC+06:00 to UTC+05:00 at 2024-03-01 00:00 local time.
    one_hour = Period(1, Unit.HOURS)
    assert _deadline("2024-02-29T23:30:00+06:00", one_hour) == "2024-02-29T23:30:00+05:00"


def test_six_months_from_month_end_clamps_to_february_and_moves_off_the_weekend() -> None:
    six = Period(6, Unit.MONTHS)
    # 28 February 2027 is a Sunday; Monday 1 March is the next working day.
    assert _deadline("2026-08-31T11:00:00+05:00", six) == "2027-03-02T00:00:00+05:00"
    # 28 February 2025 is a Friday.
    assert _deadline("2024-08-31T11:00:00+05:00", six) == "2025-03-01T00:00:00+05:00"


def test_six_months_lands_on_leap_day() -> None:
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)


def test_months_landing_on_a_holiday_end_on_the_next_working_day() -> None:
    six = Period(6, Unit.MONTHS)
    # 16 December 2026 is Independence Day.
    assert _deadline("2026-06-16T09:00:00+05:00", six) == "2026-12-18T00:00:00+05:00"


def test_months_on_an_ordinary_working_day_end_that_day() -> None:
    assert _deadline("2026-01-15T09:00:00+05:00", Period(6, Unit.MONTHS)) == (
        "2026-07-16T00:00:00+05:00"
    )


def test_naive_trigger_time_is_refused() -> None:
    with pytest.raises(ValueError, match="offset"):
        kazakhstan_calendar().deadline(datetime(2026, 12, 11, 16), ONE_WORKING_DAY)


def test_packaged_corrections_file_is_valid() -> None:
    corrections = load_corrections()
    assert all(isinstance(day, date) for day in corrections)


def test_correction_making_a_day_non_working_moves_the_deadline(tmp_path: Path) -> None:
    path = _corrections_file(
        tmp_path, [{"date": "2026-12-14", "working": False, "basis": "test decree 1"}]
    )
    calendar = kazakhstan_calendar(path)
    assert not calendar.is_working_day(date(2026, 12, 14))
    assert _deadline("2026-12-11T16:00:00+05:00", ONE_WORKING_DAY, calendar) == (
        "2026-12-16T00:00:00+05:00"
    )


def test_correction_making_a_saturday_a_working_day_moves_the_deadline(tmp_path: Path) -> None:
    path = _corrections_file(
        tmp_path, [{"date": "2026-12-12", "working": True, "basis": "test decree 2"}]
    )
    calendar = kazakhstan_calendar(path)
    assert _deadline("2026-12-11T16:00:00+05:00", ONE_WORKING_DAY, calendar) == (
        "2026-12-13T00:00:00+05:00"
    )


def test_malformed_corrections_file_lists_every_problem(tmp_path: Path) -> None:
    path = _corrections_file(
        tmp_path,
        [
            {"date": "2026-13-01", "working": True, "basis": "x"},
            {"date": "2026-12-12", "working": "yes", "basis": "x"},
            {"date": "2026-12-14", "working": False, "basis": " "},
            {"date": "2026-12-15", "working": False, "basis": "x"},
            {"date": "2026-12-15", "working": True, "basis": "y"},
            {"date": "2026-12-16", "working": True},
        ],
        comment="not a key of the format",
    )
    with pytest.raises(CorrectionsError) as raised:
        load_corrections(path)
    assert raised.value.problems == [
        "comment: unknown key",
        "corrections[0].date: must be a date YYYY-MM-DD",
        "corrections[1].working: must be true or false",
        "corrections[2].basis: must name the act or source of the correction",
        "corrections[4].date: 2026-12-15 is corrected twice",
        "corrections[5]: must be an object with exactly date, working, basis",
    ]


def test_corrections_file_for_another_country_or_version_is_refused(tmp_path: Path) -> None:
    path = _corrections_file(tmp_path, [], country="UZ", version=2)
    with pytest.raises(CorrectionsError) as raised:
        load_corrections(path)
    assert raised.value.problems == ["version: must be 1", "country: must be 'KZ'"]


def test_unreadable_corrections_file_is_a_corrections_error(tmp_path: Path) -> None:
    with pytest.raises(CorrectionsError, match="cannot read"):
        load_corrections(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(CorrectionsError, match="not JSON"):
        load_corrections(broken)
