"""Helpers for the scenario tests: replay at a time, payload validation, string walking."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cache
from typing import Any

from fastavro.validation import validate

from backbone.audit.core.calendar import WorkingCalendar, kazakhstan_calendar
from backbone.audit.core.replay import Replay, replay_events
from backbone.audit.core.rules import RuleSet, load_rules
from backbone.domain.events import Event
from backbone.envelope.schemas import default_registry

# The start the documentation uses (docs/scenario.md): Monday 2 February 2026, 10:30 Almaty.
STORY_START = datetime.fromisoformat("2026-02-02T10:30:00+05:00")


@cache
def calendar() -> WorkingCalendar:
    return kazakhstan_calendar()


@cache
def national_rules() -> RuleSet:
    return load_rules([])


def replay(events: Iterable[Event], at: datetime) -> Replay:
    return replay_events(enumerate(events, start=1), at, national_rules(), calendar())


def check_payload(event: Event) -> None:
    """Raise unless the payload fits its Avro schema and survives SOE encoding unchanged."""
    assert event.payload is not None, f"{event.event_type} has no payload"
    registry = default_registry()
    schema = registry.payload(event.event_type)
    datum = dict(event.payload)
    validate(datum, schema.parsed)
    _, decoded = registry.soe_decode(registry.soe_encode(schema, datum))
    assert decoded == datum


def strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Every (key, string) pair inside a JSON value; list items carry their list's key."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from strings(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item, key)
