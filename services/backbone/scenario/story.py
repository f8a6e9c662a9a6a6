"""The demo's multi-agency story (docs/scenario.md), as plain events from a start instant.

``scenario_events(start)`` is pure: the same start (and calendar) gives the same events, ids
included. The start is the moment the mobile group identifies child A in the raid; the other
steps fall on the working days after it, so each verdict (met, late, open, pending) is the same
wherever the start is placed, holidays included; only escalation levels can move. Ids are
minted in the scope ``story-v1.1/<start in UTC>``, so two plays at different starts never collide
on one event log and a replay of the same start repeats identical events. The contract version is
part of the scope: a play of the v1 story at the same start (other attribute values under the same
ids) left on a development broker is not a conflicting copy of this one.

Every referral is received by each recipient within a minute of its issue, on the same day
(``referrals.receive_promptly``), as the live agency services sign receipts when they open a
referral: a demo that publishes these events never makes an agency's service add a receipt of
its own. Handoffs stall at the human step instead: a decision or a notification the law requires.

``scenario_as_of(start)`` is the evaluation time the documentation and tests use: 18:00 on the
tenth working day, when every step has happened and the stalled handoff is long overdue.
``scenario_start_before(now)`` places the story so that its as-of time has passed by ``now``.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from backbone.audit.calendar import ALMATY, WorkingCalendar, kazakhstan_calendar
from backbone.domain.events import Event
from backbone.scenario.clock import Clock, local
from backbone.scenario.ids import Minter
from backbone.scenario.story_family import hotline_family
from backbone.scenario.story_raid import raid_child
from backbone.scenario.story_signals import patronage_infant, school_pupil

AS_OF_WORKING_DAY = 10
RAID_TIME = time(10, 30)
CHILD_LABELS = ("A", "B", "C", "D")  # raid, patronage infant, school pupil, hotline family


def scenario_events(start: datetime, calendar: WorkingCalendar | None = None) -> list[Event]:
    """The story's events in time order; ``start`` must carry an offset."""
    clock = Clock(start, calendar or kazakhstan_calendar())
    minter = story_minter(start)
    events = [
        *raid_child(minter, clock),
        *hotline_family(minter, clock),
        *patronage_infant(minter, clock),
        *school_pupil(minter, clock),
    ]
    return sorted(events, key=lambda e: e.sort_key)


def story_minter(start: datetime) -> Minter:
    """The id minter of the play at ``start``: scope ``story-v1.1/<start in UTC>``."""
    return Minter(f"story-v1.1/{local(start).astimezone(UTC).isoformat()}")


def scenario_as_of(start: datetime, calendar: WorkingCalendar | None = None) -> datetime:
    """18:00 Almaty time on the story's tenth working day."""
    return Clock(start, calendar or kazakhstan_calendar()).at(AS_OF_WORKING_DAY, 18)


def scenario_start_before(now: datetime, calendar: WorkingCalendar | None = None) -> datetime:
    """The latest raid start (10:30 Almaty time) whose as-of time is at or before ``now``."""
    working = calendar or kazakhstan_calendar()
    day = local(now).date() - timedelta(days=AS_OF_WORKING_DAY)
    while True:
        start = datetime.combine(day, RAID_TIME, tzinfo=ALMATY)
        if scenario_as_of(start, working) <= now:
            return start
        day -= timedelta(days=1)
