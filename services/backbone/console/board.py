"""The breach board: the audit's open and late obligations, filtered, aged and counted.

A row says since when the handoff waits (its trigger), its deadline and how far past it the
handoff is: for an open breach, overdue by now (it keeps growing); for a late one, done late by
the time between the deadline and the closing event (fixed once done). The age filter and the
order use the age of the failure, how long ago the deadline passed at the evaluation time. The
region filter is the audit's own (``/breaches?region=``), applied by ``access``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from backbone.console.audit_model import Obligation

AGE_CHOICES = (1, 3, 7, 30)  # "deadline passed at least N days ago"
LEVELS = (1, 2)


@dataclass(frozen=True)
class BoardFilter:
    rule: str | None = None
    agency: str | None = None
    level: int | None = None
    min_age_days: int | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> BoardFilter:
        """The filter a query asks for; a value that is not one of the choices is ignored."""
        level = _number(query.get("level"))
        age = _number(query.get("age"))
        return cls(
            rule=query.get("rule") or None,
            agency=query.get("agency") or None,
            level=level if level in LEVELS else None,
            min_age_days=age if age in AGE_CHOICES else None,
        )

    def keeps(self, obligation: Obligation, at: datetime) -> bool:
        return (
            (self.rule is None or obligation.rule == self.rule)
            and (self.agency is None or obligation.owed_by == self.agency)
            and (self.level is None or obligation.level == self.level)
            and (
                self.min_age_days is None
                or at - obligation.deadline >= timedelta(days=self.min_age_days)
            )
        )


@dataclass(frozen=True)
class BoardRow:
    obligation: Obligation
    age: timedelta  # since the deadline passed, at the evaluation time
    overdue: timedelta  # open: overdue by now; late: done late by

    @property
    def done_late(self) -> bool:
        return self.obligation.status == "late"

    @property
    def overdue_days(self) -> int:
        return self.overdue.days

    @property
    def overdue_hours(self) -> int:
        return self.overdue.seconds // 3600


@dataclass(frozen=True)
class CountRow:
    owed_by: str
    rule: str
    status: str
    level: int
    children: int
    breaches: int


def board(breaches: Iterable[Obligation], chosen: BoardFilter, at: datetime) -> list[BoardRow]:
    """The breaches the filter keeps, highest level first, then oldest first."""
    rows = [_row(o, at) for o in breaches if chosen.keeps(o, at)]
    return sorted(rows, key=lambda r: (-r.obligation.level, -r.age, r.obligation.key))


def _row(breach: Obligation, at: datetime) -> BoardRow:
    age = at - breach.deadline
    overdue = breach.overdue_by(at)
    return BoardRow(breach, age, age if overdue is None else overdue)


def counts(rows: Iterable[BoardRow]) -> list[CountRow]:
    """What operations see instead of rows: breaches and distinct children per group."""
    breaches: Counter[tuple[str, str, str, int]] = Counter()
    children: dict[tuple[str, str, str, int], set[str]] = {}
    for row in rows:
        o = row.obligation
        group = (o.owed_by, o.rule, o.status, o.level)
        breaches[group] += 1
        children.setdefault(group, set()).add(o.child_ref)
    return [
        CountRow(*group, children=len(children[group]), breaches=n)
        for group, n in sorted(breaches.items())
    ]


def signature(rows: Iterable[BoardRow], notes: Iterable[str] = ()) -> str:
    """Changes exactly when a breach appears, goes, or changes status or level, or when one of
    ``notes`` (the rows' follow-ups) changes."""
    keys = sorted(f"{r.obligation.key}:{r.obligation.status}:{r.obligation.level}" for r in rows)
    return hashlib.sha256("\n".join([*keys, *notes]).encode()).hexdigest()[:16]


def _number(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None
