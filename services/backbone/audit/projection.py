"""Queries over the stored headers at a time *t*: the replay's own code path, nothing else.

Every answer is ``replay.replay_events`` over stored events, so the live service, a rebuild and
``backbone audit replay`` give the same pathways and obligations for the same events and *t*.
A child's answers use its ``closure`` (``store``), which gives the verdicts of the whole log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backbone.audit.calendar import WorkingCalendar
from backbone.audit.pathway import Pathway
from backbone.audit.replay import Replay, judge_and_evaluate, replay_events
from backbone.audit.rules import RuleSet
from backbone.audit.sla import Obligation, Status
from backbone.audit.store import EventStore

BREACH = frozenset({Status.OPEN, Status.LATE})


@dataclass(frozen=True)
class Projection:
    store: EventStore
    rules: RuleSet
    calendar: WorkingCalendar

    def child(self, child_ref: str, at: datetime) -> Replay:
        """The replay of the child's closure at ``at`` (other children's pathways included)."""
        return replay_events(self.store.closure(child_ref), at, self.rules, self.calendar)

    def pathway(self, child_ref: str, at: datetime) -> Pathway | None:
        if child_ref not in self.store:
            return None
        found = [p for p in self.child(child_ref, at).pathways if p.child_ref == child_ref]
        return found[0] if found else None

    def obligations(self, child_ref: str, at: datetime) -> tuple[Obligation, ...]:
        """The child's obligations at ``at``, in output order (``replay_events`` without the
        pathway fold)."""
        events = (event for _, event in self.store.closure(child_ref))
        _, obligations = judge_and_evaluate(events, at, self.rules, self.calendar)
        return tuple(o for o in obligations if o.child_ref == child_ref)

    def everything(self, at: datetime) -> Replay:
        """The whole store at ``at``: what ``backbone audit replay`` prints for the same events."""
        return replay_events(self.store.numbered(), at, self.rules, self.calendar)

    def breaches(
        self, at: datetime, *, region: str | None = None, agency: str | None = None
    ) -> list[Obligation]:
        """Obligations open or late at ``at`` (level ≥ 1), by the trigger's region and owner."""
        return [
            o
            for o in self.everything(at).obligations
            if o.status in BREACH
            and (agency is None or o.owed_by == agency)
            and (region is None or self._region(o) == region)
        ]

    def _region(self, obligation: Obligation) -> str | None:
        trigger = self.store.event(obligation.trigger_event_id)
        return None if trigger is None else trigger.region


def pathway_json(pathway: Pathway, at: datetime) -> dict[str, Any]:
    return {"as_of": at.isoformat(), "pathway": pathway.to_json()}
