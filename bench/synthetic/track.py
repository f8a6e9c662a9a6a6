"""One child's events as they are written: ids, header fields and the plain JSON form.

A ``Track`` knows the child's pseudonym, the region of the case and the id of the child's first
event (the ``correlation_id`` of every later one). ``emit`` builds the plain JSON object of
contracts/events.md and parses it with ``parse_event``, so the generator can only
ever hold well-formed events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from backbone.domain.events import Event, parse_event
from backbone.scenario.ids import Minter
from synthetic.clock import local


class Track:
    def __init__(self, minter: Minter, label: str, region: str) -> None:
        self.minter = minter
        self.label = label
        self.child_ref = minter.child_ref(label)
        self.region = region
        self.events: list[Event] = []

    def emit(
        self,
        step: str,
        event_type: str,
        at: datetime,
        producer: str,
        payload: Mapping[str, Any],
        *,
        attributes: Mapping[str, str] | None = None,
        referral_id: str | None = None,
        recipients: Iterable[str] = (),
        cause: Event | None = None,
    ) -> Event:
        """Append one event; ``step`` names it uniquely within the minter's scope."""
        first = self.events[0].event_id if self.events else None
        event = parse_event(
            {
                "event_id": self.minter.event_id(f"{self.label}/{step}"),
                "event_type": event_type,
                "occurred_at": local(at).isoformat(),
                "producer": producer,
                "child_ref": self.child_ref,
                "referral_id": referral_id,
                "recipients": list(recipients),
                "region": self.region,
                "attributes": dict(attributes or {}),
                "causation_id": None if cause is None else cause.event_id,
                "correlation_id": first,
                "payload": dict(payload),
            }
        )
        self.events.append(event)
        return event
