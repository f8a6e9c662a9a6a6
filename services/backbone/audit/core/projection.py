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
every request. A *t* outside the kept window is judged afresh, and that judgement is kept
instead: a query far in the past or the future costs the next query at the present one
re-judgement of the children it touched. ``tests/audit/test_audit_judged.py`` compares the kept
answers with fresh replays at every instant where an answer can change, and around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from backbone.audit.core.calendar import WorkingCalendar
from backbone.audit.core.notices import next_check
from backbone.audit.core.pathway import Pathway
from backbone.audit.core.replay import Replay, replay_events
from backbone.audit.core.rules import RuleSet
from backbone.audit.core.sla import Obligation, Status
from backbone.audit.core.store import EventStore

BREACH = frozenset({Status.OPEN, Status.LATE})
_NEVER = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Judged:
    """A child's pathway (``None`` before its first event) and obligations, in output order,
    valid for every *t* in [``since``, ``until``) while the store's ``version`` of the child is
    ``version``."""

    pathway: Pathway | None
    obligations: tuple[Obligation, ...]
    since: datetime
    until: datetime
    version: tuple[int, int]


@dataclass(frozen=True)
class Projection:
    store: EventStore
    rules: RuleSet
    calendar: WorkingCalendar
    _judged: dict[str, Judged] = field(default_factory=dict, compare=False, repr=False)

    def child(self, child_ref: str, at: datetime) -> Replay:
        """The replay of the child's closure at ``at`` (other children's pathways included)."""
        return replay_events(self.store.closure(child_ref), at, self.rules, self.calendar)

    def judged(self, child_ref: str, at: datetime) -> Judged:
        """The child's pathway and obligations at ``at``, reused while they cannot differ."""
        version = self.store.version(child_ref)
        kept = self._judged.get(child_ref)
        if kept is not None and kept.version == version and kept.since <= at < kept.until:
            return kept
        closure = self.store.closure(child_ref)
        replay = replay_events(closure, at, self.rules, self.calendar)
        found = [p for p in replay.pathways if p.child_ref == child_ref]
        obligations = tuple(o for o in replay.obligations if o.child_ref == child_ref)
        until = next_check(obligations, (event for _, event in closure), at) or _NEVER
        judged = Judged(found[0] if found else None, obligations, at, until, version)
        self._judged[child_ref] = judged  # the latest judged is kept, whatever its t
        return judged

    def pathway(self, child_ref: str, at: datetime) -> Pathway | None:
        if child_ref not in self.store:
            return None
        return self.judged(child_ref, at).pathway

    def obligations(self, child_ref: str, at: datetime) -> tuple[Obligation, ...]:
        """The child's obligations at ``at``, in output order."""
        return self.judged(child_ref, at).obligations if child_ref in self.store else ()

    def pathways(self, at: datetime) -> list[Pathway]:
        """Every child's pathway at ``at``, by ``child_ref``: ``replay_events(...).pathways``
        over the whole store."""
        judged = (self.judged(child_ref, at).pathway for child_ref in sorted(self.store.children()))
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
