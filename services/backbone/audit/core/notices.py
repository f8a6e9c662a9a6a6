"""When the live audit emits ``SlaBreached`` and ``SlaBreachResolved`` (docs/audit.md).

Pure: a function of a child's obligations at *t* and of what was already emitted for it.

* ``SlaBreached`` level *L* (1 or 2) once per obligation and level, as soon as an evaluation
  shows the obligation breached (``open`` or ``late``) at level ≥ *L*. An obligation first seen
  at level 2 gets level 1 and level 2, so the ids emitted do not depend on when the audit looked.
* ``SlaBreachResolved`` level *L* once per emitted breach, as soon as the obligation is closed
  (``late``, or ``met``/``cancelled`` when a late-arriving event closed it in time) or no longer
  exists (its trigger turned out invalid); ``closed_by_event_id`` is then null.
* A resolved breach is never re-opened; the projection always shows the current verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from backbone.audit.core.sla import Obligation, Status, breach_event_id, resolution_event_id
from backbone.domain.events import Event

LEVELS = (1, 2)
BREACHED = frozenset({Status.OPEN, Status.LATE})
CLOSED = frozenset({Status.MET, Status.LATE, Status.CANCELLED})
# The first instant at which "t > D" holds for an evaluation.
_JUST_AFTER = timedelta(microseconds=1)

Key = tuple[str, str, str, int]  # rule, trigger event id, owing agency, level


class Kind(StrEnum):
    BREACHED = "SlaBreached"
    RESOLVED = "SlaBreachResolved"


@dataclass(frozen=True)
class Notice:
    kind: Kind
    key: Key
    obligation: Obligation | None  # None: a resolution of an obligation that no longer exists

    @property
    def event_id(self) -> str:
        derive = breach_event_id if self.kind is Kind.BREACHED else resolution_event_id
        return derive(*self.key)


@dataclass(frozen=True)
class Emitted:
    """What was emitted for one child; stored as JSON in the ``emitted`` table."""

    breached: frozenset[Key] = field(default_factory=frozenset)
    resolved: frozenset[Key] = field(default_factory=frozenset)

    def with_notice(self, notice: Notice) -> Emitted:
        if notice.kind is Kind.BREACHED:
            return Emitted(self.breached | {notice.key}, self.resolved)
        return Emitted(self.breached, self.resolved | {notice.key})

    def open_levels(self) -> list[int]:
        """One level per breached obligation not resolved yet: the highest emitted."""
        levels: dict[tuple[str, str, str], int] = {}
        for rule, trigger, owed_by, level in self.breached - self.resolved:
            key = (rule, trigger, owed_by)
            levels[key] = max(levels.get(key, 0), level)
        return list(levels.values())

    def to_json(self) -> dict[str, Any]:
        return {"breached": sorted(self.breached), "resolved": sorted(self.resolved)}

    @classmethod
    def from_json(cls, raw: Any) -> Emitted:
        if raw is None:
            return cls()
        return cls(
            frozenset(_key(k) for k in raw["breached"]), frozenset(_key(k) for k in raw["resolved"])
        )


def _key(raw: Sequence[Any]) -> Key:
    return (str(raw[0]), str(raw[1]), str(raw[2]), int(raw[3]))


def notices(obligations: Iterable[Obligation], emitted: Emitted) -> list[Notice]:
    """What to emit now for a child whose obligations (at the same *t*) are ``obligations``."""
    current = {o.key: o for o in obligations}
    due: list[Notice] = []
    breached = set(emitted.breached)
    for obligation in current.values():
        if obligation.status in BREACHED:
            for level in LEVELS[: obligation.level]:
                key = (*obligation.key, level)
                if key not in breached:
                    due.append(Notice(Kind.BREACHED, key, obligation))
                    breached.add(key)
    for key in sorted(breached - emitted.resolved):
        found = current.get(key[:3])
        if found is None or found.status in CLOSED:
            due.append(Notice(Kind.RESOLVED, key, found))
    return due


def breach_moment(obligation: Obligation, level: int) -> datetime:
    """When the obligation reached ``level``: its deadline *D*, or *D* + (*D* - *T*) for 2, in
    UTC (as ``sla.evaluate`` counts: on a zone's wall clock an hour would be lost or repeated
    where the span crosses an offset change, such as Almaty's on 2024-03-01)."""
    deadline = obligation.deadline.astimezone(UTC)
    if level == 1:
        return deadline
    return deadline + (deadline - obligation.triggered_at.astimezone(UTC))


def next_check(
    obligations: Iterable[Obligation], events: Iterable[Event], now: datetime
) -> datetime | None:
    """The first instant after ``now`` at which the child's notices can change without news.

    That is a pending deadline passing, an open level-1 breach reaching level 2, or an event
    stamped in the future coming into the evaluation.
    """
    moments = [e.occurred_at for e in events if e.occurred_at > now]
    for o in obligations:
        if o.status is Status.PENDING:
            moments.append(breach_moment(o, 1) + _JUST_AFTER)
        elif o.status is Status.OPEN and o.level == 1:
            moments.append(breach_moment(o, 2) + _JUST_AFTER)
    return min(moments, default=None)
