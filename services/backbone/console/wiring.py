"""What the views use, chosen once by the composition root (``framework.configure``)."""

from __future__ import annotations

from dataclasses import dataclass

from backbone.console.agency_names import AgencyNames
from backbone.console.audit_api import AuditApi
from backbone.console.quarantine import QuarantineSource


@dataclass(frozen=True)
class Services:
    audit: AuditApi
    quarantine: QuarantineSource
    poll_seconds: float
    regions: tuple[str, ...]  # offered in the region filter (operations)
    rules: tuple[str, ...]  # offered in the rule filter
    agencies: AgencyNames  # display names from the audit's key directory


_installed: list[Services] = []


def install(services: Services) -> None:
    _installed[:] = [services]


def services() -> Services:
    if not _installed:
        raise RuntimeError("the console's services are not installed (framework.configure)")
    return _installed[0]
