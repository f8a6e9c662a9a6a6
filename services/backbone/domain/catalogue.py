"""The v1.1 event catalogue (contract, section 4): who may emit what, with which attributes.

Every attribute is a code from a closed list (a frozenset of the exact allowed values): the clear
header carries no free text, so nothing typed by a person can reach it. The one exception is the
``rule`` of the audit's own ``SlaBreached`` / ``SlaBreachResolved``, a rule id (``RULE_ID``: rules
are data, and a region may add its own), which is a code by grammar, not by list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

# A rule id: 1-64 characters [a-z0-9-], neither starting nor ending with "-".
RULE_ID: Final = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
AttributeSpec = frozenset[str] | re.Pattern[str]


def allows(spec: AttributeSpec, value: str) -> bool:
    """Whether ``value`` is one of the codes ``spec`` allows."""
    if isinstance(spec, frozenset):
        return value in spec
    return spec.fullmatch(value) is not None


def describe(spec: AttributeSpec) -> str:
    """The allowed codes, for an error message."""
    if isinstance(spec, frozenset):
        return ", ".join(sorted(spec))
    return "a rule id (1-64 characters [a-z0-9-])"


ANY_EXCEPT_AUDIT: Final = frozenset(
    {"police", "ngo", "guardianship", "phc", "school", "social", "mobile", "hotline", "centre"}
)
# EnvelopeUnreadable: any reader but the audit (a supervisor reads too).
ANY_READER: Final = ANY_EXCEPT_AUDIT | {"supervisor"}
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
DECLINE_REASONS: Final = frozenset(
    {
        "not_in_mandate",
        "no_capacity",
        "wrong_region",
        "duplicate_referral",
        "child_not_found",
        "consent_refused",
        "other",
    }
)
COMPLETION_OUTCOMES: Final = frozenset(
    {
        "services_delivered",
        "child_placed",
        "returned_home",
        "referred_onward",
        "refused_by_family",
        "other",
    }
)
WITHDRAWAL_REASONS: Final = frozenset(
    {
        "issued_in_error",
        "wrong_region",
        "child_moved",
        "family_found",
        "resolved_otherwise",
        "unreadable",
        "other",
    }
)
UNREADABLE_REASONS: Final = frozenset(
    {"ciphertext_damaged", "reader_key_missing", "payload_invalid"}
)
EXTENSION_MONTHS: Final = frozenset({"1", "2", "3"})
EXTENSION_REASONS: Final = frozenset({"inpatient_treatment", "criminal_case_open"})
CONTRACT_END_REASONS: Final = frozenset(
    {"term_expired", "recipient_request", "conditions_breached", "goals_achieved", "other"}
)
CONSENT_SCOPES: Final = frozenset(
    {"data_sharing", "services", "police_notification", "medical_examination", "return_home"}
)
FOLLOW_UP_STATUSES: Final = frozenset({"safe", "at_risk", "not_found"})
CLOSURE_REASONS: Final = frozenset(
    {
        "returned_home",
        "placed_in_family",
        "came_of_age",
        "transferred",
        "no_protection_need",
        "child_moved",
        "other",
    }
)
SLA_LEVELS: Final = frozenset({"1", "2"})


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
        _spec("ReferralDeclined", ANY_EXCEPT_AUDIT, lifecycle=True, reason=DECLINE_REASONS),
        _spec("ReferralCompleted", ANY_EXCEPT_AUDIT, lifecycle=True, outcome=COMPLETION_OUTCOMES),
        _spec("ReferralWithdrawn", ANY_EXCEPT_AUDIT, lifecycle=True, reason=WITHDRAWAL_REASONS),
        _spec("EnvelopeUnreadable", ANY_READER, reason=UNREADABLE_REASONS),
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
        _spec(
            "ServiceContractExtended", _PROVIDERS, months=EXTENSION_MONTHS, reason=EXTENSION_REASONS
        ),
        _spec("ServiceContractEnded", _PROVIDERS, reason=CONTRACT_END_REASONS),
        _spec(
            "ServiceDelivered",
            frozenset({"ngo", "centre", "phc", "school"}),
            service_type=SERVICE_TYPES_DELIVERED,
        ),
        _spec(
            "ConsentRecorded",
            ANY_EXCEPT_AUDIT,
            scope=CONSENT_SCOPES,
            decision=frozenset({"granted", "withdrawn", "refused"}),
        ),
        _spec("ChildReturnedHome", _FOLLOW_UP, destination=frozenset({"in_country", "abroad"})),
        _spec("FollowUpRecorded", _FOLLOW_UP, status=FOLLOW_UP_STATUSES),
        _spec("CaseClosed", ANY_EXCEPT_AUDIT, reason=CLOSURE_REASONS),
        _spec("SlaBreached", frozenset({"audit"}), rule=RULE_ID, level=SLA_LEVELS),
        _spec("SlaBreachResolved", frozenset({"audit"}), rule=RULE_ID, level=SLA_LEVELS),
    )
}

EVENT_TYPES: Final = frozenset(CATALOGUE)
# The audit's own events: it writes them to its own topic; on the event log they are refused, and
# no SLA rule may be triggered by one.
AUDIT_OUTPUTS: Final = frozenset({"SlaBreached", "SlaBreachResolved"})

# Order of lifecycle events at the same instant (section 4); other events rank with issue.
LIFECYCLE_RANK: Final[Mapping[str, int]] = {
    "ReferralIssued": 0,
    "ReferralReceived": 1,
    "EnvelopeUnreadable": 1,
    "ReferralAccepted": 2,
    "ReferralDeclined": 2,
    "ReferralCompleted": 3,
    "ReferralWithdrawn": 4,
}


def may_emit(agency_type: str, event_type: str) -> bool:
    """Whether an agency of ``agency_type`` may emit ``event_type`` at all (by type alone)."""
    spec = CATALOGUE.get(event_type)
    return spec is not None and agency_type in spec.emitters
