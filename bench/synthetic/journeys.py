"""One synthetic child's pathway, by the setting that identifies it (seed digest section 4).

raid, police, hotline → the police assess (path ii) and refer recognised children to a
provider (4.2, 4.6, 4.7); ngo, other → the provider assesses on application (path i, 4.1), asks
the authorised body's permission and, if state-funded, notifies the police; phc, school → a risk
triage and referrals for moderate or high risk (4.4, 4.5). An unaccompanied child is also
notified to guardianship and placed by age (4.3, R14).
"""

from __future__ import annotations

from collections.abc import Callable

from backbone.domain.events import Event
from synthetic import payloads
from synthetic.criteria import LABOUR
from synthetic.identities import DISTRICT, FAMILY_NAME, SETTLEMENT, child_name, iin
from synthetic.sampling import Child
from synthetic.steps import (
    application,
    guardianship_route,
    provider_for,
    service_plan,
    signal_route,
)

_AGES = {"0-3": (0, 3), "4-6": (4, 6), "7-13": (7, 13), "14-17": (14, 17)}
_PLACES = {
    "raid": "Synthetic farm visited in a Stop Traffic raid",
    "police": "Synthetic bus station",
    "ngo": "Synthetic NGO office",
    "school": "Synthetic school",
    "phc": "Synthetic family home (patronage visit)",
    "hotline": "Synthetic location sent to the hotline",
    "other": "Synthetic district akimat",
}
# Citizenship of identified children. Assumption: Uzbek and Kyrgyz children are prominent
# among exploited foreigners (digest 6.9, §1.1); most identified children are citizens.
_CITIZENSHIP = {"KZ": 0.8, "UZ": 0.1, "KG": 0.1}


def draw(child: Child) -> None:
    """Write the child's events onto ``child.track``."""
    p = child.profile
    setting = child.choose(p.settings)
    band = child.choose(p.age_bands[setting])
    accompanied = child.chance(p.accompanied[setting])
    identifier = _identifier(child, setting)
    found = _identify(child, identifier, setting, band, accompanied)
    if not accompanied:
        guardianship_route(child, identifier, found, band)
    child.now = found.occurred_at
    _ROUTES[setting](child, identifier, found, accompanied)


def _identifier(child: Child, setting: str) -> str:
    a = child.agencies
    return {
        "raid": lambda: a.mobile,
        "police": lambda: a.police,
        "ngo": lambda: provider_for(child),
        "school": lambda: a.school(child.rng.randint(1, 40)),
        "phc": lambda: a.polyclinic(child.rng.randint(1, 8)),
        "hotline": lambda: a.hotline,
        "other": lambda: a.social,
    }[setting]()


def _identify(child: Child, identifier: str, setting: str, band: str, accompanied: bool) -> Event:
    rng = child.rng
    adult: tuple[str, str | None] | None = None
    if accompanied:
        adult = ("parent", child.worker("Parent"))
    if adult is None and setting in ("raid", "police"):
        adult = (rng.choice(("employer", "unknown_adult", "relative")), None)
    return child.track.emit(
        "identified",
        "ChildIdentified",
        child.now,
        identifier,
        payloads.child_identified(
            given_name=child_name(f"{child.index:06d}"),
            family_name=FAMILY_NAME,
            iin=iin(child.index % 999_999 + 1) if rng.random() < 0.5 else None,
            birth_date=None,
            estimated_age_years=rng.randint(*_AGES[band]),
            sex=rng.choice(("female", "male")),
            citizenship=child.choose(_CITIZENSHIP),
            languages=("kk", "ru"),
            district=DISTRICT,
            settlement=SETTLEMENT,
            place=_PLACES[setting],
            circumstances=f"Synthetic {setting} identification.",
            adult=adult,
            identified_by=child.worker("Identifier"),
        ),
        attributes={"setting": setting, "accompanied": str(accompanied).lower(), "age_band": band},
    )


def _police_route(child: Child, identifier: str, found: Event, accompanied: bool) -> None:
    a, setting = child.agencies, found.attributes["setting"]
    taken: Event | None = found
    if setting in ("raid", "hotline"):
        kind = "hotline_alert" if setting == "hotline" else "identification_assessment"
        child.now = child.minutes_later(found.occurred_at, 5, 30)
        taken = child.handoff(
            "to-police",
            identifier,
            a.police,
            kind,
            "Possible exploitation; police assessment.",
            found,
        )
    if taken is None:
        return
    child.now = child.minutes_later(child.now, 60, 600)
    recognized = child.chance(child.profile.recognition)
    assessed = _assess(child, a.police, "police", recognized, taken)
    if not recognized:
        return
    child.now = child.duty(1)
    provider = provider_for(child)
    accepted = child.handoff(
        "victim-services",
        a.police,
        provider,
        "victim_services",
        "Recognised victim; special social services.",
        assessed,
        services=("psychological", "legal"),
    )
    if accepted is not None:
        child.now = child.minutes_later(child.now, 30, 300)
        service_plan(child, provider, application(child, provider, "police", accepted))


def _provider_route(child: Child, identifier: str, found: Event, accompanied: bool) -> None:
    a, via, cause = child.agencies, "self", found
    provider = identifier
    if found.attributes["setting"] == "other":
        via, provider = "social", provider_for(child)
        child.now = child.minutes_later(found.occurred_at, 30, 600)
        taken = child.handoff(
            "identification",
            a.social,
            provider,
            "identification_assessment",
            "Child brought to the authorised body; assessment.",
            found,
        )
        if taken is None:
            return
        cause = taken
    child.now = child.minutes_later(child.now, 10, 60)
    applied = application(child, provider, via, cause)
    if applied.attributes["funding"] == "state":
        child.now = child.duty(3)
        child.handoff(
            "police-notification",
            provider,
            a.police,
            "police_notification",
            "TIP-related case taken on (R7).",
            applied,
        )
    child.now = applied.occurred_at
    child.now = child.duty(1)
    recognized = child.chance(child.profile.recognition)
    assessed = _assess(child, provider, "provider", recognized, applied)
    if not recognized:
        return
    child.now = child.duty(1)
    permitted = child.handoff(
        "service-permission",
        provider,
        a.social,
        "service_permission",
        "Permission for special social services (R5).",
        assessed,
    )
    if permitted is not None:
        child.now = child.minutes_later(child.now, 30, 300)
        service_plan(child, provider, permitted)


def _assess(child: Child, assessor: str, path: str, recognized: bool, cause: Event) -> Event:
    return child.track.emit(
        "assessment",
        "VictimStatusAssessed",
        child.now,
        assessor,
        payloads.victim_status(
            interview_date=child.now.date(),
            assessors=[(child.worker("Assessor"), assessor)],
            representative="parent" if path == "provider" else "guardianship",
            present=LABOUR if recognized else (),
            conclusion="Recognised (synthetic)." if recognized else "Not recognised (synthetic).",
        ),
        attributes={"outcome": "recognized" if recognized else "not_recognized", "path": path},
        cause=cause,
    )


_ROUTES: dict[str, Callable[[Child, str, Event, bool], None]] = {
    "raid": _police_route,
    "police": _police_route,
    "hotline": _police_route,
    "ngo": _provider_route,
    "other": _provider_route,
    "phc": signal_route,
    "school": signal_route,
}
