"""The figures that shape synthetic pathways, each with the seed-digest section behind it.

The report has few proportions about children (seed digest, section 6). Where it has one, the
default below uses it and says how; where it has none, the figure is ours, marked
"assumption", and the section named is the qualitative statement it tries to respect. A load
test or benchmark can pass its own ``Profile``; the generator only reads these fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from backbone.domain.agencies import REGIONS
from backbone.domain.catalogue import CONTRACT_END_REASONS, FOLLOW_UP_STATUSES

SETTINGS: Final = ("raid", "police", "ngo", "school", "phc", "hotline", "other")
AGE_BANDS: Final = ("0-3", "4-6", "7-13", "14-17")

# Interviewees' bands (digest 6.9): under 7-8 (begging), 7-14 (labour), 14-18 (earnings,
# independence). Assumption: the older bands dominate among identified children.
_GENERAL_AGES: Final = {"0-3": 0.05, "4-6": 0.15, "7-13": 0.40, "14-17": 0.40}


@dataclass(frozen=True)
class Profile:
    # Project regions weighted by 116-16 calls per region, Table 3 (digest 6.3): "South
    # Kazakhstan oblast" (today's Turkestan) 154, Shymkent 109, Almaty oblast 108, Almaty 93,
    # Kyzylorda 90, Zhambyl 77. Zhetysu, a project region, is absent from Table 3. Keys are the
    # contract's region codes (``REGIONS``: Almaty oblast is ``almaty-region``, Zhambyl
    # ``jambyl``).
    regions: Mapping[str, float] = field(
        default_factory=lambda: {
            "turkestan": 154,
            "shymkent": 109,
            "almaty-region": 108,
            "almaty": 93,
            "kyzylorda": 90,
            "jambyl": 77,
        }
    )
    # Who identifies the child. Assumption: police carry the legal duty (A1, §8) and run the
    # quarterly raids (R17); schools and patronage nurses see children daily (4.4, 4.5);
    # hotlines rarely (Table 2 has no child callers, Table 4 has 10 specific cases in 1,205
    # calls); "other" is parents, neighbours and the ombudsman bringing a child (A34).
    settings: Mapping[str, float] = field(
        default_factory=lambda: {
            "raid": 0.15,
            "police": 0.25,
            "ngo": 0.15,
            "school": 0.15,
            "phc": 0.15,
            "hotline": 0.05,
            "other": 0.10,
        }
    )
    # Age bands by setting: patronage reaches children under 5 (R18); schools, school ages.
    age_bands: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: {
            "phc": {"0-3": 0.8, "4-6": 0.2},
            "school": {"7-13": 0.65, "14-17": 0.35},
            **{s: _GENERAL_AGES for s in ("raid", "police", "ngo", "hotline", "other")},
        }
    )
    # Probability the child is with a parent or legal representative. Assumption: nurses visit
    # families (4.4); state NGOs' experience is with accompanied children (A15, §7.3); raids find
    # both unaccompanied minors and women with children (§8.1).
    accompanied: Mapping[str, float] = field(
        default_factory=lambda: {
            "raid": 0.4,
            "police": 0.5,
            "ngo": 0.9,
            "school": 0.95,
            "phc": 1.0,
            "hotline": 0.7,
            "other": 0.5,
        }
    )
    # Nurse and school triage (4.4 names the levels, not their shares). Assumption.
    risk_levels: Mapping[str, float] = field(
        default_factory=lambda: {"low": 0.6, "moderate": 0.3, "high": 0.1}
    )
    # Share of Appendix 3 assessments that recognise the child. Assumption: the report gives no
    # rate; children rarely disclose within days (O4) and recognition gates services (§7.4).
    recognition: float = 0.45
    # Share of providers funded by the state. Assumption (Table 7 shows state-funded services
    # in 15 of its 17 regions in 2023; internationally funded NGOs also work, A16).
    state_funding: float = 0.75
    # Handoff behaviour per recipient. Assumption: six of the 20 interviewees reported
    # interaction problems in the mobile groups, cooperation runs on personal contacts (§8.5).
    no_receipt: float = 0.06
    late_receipt: float = 0.12
    no_decision: float = 0.04
    decline: float = 0.05
    # Share of referrals whose recipient's service cannot read the envelope (a damaged
    # ciphertext, a reader key it lacks, a body that does not decode) and answers at once with an
    # EnvelopeUnreadable; the issuer reissues the referral. Assumption: a transport fault, not a
    # figure of the report.
    unreadable: float = 0.01
    # Share of an agency's own duties done late: R1, R4, R5, R7, R13, and the terms of a ЦАН stay
    # (R12), of a contract and its extension (R9) and of follow-up after a return. Assumption.
    late_duty: float = 0.10
    # Share of children in a ЦАН moved on to a ЦПД because no family is traced (§7.3); the
    # others' families are traced and guardianship returns them home. Assumption.
    not_traced: float = 0.5
    # Share of service contracts extended by one to three months, for inpatient treatment or an
    # open criminal case, the two grounds R9 allows (§7.2). Assumption.
    contract_extension: float = 0.10
    # How the other contracts end (§7.2 names the grounds, not their shares). Assumption.
    contract_endings: Mapping[str, float] = field(
        default_factory=lambda: {
            "term_expired": 0.6,
            "goals_achieved": 0.3,
            "recipient_request": 0.1,
        }
    )
    # What a follow-up after a return finds. Assumption: the report has no figure; it finds no
    # monitoring after return at all (§8.3).
    follow_up_status: Mapping[str, float] = field(
        default_factory=lambda: {"safe": 0.75, "at_risk": 0.2, "not_found": 0.05}
    )
    # Arrivals: more than 5,000 children served by ЦАН/ЦПД in 2023 (digest 6.8) ≈ 14 a day.
    children_per_day: float = 14.0

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ValueError("; ".join(problems))


def _problems(p: Profile) -> list[str]:
    problems = [
        f"{name}: must be from 0 to 1"
        for name in (
            "recognition",
            "state_funding",
            "late_duty",
            "not_traced",
            "contract_extension",
            "unreadable",
        )
        if not 0 <= getattr(p, name) <= 1
    ]
    for first, second in (("no_receipt", "late_receipt"), ("no_decision", "decline")):
        a, b = getattr(p, first), getattr(p, second)
        if min(a, b) < 0 or a + b > 1:
            problems.append(f"{first} + {second}: must be shares summing to at most 1")
    if p.children_per_day <= 0:
        problems.append("children_per_day: must be positive")
    weights = {
        "regions": p.regions,
        "settings": p.settings,
        "risk_levels": p.risk_levels,
        "contract_endings": p.contract_endings,
        "follow_up_status": p.follow_up_status,
    }
    weights |= {f"age_bands.{s}": p.age_bands.get(s, {}) for s in p.settings}
    for name, table in weights.items():
        if not table or any(w < 0 for w in table.values()) or sum(table.values()) <= 0:
            problems.append(f"{name}: must be non-empty, non-negative weights")
    problems += [f"regions.{r}: not a region code" for r in p.regions if r not in REGIONS]
    problems += [f"settings.{s}: unknown setting" for s in p.settings if s not in SETTINGS]
    problems += [
        f"accompanied.{s}: missing or not from 0 to 1"
        for s in p.settings
        if not 0 <= p.accompanied.get(s, -1) <= 1
    ]
    for setting, bands in p.age_bands.items():
        problems += [f"age_bands.{setting}.{b}: unknown band" for b in bands if b not in AGE_BANDS]
    problems += [
        f"risk_levels.{k}: unknown level"
        for k in p.risk_levels
        if k not in ("low", "moderate", "high")
    ]
    problems += [
        f"contract_endings.{k}: not a contract end reason"
        for k in p.contract_endings
        if k not in CONTRACT_END_REASONS
    ]
    problems += [
        f"follow_up_status.{k}: not a follow-up status"
        for k in p.follow_up_status
        if k not in FOLLOW_UP_STATUSES
    ]
    return problems


def shares(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights normalised to shares that sum to 1."""
    total = sum(weights.values())
    return {key: weight / total for key, weight in weights.items()}


DEFAULT_PROFILE: Final = Profile()
