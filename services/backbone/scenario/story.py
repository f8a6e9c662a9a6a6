"""The demo's story (docs/scenario.md), played from its data files at a start instant.

The files (``scenario/stories``, read by ``recording``) hold the documented run, placed at its
start, Monday 2 February 2026 at 10:30 Almaty time. ``scenario_events(start)`` plays it at
``start``:

* every instant moves by working days (``placement``), so each verdict (met, late, open,
  pending) is the same wherever the start falls, holidays included; only escalation levels can
  move;
* every id is minted again in the play's scope ``story-v1.1/<start in UTC>`` from the recorded
  one (event ids, ``child_ref``s and referral ids, and the causation and correlation ids that
  point at events), so two plays at different starts never collide on one event log and a
  replay of the same start repeats identical events. At the recorded start the events are the
  files' own.

Every event goes through ``parse_event`` again, so a play holds only well-formed events.

``scenario_as_of(start)`` is the recorded evaluation time placed the same way (18:00 on the tenth
working day, when every step has happened and the stalled handoff is long overdue).
``scenario_start_before(now)`` places the story so that its as-of time has passed by ``now``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from backbone.audit.core.calendar import ALMATY, WorkingCalendar, kazakhstan_calendar
from backbone.domain.events import Event, parse_event
from backbone.scenario.ids import Minter
from backbone.scenario.placement import Placement, local
from backbone.scenario.recording import Recording, demo_recording

EVENT_IDS = ("event_id", "causation_id", "correlation_id")
CALENDAR_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # the payload schemas' date form


def scenario_events(start: datetime, calendar: WorkingCalendar | None = None) -> list[Event]:
    """The story's events in time order; ``start`` must carry an offset."""
    recording = demo_recording()
    placement = Placement(recording.start, start, calendar or kazakhstan_calendar())
    ids = Ids(recording, start)
    events = (_played(e, placement, ids) for e in recording.events())
    return sorted(events, key=lambda e: e.sort_key)


def scenario_labels(start: datetime) -> dict[str, str]:
    """The played ``child_ref`` → the child's label (A-D) in docs/scenario.md."""
    ids = Ids(demo_recording(), start)
    return {ids.child_ref(ref): label for ref, label in demo_recording().labels().items()}


def scenario_as_of(start: datetime, calendar: WorkingCalendar | None = None) -> datetime:
    """The recorded as-of time (18:00 on the tenth working day) placed at ``start``."""
    recording = demo_recording()
    placement = Placement(recording.start, start, calendar or kazakhstan_calendar())
    return placement.instant(recording.as_of)


def scenario_start_before(now: datetime, calendar: WorkingCalendar | None = None) -> datetime:
    """The latest start at the recorded time of day whose as-of time is at or before ``now``."""
    working = calendar or kazakhstan_calendar()
    recorded = local(demo_recording().start)
    day = local(now).date()
    while True:
        start = datetime.combine(day, recorded.time(), tzinfo=ALMATY)
        if scenario_as_of(start, working) <= now:
            return start
        day -= timedelta(days=1)


class Ids:
    """The play's ids: the recorded ones at the recorded start, else minted from them."""

    def __init__(self, recording: Recording, start: datetime) -> None:
        self.minter = Minter(f"story-v1.1/{local(start).astimezone(UTC).isoformat()}")
        self.same = local(start) == local(recording.start)

    def event_id(self, recorded: str) -> str:
        return recorded if self.same else self.minter.event_id(recorded)

    def child_ref(self, recorded: str) -> str:
        return recorded if self.same else self.minter.child_ref(recorded)

    def referral_id(self, recorded: str) -> str:
        return recorded if self.same else self.minter.referral_id(recorded)


def _played(event: Event, placement: Placement, ids: Ids) -> Event:
    plain = event.to_json()
    for key in EVENT_IDS:
        if plain[key] is not None:
            plain[key] = ids.event_id(plain[key])
    plain["child_ref"] = ids.child_ref(event.child_ref)
    if event.referral_id is not None:
        plain["referral_id"] = ids.referral_id(event.referral_id)
    plain["occurred_at"] = placement.instant(event.occurred_at).isoformat()
    plain["payload"] = _moved_dates(plain["payload"], placement.date_shift(event.occurred_at))
    return parse_event(plain)


def _moved_dates(value: Any, shift: timedelta) -> Any:
    """``value`` with every calendar date (a ``YYYY-MM-DD`` string) ``shift`` later."""
    if isinstance(value, dict):
        return {key: _moved_dates(item, shift) for key, item in value.items()}
    if isinstance(value, list):
        return [_moved_dates(item, shift) for item in value]
    if isinstance(value, str) and CALENDAR_DATE.fullmatch(value):
        return (date.fromisoformat(value) + shift).isoformat()
    return value
