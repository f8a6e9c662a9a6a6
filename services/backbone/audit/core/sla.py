"""The SLA evaluator (docs/audit.md): obligations at an evaluation time *t*.

``evaluate`` considers exactly the valid events (lifecycle verdicts) with ``occurred_at`` ≤ *t*.
Each valid trigger opens one obligation per owing agency, identified by (rule, trigger event id,
owed_by). It is closed by the earliest valid expected event at or after the trigger's instant
(never the trigger itself) or, for referral-scope rules, by a valid withdrawal of the referral
that comes first. Status and level follow the contract; the result is sorted by deadline, rule,
trigger event id and owing agency, and depends only on the events and *t*.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from backbone.audit.core.calendar import WorkingCalendar, render
from backbone.audit.core.rules import Match, Rule, RuleSet, Scope
from backbone.domain.events import Event
from backbone.domain.lifecycle import Judgement

# Fixed for ever: live SlaBreached / SlaBreachResolved ids are uuid5 names in this namespace, so
# a rebuild re-emits the ids it emitted before.
SLA_NAMESPACE = uuid.UUID("fe419815-12b0-4414-b683-fd5de587d0d4")


class Status(StrEnum):
    MET = "met"
    LATE = "late"
    CANCELLED = "cancelled"
    OPEN = "open"
    PENDING = "pending"


@dataclass(frozen=True)
class Obligation:
    rule: str
    child_ref: str
    referral_id: str | None
    owed_by: str
    trigger_event_id: str
    triggered_at: datetime
    deadline: datetime
    status: Status
    level: int
    closed_by_event_id: str | None
    closed_at: datetime | None = None  # the closing event's occurred_at

    @property
    def key(self) -> tuple[str, str, str]:
        """The obligation's identity: (rule, trigger event id, owing agency)."""
        return (self.rule, self.trigger_event_id, self.owed_by)

    @property
    def sort_key(self) -> tuple[datetime, str, str, str]:
        return (self.deadline.astimezone(UTC), self.rule, self.trigger_event_id, self.owed_by)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "child_ref": self.child_ref,
            "referral_id": self.referral_id,
            "owed_by": self.owed_by,
            "trigger_event_id": self.trigger_event_id,
            "deadline": render(self.deadline),
            "status": self.status.value,
            "level": self.level,
            "closed_by_event_id": self.closed_by_event_id,
        }

    def to_api_json(self) -> dict[str, Any]:
        """``to_json`` (the replay's and the contract's form) and, for the audit's HTTP API,
        when the obligation began and when it was closed (its trigger's and its closing
        event's ``occurred_at``; ``closed_at`` null while it is not closed)."""
        return {
            **self.to_json(),
            "triggered_at": render(self.triggered_at),
            "closed_at": None if self.closed_at is None else render(self.closed_at),
        }


def evaluate(
    judgement: Judgement, at: datetime, rules: RuleSet, calendar: WorkingCalendar
) -> tuple[Obligation, ...]:
    """Every obligation at evaluation time ``at`` (an aware datetime), in output order."""
    if at.utcoffset() is None:
        raise ValueError("the evaluation time must carry a UTC offset")
    valid = [e for e in judgement.valid if e.occurred_at <= at]
    by_subject: dict[tuple[Scope, str], list[Event]] = defaultdict(list)
    for event in valid:  # time order is kept in each list
        by_subject[(Scope.CHILD, event.child_ref)].append(event)
        if event.referral_id is not None:
            by_subject[(Scope.REFERRAL, event.referral_id)].append(event)
    obligations = [
        _obligation(rule, trigger, owed_by, by_subject[_subject(rule, trigger)], at, calendar)
        for trigger in valid
        for rule in rules.triggered_by(trigger)
        if not rule.trigger.referral_transition or trigger.event_id in judgement.transitions
        for owed_by in rule.owing_agencies(trigger, _issuer(judgement, trigger))
    ]
    return tuple(sorted(obligations, key=lambda o: o.sort_key))


def _issuer(judgement: Judgement, trigger: Event) -> str | None:
    referral = judgement.referrals.get(trigger.referral_id) if trigger.referral_id else None
    return None if referral is None else referral.issuer


def _subject(rule: Rule, trigger: Event) -> tuple[Scope, str]:
    """The events to look through for the closing one: a referral-scope rule's expected events
    share the trigger's referral, unless they are matched by causation (then the child's)."""
    if rule.scope is Scope.REFERRAL and rule.match is Match.SCOPE:
        assert trigger.referral_id is not None  # rules.py admits only such triggers here
        return (Scope.REFERRAL, trigger.referral_id)
    return (Scope.CHILD, trigger.child_ref)


def _obligation(
    rule: Rule,
    trigger: Event,
    owed_by: str,
    subject_events: Sequence[Event],
    at: datetime,
    calendar: WorkingCalendar,
) -> Obligation:
    began, now = _utc(trigger.occurred_at), _utc(at)
    deadline = calendar.deadline(began, rule.within)
    due = _utc(deadline)
    closing, by_withdrawal = _closing_event(rule, trigger, owed_by, subject_events)
    if closing is None:
        status, overdue_at = (Status.OPEN if now > due else Status.PENDING), now
    else:
        overdue_at = _utc(closing.occurred_at)
        if overdue_at > due:
            status = Status.LATE
        else:
            status = Status.CANCELLED if by_withdrawal else Status.MET
    level = 0
    if status in (Status.LATE, Status.OPEN):
        level = 1 if overdue_at - due <= due - began else 2
    return Obligation(
        rule=rule.id,
        child_ref=trigger.child_ref,
        referral_id=trigger.referral_id,
        owed_by=owed_by,
        trigger_event_id=trigger.event_id,
        triggered_at=trigger.occurred_at,
        deadline=deadline,
        status=status,
        level=level,
        closed_by_event_id=None if closing is None else closing.event_id,
        closed_at=None if closing is None else closing.occurred_at,
    )


def _closing_event(
    rule: Rule, trigger: Event, owed_by: str, subject_events: Sequence[Event]
) -> tuple[Event | None, bool]:
    """The first event in time order that closes the obligation, and whether it withdraws."""
    for event in subject_events:
        if event.occurred_at < trigger.occurred_at:
            continue
        if rule.closes(trigger, owed_by, event):
            return event, False
        if (
            rule.scope is Scope.REFERRAL
            and event.event_type == "ReferralWithdrawn"
            and event.referral_id == trigger.referral_id
            and event.sort_key > trigger.sort_key
        ):
            return event, True
    return None, False


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def breach_event_id(rule: str, trigger_event_id: str, owed_by: str, level: int) -> str:
    """The ``event_id`` of the live ``SlaBreached`` for an obligation at ``level``."""
    return _derived_id("SlaBreached", rule, trigger_event_id, owed_by, level)


def resolution_event_id(rule: str, trigger_event_id: str, owed_by: str, level: int) -> str:
    """The ``event_id`` of the live ``SlaBreachResolved`` closing the breach at ``level``."""
    return _derived_id("SlaBreachResolved", rule, trigger_event_id, owed_by, level)


def _derived_id(kind: str, rule: str, trigger_event_id: str, owed_by: str, level: int) -> str:
    name = json.dumps([kind, rule, trigger_event_id, owed_by, level], separators=(",", ":"))
    return str(uuid.uuid5(SLA_NAMESPACE, name))
