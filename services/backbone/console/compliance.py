"""Per-agency compliance over a period: obligations met on time, late and still open.

An obligation belongs to the period in which its deadline falls. A deadline is the end of a
day (00:00 of the next, Asia/Almaty), so the period ``since``..``until`` (whole Almaty days)
takes deadlines after ``since`` 00:00 and up to ``until`` 24:00. Pending and cancelled
obligations are not counted: nothing was owed yet, or the referral was withdrawn in time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from backbone.audit.calendar import ALMATY
from backbone.console.audit_model import Obligation

DEFAULT_DAYS = 30
COUNTED = ("met", "late", "open")


@dataclass(frozen=True)
class Period:
    since: date
    until: date

    @classmethod
    def from_query(cls, query: Mapping[str, str], today: date) -> Period:
        """``since``/``until`` as ISO dates; by default the last 30 days up to today."""
        until = _day(query.get("until")) or today
        since = _day(query.get("since")) or until - timedelta(days=DEFAULT_DAYS - 1)
        return cls(since, until) if since <= until else cls(until, since)

    def contains(self, deadline: datetime) -> bool:
        start = datetime.combine(self.since, time(), ALMATY)
        end = datetime.combine(self.until + timedelta(days=1), time(), ALMATY)
        return start < deadline <= end


@dataclass(frozen=True)
class Tally:
    agency: str
    met: int = 0
    late: int = 0
    open: int = 0

    @property
    def total(self) -> int:
        return self.met + self.late + self.open

    @property
    def on_time_percent(self) -> int:
        return round(100 * self.met / self.total) if self.total else 0


def tally(obligations: Iterable[Obligation], period: Period) -> list[Tally]:
    """One tally per owing agency with anything counted in the period, by agency id."""
    counts: dict[str, dict[str, int]] = {}
    for o in obligations:
        if o.status in COUNTED and period.contains(o.deadline):
            agency = counts.setdefault(o.owed_by, dict.fromkeys(COUNTED, 0))
            agency[o.status] += 1
    return [Tally(agency, **c) for agency, c in sorted(counts.items())]


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
