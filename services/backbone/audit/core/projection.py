"""Queries over the stored headers at a time *t*: the replay's own code path, nothing else.

Every answer is ``replay.replay_events`` over stored events, so the live service, a rebuild and
``backbone audit replay`` give the same pathways and obligations for the same events and *t*.
A child's answers use its ``closure`` (``store``), which gives the verdicts of the whole log.

A child's judgement at *t* (its pathway and obligations) is kept and reused for a later *t'* as
long as nothing can have changed it: no event entered its closure since (``store.version``) and
*t'* is before the next instant at which its obligations change by time alone (``next_check``:
a pending deadline passing, an open breach reaching level 2, an event stamped in the future
coming into the evaluation; all in UTC). So the answers over all children (``breaches``,
``obligations``, ``pathways``) re-judge only the children that changed, not the whole log on
every request. Obligations are kept for every child; a pathway, which holds the child's events,
only for the ``PATHWAYS_KEPT`` children judged last, so the memory kept grows with the
children, not with their events (``pathways`` over every child judges again those it no longer
holds; the funnel's ``valid_events`` need not: the kept judgement names the rejected events). A
*t* outside the kept window is judged afresh, and that judgement is kept instead: a query far
in the past or the future costs the next query at the present one re-judgement of the children
it touched.
``tests/audit/test_audit_judged.py`` compares the kept answers with fresh replays at every
instant where an answer can change, and around it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from backbone.audit.core.calendar import WorkingCalendar
from backbone.audit.core.notices import next_check
from backbone.audit.core.pathway import Pathway
from backbone.audit.core.replay import Rejected, Replay, replay_events
from backbone.audit.core.rules import RuleSet
from backbone.audit.core.sla import Obligation, Status
from backbone.audit.core.store import EventStore
from backbone.domain.events import Event

BREACH = frozenset({Status.OPEN, Status.LATE})
_NEVER = datetime.max.replace(tzinfo=UTC)
_NONE: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Judged:
    """A child's obligations at *t*, in output order, valid for every *t* in [``since``,
    ``until``) while the store's ``version`` of the child is ``version``."""

    obligations: tuple[Obligation, ...]
    since: datetime
    until: datetime
    version: tuple[int, int]
    rejected: frozenset[str] = frozenset()  # the child's own events the lifecycle rejects

    def valid(self, version: tuple[int, int], at: datetime) -> bool:
        return self.version == version and self.since <= at < self.until


# Pathways kept for the children asked for last (a pathway holds its child's events; the
# obligations of every child are kept).
PATHWAYS_KEPT = 256


@dataclass(frozen=True)
class Projection:
    store: EventStore
    rules: RuleSet
    calendar: WorkingCalendar
    _judged: dict[str, Judged] = field(default_factory=dict, compare=False, repr=False)
    _pathways: OrderedDict[str, tuple[Judged, Pathway | None]] = field(
        default_factory=OrderedDict, compare=False, repr=False
    )

    def judged(self, child_ref: str, at: datetime) -> Judged:
        """The child's obligations at ``at``, reused while they cannot differ."""
        kept = self._judged.get(child_ref)
        if kept is not None and kept.valid(self.store.version(child_ref), at):
            return kept
        return self._judge(child_ref, at)[0]

    def _judge(self, child_ref: str, at: datetime) -> tuple[Judged, Pathway | None]:
        version = self.store.version(child_ref)
        earliest = self.store.earliest(child_ref)
        if earliest is not None and at < earliest:  # nothing of the child has occurred yet
            return Judged((), at, earliest, version), None
        own, closure = own_replay(self.store, child_ref, at, self.rules, self.calendar)
        until = next_check(own.obligations, closure, at) or _NEVER
        rejected = frozenset(r.event_id for r in own.rejected)
        judged = Judged(own.obligations, at, until, version, rejected or _NONE)
        self._judged[child_ref] = judged  # the latest judged is kept, whatever its t
        pathway = own.pathways[0] if own.pathways else None
        self._pathways[child_ref] = (judged, pathway)
        self._pathways.move_to_end(child_ref)
        while len(self._pathways) > PATHWAYS_KEPT:
            self._pathways.popitem(last=False)
        return judged, pathway

    def next_check(self, child_ref: str, at: datetime) -> datetime | None:
        """``notices.next_check`` of the child at ``at``: the end of its judgement's window."""
        until = self.judged(child_ref, at).until
        return None if until == _NEVER else until

    def valid_events(self, child_ref: str, at: datetime) -> list[Event]:
        """The child's own events at ``at`` that the lifecycle does not reject, in time order:
        its pathway's timeline without the rejected steps, from its kept judgement and its
        events, without judging it again."""
        rejected = self.judged(child_ref, at).rejected
        own = [e for e in self.store.events(child_ref) if e.occurred_at <= at]
        return sorted((e for e in own if e.event_id not in rejected), key=lambda e: e.sort_key)

    def pathway(self, child_ref: str, at: datetime) -> Pathway | None:
        if child_ref not in self.store:
            return None
        kept = self._pathways.get(child_ref)
        if kept is not None and kept[0].valid(self.store.version(child_ref), at):
            self._pathways.move_to_end(child_ref)
            return kept[1]
        return self._judge(child_ref, at)[1]

    def obligations(self, child_ref: str, at: datetime) -> tuple[Obligation, ...]:
        """The child's obligations at ``at``, in output order."""
        return self.judged(child_ref, at).obligations if child_ref in self.store else ()

    def pathways(self, at: datetime) -> list[Pathway]:
        """Every child's pathway at ``at``, by ``child_ref``: ``replay_events(...).pathways``
        over the whole store."""
        judged = (self.pathway(child_ref, at) for child_ref in sorted(self.store.children()))
        return [pathway for pathway in judged if pathway is not None]

    def all_obligations(
        self, at: datetime, *, region: str | None = None, agency: str | None = None
    ) -> list[Obligation]:
        """Every obligation at ``at`` in output order (``replay_events(...).obligations`` over
        the whole store), or those of the trigger's ``region`` and owed by ``agency``."""
        found = [
            o
            for c in self.store.children()
            for o in self.judged(c, at).obligations
            if (agency is None or o.owed_by == agency)
            and (region is None or self.region(o) == region)
        ]
        return sorted(found, key=lambda o: o.sort_key)

    def breaches(
        self, at: datetime, *, region: str | None = None, agency: str | None = None
    ) -> list[Obligation]:
        """Obligations open or late at ``at`` (level ≥ 1), by the trigger's region and owner."""
        found = self.all_obligations(at, region=region, agency=agency)
        return [o for o in found if o.status in BREACH]

    def region(self, obligation: Obligation) -> str | None:
        """The region of the obligation's trigger event."""
        trigger = self.store.event(obligation.trigger_event_id)
        return None if trigger is None else trigger.region


def own_replay(
    store: EventStore, child_ref: str, at: datetime, rules: RuleSet, calendar: WorkingCalendar
) -> tuple[Replay, list[Event]]:
    """The child's own part of the replay of its closure at ``at`` (its pathway, obligations and
    the rejections of its own events: what a replay of the whole log gives it), and the
    closure's events."""
    closure = store.closure(child_ref)
    replay = replay_events(closure, at, rules, calendar)
    events = [event for _, event in closure]
    own = {event.event_id for event in events if event.child_ref == child_ref}
    return Replay(
        tuple(p for p in replay.pathways if p.child_ref == child_ref),
        tuple(o for o in replay.obligations if o.child_ref == child_ref),
        tuple(r for r in replay.rejected if r.event_id in own),
    ), events


def replay_store(
    store: EventStore,
    at: datetime,
    rules: RuleSet,
    calendar: WorkingCalendar,
    *,
    pathways: bool = True,
) -> Replay:
    """``replay_events`` over every event of ``store`` (numbered by its arrival numbers), judged
    one child's closure at a time: the same pathways, obligations and rejections, while only one
    child's events are held at once (and the report; without its pathways if not ``pathways``)."""
    found: list[Pathway] = []
    obligations: list[Obligation] = []
    rejected: list[Rejected] = []
    for child_ref in sorted(store.children()):
        earliest = store.earliest(child_ref)
        if earliest is None or at < earliest:  # nothing of the child has occurred by ``at``
            continue
        own, _ = own_replay(store, child_ref, at, rules, calendar)
        if pathways:
            found += own.pathways
        obligations += own.obligations
        rejected += own.rejected
    obligations.sort(key=lambda o: o.sort_key)
    rejected.sort(key=lambda r: (r.line, r.event_id))
    return Replay(tuple(found), tuple(obligations), tuple(rejected))
