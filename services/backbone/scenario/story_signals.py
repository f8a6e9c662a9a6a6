"""Children B and C: early signals from health and school (seed digest 4.4, 4.5).

B: a patronage nurse classifies an infant's home as high risk and, as the MoH-2022 rules ask,
reports to the territorial police and to the social-protection body (§8.4, §8.5). Both services
sign their receipts at once. The police accept and act; at the social body nobody ever accepts
or declines the referral: **the stalled handoff**, the gap the report names ("unclear when
nurses refer high-risk children", §8.5).

C: a teacher notices weeks of absence; the social pedagogue assesses moderate risk (absence,
child labour) and turns to the juvenile affairs inspection (§8.4), which accepts the next
morning. The inspectors find the boy working alone at the bazaar, which makes him an
unaccompanied child; they owe guardianship a notice within one working day and send it a
working day late (guardianship's "limited" part in such cases, §8.1, §8.5). Guardianship
receives it at once and accepts it within the hour.
"""

from __future__ import annotations

from datetime import timedelta

from backbone.domain.events import Event
from backbone.scenario import payloads
from backbone.scenario import referrals as r
from backbone.scenario.clock import Clock
from backbone.scenario.demo_region import GUARDIANSHIP, PHC, POLICE, REGION, SCHOOL, SOCIAL
from backbone.scenario.identities import (
    DISTRICT,
    FAMILY_NAME,
    SETTLEMENT,
    address,
    adult_name,
    child_name,
    iin,
)
from backbone.scenario.ids import Minter
from backbone.scenario.track import Track

_NURSE = adult_name("Nurse", "B")
_PEDAGOGUE = adult_name("Social Pedagogue", "C")
_JUVENILE = adult_name("Juvenile Inspector", "J")


def patronage_infant(minter: Minter, clock: Clock) -> list[Event]:
    t = Track(minter, "B", REGION)
    found = t.emit(
        "identified",
        "ChildIdentified",
        clock.at(3, 10, 40),
        PHC,
        payloads.child_identified(
            given_name=child_name("B"),
            family_name=FAMILY_NAME,
            iin=iin(2),
            birth_date=clock.day(0) - timedelta(days=300),
            estimated_age_years=None,
            sex="female",
            citizenship="KZ",
            languages=("kk",),
            district=DISTRICT,
            settlement=SETTLEMENT,
            place=address(7),
            circumstances="Home visit under the patronage programme (2 antenatal and 9 home "
            "visits up to age 5): the infant was alone for hours, the home unsafe.",
            adult=("parent", adult_name("Parent", "B")),
            identified_by=f"{_NURSE}, patronage nurse",
        ),
        attributes={"setting": "phc", "accompanied": "true", "age_band": "0-3"},
    )
    risk = t.emit(
        "risk",
        "RiskAssessed",
        clock.at(3, 11),
        PHC,
        payloads.risk_assessed(
            role="patronage_nurse",
            assessor=_NURSE,
            factors=("neglect", "violence", "parental_substance_use", "unsafe_home"),
            observations="High risk: signs of neglect and violence at home (synthetic).",
            plan_required=True,
            next_visit=clock.day(5),
        ),
        attributes={"risk_level": "high"},
        cause=found,
    )
    report = r.issue(
        t,
        "police-report",
        clock.at(3, 15),
        PHC,
        [POLICE],
        "police_notification",
        payloads.referral_issued(
            summary="High-risk home found by the patronage nurse; report to the police (§8.5).",
            urgency="urgent",
            contact_name=_NURSE,
        ),
        cause=risk,
    )
    got = r.receive_promptly(t, report, POLICE, adult_name("District Inspector", "K"))
    r.accept(t, got, clock.at(4, 10), adult_name("District Inspector", "K"), "Home visit planned.")
    support = r.issue(
        t,
        "social-support",
        clock.at(3, 15, 5),
        PHC,
        [SOCIAL],
        "other",
        payloads.referral_issued(
            summary="High-risk family needs social support; individual plan (MoH-2022 Annex 5).",
            urgency="urgent",
            contact_name=_NURSE,
            services=["household", "psychological"],
            documents=["individual plan draft"],
        ),
        cause=risk,
    )
    # Received by the social body's service at once; then nobody accepts or declines it.
    r.receive_promptly(t, support, SOCIAL, adult_name("Intake Clerk", "W"))
    t.emit(
        "follow-up-visit",
        "ServiceDelivered",
        clock.at(5, 11),
        PHC,
        payloads.service_delivered(
            "Follow-up home visit; no social worker has been in touch", _NURSE, 50, None
        ),
        attributes={"service_type": "medical"},
        cause=risk,
    )
    return t.events


def school_pupil(minter: Minter, clock: Clock) -> list[Event]:
    t = Track(minter, "C", REGION)
    found = t.emit(
        "identified",
        "ChildIdentified",
        clock.at(4, 9, 30),
        SCHOOL,
        payloads.child_identified(
            given_name=child_name("C"),
            family_name=FAMILY_NAME,
            iin=iin(3),
            birth_date=clock.day(0) - timedelta(days=12 * 365),
            estimated_age_years=None,
            sex="male",
            citizenship="KZ",
            languages=("kk", "ru"),
            district=DISTRICT,
            settlement=SETTLEMENT,
            place="Synthetic school No. 12",
            circumstances="Absent for three weeks; classmates say he works at the bazaar.",
            adult=("parent", adult_name("Parent", "C")),
            identified_by=f"{adult_name('Teacher', 'C')}, class teacher",
        ),
        attributes={"setting": "school", "accompanied": "true", "age_band": "7-13"},
    )
    risk = t.emit(
        "risk",
        "RiskAssessed",
        clock.at(4, 10),
        SCHOOL,
        payloads.risk_assessed(
            role="social_pedagogue",
            assessor=_PEDAGOGUE,
            factors=("school_absence", "child_labour"),
            observations="Moderate risk: long absence, work at the bazaar (synthetic).",
            plan_required=True,
        ),
        attributes={"risk_level": "moderate"},
        cause=found,
    )
    juvenile = r.issue(
        t,
        "juvenile-inspection",
        clock.at(4, 11),
        SCHOOL,
        [POLICE],
        "other",
        payloads.referral_issued(
            summary="Pedagogical support for the family with the juvenile inspection (§8.4).",
            urgency="routine",
            contact_name=_PEDAGOGUE,
            services=["pedagogical"],
        ),
        cause=risk,
    )
    got = r.receive_promptly(t, juvenile, POLICE, _JUVENILE)
    took = r.accept(t, got, clock.at(5, 10), _JUVENILE, "Visit to the bazaar today.")
    alone = t.emit(
        "identified-at-bazaar",
        "ChildIdentified",
        clock.at(5, 12),
        POLICE,
        payloads.child_identified(
            given_name=child_name("C"),
            family_name=FAMILY_NAME,
            iin=iin(3),
            birth_date=clock.day(0) - timedelta(days=12 * 365),
            estimated_age_years=None,
            sex="male",
            citizenship="KZ",
            languages=("kk", "ru"),
            district=DISTRICT,
            settlement=SETTLEMENT,
            place="Synthetic bazaar, vegetable row",
            circumstances="Found carrying crates for a stall holder during school hours; no "
            "parent present.",
            adult=("employer", adult_name("Stall Holder", "C")),
            identified_by=f"{_JUVENILE}, juvenile affairs inspection",
        ),
        attributes={"setting": "police", "accompanied": "false", "age_band": "7-13"},
        cause=took,
    )
    notice = r.issue(
        t,
        "guardianship-notice",
        clock.at(7, 10),  # due by the end of day 6: one working day late
        POLICE,
        [GUARDIANSHIP],
        "guardianship_notification",
        payloads.referral_issued(
            summary="Pupil found working at the bazaar without a parent; family needs "
            "guardianship's attention (§8.4).",
            urgency="routine",
            contact_name=_JUVENILE,
        ),
        cause=alone,
    )
    guardianship_got = r.receive_promptly(
        t, notice, GUARDIANSHIP, adult_name("Guardianship Officer", "G")
    )
    r.accept(t, guardianship_got, clock.at(7, 11), adult_name("Guardianship Officer", "G"))
    t.emit(
        "catch-up",
        "ServiceDelivered",
        clock.at(8, 10),
        SCHOOL,
        payloads.service_delivered("Catch-up lessons after the absence", _PEDAGOGUE, 90, None),
        attributes={"service_type": "pedagogical"},
        cause=risk,
    )
    return t.events
