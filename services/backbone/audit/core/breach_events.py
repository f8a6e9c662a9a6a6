"""The plain ``SlaBreached`` / ``SlaBreachResolved`` events of notices (pure).

Their content depends only on the events, so a rebuild re-emits not only the same ids but the
same content (consumers that compare content see a repeat, not a conflict):

* ``occurred_at`` of a breach is its breach moment (``notices.breach_moment``), in Almaty time;
  its payload ``status`` is the obligation's status at that moment, which is ``open``.
* ``occurred_at`` of a resolution is the closing event's time, or the breach moment if that is
  later (a late-arriving event that closed the obligation in time). For an obligation that no
  longer exists it is the time of emission (a rebuild never emits those).
* ``causation_id`` is the trigger (the closing event for a resolution); ``correlation_id`` is the
  trigger's; region and ``referral_id`` are the trigger's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backbone.audit.core.calendar import render
from backbone.audit.core.notices import Kind, Notice, breach_moment
from backbone.domain.events import Event, parse_event


def breach_event(
    notice: Notice, *, producer: str, trigger: Event, closing: Event | None, now: datetime
) -> Event:
    rule, trigger_event_id, owed_by, level = notice.key
    obligation = notice.obligation
    header: dict[str, Any] = {
        "event_id": notice.event_id,
        "event_type": notice.kind.value,
        "producer": producer,
        "child_ref": trigger.child_ref,
        "referral_id": trigger.referral_id,
        "recipients": [],
        "region": trigger.region,
        "attributes": {"rule": rule, "level": str(level)},
        "causation_id": trigger_event_id,
        "correlation_id": trigger.correlation_id,
    }
    if notice.kind is Kind.BREACHED:
        assert obligation is not None
        header["occurred_at"] = render(breach_moment(obligation, level))
        header["payload"] = {
            "trigger_event_id": trigger_event_id,
            "owed_by": owed_by,
            "deadline": render(obligation.deadline),
            "status": "open",
        }
        return parse_event(header)
    moment = now
    if obligation is not None and closing is not None:
        moment = max(closing.occurred_at, breach_moment(obligation, level))
        header["causation_id"] = closing.event_id
    header["occurred_at"] = render(moment)
    header["payload"] = {
        "trigger_event_id": trigger_event_id,
        "owed_by": owed_by,
        "closed_by_event_id": None if closing is None else closing.event_id,
    }
    return parse_event(header)
