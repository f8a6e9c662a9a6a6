"""What the demo should show: the story's breaches at its as-of time, by the real evaluator.

``expected_breaches(start)`` replays ``scenario_events(start)`` through the audit's own replay
(lifecycle judge and SLA evaluator, national rules only) at ``scenario_as_of(start)`` and keeps
the obligations that are ``open`` or ``late``. Nothing about them is written down: they follow
from the story's data files and the rules. It is pure: the same start (and calendar) gives the
same list, and it reads no environment variable (``BACKBONE_SLA_RULES`` is ignored), so what the
demo prints always matches docs/scenario.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from backbone.audit.core.calendar import WorkingCalendar, kazakhstan_calendar, render
from backbone.audit.core.replay import replay_events
from backbone.audit.core.rules import RuleSet, load_rules
from backbone.audit.core.sla import Obligation, Status
from backbone.scenario.story import scenario_as_of, scenario_events, scenario_labels

BREACHES = frozenset({Status.OPEN, Status.LATE})


class ExpectedBreach(TypedDict):
    """One breach at as-of, in the audit's output order (deadline, rule, trigger, agency)."""

    rule: str
    owed_by: str
    status: str  # "open" or "late"
    level: int  # 1 regional supervisor, 2 inter-agency commission
    child: str  # the story's label: "A", "B", "C" or "D" (docs/scenario.md)
    child_ref: str
    referral_id: str | None
    trigger_event_id: str
    deadline: str  # RFC 3339, Almaty time
    closed_by_event_id: str | None


def story_obligations(
    start: datetime, calendar: WorkingCalendar | None = None, rules: RuleSet | None = None
) -> tuple[Obligation, ...]:
    """Every obligation of the story at ``scenario_as_of(start)``; the story rejects no event."""
    working = calendar or kazakhstan_calendar()
    events = scenario_events(start, working)
    report = replay_events(
        enumerate(events, start=1),
        scenario_as_of(start, working),
        load_rules([]) if rules is None else rules,
        working,
    )
    if report.rejected:  # a broken story, never a demo condition
        raise RuntimeError(f"the story has rejected events: {report.rejected}")
    return report.obligations


def expected_breaches(
    start: datetime, calendar: WorkingCalendar | None = None, rules: RuleSet | None = None
) -> list[ExpectedBreach]:
    """The ``open`` and ``late`` obligations at ``scenario_as_of(start)``, in output order."""
    labels = scenario_labels(start)
    return [
        _breach(o, labels)
        for o in story_obligations(start, calendar, rules)
        if o.status in BREACHES
    ]


def _breach(obligation: Obligation, labels: dict[str, str]) -> ExpectedBreach:
    return ExpectedBreach(
        rule=obligation.rule,
        owed_by=obligation.owed_by,
        status=obligation.status.value,
        level=obligation.level,
        child=labels[obligation.child_ref],
        child_ref=obligation.child_ref,
        referral_id=obligation.referral_id,
        trigger_event_id=obligation.trigger_event_id,
        deadline=render(obligation.deadline),
        closed_by_event_id=obligation.closed_by_event_id,
    )
