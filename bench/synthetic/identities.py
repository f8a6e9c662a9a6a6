"""Synthetic identities: obviously fake names, identity numbers, phone numbers and places.

The rules, which tests check on every payload:

* A child's name contains "Test" ("Test-Child-A"); a family name or an adult's name contains
  "Synthetic" ("Synthetic-Surname", "Synthetic Inspector A").
* An IIN is twelve digits that start with six zeros ("000000000001"). A real IIN starts with
  the holder's birth date as YYMMDD and no month is 00, so these placeholders can never be a
  person's number; they only show where an agency would put one.
* Phone numbers use the operator code 000, which no Kazakh operator has: "+7 000 000 0001".
* Places are "Synthetic district", "Synthetic settlement", "Synthetic street 1".
"""

from __future__ import annotations

from typing import Final

FAMILY_NAME: Final = "Synthetic-Surname"
DISTRICT: Final = "Synthetic district"
SETTLEMENT: Final = "Synthetic settlement"
IIN_PREFIX: Final = "000000"
PHONE_PREFIX: Final = "+7 000 000 "


def child_name(label: str) -> str:
    return f"Test-Child-{label}"


def adult_name(role: str, label: str) -> str:
    """An adult's synthetic name that also says their role, e.g. ``Synthetic Nurse B``."""
    return f"Synthetic {role} {label}"


def iin(number: int) -> str:
    """A placeholder IIN, ``000000`` and six digits (see the module docstring)."""
    if not 0 < number < 1_000_000:
        raise ValueError("a placeholder IIN number is 1-999999")
    return f"{IIN_PREFIX}{number:06d}"


def phone(number: int) -> str:
    if not 0 < number < 10_000:
        raise ValueError("a placeholder phone number is 1-9999")
    return f"{PHONE_PREFIX}{number:04d}"


def address(number: int) -> str:
    return f"Synthetic street {number}, {SETTLEMENT}"
