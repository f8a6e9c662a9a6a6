"""Builders for plain events and audit runs in the audit tests (pseudonymous data only)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

from backbone.audit.calendar import WorkingCalendar, kazakhstan_calendar
from backbone.audit.replay import Replay, replay_events
from backbone.audit.rules import RuleSet, load_rules
from backbone.audit.sla import Obligation, evaluate
from backbone.domain.events import Event, parse_event
from backbone.domain.lifecycle import judge

POLICE = "police.turkestan"
NGO = "ngo.turkestan.shelter-1"
GUARDIANSHIP = "guardianship.turkestan"
SOCIAL = "social.turkestan"
CENTRE = "centre.turkestan.csc-2"
HOTLINE = "hotline.national.116-16"
SCHOOL = "school.turkestan.school-12"
AUDIT = "audit.national"


def event_id(label: str) -> str:
    """A stable UUID for a readable label."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"test-event:{label}"))


def event_json(
    event_type: str,
    at: str,
    producer: str,
    *,
    child: str = "c-0001",
    referral: str | None = None,
    recipients: Iterable[str] = (),
    label: str | None = None,
    region: str | None = None,
    **attributes: str,
) -> dict[str, Any]:
    """The plain JSON form of an event; the id comes from ``label`` or the other fields."""
    return {
        "event_id": event_id(label or f"{event_type}|{at}|{producer}|{referral}|{child}"),
        "event_type": event_type,
        "occurred_at": at,
        "producer": producer,
        "child_ref": child,
        "referral_id": referral,
        "recipients": list(recipients),
        "region": region or producer.split(".")[1],
        "attributes": attributes,
    }


def event(event_type: str, at: str, producer: str, **fields: Any) -> Event:
    return parse_event(event_json(event_type, at, producer, **fields))


@cache
def national_rules() -> RuleSet:
    return load_rules([])


@cache
def calendar() -> WorkingCalendar:
    return kazakhstan_calendar()


def obligations(
    events: Iterable[Event], at: str, rules: RuleSet | None = None
) -> tuple[Obligation, ...]:
    moment = datetime.fromisoformat(at)
    return evaluate(judge(events, until=moment), moment, rules or national_rules(), calendar())


def audit(events: Iterable[Event], at: str) -> Replay:
    numbered = [(line, e) for line, e in enumerate(events, start=1)]
    return replay_events(numbered, datetime.fromisoformat(at), national_rules(), calendar())


def only(found: tuple[Obligation, ...], rule: str) -> Obligation:
    """The single obligation of ``rule``."""
    matching = [o for o in found if o.rule == rule]
    assert len(matching) == 1, [o.to_json() for o in found]
    return matching[0]
