"""The audit's HTTP answers as plain functions: (status, JSON body), no web framework here.

``GET /pathway/{child_ref}?as_of=T``            the child's pathway at *t* (404 if unknown) and
                                                ``regions``: the header regions of its own events
``GET /breaches?region=R&agency=A&as_of=T``     obligations open or late at *t* (level ≥ 1)
``GET /obligations?region=R&agency=A&as_of=T``  every obligation at *t*, any status
``GET /children?region=R&as_of=T``              per child: its region (that of its first valid
                                                event) and its valid events' ids, types and
                                                clear attributes (the funnel's input)
``GET /health``                                 readiness, counts and the partitions owned
``GET /agencies``                               every agency of the key directory: its display
                                                name, type and region (``live.web.agencies``)

A region filter applies to an obligation's trigger event's region.

*t* defaults to now; ``as_of`` must be RFC 3339 with an offset (400 otherwise). Until the tables
are recovered after a start or a rebalance, every answer is 503. Nothing served holds a payload.

Several audit instances share the event log's partitions: each answers for the children of the
partitions it owns, and every answer names them (``partitions``, of ``partition_count``), so that
a client can merge the instances' answers and tell when a partition is not covered
(``client.AuditClient``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backbone.audit.core.calendar import parse_instant
from backbone.audit.core.projection import Projection
from backbone.audit.core.sla import Obligation

Answer = tuple[int, dict[str, Any]]


@dataclass
class Health:
    agency: str
    ready: bool = False
    evaluated: set[str] = field(default_factory=set)  # children evaluated since the start
    emitted: int = 0  # SLA events emitted since the start
    # The event log's partitions this instance owns (None: all of them, a single audit).
    partitions: frozenset[int] | None = None
    partition_count: int = 3

    def scope(self) -> dict[str, Any]:
        """What every answer covers: the owned partitions of the event log."""
        owned = range(self.partition_count) if self.partitions is None else self.partitions
        return {"partitions": sorted(owned), "partition_count": self.partition_count}

    def answer(self, projection: Projection, quarantined: int, scheduled: int) -> Answer:
        body = {
            "status": "ready" if self.ready else "recovering",
            **self.scope(),
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
    at = _evaluation_time(health, query)
    if not isinstance(at, datetime):
        return at
    found = projection.pathway(child_ref, at)
    if found is None:
        return 404, {"error": "no events for this child_ref", **health.scope()}
    return 200, {
        **health.scope(),
        "as_of": at.isoformat(),
        "pathway": found.to_api_json(),
        "regions": regions(projection, child_ref),
    }


def breaches(projection: Projection, health: Health, query: Mapping[str, str]) -> Answer:
    return _obligations(projection, health, query, "breaches", projection.breaches)


def obligations(projection: Projection, health: Health, query: Mapping[str, str]) -> Answer:
    return _obligations(projection, health, query, "obligations", projection.all_obligations)


def _obligations(
    projection: Projection,
    health: Health,
    query: Mapping[str, str],
    name: str,
    select: Callable[..., list[Obligation]],
) -> Answer:
    """``{"as_of": t, name: [...]}``: what ``select`` finds at the query's time, region and
    agency."""
    at = _evaluation_time(health, query)
    if not isinstance(at, datetime):
        return at
    region, agency = query.get("region") or None, query.get("agency") or None
    found = select(at, region=region, agency=agency)
    return 200, {**health.scope(), "as_of": at.isoformat(), name: [o.to_api_json() for o in found]}


def children(projection: Projection, health: Health, query: Mapping[str, str]) -> Answer:
    at = _evaluation_time(health, query)
    if not isinstance(at, datetime):
        return at
    region = query.get("region") or None
    found = []
    for child_ref in sorted(projection.store.children()):
        valid = projection.valid_events(child_ref, at)
        if not valid or (region is not None and valid[0].region != region):
            continue
        events = [
            {
                "event_id": e.event_id,
                "event_type": e.event_type,
                "occurred_at": e.occurred_at.isoformat(),
                "referral_id": e.referral_id,
                "attributes": dict(e.attributes),
            }
            for e in valid
        ]
        found.append({"child_ref": child_ref, "region": valid[0].region, "events": events})
    return 200, {**health.scope(), "as_of": at.isoformat(), "children": found}


def regions(projection: Projection, child_ref: str) -> list[str]:
    """The header regions of the child's own events (not of other children's referrals)."""
    closure = projection.store.closure(child_ref)
    return sorted({event.region for _, event in closure if event.child_ref == child_ref})


def _evaluation_time(health: Health, query: Mapping[str, str]) -> datetime | Answer:
    """The query's time, or the answer to give instead: 400 for a bad ``as_of``, 503 until the
    tables are recovered."""
    at = as_of(query)
    if at is None:
        return 400, {"error": "as_of: must be an RFC 3339 time with an offset"}
    if not health.ready:
        return 503, {"error": "recovering", **health.scope()}
    return at
