"""Synthetic referrals for tests that run the backbone: new random refs, placeholder payloads.

Nothing here looks like a real person: the payloads name "Test Officer" and "Synthetic ..."
summaries, and every ref is a random token.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from synthetic.payloads import referral_issued

from backbone.audit.core.calendar import ALMATY
from backbone.domain.events import Event, parse_event

# A hotline alert's receipt is due an hour after it (rule ``hotline-alert-receipt``).
ALERT_RECEIPT = timedelta(hours=1)


def child_ref() -> str:
    return f"c-{_minted_hex()}"


def referral_id() -> str:
    return f"r-{_minted_hex()}"


def _minted_hex() -> str:
    """16 random hex digits: never the 12 decimal digits that ``backbone emit`` refuses as a
    typed identity number (12 random hex digits are all decimal once in about 280 draws)."""
    return uuid.uuid4().hex[:16]


def now_in_almaty() -> str:
    """Now, to the second, with the +05:00 offset agencies in Kazakhstan stamp."""
    return datetime.now(UTC).astimezone(ALMATY).replace(microsecond=0).isoformat()


def referral(
    producer: str,
    recipients: Sequence[str],
    region: str,
    kind: str = "victim_services",
    summary: str = "Synthetic test referral",
) -> dict[str, Any]:
    """A ``ReferralIssued`` of a new child, now, in the plain event form ``backbone emit`` reads."""
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "ReferralIssued",
        "occurred_at": now_in_almaty(),
        "producer": producer,
        "child_ref": child_ref(),
        "recipients": list(recipients),
        "region": region,
        "attributes": {"kind": kind},
        "referral_id": referral_id(),
        "payload": {
            "summary": summary,
            "urgency": "urgent",
            "requested_services": ["psychological"],
            "contact_name": "Test Officer",
            "contact_phone": None,
            "documents": [],
        },
    }


def hotline_alert(hotline: str, police: str, region: str, deadline_in: timedelta) -> Event:
    """A hotline alert about a new child to the police, stamped so that its receipt deadline
    falls ``deadline_in`` from now (in the past when negative)."""
    at = datetime.now(UTC) - ALERT_RECEIPT + deadline_in
    return parse_event(
        {
            "event_id": str(uuid.uuid4()),
            "event_type": "ReferralIssued",
            "occurred_at": at.isoformat(),
            "producer": hotline,
            "child_ref": child_ref(),
            "referral_id": referral_id(),
            "recipients": [police],
            "region": region,
            "attributes": {"kind": "hotline_alert"},
            "payload": referral_issued(
                summary="Synthetic alert", urgency="immediate", contact_name="Synthetic Operator"
            ),
        }
    )
