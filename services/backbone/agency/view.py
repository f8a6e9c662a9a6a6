"""An agency's view of the referrals it took part in, folded from the headers in its inbox.

Pure: no Kafka, no crypto. The view keeps clear-header facts only (who issued, to whom, each
recipient's state); the payloads stay in the encrypted envelopes of the inbox.

An ``EnvelopeUnreadable`` about a referral joins its history; when it answers the referral's
``ReferralIssued`` its producer's state becomes ``unreadable`` (the lifecycle's final state). The
recipient that could not read the issue keeps a view of its own answer only (no issuer, no
``issued`` state), so it never owes that referral a receipt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backbone.domain.events import Event

_STATES = {
    "ReferralReceived": "received",
    "ReferralAccepted": "accepted",
    "ReferralDeclined": "declined",
    "ReferralCompleted": "completed",
}


def apply(view: Mapping[str, Any] | None, event: Event) -> dict[str, Any] | None:
    """The referral's view after ``event``; ``None`` if the event is not about a referral, or
    is in the view already (a record handled again after a failover or a refill changes
    nothing)."""
    if event.referral_id is None or not (
        event.event_type.startswith("Referral") or event.event_type == "EnvelopeUnreadable"
    ):
        return None
    current: dict[str, Any] = dict(view or {})
    if any(line["event_id"] == event.event_id for line in current.get("history", [])):
        return None
    history = [*current.get("history", []), _line(event)]
    if event.event_type == "ReferralIssued":
        current.update(
            referral_id=event.referral_id,
            child_ref=event.child_ref,
            issuer=event.producer,
            kind=event.attributes.get("kind"),
            issued_at=event.occurred_at.isoformat(),
            issue_event_id=event.event_id,
            region=event.region,
            correlation_id=event.correlation_id,
            recipients={r: "issued" for r in event.recipients},
        )
    elif event.event_type == "ReferralWithdrawn":
        current["withdrawn_at"] = event.occurred_at.isoformat()
    elif event.event_type == "EnvelopeUnreadable":
        if event.causation_id is not None and event.causation_id == current.get("issue_event_id"):
            current["recipients"] = {**current.get("recipients", {}), event.producer: "unreadable"}
    elif event.event_type in _STATES:
        recipients = dict(current.get("recipients", {}))
        recipients[event.producer] = _STATES[event.event_type]
        current["recipients"] = recipients
    current.setdefault("referral_id", event.referral_id)
    current.setdefault("child_ref", event.child_ref)
    current["history"] = sorted(history, key=lambda line: (line["occurred_at"], line["event_id"]))
    return current


def _line(event: Event) -> dict[str, str]:
    return {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "producer": event.producer,
        "occurred_at": event.occurred_at.isoformat(),
    }
