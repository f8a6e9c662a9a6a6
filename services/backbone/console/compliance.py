"""Per-agency compliance over a period: obligations met on time, late and still open.

An obligation belongs to the period in which its deadline falls. A deadline is the end of a
day (00:00 of the next, Asia/Almaty), so the period ``since``..``until`` (whole Almaty days)
takes deadlines after ``since`` 00:00 and up to ``until`` 24:00. Pending and cancelled
obligations are not counted: nothing was owed yet, or the referral was withdrawn in time.

A period given in the query is checked, never guessed: a value that is not an ISO date, a day
outside ``EARLIEST``..``LATEST`` or a start after the end raises ``PeriodInvalid`` with a message
that names the field and the value, and the page answers 400 with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from backbone.audit.core.calendar import ALMATY
from backbone.console.audit_model import Obligation

DEFAULT_DAYS = 30
COUNTED = ("met", "late", "open")
# The days a period may name: the backbone's records start in this century, and every day in
# between has a next day (a period ends at 24:00 of its last day).
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SHOWN = 40  # characters of a refused value repeated in the message


class QueryInvalid(ValueError):
    """A query value a page cannot use (the page answers 400 with it). ``str()`` is the reason
    in the active language (the message is translated when shown, not when raised)."""

    def __init__(self, template: Promise, **params: str) -> None:
        super().__init__(template, params)
        self.template, self.params = template, params

    def __str__(self) -> str:
        return str(self.template) % self.params


class PeriodInvalid(QueryInvalid):
    """A ``since``/``until`` query the compliance page (or a filter of the children list)
    cannot use."""


@dataclass(frozen=True)
class Period:
    since: date
    until: date

    @classmethod
    def from_query(cls, query: Mapping[str, str], today: date) -> Period:
        """``since``/``until`` as ISO dates (``YYYY-MM-DD``); by default the last 30 days up to
        today. Raises ``PeriodInvalid`` for a value it cannot use (nothing is swapped or
        replaced without a word)."""
        until = _day(query, "until") or today
        since = _day(query, "since") or max(EARLIEST, until - timedelta(days=DEFAULT_DAYS - 1))
        if since > until:
            raise PeriodInvalid(
                _("The period starts on %(since)s, after its end on %(until)s."),
                since=since.isoformat(),
                until=until.isoformat(),
            )
        return cls(since, until)

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


def shown(text: str) -> str:
    """A refused value as a message repeats it: at most ``_SHOWN`` characters."""
    return text[:_SHOWN] + ("…" if len(text) > _SHOWN else "")


def _day(query: Mapping[str, str], field: str) -> date | None:
    text = query.get(field)
    if not text:
        return None
    try:
        day = date.fromisoformat(text) if _ISO_DAY.fullmatch(text) else None
    except ValueError:  # 2026-02-30
        day = None
    if day is None:
        raise PeriodInvalid(
            _("%(field)s: “%(value)s” is not a date of the form YYYY-MM-DD."),
            field=field,
            value=shown(text),
        )
    if not EARLIEST <= day <= LATEST:
        raise PeriodInvalid(
            _("%(field)s: %(value)s is not between %(first)s and %(last)s."),
            field=field,
            value=day.isoformat(),
            first=EARLIEST.isoformat(),
            last=LATEST.isoformat(),
        )
    return day
