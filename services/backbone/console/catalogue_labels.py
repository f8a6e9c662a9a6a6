"""Labels of the domain's codes: regions, the catalogue's attribute names and their closed code
lists (the referral kinds among them), and the judge's rejection reasons.

Each kind has its own gettext context, so that one English word ("other", "police") can read
differently in Russian or Kazakh where it qualifies another noun. Attribute values are labelled
per attribute (kind ``value.<attribute>``; ``value_kind`` says which), since two attributes may
share a code. ``tests/console/test_console_i18n.py`` derives every code from
``backbone.domain`` and fails if one has no label here or a label has no translation.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

# Attributes whose values already have a kind of their own: a rule id, an escalation level.
_OWN_KINDS = {"rule": "rule", "level": "level"}


def value_kind(attribute: str) -> str:
    """The label kind of an attribute's values."""
    return _OWN_KINDS.get(attribute, f"value.{attribute}")


CATALOGUE_LABELS: Mapping[str, Mapping[str, Promise]] = {
    # The 17 regions and 3 cities of national significance by their official names, and the
    # national level of an agency id (the hotline, the audit).
    "region": {
        "abai": pgettext_lazy("region", "Abai Region"),
        "akmola": pgettext_lazy("region", "Akmola Region"),
        "aktobe": pgettext_lazy("region", "Aktobe Region"),
        "almaty-region": pgettext_lazy("region", "Almaty Region"),
        "atyrau": pgettext_lazy("region", "Atyrau Region"),
        "east-kazakhstan": pgettext_lazy("region", "East Kazakhstan Region"),
        "jambyl": pgettext_lazy("region", "Jambyl Region"),
        "jetisu": pgettext_lazy("region", "Jetisu Region"),
        "karaganda": pgettext_lazy("region", "Karaganda Region"),
        "kostanay": pgettext_lazy("region", "Kostanay Region"),
        "kyzylorda": pgettext_lazy("region", "Kyzylorda Region"),
        "mangystau": pgettext_lazy("region", "Mangystau Region"),
        "north-kazakhstan": pgettext_lazy("region", "North Kazakhstan Region"),
        "pavlodar": pgettext_lazy("region", "Pavlodar Region"),
        "turkestan": pgettext_lazy("region", "Turkestan Region"),
        "ulytau": pgettext_lazy("region", "Ulytau Region"),
        "west-kazakhstan": pgettext_lazy("region", "West Kazakhstan Region"),
        "astana": pgettext_lazy("region", "Astana"),
        "almaty": pgettext_lazy("region", "Almaty"),
        "shymkent": pgettext_lazy("region", "Shymkent"),
        "national": pgettext_lazy("region", "national level"),
    },
    "attribute": {
        "setting": pgettext_lazy("attribute", "identified in"),
        "accompanied": pgettext_lazy("attribute", "with an adult"),
        "age_band": pgettext_lazy("attribute", "age"),
        "risk_level": pgettext_lazy("attribute", "risk level"),
        "kind": pgettext_lazy("attribute", "referral kind"),
        "reason": pgettext_lazy("attribute", "reason"),
        "outcome": pgettext_lazy("attribute", "outcome"),
        "funding": pgettext_lazy("attribute", "funding"),
        "via": pgettext_lazy("attribute", "applied"),
        "path": pgettext_lazy("attribute", "assessed by"),
        "facility": pgettext_lazy("attribute", "placed in"),
        "months": pgettext_lazy("attribute", "extended by"),
        "service_type": pgettext_lazy("attribute", "service"),
        "scope": pgettext_lazy("attribute", "consent to"),
        "decision": pgettext_lazy("attribute", "decision"),
        "destination": pgettext_lazy("attribute", "returned"),
        "status": pgettext_lazy("attribute", "child's situation"),
        "rule": pgettext_lazy("attribute", "rule"),
        "level": pgettext_lazy("attribute", "level"),
    },
    "value.kind": {
        "victim_services": pgettext_lazy("referral kind", "special social services for a victim"),
        "identification_assessment": pgettext_lazy("referral kind", "identification assessment"),
        "service_permission": pgettext_lazy("referral kind", "permission to provide services"),
        "police_notification": pgettext_lazy("referral kind", "notification of the police"),
        "guardianship_notification": pgettext_lazy("referral kind", "notification of guardianship"),
        "placement": pgettext_lazy("referral kind", "placement of the child"),
        "health_services": pgettext_lazy("referral kind", "health care"),
        "education_enrolment": pgettext_lazy("referral kind", "enrolment in education"),
        "return_support": pgettext_lazy("referral kind", "support for a return home"),
        "hotline_alert": pgettext_lazy("referral kind", "hotline alert"),
        "other": pgettext_lazy("referral kind", "other"),
    },
    "value.setting": {
        "raid": pgettext_lazy("identified in", "a raid"),
        "school": pgettext_lazy("identified in", "a school"),
        "phc": pgettext_lazy("identified in", "primary health care"),
        "hotline": pgettext_lazy("identified in", "a hotline call"),
        "ngo": pgettext_lazy("identified in", "an NGO"),
        "police": pgettext_lazy("identified in", "the police"),
        "other": pgettext_lazy("identified in", "another setting"),
    },
    "value.accompanied": {
        "true": pgettext_lazy("with an adult", "yes"),
        "false": pgettext_lazy("with an adult", "no (unaccompanied)"),
    },
    "value.age_band": {
        "0-3": pgettext_lazy("age", "0-3 years"),
        "4-6": pgettext_lazy("age", "4-6 years"),
        "7-13": pgettext_lazy("age", "7-13 years"),
        "14-17": pgettext_lazy("age", "14-17 years"),
    },
    "value.risk_level": {
        "low": pgettext_lazy("risk level", "low"),
        "moderate": pgettext_lazy("risk level", "moderate"),
        "high": pgettext_lazy("risk level", "high"),
    },
    # One list for every event's reason (decline, withdrawal, unreadable, contract extension
    # and end, closure): a code shared by two lists means the same there.
    "value.reason": {
        "not_in_mandate": pgettext_lazy("reason", "not within the agency's mandate"),
        "no_capacity": pgettext_lazy("reason", "no capacity to take the child"),
        "wrong_region": pgettext_lazy("reason", "wrong region"),
        "duplicate_referral": pgettext_lazy("reason", "duplicate referral"),
        "child_not_found": pgettext_lazy("reason", "child not found"),
        "consent_refused": pgettext_lazy("reason", "consent refused"),
        "issued_in_error": pgettext_lazy("reason", "issued in error"),
        "child_moved": pgettext_lazy("reason", "the child moved away"),
        "family_found": pgettext_lazy("reason", "family found"),
        "resolved_otherwise": pgettext_lazy("reason", "resolved otherwise"),
        "unreadable": pgettext_lazy("reason", "the referral could not be read"),
        "ciphertext_damaged": pgettext_lazy("reason", "encrypted content damaged"),
        "reader_key_missing": pgettext_lazy("reason", "the recipient's key is missing"),
        "payload_invalid": pgettext_lazy("reason", "content does not match its form"),
        "inpatient_treatment": pgettext_lazy("reason", "inpatient treatment"),
        "criminal_case_open": pgettext_lazy("reason", "criminal proceedings under way"),
        "term_expired": pgettext_lazy("reason", "term expired"),
        "recipient_request": pgettext_lazy("reason", "at the recipient's request"),
        "conditions_breached": pgettext_lazy("reason", "terms of the contract breached"),
        "goals_achieved": pgettext_lazy("reason", "goals achieved"),
        "returned_home": pgettext_lazy("reason", "returned home"),
        "placed_in_family": pgettext_lazy("reason", "placed in a family"),
        "came_of_age": pgettext_lazy("reason", "came of age"),
        "transferred": pgettext_lazy("reason", "case transferred to another body"),
        "no_protection_need": pgettext_lazy("reason", "no need of protection"),
        "other": pgettext_lazy("reason", "other"),
    },
    "value.outcome": {
        "services_delivered": pgettext_lazy("outcome", "services delivered"),
        "child_placed": pgettext_lazy("outcome", "child placed"),
        "returned_home": pgettext_lazy("outcome", "returned home"),
        "referred_onward": pgettext_lazy("outcome", "referred onward"),
        "refused_by_family": pgettext_lazy("outcome", "refused by the family"),
        "recognized": pgettext_lazy("outcome", "recognised as a victim"),
        "not_recognized": pgettext_lazy("outcome", "not recognised as a victim"),
        "other": pgettext_lazy("outcome", "other"),
    },
    "value.funding": {
        "state": pgettext_lazy("funding", "state budget"),
        "international": pgettext_lazy("funding", "international funding"),
    },
    "value.via": {
        "self": pgettext_lazy("applied", "on their own"),
        "police": pgettext_lazy("applied", "through the police"),
        "social": pgettext_lazy("applied", "through the social protection body"),
    },
    "value.path": {
        "provider": pgettext_lazy("assessed by", "the service provider"),
        "police": pgettext_lazy("assessed by", "the police"),
    },
    "value.facility": {
        "baby_home": pgettext_lazy("placed in", "a baby home"),
        "adaptation_centre": pgettext_lazy("placed in", "an adaptation centre for minors"),
        "support_centre": pgettext_lazy("placed in", "a support centre for children in difficulty"),
        "family": pgettext_lazy("placed in", "a family"),
        "foster_family": pgettext_lazy("placed in", "a foster family"),
    },
    "value.months": {
        "1": pgettext_lazy("extended by", "1 month"),
        "2": pgettext_lazy("extended by", "2 months"),
        "3": pgettext_lazy("extended by", "3 months"),
    },
    # The kinds of special social services of Kazakhstan's law on them.
    "value.service_type": {
        "household": pgettext_lazy("service", "social and household"),
        "medical": pgettext_lazy("service", "social and medical"),
        "psychological": pgettext_lazy("service", "social and psychological"),
        "pedagogical": pgettext_lazy("service", "social and pedagogical"),
        "labour": pgettext_lazy("service", "social and labour"),
        "cultural": pgettext_lazy("service", "social and cultural"),
        "economic": pgettext_lazy("service", "social and economic"),
        "legal": pgettext_lazy("service", "social and legal"),
    },
    "value.scope": {
        "data_sharing": pgettext_lazy("consent to", "sharing of data"),
        "services": pgettext_lazy("consent to", "receiving services"),
        "police_notification": pgettext_lazy("consent to", "notifying the police"),
        "medical_examination": pgettext_lazy("consent to", "a medical examination"),
        "return_home": pgettext_lazy("consent to", "a return home"),
    },
    "value.decision": {
        "granted": pgettext_lazy("consent", "given"),
        "withdrawn": pgettext_lazy("consent", "withdrawn"),
        "refused": pgettext_lazy("consent", "refused"),
    },
    "value.destination": {
        "in_country": pgettext_lazy("returned", "within Kazakhstan"),
        "abroad": pgettext_lazy("returned", "abroad"),
    },
    "value.status": {
        "safe": pgettext_lazy("child's situation", "safe"),
        "at_risk": pgettext_lazy("child's situation", "at risk"),
        "not_found": pgettext_lazy("child's situation", "not found"),
    },
    # Why the judge rejected an event (contracts/lifecycle-and-deadlines.md, section 3.3).
    "rejection": {
        "not_authorised": pgettext_lazy("rejection", "not allowed for this type of agency"),
        "duplicate_referral": pgettext_lazy("rejection", "referral already issued"),
        "unknown_referral": pgettext_lazy("rejection", "referral not issued before"),
        "child_mismatch": pgettext_lazy("rejection", "referral issued for another child"),
        "after_withdrawal": pgettext_lazy("rejection", "after the referral was withdrawn"),
        "not_issuer": pgettext_lazy("rejection", "only the issuer may withdraw"),
        "referral_closed": pgettext_lazy("rejection", "referral already finished"),
        "not_a_recipient": pgettext_lazy("rejection", "not a recipient of the referral"),
        "duplicate_receipt": pgettext_lazy("rejection", "already received"),
        "not_received": pgettext_lazy("rejection", "not received yet"),
        "already_decided": pgettext_lazy("rejection", "already decided"),
        "not_accepting_recipient": pgettext_lazy("rejection", "not accepted by this recipient"),
        "already_completed": pgettext_lazy("rejection", "already completed"),
        "not_responsible": pgettext_lazy("rejection", "not responsible for the child"),
        "unreadable": pgettext_lazy("rejection", "answered before as unreadable"),
    },
}
