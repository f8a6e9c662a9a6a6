"""Child A: an unaccompanied 14-year-old found in a Stop Traffic raid (seed digest 4.2, 4.3, 4.7).

The mobile group finds the boy herding livestock on a remote holding, with his identity papers
kept by the employer; it refers him to the police for the assessment and the police notify
guardianship, who place him in a ЦАН the same evening (24-hour admission, R25). The police
recognise him as a victim on path (ii) with guardianship present (R15) and refer him to a
state-funded NGO within one working day (R4), which signs a day-stay contract and delivers
services. No relatives are traced, so guardianship moves him to a ЦПД, whose admission starts
the six-month status clock (R13): pending at the story's end.
"""

from __future__ import annotations

from datetime import timedelta

from backbone.domain.events import Event
from backbone.scenario import criteria, payloads
from backbone.scenario import referrals as r
from backbone.scenario.clock import Clock
from backbone.scenario.demo_region import CENTRE, GUARDIANSHIP, MOBILE, NGO, POLICE, REGION
from backbone.scenario.identities import DISTRICT, FAMILY_NAME, SETTLEMENT, adult_name, child_name
from backbone.scenario.ids import Minter
from backbone.scenario.track import Track

_INSPECTOR = adult_name("Inspector", "M")
_OFFICER = adult_name("Guardianship Officer", "G")
_CASE_WORKER = adult_name("Case Worker", "S")


def raid_child(minter: Minter, clock: Clock) -> list[Event]:
    t = Track(minter, "A", REGION)
    found = t.emit(
        "identified",
        "ChildIdentified",
        clock.after(0),
        MOBILE,
        payloads.child_identified(
            given_name=child_name("A"),
            family_name=FAMILY_NAME,
            iin=None,
            birth_date=None,
            estimated_age_years=14,
            sex="male",
            citizenship="KZ",
            languages=("kk", "ru"),
            district=DISTRICT,
            settlement=SETTLEMENT,
            place="Synthetic livestock holding, remote pasture",
            circumstances="Found herding livestock during the quarterly Stop Traffic raid; no "
            "parent or legal representative present; the employer keeps his identity papers; "
            "says he was brought from another district for seasonal work.",
            adult=("employer", adult_name("Employer", "A")),
            identified_by=f"{_INSPECTOR}, mobile group (police)",
        ),
        attributes={"setting": "raid", "accompanied": "false", "age_band": "14-17"},
    )
    to_police = r.issue(
        t,
        "identification",
        clock.after(30),
        MOBILE,
        [POLICE],
        "identification_assessment",
        payloads.referral_issued(
            summary="Unaccompanied boy found in the raid; possible labour exploitation; "
            "assessment with the provider and the authorised body (path ii).",
            urgency="urgent",
            contact_name=_INSPECTOR,
            documents=["raid record (synthetic)"],
        ),
        cause=found,
    )
    police_got = r.receive_promptly(t, to_police, POLICE, adult_name("Officer", "P"))
    police_took = r.accept(t, police_got, clock.after(75), adult_name("Officer", "P"))
    notify = r.issue(
        t,
        "guardianship-notification",
        clock.after(150),
        POLICE,
        [GUARDIANSHIP],
        "guardianship_notification",
        payloads.referral_issued(
            summary="Unaccompanied child found; placement needed (seed digest 4.3).",
            urgency="urgent",
            contact_name=adult_name("Officer", "P"),
        ),
        cause=found,
    )
    guardianship_got = r.receive_promptly(t, notify, GUARDIANSHIP, _OFFICER)
    guardianship_took = r.accept(t, guardianship_got, clock.after(240), _OFFICER)
    t.emit(
        "placement-can",
        "PlacementMade",
        clock.after(450),
        GUARDIANSHIP,
        payloads.placement(
            facility_name="Synthetic Centre for Adaptation of Minors (ЦАН)",
            basis="Guardianship decision: unaccompanied child, temporary placement",
            decision_reference="SYN-GD-0001",
            planned_until=clock.day(0) + timedelta(days=90),
            intake_notes="Primary medical examination, clothing and a meal on admission.",
        ),
        attributes={"facility": "adaptation_centre"},
        cause=guardianship_took,
    )
    assessed = t.emit(
        "assessment",
        "VictimStatusAssessed",
        clock.at(1, 10),
        POLICE,
        payloads.victim_status(
            interview_date=clock.day(1),
            assessors=[
                (adult_name("Officer", "P"), POLICE),
                (_CASE_WORKER, NGO),
                (adult_name("Specialist", "T"), "social.turkestan"),
            ],
            representative="guardianship",
            present=criteria.LABOUR,
            conclusion="Recognised: forced labour with withheld documents (synthetic).",
        ),
        attributes={"outcome": "recognized", "path": "police"},
        cause=police_took,
    )
    r.complete(
        t,
        police_took,
        clock.at(1, 11),
        "referred_onward",
        "Assessment done (path ii): recognised as a victim; referred on for victim services.",
    )
    to_ngo = r.issue(
        t,
        "victim-services",
        clock.at(1, 14),
        POLICE,
        [NGO],
        "victim_services",
        payloads.referral_issued(
            summary="Recognised child victim placed in a ЦАН; day-stay services requested.",
            urgency="urgent",
            contact_name=adult_name("Officer", "P"),
            services=["psychological", "legal", "pedagogical"],
            documents=["assessment form (Appendix 3)"],
        ),
        cause=assessed,
    )
    ngo_got = r.receive_promptly(t, to_ngo, NGO, _CASE_WORKER)
    ngo_took = r.accept(t, ngo_got, clock.at(2, 9, 30), _CASE_WORKER)
    _services(t, clock, ngo_took)
    _transfer(t, clock, guardianship_took)
    return t.events


def _services(t: Track, clock: Clock, accepted: Event) -> None:
    application = t.emit(
        "application",
        "ServiceApplicationReceived",
        clock.at(2, 11),
        NGO,
        payloads.service_application(
            child=(child_name("A"), FAMILY_NAME, None, None),
            applicant=(adult_name("Officer", "P"), "police_officer", None),
            channel="handed_over",
            received_by=_CASE_WORKER,
            needs="Day-stay psychological, legal and pedagogical support while in the ЦАН.",
        ),
        attributes={"funding": "state", "via": "police"},
        cause=accepted,
    )
    t.emit(
        "consent",
        "ConsentRecorded",
        clock.at(2, 11, 30),
        NGO,
        payloads.consent(
            given_by=(_OFFICER, "guardianship"),
            form="written",
            purpose="Special social services and sharing with the ЦАН's staff.",
            reference="SYN-CONSENT-0001",
            witness=_CASE_WORKER,
        ),
        attributes={"scope": "services", "decision": "granted"},
        cause=application,
    )
    t.emit(
        "contract",
        "ServiceContractSigned",
        clock.at(2, 12),
        NGO,
        payloads.contract_signed(
            number="SYN-SSS-0001",
            starts_on=clock.day(2),
            ends_on=clock.day(2) + timedelta(days=180),
            stay="day_stay",
            services=["psychological", "legal", "pedagogical"],
            signed_by=_OFFICER,
        ),
        cause=application,
    )
    delivered = (
        (3, 10, "psychological", "Individual session (play therapy)", 60),
        (3, 14, "legal", "Request to restore identity documents", 45),
        (5, 10, "pedagogical", "Assessment of schooling gaps", 90),
    )
    for day, hour, kind, what, minutes in delivered:
        t.emit(
            f"service/{kind}",
            "ServiceDelivered",
            clock.at(day, hour),
            NGO,
            payloads.service_delivered(what, _CASE_WORKER, minutes, f"plan item: {kind}"),
            attributes={"service_type": kind},
        )


def _transfer(t: Track, clock: Clock, guardianship_took: Event) -> None:
    move = r.issue(
        t,
        "placement-cpd",
        clock.at(6, 10),
        GUARDIANSHIP,
        [CENTRE],
        "placement",
        payloads.referral_issued(
            summary="No relatives traced; residence in a ЦПД while status is determined.",
            urgency="routine",
            contact_name=_OFFICER,
            services=["household", "pedagogical"],
        ),
        cause=guardianship_took,
    )
    centre_got = r.receive_promptly(t, move, CENTRE, adult_name("Administrator", "Z"))
    centre_took = r.accept(t, centre_got, clock.at(6, 14), adult_name("Administrator", "Z"))
    t.emit(
        "placement-cpd-admission",
        "PlacementMade",
        clock.at(7, 10),
        CENTRE,
        payloads.placement(
            facility_name="Synthetic Child Support Centre (ЦПД)",
            basis="Guardianship referral; status to be determined within six months",
            decision_reference="SYN-GD-0002",
            planned_until=None,
            intake_notes="Admitted from the ЦАН with his file.",
        ),
        attributes={"facility": "support_centre"},
        cause=centre_took,
    )
    r.complete(t, guardianship_took, clock.at(7, 12), "child_placed", "Placed in a ЦПД.")
