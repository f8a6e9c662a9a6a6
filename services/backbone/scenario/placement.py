"""Moving a recorded run to another start: by working days, so that every verdict holds.

The recorded run's day 0 is its start's date in Almaty time; every later step happened on a
working day, its *rank* the number of working days from day 0 to it. A play at ``start`` puts

* a day-0 instant as long after ``start`` as it was after the recorded start (minutes after the
  raid, across midnight if the start is late in the evening);
* a later instant at the same local time on the working day of the same rank after ``start``'s
  date (the audit's calendar, holidays and corrections included).

A period counted in working days therefore spans the same working days in every play, so a step
that met, missed or is still within its deadline in the recording does so at any start; only
escalation levels, counted in calendar time, can move. A calendar date in a payload (a planned
first contact, a contract's end, a birth date) keeps its distance in days from its event's date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from backbone.audit.core.calendar import ALMATY, WorkingCalendar


def local(moment: datetime) -> datetime:
    """``moment`` in Almaty time; it must carry an offset."""
    if moment.utcoffset() is None:
        raise ValueError("a scenario time must carry a UTC offset")
    return moment.astimezone(ALMATY)


@dataclass(frozen=True)
class Placement:
    recorded: datetime  # the recorded run's start
    start: datetime  # the play's start
    calendar: WorkingCalendar

    def instant(self, moment: datetime) -> datetime:
        """Where the recorded ``moment`` falls in the play."""
        recorded, moment = local(self.recorded), local(moment)
        if moment.date() == recorded.date():
            return local(self.start) + (moment - recorded)
        day = self.calendar.working_day_after(local(self.start).date(), self._rank(moment.date()))
        return datetime.combine(day, moment.time(), tzinfo=ALMATY)

    def date_shift(self, moment: datetime) -> timedelta:
        """How far the date of the recorded ``moment`` moves in the play."""
        return self.instant(moment).date() - local(moment).date()

    def _rank(self, day: date) -> int:
        """The working days from the recorded day 0 to ``day``, a working day after it."""
        origin = local(self.recorded).date()
        if day < origin or not self.calendar.is_working_day(day):
            raise ValueError(f"a recorded step on {day} is not on a working day of the story")
        rank = 0
        while origin < day:
            origin = self.calendar.next_working_day(origin + timedelta(days=1))
            rank += 1
        return rank
