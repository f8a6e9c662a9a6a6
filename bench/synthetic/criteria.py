"""Appendix 3 of the report: the victim-status criteria (Annex 2 to the 2023 Standard).

The report says 32 criteria in four sections; only 1-28 can be recovered (seed digest, section 3
and section 8 item 1), so only those are asked here, and the form version says so. The report
gives no scoring rule or threshold, so an assessment's outcome is the assessors' conclusion, not
a count computed here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Final

FORM_VERSION: Final = "standard-2023-annex2-items-1-28"

# number → (section, short English label), as in seed-digest.md section 3.
CRITERIA: Final[Mapping[int, tuple[str, str]]] = {
    1: ("purpose", "trafficking for sexual exploitation"),
    2: ("purpose", "trafficking for forced labour"),
    3: ("purpose", "trafficking in minors for illegal adoption"),
    4: ("purpose", "trafficking for coercion into begging"),
    5: ("purpose", "trafficking for removal of organs or tissues"),
    6: ("actions", "purchase, sale or other transaction in a person"),
    7: ("actions", "use of forced labour"),
    8: ("actions", "use of prostitution or coerced sexual services"),
    9: ("actions", "coercion into begging"),
    10: ("actions", "other exercise of an owner's powers over the person"),
    11: ("actions", "recruitment"),
    12: ("actions", "transportation"),
    13: ("actions", "transfer"),
    14: ("actions", "harbouring"),
    15: ("actions", "receipt"),
    16: ("actions", "abduction for exploitation"),
    17: ("actions", "unlawful deprivation of liberty for exploitation"),
    18: ("means", "violence dangerous to life or health, or its threat"),
    19: ("means", "use of weapons or objects used as weapons"),
    20: ("means", "deception or abuse of trust"),
    21: ("means", "use of official position"),
    22: ("means", "exploiting material or other dependence"),
    23: ("means", "exploiting a mental disorder or helpless state"),
    24: ("means", "seizure, concealment or destruction of identity documents"),
    25: ("harm", "beatings causing physical pain"),
    26: ("harm", "suffering from systematic beatings"),
    27: ("harm", "harm to health causing long-term disorder"),
    28: ("harm", "harm to health dangerous to life"),
}

# Typical profiles of the report's forms of exploitation (seed digest 6.9).
LABOUR: Final = frozenset({2, 7, 11, 12, 20, 22, 24})
BEGGING: Final = frozenset({4, 9, 11, 22, 23})
SEXUAL: Final = frozenset({1, 8, 11, 13, 18, 20, 26})


def answers(present: Collection[int]) -> list[dict[str, Any]]:
    """One answer per recovered criterion, in form order; ``present`` ones carry their label."""
    unknown = set(present) - set(CRITERIA)
    if unknown:
        raise ValueError(f"not a recovered Appendix 3 criterion: {sorted(unknown)}")
    return [
        {
            "number": number,
            "section": section,
            "present": number in present,
            "note": f"present: {label}" if number in present else None,
        }
        for number, (section, label) in CRITERIA.items()
    ]
