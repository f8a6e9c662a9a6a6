"""Agency ids: ``<type>.<region>[.<name>]``, lower case, ``[a-z0-9-]`` per part (1 to 40
characters, neither starting nor ending with ``-``); the region part is one of ``REGIONS`` or
``national`` (contract v1.1)."""

from __future__ import annotations

import re
from dataclasses import dataclass

AGENCY_TYPES = frozenset(
    {
        "police",
        "ngo",
        "guardianship",
        "phc",
        "school",
        "social",
        "mobile",
        "hotline",
        "centre",
        "audit",
        "supervisor",
    }
)
# Types that run an agency service with an inbox; the others are producers or readers.
SERVICE_TYPES = ("police", "ngo", "guardianship", "phc", "school", "social")

# The 17 oblasts and 3 cities of national significance: a header's ``region`` is one of them.
REGIONS = frozenset(
    {
        "abai",
        "akmola",
        "aktobe",
        "almaty-region",
        "atyrau",
        "east-kazakhstan",
        "jambyl",
        "jetisu",
        "karaganda",
        "kostanay",
        "kyzylorda",
        "mangystau",
        "north-kazakhstan",
        "pavlodar",
        "turkestan",
        "ulytau",
        "west-kazakhstan",
        "astana",
        "almaty",
        "shymkent",
    }
)
# An agency id's region part may also be ``national`` (the hotline, the audit).
NATIONAL = "national"
AGENCY_REGIONS = REGIONS | {NATIONAL}

_PART = r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?"
_AGENCY_ID = re.compile(rf"^(?P<type>{_PART})\.(?P<region>{_PART})(?:\.(?P<name>{_PART}))?$")


class InvalidAgencyId(ValueError):
    """Not an agency id of the form ``<type>.<region>[.<name>]`` with a known type."""


@dataclass(frozen=True, order=True)
class AgencyId:
    type: str
    region: str
    name: str | None = None

    @classmethod
    def parse(cls, text: str) -> AgencyId:
        match = _AGENCY_ID.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise InvalidAgencyId(
                f"agency id {text!r} is not <type>.<region>[.<name>] in [a-z0-9-]"
            )
        if match["type"] not in AGENCY_TYPES:
            raise InvalidAgencyId(f"agency id {text!r} has unknown type {match['type']!r}")
        if match["region"] not in AGENCY_REGIONS:
            raise InvalidAgencyId(f"agency id {text!r} has unknown region {match['region']!r}")
        return cls(match["type"], match["region"], match["name"])

    def __str__(self) -> str:
        return ".".join(p for p in (self.type, self.region, self.name) if p)


def agency_type(agency_id: str) -> str:
    return AgencyId.parse(agency_id).type


def is_agency_id(text: object) -> bool:
    match = _AGENCY_ID.fullmatch(text) if isinstance(text, str) else None
    return match is not None and match["type"] in AGENCY_TYPES and match["region"] in AGENCY_REGIONS


def is_region(text: object) -> bool:
    """A header's ``region``: one of ``REGIONS`` (never ``national``)."""
    return isinstance(text, str) and text in REGIONS
