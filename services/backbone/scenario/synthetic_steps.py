"""Synthetic steps shared by several pathways: guardianship and placement, applications and
service plans, and the risk-signal route of nurses and schools (seed digest 4.1, 4.3-4.5)."""

from __future__ import annotations

from backbone.domain.catalogue import SERVICE_TYPES_DELIVERED
from backbone.domain.events import Event
from backbone.scenario import payloads
from backbone.scenario.identities import FAMILY_NAME, child_name
from backbone.scenario.sampling import Child

_SERVICE_TYPES = sorted(SERVICE_TYPES_DELIVERED)


def provider_for(child: Child) -> str:
    """A state-funded or an internationally funded NGO of the child's region."""
    a = child.agencies
    return a.ngo_state if child.chance(child.profile.state_funding) else a.ngo_international


def guardianship_route(child: Child, identifier: str, found: Event, band: str) -> None:
    """Notify guardianship (a 1-working-day duty) who place the child by age (R14)."""
    a = child.agencies
    child.now = found.occurred_at
    child.now = child.duty(1)
    taken = child.handoff(
        "guardianship-notification",
        identifier,
        a.guardianship,
        "guardianship_notification",
        "Unaccompanied child; placement.",
        found,
    )
    if taken is None:
        return
    facility = "baby_home" if band == "0-3" else "adaptation_centre"
    placed = child.track.emit(
        "placement",
        "PlacementMade",
        child.minutes_later(child.now, 30, 480),
        a.guardianship,
        _placement("Synthetic baby home" if band == "0-3" else "Synthetic ЦАН"),
        attributes={"facility": facility},
        cause=taken,
    )
    if facility != "adaptation_centre" or not child.chance(child.profile.not_traced):
        return
    child.now = child.working_days_later(placed.occurred_at, 5, 40)
    moved = child.handoff(
        "transfer",
        a.guardianship,
        a.support_centre,
        "placement",
        "No family traced; residence in a ЦПД.",
        placed,
    )
    if moved is None:
        return
    admitted = child.track.emit(
        "admission",
        "PlacementMade",
        child.minutes_later(child.now, 60, 600),
        a.support_centre,
        _placement("Synthetic ЦПД"),
        attributes={"facility": "support_centre"},
        cause=moved,
    )
    child.now = admitted.occurred_at
    decided = child.duty_months()
    child.track.emit(
        "status",
        "ChildStatusDetermined",
        decided,
        a.support_centre,
        payloads.status_determined("without_parental_care", decided.date(), "SYN-SD", None),
        cause=admitted,
    )


def application(child: Child, provider: str, via: str, cause: Event) -> Event:
    funding = "state" if provider == child.agencies.ngo_state else "international"
    relationship = {"self": "parent", "police": "police_officer", "social": "social_worker"}[via]
    return child.track.emit(
        "application",
        "ServiceApplicationReceived",
        child.now,
        provider,
        payloads.service_application(
            child=(child_name(f"{child.index:06d}"), FAMILY_NAME, None, None),
            applicant=(child.worker("Applicant"), relationship, None),
            channel="in_person" if via == "self" else "handed_over",
            received_by=child.worker("Case Worker"),
            needs="Synthetic needs.",
        ),
        attributes={"funding": funding, "via": via},
        cause=cause,
    )


def service_plan(child: Child, provider: str, cause: Event) -> None:
    """A contract and two to five of the eight service types, over the following weeks."""
    planned = child.rng.sample(_SERVICE_TYPES, child.rng.randint(2, 5))
    signed = child.track.emit(
        "contract",
        "ServiceContractSigned",
        child.now,
        provider,
        payloads.contract_signed(
            number=f"SYN-SSS-{child.index:06d}",
            starts_on=child.now.date(),
            ends_on=child.clock.calendar.working_day_after(child.now.date(), 120),
            stay=child.rng.choice(("day_stay", "round_the_clock")),
            services=planned,
            signed_by=child.worker("Parent"),
        ),
        cause=cause,
    )
    for kind in planned:
        child.track.emit(
            f"service/{kind}",
            "ServiceDelivered",
            child.working_days_later(child.now, 1, 20),
            provider,
            payloads.service_delivered(
                f"Synthetic {kind} service",
                child.worker("Specialist"),
                child.rng.randint(30, 180),
                f"plan item: {kind}",
            ),
            attributes={"service_type": kind},
            cause=signed,
        )


def signal_route(child: Child, identifier: str, found: Event, accompanied: bool) -> None:
    """Nurse or school triage; moderate and high risk are referred on (4.4, 4.5)."""
    a, school = child.agencies, found.attributes["setting"] == "school"
    level = child.choose(child.profile.risk_levels)
    risk = child.track.emit(
        "risk",
        "RiskAssessed",
        child.minutes_later(found.occurred_at, 5, 60),
        identifier,
        payloads.risk_assessed(
            role="social_pedagogue" if school else "patronage_nurse",
            assessor=child.worker("Assessor"),
            factors=("school_absence", "child_labour") if school else ("neglect",),
            observations=f"Synthetic {level} risk.",
            plan_required=level != "low",
        ),
        attributes={"risk_level": level},
        cause=found,
    )
    if level == "low":
        return
    first = (a.police, "other") if school else (a.social, "other")
    child.now = child.minutes_later(risk.occurred_at, 30, 240)
    child.handoff("risk-referral", identifier, first[0], first[1], "Risk referral.", risk)
    second = None
    if school and accompanied:
        second = (a.guardianship, "guardianship_notification")
    elif not school and level == "high":
        second = (a.police, "police_notification")
    if second is not None:
        child.now = child.minutes_later(risk.occurred_at, 30, 240)
        child.handoff("risk-notice", identifier, second[0], second[1], "Risk notice.", risk)


def _placement(facility_name: str) -> payloads.Payload:
    return payloads.placement(
        facility_name=facility_name,
        basis="Synthetic guardianship decision",
        decision_reference="SYN-GD",
        planned_until=None,
        intake_notes=None,
    )
