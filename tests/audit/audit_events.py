"""Builders for plain events and audit runs in the audit tests (pseudonymous data only)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

from backbone.audit.core.calendar import WorkingCalendar, kazakhstan_calendar
from backbone.audit.core.replay import Replay, replay_events
from backbone.audit.core.rules import RuleSet, load_rules
from backbone.audit.core.sla import Obligation, evaluate
from backbone.domain.agencies import REGIONS
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
# Minted-looking pseudonyms ("7e57" for test): c- or r- and 12 lower-case hex digits.
CHILD, OTHER_CHILD = "c-7e57c0000001", "c-7e57c0000002"
REFERRAL, OTHER_REFERRAL = "r-7e57e0000001", "r-7e57e0000002"


def event_id(label: str) -> str:
    """A stable UUID for a readable label."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"test-event:{label}"))


def event_json(
    event_type: str,
    at: str,
    producer: str,
    *,
    child: str = CHILD,
    referral: str | None = None,
    recipients: Iterable[str] = (),
    label: str | None = None,
    region: str | None = None,
    causation: str | None = None,
    **attributes: str,
) -> dict[str, Any]:
    """The plain JSON form of an event; the id comes from ``label`` or the other fields."""
    default_label = f"{event_type}|{at}|{producer}|{referral}|{child}" + (
        "" if causation is None else f"|{causation}"
    )
    plain: dict[str, Any] = {
        "event_id": event_id(label or default_label),
        "event_type": event_type,
        "occurred_at": at,
        "producer": producer,
        "child_ref": child,
        "referral_id": referral,
        "recipients": list(recipients),
        "region": region or region_of(producer),
        "attributes": attributes,
    }
    if causation is not None:
        plain["causation_id"] = causation
    return plain


def region_of(agency: str) -> str:
    """The header region of an agency's events: its own, or Turkestan for a national one."""
    region = agency.split(".")[1]
    return region if region in REGIONS else "turkestan"


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


# Three children crossing on referral ids (``crossing_story``).
CROSSING_CHILDREN = ("c-7e57c0000001", "c-7e57c0000002", "c-7e57c0000003")
CROSSING_REFERRALS = ("r-7e57e0000001", "r-7e57e0000002")
_C1, _C2, _C3 = CROSSING_CHILDREN
_R1, _R2 = CROSSING_REFERRALS


def crossing_story() -> list[Event]:
    """Child 1 issues R1; child 2 reuses R1 (duplicate) and child 3 receives it (mismatch)."""
    return [
        event(
            "ReferralIssued",
            "2026-12-11T16:00:00+05:00",
            POLICE,
            child=_C1,
            referral=_R1,
            recipients=[NGO],
            kind="victim_services",
        ),
        event("ReferralReceived", "2026-12-14T10:00:00+05:00", NGO, child=_C1, referral=_R1),
        event(
            "ReferralIssued",
            "2026-12-12T10:00:00+05:00",
            POLICE,
            child=_C2,
            referral=_R1,
            recipients=[CENTRE],
            kind="placement",
        ),
        event(
            "ReferralIssued",
            "2026-12-12T11:00:00+05:00",
            POLICE,
            child=_C2,
            referral=_R2,
            recipients=[CENTRE],
            kind="placement",
        ),
        event("ReferralReceived", "2026-12-15T10:00:00+05:00", NGO, child=_C3, referral=_R1),
    ]
