"""The v1 event catalogue (referral-model.md, section 4): who may emit what, with which attributes.

An attribute spec is either a frozenset of the exact allowed values or ``FREE`` (a free string:
``reason``, ``outcome`` of a completion, ``scope``, ``months``, ``rule``). Free strings travel in
the clear header, so they are short and must not identify a child; ``MAX_FREE_LENGTH`` bounds
them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

FREE: Final = None
MAX_FREE_LENGTH: Final = 200
AttributeSpec = frozenset[str] | None

ANY_EXCEPT_AUDIT: Final = frozenset(
    {"police", "ngo", "guardianship", "phc", "school", "social", "mobile", "hotline", "centre"}
)
REFERRAL_KINDS: Final = frozenset(
    {
        "victim_services",
        "identification_assessment",
        "service_permission",
        "police_notification",
        "guardianship_notification",
        "placement",
        "health_services",
        "education_enrolment",
        "return_support",
        "hotline_alert",
        "other",
    }
)
SERVICE_TYPES_DELIVERED: Final = frozenset(
    {
        "household",
        "medical",
        "psychological",
        "pedagogical",
        "labour",
        "cultural",
        "economic",
        "legal",
    }
)
_BOOL = frozenset({"true", "false"})


@dataclass(frozen=True)
class EventSpec:
    """One row of the catalogue."""

    event_type: str
    emitters: frozenset[str]
    attributes: Mapping[str, AttributeSpec]
    # Referral lifecycle events whose emitter is judged against the referral's state
    # (recipient / accepting recipient / issuer) rather than by type alone.
    lifecycle: bool = False

    @property
    def needs_referral_id(self) -> bool:
        return self.event_type.startswith("Referral")


def _spec(
    event_type: str,
    emitters: frozenset[str],
    lifecycle: bool = False,
    **attributes: AttributeSpec,
) -> EventSpec:
    return EventSpec(event_type, emitters, dict(attributes), lifecycle)


_PROVIDERS = frozenset({"ngo", "centre"})
_FOLLOW_UP = frozenset({"ngo", "social", "guardianship", "centre"})

CATALOGUE: Final[Mapping[str, EventSpec]] = {
    spec.event_type: spec
    for spec in (
        _spec(
            "ChildIdentified",
            ANY_EXCEPT_AUDIT,
            setting=frozenset({"raid", "school", "phc", "hotline", "ngo", "police", "other"}),
            accompanied=_BOOL,
            age_band=frozenset({"0-3", "4-6", "7-13", "14-17"}),
        ),
        _spec(
            "RiskAssessed",
            frozenset({"phc", "school", "ngo", "social"}),
            risk_level=frozenset({"low", "moderate", "high"}),
        ),
        _spec("ReferralIssued", ANY_EXCEPT_AUDIT, kind=REFERRAL_KINDS),
        _spec("ReferralReceived", ANY_EXCEPT_AUDIT, lifecycle=True),
        _spec("ReferralAccepted", ANY_EXCEPT_AUDIT, lifecycle=True),
        _spec("ReferralDeclined", ANY_EXCEPT_AUDIT, lifecycle=True, reason=FREE),
        _spec("ReferralCompleted", ANY_EXCEPT_AUDIT, lifecycle=True, outcome=FREE),
        _spec("ReferralWithdrawn", ANY_EXCEPT_AUDIT, lifecycle=True, reason=FREE),
        _spec(
            "ServiceApplicationReceived",
            frozenset({"ngo", "centre", "social"}),
            funding=frozenset({"state", "international"}),
            via=frozenset({"self", "police", "social"}),
        ),
        _spec(
            "VictimStatusAssessed",
            frozenset({"police", "ngo", "centre", "social"}),
            outcome=frozenset({"recognized", "not_recognized"}),
            path=frozenset({"provider", "police"}),
        ),
        _spec(
            "PlacementMade",
            frozenset({"guardianship", "centre"}),
            facility=frozenset(
                {"baby_home", "adaptation_centre", "support_centre", "family", "foster_family"}
            ),
        ),
        _spec("ChildStatusDetermined", frozenset({"guardianship", "centre"})),
        _spec("ServiceContractSigned", _PROVIDERS),
        _spec("ServiceContractExtended", _PROVIDERS, months=FREE, reason=FREE),
        _spec("ServiceContractEnded", _PROVIDERS, reason=FREE),
        _spec(
            "ServiceDelivered",
            frozenset({"ngo", "centre", "phc", "school"}),
            service_type=SERVICE_TYPES_DELIVERED,
        ),
        _spec(
            "ConsentRecorded",
            ANY_EXCEPT_AUDIT,
            scope=FREE,
            decision=frozenset({"granted", "withdrawn", "refused"}),
        ),
        _spec("ChildReturnedHome", _FOLLOW_UP, destination=frozenset({"in_country", "abroad"})),
        _spec("FollowUpRecorded", _FOLLOW_UP),
        _spec("CaseClosed", ANY_EXCEPT_AUDIT, reason=FREE),
        _spec("SlaBreached", frozenset({"audit"}), rule=FREE, level=frozenset({"1", "2"})),
        _spec("SlaBreachResolved", frozenset({"audit"}), rule=FREE, level=frozenset({"1", "2"})),
    )
}

EVENT_TYPES: Final = frozenset(CATALOGUE)

# Order of lifecycle events at the same instant (section 4); other events rank with issue.
LIFECYCLE_RANK: Final[Mapping[str, int]] = {
    "ReferralIssued": 0,
    "ReferralReceived": 1,
    "ReferralAccepted": 2,
    "ReferralDeclined": 2,
    "ReferralCompleted": 3,
    "ReferralWithdrawn": 4,
}


def may_emit(agency_type: str, event_type: str) -> bool:
    """Whether an agency of ``agency_type`` may emit ``event_type`` at all (by type alone)."""
    spec = CATALOGUE.get(event_type)
    return spec is not None and agency_type in spec.emitters
