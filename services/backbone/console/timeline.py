"""A child's pathway as a supervisor reads it: a timeline across agencies and where it stalls.

Each agency gets a lane (in order of first appearance); each step sits in its producer's lane,
with the recipients of a referral it issued and the obligations it opened or closed. A stall is
an ``open`` obligation: the handoff it waits for, who owes it, since when and the deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backbone.console.audit_model import Obligation, Pathway, Referral, Step


@dataclass(frozen=True)
class TimelineRow:
    step: Step
    lane: int
    recipients: tuple[str, ...]
    opens: tuple[Obligation, ...]
    closes: tuple[Obligation, ...]


@dataclass(frozen=True)
class Stall:
    obligation: Obligation
    waiting_since: datetime | None  # the trigger's time
    referral: Referral | None
    recipient_state: str | None  # where the owing agency's copy of the referral stands


@dataclass(frozen=True)
class TimelineView:
    lanes: tuple[str, ...]
    rows: tuple[TimelineRow, ...]
    stalls: tuple[Stall, ...]
    obligations: tuple[Obligation, ...]


def timeline(pathway: Pathway) -> TimelineView:
    referrals = {r.referral_id: r for r in pathway.referrals}
    lanes: list[str] = []
    for step in pathway.steps:
        for agency in (step.producer, *_recipients(step, referrals)):
            if agency not in lanes:
                lanes.append(agency)
    steps = {s.event_id: s for s in pathway.steps}
    rows = tuple(
        TimelineRow(
            step=step,
            lane=lanes.index(step.producer),
            recipients=_recipients(step, referrals),
            opens=tuple(o for o in pathway.obligations if o.trigger_event_id == step.event_id),
            closes=tuple(o for o in pathway.obligations if o.closed_by_event_id == step.event_id),
        )
        for step in pathway.steps
    )
    stalls = tuple(
        _stall(o, steps, referrals)
        for o in sorted(pathway.obligations, key=lambda o: (-o.level, o.deadline))
        if o.status == "open"
    )
    return TimelineView(tuple(lanes), rows, stalls, pathway.obligations)


def _recipients(step: Step, referrals: dict[str, Referral]) -> tuple[str, ...]:
    referral = referrals.get(step.referral_id or "")
    if step.event_type != "ReferralIssued" or referral is None or step.rejected is not None:
        return ()
    return tuple(agency for agency, _ in referral.recipients)


def _stall(obligation: Obligation, steps: dict[str, Step], referrals: dict[str, Referral]) -> Stall:
    trigger = steps.get(obligation.trigger_event_id)
    referral = referrals.get(obligation.referral_id or "")
    state = None
    if referral is not None:
        state = dict(referral.recipients).get(obligation.owed_by)
    return Stall(obligation, None if trigger is None else trigger.occurred_at, referral, state)
