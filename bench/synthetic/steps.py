"""Synthetic steps shared by several pathways: guardianship, placement, return home and
follow-up, applications, service contracts from signature to end, and the risk-signal route of
nurses and schools (seed digest 4.1, 4.3-4.5, §7.2, §7.3, §8.3).

The terms measured in months follow the same rule as the working-day duties (``sampling``): a
step on time falls well inside its term, a late one at least two weeks past it, so each verdict
is certain by construction.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final

from backbone.audit.core.calendar import add_months
from backbone.domain.catalogue import EXTENSION_REASONS, SERVICE_TYPES_DELIVERED
from backbone.domain.events import Event
from synthetic import payloads
from synthetic.clock import local
from synthetic.identities import FAMILY_NAME, SETTLEMENT, address, child_name
from synthetic.sampling import Child

_SERVICE_TYPES = sorted(SERVICE_TYPES_DELIVERED)
_EXTENSION_REASONS = sorted(EXTENSION_REASONS)
CONTRACT_MONTHS: Final = 6  # R9: a contract runs up to six months
# A third follow-up that still finds the child at risk or not found is the last one: monitoring
# stops there, as the report finds it does (§8.3), and ``follow-up-repeat`` stays open.
MAX_FOLLOW_UPS: Final = 3


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
    if facility != "adaptation_centre":
        return
    if not child.chance(child.profile.not_traced):
        return_home(child, a.guardianship, placed, found)
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


def return_home(child: Child, agency: str, placed: Event, found: Event) -> None:
    """The family is traced: ``agency`` returns the child home from the ЦАН within its three
    months (R12; ``further-residence``), or late, and follows up (``return-follow-up``)."""
    citizenship = found.payload.get("citizenship") if found.payload else None
    country = citizenship or "KZ"
    if child.chance(child.profile.late_duty):
        returned_at = _late(child, placed.occurred_at, months=3)
    else:
        returned_at = child.working_days_later(placed.occurred_at, 5, 40)
    returned = child.track.emit(
        "returned-home",
        "ChildReturnedHome",
        returned_at,
        agency,
        payloads.child_returned_home(
            country=country,
            settlement=SETTLEMENT,
            address=address(child.index % 9_999 + 1),
            handed_to=(child.worker("Parent"), child.rng.choice(("parent", "relative"))),
            escorted_by=child.worker("Guardianship Officer"),
            return_date=returned_at.date(),
        ),
        attributes={"destination": "in_country" if country == "KZ" else "abroad"},
        cause=placed,
    )
    follow_ups(child, agency, returned)


def follow_ups(child: Child, agency: str, returned: Event) -> None:
    """``agency``'s follow-up within a month of the return (or late), repeated within a month
    while it finds the child at risk or not found, up to ``MAX_FOLLOW_UPS`` visits."""
    abroad = returned.attributes["destination"] == "abroad"
    previous = returned
    for visit in range(1, MAX_FOLLOW_UPS + 1):
        if child.chance(child.profile.late_duty):
            at = _late(child, previous.occurred_at, months=1)
        else:
            at = child.working_days_later(previous.occurred_at, 4, 15)
        status = child.choose(child.profile.follow_up_status)
        previous = child.track.emit(
            f"follow-up/{visit}",
            "FollowUpRecorded",
            at,
            agency,
            payloads.follow_up(
                method="via_partner_agency" if abroad else "home_visit",
                status=status,
                in_school=None,
                notes=f"Synthetic follow-up {visit}: {status.replace('_', ' ')}.",
                next_follow_up=None if status == "safe" else at.date() + timedelta(days=14),
            ),
            attributes={"status": status},
            cause=previous,
        )
        if status == "safe":
            return


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
    number, ends_on = f"SYN-SSS-{child.index:06d}", add_months(child.now.date(), CONTRACT_MONTHS)
    signed = child.track.emit(
        "contract",
        "ServiceContractSigned",
        child.now,
        provider,
        payloads.contract_signed(
            number=number,
            starts_on=child.now.date(),
            ends_on=ends_on,
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
    contract_term(child, provider, signed, number, ends_on)


def contract_term(child: Child, provider: str, signed: Event, number: str, ends_on: date) -> None:
    """How the contract ends (``contract-term``, ``contract-extension-term``, R9): late, past
    its six months; extended on its last working day, then ended within the extension; or
    ended by ``profile.contract_endings``, at term or (goals achieved, the family's request)
    after the services, 45-150 days after the signature."""
    rng, p = child.rng, child.profile
    if child.chance(p.late_duty):
        ended_at = _late(child, signed.occurred_at, months=CONTRACT_MONTHS)
        _end(child, provider, signed, number, ended_at, "term_expired")
        return
    term_end = child.office_hours(_last_working_day(child, ends_on))
    if child.chance(p.contract_extension):
        months, reason = rng.randint(1, 3), rng.choice(_EXTENSION_REASONS)
        new_end = add_months(local(term_end).date(), months)
        extended = child.track.emit(
            "contract-extended",
            "ServiceContractExtended",
            term_end,
            provider,
            payloads.contract_extended(number=number, new_end_date=new_end, reason=reason),
            attributes={"months": str(months), "reason": reason},
            cause=signed,
        )
        if child.chance(p.late_duty):
            ended_at = _late(child, extended.occurred_at, months=3)
        else:
            ended_at = child.office_hours(_last_working_day(child, new_end))
        _end(child, provider, extended, number, ended_at, "term_expired")
        return
    reason = child.choose(p.contract_endings)
    if reason == "term_expired":
        ended_at = term_end
    else:
        day = local(signed.occurred_at).date() + timedelta(days=rng.randint(45, 150))
        ended_at = child.office_hours(child.clock.calendar.next_working_day(day))
    _end(child, provider, signed, number, ended_at, reason)


def _end(child: Child, provider: str, cause: Event, number: str, at: datetime, reason: str) -> None:
    child.track.emit(
        "contract-ended",
        "ServiceContractEnded",
        at,
        provider,
        payloads.contract_ended(
            number=number,
            ended_on=at.date(),
            reason=reason,
            note=f"Synthetic contract end: {reason.replace('_', ' ')}.",
        ),
        attributes={"reason": reason},
        cause=cause,
    )


def _late(child: Child, moment: datetime, *, months: int) -> datetime:
    """Office hours on a working day two to five weeks after the term of ``months`` from
    ``moment`` ends (the audit's deadline is at most a few holidays past that end)."""
    day = add_months(local(moment).date(), months) + timedelta(days=child.rng.randint(14, 35))
    return child.office_hours(child.clock.calendar.next_working_day(day))


def _last_working_day(child: Child, day: date) -> date:
    """``day`` if it is a working day, else the last working day before it."""
    while not child.clock.calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day


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
