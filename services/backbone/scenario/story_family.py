"""Child D: a girl exploited with her mother, reached through the 116-16 hotline (4.6, 4.1).

The mother sends her geolocation to 116-16; the operator alerts the police, whose service
signs the receipt within a minute (the hour rule is met), and the duty officer sends a patrol.
The next morning the mother applies to a state-funded NGO herself (path i): the NGO and the
authorised body assess the child within one working day (R1), the NGO asks the authorised body
for permission within one working day (R5), signs a round-the-clock contract, delivers services
and notifies the police on the third working day, the last one the Standard allows (R7).
"""

from __future__ import annotations

from datetime import timedelta

from backbone.domain.events import Event
from backbone.scenario import criteria, payloads
from backbone.scenario import referrals as r
from backbone.scenario.clock import Clock
from backbone.scenario.demo_region import HOTLINE, NGO, POLICE, REGION, SOCIAL
from backbone.scenario.identities import DISTRICT, FAMILY_NAME, SETTLEMENT, adult_name, child_name
from backbone.scenario.ids import Minter
from backbone.scenario.track import Track

_MOTHER = adult_name("Parent", "D")
_OPERATOR = adult_name("Operator", "H")
_CASE_WORKER = adult_name("Case Worker", "S")
_SPECIALIST = adult_name("Specialist", "T")
_DUTY = adult_name("Duty Officer", "P")


def hotline_family(minter: Minter, clock: Clock) -> list[Event]:
    t = Track(minter, "D", REGION)
    found = t.emit(
        "identified",
        "ChildIdentified",
        clock.at(1, 19, 40),
        HOTLINE,
        payloads.child_identified(
            given_name=child_name("D"),
            family_name=FAMILY_NAME,
            iin=None,
            birth_date=None,
            estimated_age_years=9,
            sex="female",
            citizenship="KG",
            languages=("ky", "ru"),
            district=DISTRICT,
            settlement=SETTLEMENT,
            place="Synthetic cotton farm (the caller's geolocation)",
            circumstances="The mother wrote to 116-16 by WhatsApp and sent her location: she "
            "and her daughter work on a farm without pay and their passports are kept.",
            adult=("parent", _MOTHER),
            identified_by=f"{_OPERATOR}, 116-16 operator",
        ),
        attributes={"setting": "hotline", "accompanied": "true", "age_band": "7-13"},
    )
    alert = r.issue(
        t,
        "hotline-alert",
        clock.at(1, 19, 50),
        HOTLINE,
        [POLICE],
        "hotline_alert",
        payloads.referral_issued(
            summary="Geolocation of a mother and child held on a farm; immediate response.",
            urgency="immediate",
            contact_name=_OPERATOR,
            documents=["geolocation (synthetic)"],
        ),
        cause=found,
    )
    police_got = r.receive_promptly(t, alert, POLICE, _DUTY)
    police_took = r.accept(t, police_got, clock.at(1, 20, 40), _DUTY, "Patrol sent.")
    r.complete(
        t,
        police_took,
        clock.at(2, 9),
        "referred_onward",
        "Family reached and brought to safety; the mother took the NGO's contacts.",
    )
    application = t.emit(
        "application",
        "ServiceApplicationReceived",
        clock.at(2, 10),
        NGO,
        payloads.service_application(
            child=(child_name("D"), FAMILY_NAME, None, None),
            applicant=(_MOTHER, "parent", None),
            channel="in_person",
            received_by=_CASE_WORKER,
            needs="Shelter with her mother, medical check, psychological support, school.",
        ),
        attributes={"funding": "state", "via": "self"},
        cause=found,
    )
    assessed = t.emit(
        "assessment",
        "VictimStatusAssessed",
        clock.at(2, 16),
        NGO,
        payloads.victim_status(
            interview_date=clock.day(2),
            assessors=[(_CASE_WORKER, NGO), (_SPECIALIST, SOCIAL)],
            representative="parent",
            present=criteria.LABOUR,
            conclusion="Recognised: child labour on a farm with withheld documents.",
        ),
        attributes={"outcome": "recognized", "path": "provider"},
        cause=application,
    )
    permission = r.issue(
        t,
        "service-permission",
        clock.at(3, 10),
        NGO,
        [SOCIAL],
        "service_permission",
        payloads.referral_issued(
            summary="Permission requested to provide special social services (R5).",
            urgency="routine",
            contact_name=_CASE_WORKER,
            services=["household", "medical", "psychological", "pedagogical"],
            documents=["assessment form (Appendix 3)", "applicant's application"],
        ),
        cause=assessed,
    )
    social_got = r.receive_promptly(t, permission, SOCIAL, _SPECIALIST)
    social_took = r.accept(t, social_got, clock.at(3, 15), _SPECIALIST)
    granted = r.complete(
        t, social_took, clock.at(4, 10), "other", "Permission granted for the services asked."
    )
    _contract_and_services(t, clock, granted)
    notice = r.issue(
        t,
        "police-notification",
        clock.at(5, 11),
        NGO,
        [POLICE],
        "police_notification",
        payloads.referral_issued(
            summary="TIP-related case taken on by a state-funded provider (R7).",
            urgency="routine",
            contact_name=_CASE_WORKER,
        ),
        cause=application,
    )
    notice_got = r.receive_promptly(t, notice, POLICE, adult_name("Officer", "P"))
    r.accept(t, notice_got, clock.at(5, 15), adult_name("Officer", "P"))
    return t.events


def _contract_and_services(t: Track, clock: Clock, granted: Event) -> None:
    t.emit(
        "contract",
        "ServiceContractSigned",
        clock.at(4, 12),
        NGO,
        payloads.contract_signed(
            number="SYN-SSS-0002",
            starts_on=clock.day(4),
            ends_on=clock.day(4) + timedelta(days=180),
            stay="round_the_clock",
            services=["household", "medical", "psychological", "pedagogical"],
            signed_by=_MOTHER,
        ),
        cause=granted,
    )
    delivered = (
        (4, 14, "household", "Room, meals, clothing and hygiene kit", None),
        (5, 10, "medical", "Primary medical examination", 40),
        (6, 10, "psychological", "Individual session", 60),
        (8, 10, "pedagogical", "Enrolment support at a local school", 120),
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
