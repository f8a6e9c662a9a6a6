"""What the console asks the audit to serve besides today's API (docs/console.md), written
against the audit's own ``Projection`` so that it can move into ``backbone/audit/api.py`` as is.

``GET /obligations?region=&agency=&as_of=``  every obligation at *t*, any status (the shape and
                                             filters of ``/breaches``)
``GET /children?region=&as_of=``             per child: its region (its first valid event's)
                                             and its valid events' types and clear attributes
``regions`` in ``GET /pathway/{child_ref}``  the header regions of the child's own events
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backbone.audit import api
from backbone.audit.projection import Projection

Answer = tuple[int, dict[str, Any]]


def obligations(projection: Projection, health: api.Health, query: Mapping[str, str]) -> Answer:
    at = api.as_of(query)
    if at is None:
        return 400, {"error": "as_of: must be an RFC 3339 time with an offset"}
    if not health.ready:
        return 503, {"error": "recovering"}
    region, agency = query.get("region") or None, query.get("agency") or None
    found = []
    for o in projection.everything(at).obligations:
        trigger = projection.store.event(o.trigger_event_id)
        if (agency is None or o.owed_by == agency) and (
            region is None or (trigger is not None and trigger.region == region)
        ):
            found.append(o.to_json())
    return 200, {"as_of": at.isoformat(), "obligations": found}


def children(projection: Projection, health: api.Health, query: Mapping[str, str]) -> Answer:
    at = api.as_of(query)
    if at is None:
        return 400, {"error": "as_of: must be an RFC 3339 time with an offset"}
    if not health.ready:
        return 503, {"error": "recovering"}
    region = query.get("region") or None
    found = []
    for pathway in projection.everything(at).pathways:
        valid = [step.event for step in pathway.timeline if step.rejection is None]
        if not valid or (region is not None and valid[0].region != region):
            continue
        events = [{"event_type": e.event_type, "attributes": dict(e.attributes)} for e in valid]
        found.append({"child_ref": pathway.child_ref, "region": valid[0].region, "events": events})
    return 200, {"as_of": at.isoformat(), "children": found}


def regions(projection: Projection, child_ref: str) -> list[str]:
    own = [
        event for _, event in projection.store.closure(child_ref) if event.child_ref == child_ref
    ]
    return sorted({event.region for event in own})
