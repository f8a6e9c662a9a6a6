"""Payload builders, one per event type, shaped exactly like ``schemas/avro/payloads``.

Each returns a plain dict with every field of the schema (optional ones as ``None`` or an empty
list), so the dict encodes under fastavro's strict writer and reads back equal. Dates are
calendar dates ``YYYY-MM-DD``. Only synthetic values go in (see ``identities``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from synthetic import criteria

Payload = dict[str, Any]


def child_identified(
    *,
    given_name: str,
    family_name: str | None,
    iin: str | None,
    birth_date: date | None,
    estimated_age_years: int | None,
    sex: str | None,
    citizenship: str | None,
    languages: Sequence[str],
    district: str,
    settlement: str | None,
    place: str | None,
    circumstances: str,
    adult: tuple[str, str | None] | None,
    identified_by: str,
) -> Payload:
    """``adult`` is (relationship, name) of the adult the child was with, if any."""
    return {
        "given_name": given_name,
        "family_name": family_name,
        "patronymic": None,
        "iin": iin,
        "birth_date": _date(birth_date),
        "estimated_age_years": estimated_age_years,
        "sex": sex,
        "citizenship": citizenship,
        "languages": list(languages),
        "location": {"district": district, "settlement": settlement, "place_description": place},
        "circumstances": circumstances,
        "accompanying_adult": None
        if adult is None
        else {"relationship": adult[0], "name": adult[1]},
        "identified_by": identified_by,
    }


def risk_assessed(
    *,
    role: str,
    assessor: str,
    factors: Iterable[str],
    observations: str,
    plan_required: bool,
    next_visit: date | None = None,
) -> Payload:
    return {
        "assessor_role": role,
        "assessor_name": assessor,
        "risk_factors": list(factors),
        "observations": observations,
        "individual_plan_required": plan_required,
        "next_visit": _date(next_visit),
    }


def referral_issued(
    *,
    summary: str,
    urgency: str,
    contact_name: str,
    contact_phone: str | None = None,
    services: Iterable[str] = (),
    documents: Iterable[str] = (),
) -> Payload:
    return {
        "summary": summary,
        "urgency": urgency,
        "requested_services": list(services),
        "contact_name": contact_name,
        "contact_phone": contact_phone,
        "documents": list(documents),
    }


def referral_received(received_by: str, note: str | None = None) -> Payload:
    return {"received_by": received_by, "note": note}


def referral_accepted(
    worker: str,
    *,
    phone: str | None = None,
    first_contact: date | None = None,
    note: str | None = None,
) -> Payload:
    return {
        "responsible_worker": worker,
        "contact_phone": phone,
        "planned_first_contact": _date(first_contact),
        "note": note,
    }


def envelope_unreadable() -> Payload:
    """Empty: the clear header names the reason, the event and the referral it answers."""
    return {}


def referral_declined(explanation: str, suggested_agency: str | None = None) -> Payload:
    return {"explanation": explanation, "suggested_agency": suggested_agency}


def referral_completed(summary: str, services: Iterable[str] = ()) -> Payload:
    return {"summary": summary, "services_delivered": list(services)}


def service_application(
    *,
    child: tuple[str, str | None, str | None, date | None],
    applicant: tuple[str, str, str | None],
    channel: str,
    received_by: str,
    needs: str,
) -> Payload:
    """``child``: (given, family name, IIN, birth date); ``applicant``: (name, relation, IIN)."""
    given, family, child_iin, born = child
    name, relationship, applicant_iin = applicant
    return {
        "child": {
            "given_name": given,
            "family_name": family,
            "iin": child_iin,
            "birth_date": _date(born),
        },
        "applicant": {"name": name, "relationship": relationship, "iin": applicant_iin},
        "channel": channel,
        "received_by": received_by,
        "needs": needs,
    }


def victim_status(
    *,
    interview_date: date,
    assessors: Iterable[tuple[str, str]],
    representative: str,
    present: Iterable[int],
    conclusion: str,
    pre_trial_victim: bool = False,
) -> Payload:
    """The Appendix 3 form: ``assessors`` are (name, organisation); ``present`` criteria numbers."""
    return {
        "form_version": criteria.FORM_VERSION,
        "interview_date": interview_date.isoformat(),
        "assessors": [{"name": n, "organisation": o} for n, o in assessors],
        "child_representative": representative,
        "pre_trial_victim": pre_trial_victim,
        "criteria": criteria.answers(set(present)),
        "conclusion": conclusion,
    }


def placement(
    *,
    facility_name: str,
    basis: str,
    decision_reference: str | None,
    planned_until: date | None,
    intake_notes: str | None,
) -> Payload:
    return {
        "facility_name": facility_name,
        "basis": basis,
        "decision_reference": decision_reference,
        "planned_until": _date(planned_until),
        "intake_notes": intake_notes,
    }


def status_determined(status: str, decided_on: date, reference: str, note: str | None) -> Payload:
    return {
        "status": status,
        "decided_on": decided_on.isoformat(),
        "decision_reference": reference,
        "note": note,
    }


def consent(
    *,
    given_by: tuple[str, str],
    form: str,
    purpose: str,
    reference: str | None,
    witness: str | None,
) -> Payload:
    return {
        "given_by": {"name": given_by[0], "relationship": given_by[1]},
        "form": form,
        "purpose": purpose,
        "document_reference": reference,
        "witnessed_by": witness,
    }


def contract_signed(
    *,
    number: str,
    starts_on: date,
    ends_on: date,
    stay: str,
    services: Iterable[str],
    signed_by: str,
) -> Payload:
    return {
        "contract_number": number,
        "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat(),
        "stay": stay,
        "planned_services": list(services),
        "signed_by": signed_by,
    }


# The clear header's closed codes (catalogue, v1.1) → the payload's own enums, which predate them.
_CONTRACT_END_GROUNDS = {
    "term_expired": "expired",
    "recipient_request": "recipient_request",
    "conditions_breached": "non_compliance",
    "goals_achieved": "goals_achieved",
    "other": "other",
}
_WELLBEING = {"safe": "stable", "at_risk": "at_risk", "not_found": "not_reached"}


def contract_extended(*, number: str, new_end_date: date, reason: str) -> Payload:
    """``reason`` is the header's code (``inpatient_treatment`` or ``criminal_case_open``)."""
    return {"contract_number": number, "new_end_date": new_end_date.isoformat(), "ground": reason}


def contract_ended(*, number: str, ended_on: date, reason: str, note: str | None) -> Payload:
    """``reason`` is the header's code; the payload's ground is its counterpart."""
    return {
        "contract_number": number,
        "ended_on": ended_on.isoformat(),
        "ground": _CONTRACT_END_GROUNDS[reason],
        "note": note,
    }


def child_returned_home(
    *,
    country: str,
    settlement: str | None,
    address: str | None,
    handed_to: tuple[str, str],
    escorted_by: str | None,
    return_date: date,
) -> Payload:
    """``handed_to`` is (name, relationship) of the adult who takes the child."""
    return {
        "country": country,
        "settlement": settlement,
        "address": address,
        "handed_to": {"name": handed_to[0], "relationship": handed_to[1]},
        "escorted_by": escorted_by,
        "return_date": return_date.isoformat(),
    }


def follow_up(
    *,
    method: str,
    status: str,
    in_school: bool | None,
    notes: str | None,
    next_follow_up: date | None,
) -> Payload:
    """``status`` is the header's code (``safe``, ``at_risk``, ``not_found``); the payload's
    wellbeing is its counterpart."""
    return {
        "method": method,
        "wellbeing": _WELLBEING[status],
        "in_school": in_school,
        "notes": notes,
        "next_follow_up": _date(next_follow_up),
    }


def service_delivered(
    description: str, delivered_by: str, minutes: int | None, plan_item: str | None
) -> Payload:
    return {
        "description": description,
        "delivered_by": delivered_by,
        "duration_minutes": minutes,
        "plan_item": plan_item,
    }


def _date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
