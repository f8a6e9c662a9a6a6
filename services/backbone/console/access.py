"""Who may see what: a supervisor sees only their region; operations see counts, never a child.

The rules are plain functions of a ``Viewer`` so that they are tested without a browser. A child
belongs to a region when one of its events carries that region in its clear header (the audit
says which regions, ``audit_api.PathwayAnswer.regions``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from backbone.domain.agencies import REGIONS


class Role(StrEnum):
    SUPERVISOR = "supervisor"
    OPERATIONS = "operations"


class InvalidAccess(ValueError):
    """A role and region that do not go together (e.g. a supervisor without a region)."""


@dataclass(frozen=True)
class Viewer:
    username: str
    role: Role
    region: str | None = None

    def __post_init__(self) -> None:
        check_region(self.role, self.region)

    @property
    def sees_children(self) -> bool:
        """Child-level rows, links and timelines: supervisors only."""
        return self.role is Role.SUPERVISOR

    @property
    def sees_operations(self) -> bool:
        """The quarantine and the health page: operations only."""
        return self.role is Role.OPERATIONS

    def region_scope(self, requested: str | None) -> str | None:
        """The region a query is limited to: a supervisor's own, whatever was asked."""
        if self.role is Role.SUPERVISOR:
            return self.region
        return requested or None

    def may_open_pathway(self, child_regions: Iterable[str]) -> bool:
        return self.sees_children and self.region in set(child_regions)


def check_region(role: Role, region: str | None) -> None:
    if role is Role.SUPERVISOR:
        if region is None or region not in REGIONS:
            raise InvalidAccess(
                "a supervisor needs --region, one of the region codes: "
                + ", ".join(sorted(REGIONS))
            )
    elif region:
        raise InvalidAccess("an operations user sees every region: no --region")
