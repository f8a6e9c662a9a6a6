"""Placing events in time the way agencies work: instants after a start, or working days.

Day 0 is the start's calendar day in ``Asia/Almaty``; day *k* ≥ 1 is the *k*-th Kazakhstan
working day after it (the audit's calendar, so the deadlines the audit computes and the days the
generator acts on agree). Times are written with the Almaty offset, as an agency would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from backbone.audit.core.calendar import ALMATY, WorkingCalendar
from backbone.scenario.placement import local

__all__ = ["Clock", "local"]


@dataclass(frozen=True)
class Clock:
    start: datetime
    calendar: WorkingCalendar

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", local(self.start))

    def after(self, minutes: float) -> datetime:
        """``minutes`` after the start."""
        return self.start + timedelta(minutes=minutes)

    def day(self, k: int) -> date:
        """Day 0 is the start's date; day ``k`` ≥ 1 its ``k``-th working day after."""
        return self.calendar.working_day_after(self.start.date(), k) if k else self.start.date()

    def at(self, k: int, hour: int, minute: int = 0) -> datetime:
        """Local ``hour:minute`` on day ``k``."""
        return datetime.combine(self.day(k), time(hour, minute), tzinfo=ALMATY)

    def working_days_after(self, moment: datetime, k: int, minute_of_day: int) -> datetime:
        """The ``k``-th working day after ``moment``'s local date, at ``minute_of_day``."""
        day = self.calendar.working_day_after(local(moment).date(), k)
        return datetime.combine(day, time(0), tzinfo=ALMATY) + timedelta(minutes=minute_of_day)
