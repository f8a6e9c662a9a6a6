"""Kazakhstan working days and the deadline arithmetic of section 6, in ``Asia/Almaty``.

A working day is one the ``holidays`` package (KZ, pinned in pyproject.toml) does not mark as a
weekend or public holiday, transferred working days included (``is_working_day``), unless the
project's corrections file says otherwise. Corrections file format (docs/audit.md)::

    {"format": "backbone/calendar-corrections", "version": 1, "country": "KZ",
     "description": "...",                                      (optional)
     "corrections": [{"date": "2026-01-03", "working": true, "basis": "act or source"}]}

Deadlines are aware datetimes in ``Asia/Almaty``; arithmetic on instants goes through UTC so a
change of offset (UTC+06:00 → UTC+05:00 on 1 March 2024) cannot shift them.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays

# The contract's time zone (section 6), and the one the backbone writes its own event times in.
ALMATY = ZoneInfo("Asia/Almaty")
CORRECTIONS_FORMAT = "backbone/calendar-corrections"
_CORRECTION_KEYS = frozenset({"date", "working", "basis"})
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_FILE_KEYS = frozenset({"format", "version", "country", "description", "corrections"})


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    HOURS = "hours"
    MONTHS = "months"


@dataclass(frozen=True)
class Period:
    amount: int
    unit: Unit


class CorrectionsError(ValueError):
    """The corrections file is unreadable or malformed; ``problems`` lists each defect."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__("\n".join(f"{source}: {p}" for p in problems))
        self.problems = problems


def load_corrections(path: Path | None = None) -> dict[date, bool]:
    """Read a corrections file (the packaged one by default): day → is it a working day."""
    if path is None:
        source = resources.files("backbone.audit.data") / "calendar-corrections.v1.json"
        name, text = source.name, source.read_text(encoding="utf-8")
    else:
        name = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CorrectionsError(name, [f"cannot read: {error}"]) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise CorrectionsError(name, [f"not JSON: {error}"]) from None
    problems: list[str] = []
    corrections = _corrections(document, problems)
    if problems:
        raise CorrectionsError(name, problems)
    return corrections


def _corrections(document: Any, problems: list[str]) -> dict[date, bool]:
    if not isinstance(document, dict):
        problems.append("must be a JSON object")
        return {}
    problems.extend(f"{key}: unknown key" for key in sorted(set(document) - _FILE_KEYS))
    if document.get("format") != CORRECTIONS_FORMAT:
        problems.append(f"format: must be {CORRECTIONS_FORMAT!r}")
    if document.get("version") != 1:
        problems.append("version: must be 1")
    if document.get("country") != "KZ":
        problems.append("country: must be 'KZ'")
    entries = document.get("corrections")
    if not isinstance(entries, list):
        problems.append("corrections: must be an array")
        return {}
    result: dict[date, bool] = {}
    for index, entry in enumerate(entries):
        where = f"corrections[{index}]"
        if not isinstance(entry, dict) or set(entry) != _CORRECTION_KEYS:
            problems.append(f"{where}: must be an object with exactly date, working, basis")
            continue
        try:
            day = date.fromisoformat(entry["date"]) if _DATE.match(str(entry["date"])) else None
        except ValueError:
            day = None
        if day is None:
            problems.append(f"{where}.date: must be a date YYYY-MM-DD")
            continue
        if not isinstance(entry["working"], bool):
            problems.append(f"{where}.working: must be true or false")
        elif not isinstance(entry["basis"], str) or not entry["basis"].strip():
            problems.append(f"{where}.basis: must name the act or source of the correction")
        elif day in result:
            problems.append(f"{where}.date: {day} is corrected twice")
        else:
            result[day] = entry["working"]
    return result


class WorkingCalendar:
    """Kazakhstan's official working days, with the project's corrections applied."""

    def __init__(self, corrections: Mapping[date, bool] | None = None) -> None:
        self._official = holidays.country_holidays("KZ")  # years are added as they are asked
        self._corrections = dict(corrections or {})

    def is_working_day(self, day: date) -> bool:
        if day in self._corrections:
            return self._corrections[day]
        return bool(self._official.is_working_day(day))

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_day_after(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (``day`` itself does not count)."""
        for _ in range(n):
            day = self.next_working_day(day + timedelta(days=1))
        return day

    def deadline(self, trigger_at: datetime, period: Period) -> datetime:
        """The deadline of section 6 for a trigger at ``trigger_at`` (an aware datetime)."""
        if trigger_at.utcoffset() is None:
            raise ValueError("trigger time must carry a UTC offset")
        if period.amount < 1:
            raise ValueError("a period must be at least 1")
        if period.unit is Unit.HOURS:
            later = trigger_at.astimezone(UTC) + timedelta(hours=period.amount)
            return later.astimezone(ALMATY)
        local_day = trigger_at.astimezone(ALMATY).date()
        if period.unit is Unit.WORKING_DAYS:
            return end_of_day(self.working_day_after(local_day, period.amount))
        return end_of_day(self.next_working_day(add_months(local_day, period.amount)))


def add_months(day: date, months: int) -> date:
    """The same day of the month ``months`` later, or that month's last day if it is shorter."""
    year, month_index = divmod(day.month - 1 + months, 12)
    year += day.year
    last = calendar.monthrange(year, month_index + 1)[1]
    return date(year, month_index + 1, min(day.day, last))


def end_of_day(day: date) -> datetime:
    """24:00 of ``day`` in Almaty, i.e. 00:00 of the next day."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=ALMATY)


def render(moment: datetime) -> str:
    """RFC 3339 in ``Asia/Almaty``, e.g. ``2026-12-15T00:00:00+05:00``."""
    return moment.astimezone(ALMATY).isoformat()


def parse_instant(text: str) -> datetime | None:
    """An RFC 3339 date-time with a UTC offset (``--as-of``, ``as_of``), or ``None``."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if "T" not in text.upper() or moment.utcoffset() is None:
        return None
    return moment


def kazakhstan_calendar(corrections_path: Path | None = None) -> WorkingCalendar:
    """The calendar with the packaged corrections, or those in ``corrections_path``."""
    return WorkingCalendar(load_corrections(corrections_path))
