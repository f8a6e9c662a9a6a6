"""The audit's HTTP answers as plain functions: (status, JSON body), no web framework here.

``GET /pathway/{child_ref}?as_of=T``            the child's pathway at *t* (404 if unknown)
``GET /breaches?region=R&agency=A&as_of=T``     obligations open or late at *t* (level ≥ 1)
``GET /health``                                 readiness and counts

*t* defaults to now; ``as_of`` must be RFC 3339 with an offset (400 otherwise). Until the tables
are recovered after a start, pathway and breaches answer 503. Nothing served holds a payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backbone.audit.calendar import parse_instant
from backbone.audit.projection import Projection

Answer = tuple[int, dict[str, Any]]


@dataclass
class Health:
    agency: str
    ready: bool = False
    evaluated: set[str] = field(default_factory=set)  # children evaluated since the start
    emitted: int = 0  # SLA events emitted since the start

    def answer(self, projection: Projection, quarantined: int, scheduled: int) -> Answer:
        body = {
            "status": "ready" if self.ready else "recovering",
            "agency": self.agency,
            "events": len(projection.store),
            "children": len(projection.store.children()),
            "quarantined": quarantined,
            "scheduled": scheduled,
            "evaluated": len(self.evaluated),
            "sla_events_emitted": self.emitted,
        }
        return (200 if self.ready else 503), body


def as_of(query: Mapping[str, str]) -> datetime | None:
    """The evaluation time of a query, or ``None`` if ``as_of`` is not RFC 3339 with offset."""
    text = query.get("as_of")
    return parse_instant(text) if text else datetime.now(UTC)


def pathway(
    projection: Projection, health: Health, child_ref: str, query: Mapping[str, str]
) -> Answer:
    at = as_of(query)
    if at is None:
        return _bad_time()
    if not health.ready:
        return 503, {"error": "recovering"}
    found = projection.pathway(child_ref, at)
    if found is None:
        return 404, {"error": "no events for this child_ref"}
    return 200, {"as_of": at.isoformat(), "pathway": found.to_json()}


def breaches(projection: Projection, health: Health, query: Mapping[str, str]) -> Answer:
    at = as_of(query)
    if at is None:
        return _bad_time()
    if not health.ready:
        return 503, {"error": "recovering"}
    region, agency = query.get("region") or None, query.get("agency") or None
    found = projection.breaches(at, region=region, agency=agency)
    return 200, {"as_of": at.isoformat(), "breaches": [o.to_json() for o in found]}


def _bad_time() -> Answer:
    return 400, {"error": "as_of: must be an RFC 3339 time with an offset"}
