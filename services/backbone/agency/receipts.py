"""The signed receipt an agency service emits for each referral addressed to it.

A receipt is due once the service has opened a referral and the agency's own
``ReferralReceived`` has not come back through its inbox within ``GRACE_SECONDS``: an operator
or the agency's own system may have recorded the receipt already (it reaches the inbox right
after the referral, the producer being a reader of its own events). So each referral gets one
receipt per recipient: the recorded one, or the service's, at most a couple of seconds after
opening. The receipt's id is derived from (referral, recipient), so a service that restarts
after sending it cannot mint a second receipt with another id; a resend with the same id is
refused downstream as a duplicate.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from backbone.audit.core.calendar import ALMATY
from backbone.domain.events import Event

RECEIPT_NAMESPACE = uuid.UUID("5b0e2f4c-6a51-4b57-9d43-0c8e4f6b1a27")  # fixed for ever
GRACE_SECONDS = 2.0


def receipt_id(referral_id: str, agency: str) -> str:
    return str(uuid.uuid5(RECEIPT_NAMESPACE, f"ReferralReceived/{referral_id}/{agency}"))


def awaiting_receipt(view: Mapping[str, Any], agency: str) -> bool:
    """The agency is a recipient of the referral and has not received it yet."""
    return view.get("recipients", {}).get(agency) == "issued" and "withdrawn_at" not in view


def receipt_for(view: Mapping[str, Any], agency: str, at: datetime) -> Event:
    """``agency``'s ``ReferralReceived`` for the referral in ``view``, opened at ``at``."""
    issued_at = datetime.fromisoformat(view["issued_at"])
    return Event(
        event_id=receipt_id(view["referral_id"], agency),
        event_type="ReferralReceived",
        # Never before the issue, even if the issuer's clock runs ahead of ours.
        occurred_at=max(at, issued_at).astimezone(ALMATY),
        producer=agency,
        child_ref=view["child_ref"],
        recipients=(),
        region=view["region"],
        attributes={},
        referral_id=view["referral_id"],
        causation_id=view["issue_event_id"],
        correlation_id=view.get("correlation_id"),
        payload={"received_by": f"{agency} service (automatic receipt)", "note": None},
    )


class ReceiptSchedule:
    """Which referrals are waiting for the service's receipt, and since when (in memory).

    Rebuilt from the durable referral views after a restart, so nothing depends on it surviving.
    """

    def __init__(self, agency: str, grace: float = GRACE_SECONDS) -> None:
        self.agency, self.grace = agency, grace
        self._due: dict[str, float] = {}
        self._sent: set[str] = set()

    def note(self, view: Mapping[str, Any], now: float | None = None) -> None:
        referral_id = view["referral_id"]
        if awaiting_receipt(view, self.agency) and referral_id not in self._sent:
            self._due.setdefault(referral_id, (now or time.monotonic()) + self.grace)
        else:
            self._due.pop(referral_id, None)

    def due(self, now: float | None = None) -> list[str]:
        moment = now or time.monotonic()
        return sorted(r for r, at in self._due.items() if at <= moment)

    def sent(self, referral_id: str) -> None:
        self._due.pop(referral_id, None)
        self._sent.add(referral_id)
