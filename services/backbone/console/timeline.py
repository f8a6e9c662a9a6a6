"""A child's pathway as a supervisor reads it: a timeline across agencies and where it stalls.

Each agency gets a lane (in order of first appearance); each step sits in its producer's lane,
with the recipients of a referral it issued and the obligations it opened or closed. A stall is
an ``open`` obligation: the handoff it waits for, who owes it, since when and the deadline. A
handoff done late is a ``late`` obligation: who did it and by how much after its deadline.

**Responsible now** (``responsible_now``) answers a supervisor's question, who has a part in the
child's case today:

* every agency that owes a step of a running deadline (a ``pending`` or ``open`` obligation):
  the recipient that has yet to receive or decide, the issuer that has yet to repair;
* on every live referral (not withdrawn, some recipient not finished), its recipients that have
  not finished (yet to receive or decide, or serving: accepted, not completed) and its issuer,
  which keeps its part until the handoff is finished (the guardianship authority that placed a
  child, the police that referred a victim for services);
* nobody for a finished referral: an agency whose referrals are all completed, declined or
  withdrawn (the mobile group after its identification was taken over) has no part left.

This is not the contract's responsibility for ``CaseClosed`` (the audit's ``responsible``:
holders of the child's referrals), which the pathway page does not show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

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
class DoneLate:
    obligation: Obligation
    late_by: timedelta  # from its deadline to its closing event

    @property
    def days(self) -> int:
        return self.late_by.days

    @property
    def hours(self) -> int:
        return self.late_by.seconds // 3600


@dataclass(frozen=True)
class TimelineView:
    lanes: tuple[str, ...]
    rows: tuple[TimelineRow, ...]
    stalls: tuple[Stall, ...]
    obligations: tuple[Obligation, ...]
    done_late: tuple[DoneLate, ...] = ()
    responsible: tuple[str, ...] = ()


# A recipient in these states has finished with the referral; ``unreadable`` has not (the
# issuer owes a reissue), so the referral stays live.
FINISHED = frozenset({"completed", "declined"})


def responsible_now(pathway: Pathway) -> tuple[str, ...]:
    """The agencies with a part in the child's case now, sorted (module docstring)."""
    found = {o.owed_by for o in pathway.obligations if o.status in ("pending", "open")}
    for referral in pathway.referrals:
        unfinished = [(a, state) for a, state in referral.recipients if state not in FINISHED]
        if referral.withdrawn or not unfinished:
            continue
        found.add(referral.issuer)
        found.update(a for a, state in unfinished if state != "unreadable")
    return tuple(sorted(found))


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
    done_late = tuple(
        DoneLate(o, o.closed_at - o.deadline)
        for o in sorted(pathway.obligations, key=lambda o: o.deadline)
        if o.status == "late" and o.closed_at is not None
    )
    return TimelineView(
        tuple(lanes), rows, stalls, pathway.obligations, done_late, responsible_now(pathway)
    )


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
