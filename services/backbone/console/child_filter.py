"""Which children stand behind a bar of the funnel or of the compliance chart: the children
list's filters (``/children?stage=…``, ``/children?agency=…&status=…&since=…&until=…``).

* ``stage``: the children counted at that funnel stage, those that passed it and every earlier
  one (``funnel.depth``), as the funnel counts them;
* ``agency``, ``status``, ``since``/``until`` (any of them): the children of the obligations that
  the compliance chart counts in that period (``compliance.Period``, by default the last 30
  days), owed by ``agency`` (any agency without it) with that status (``met``, ``late`` or
  ``open``; any of the three without it). The chart counts obligations, the list children: a
  child owing two late handoffs of one agency is one row.

Values are checked, never guessed: an unknown stage or status, a malformed agency id or a
period the compliance page would refuse raises ``QueryInvalid`` naming the field and the value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

from backbone.console.audit_model import ChildSummary, Obligation
from backbone.console.compliance import COUNTED, Period, QueryInvalid, shown
from backbone.console.funnel import STAGES, depth
from backbone.domain.agencies import is_agency_id

STAGE_IDS = tuple(stage for stage, _ in STAGES)
# The query fields that select children by their obligations.
OBLIGATION_FIELDS = ("agency", "status", "since", "until")


@dataclass(frozen=True)
class ChildFilter:
    stage: str | None = None
    agency: str | None = None
    status: str | None = None
    period: Period | None = None  # set when the children are chosen by their obligations

    @classmethod
    def from_query(cls, query: Mapping[str, str], today: date) -> ChildFilter:
        """The filter a query asks for (none: every child); raises ``QueryInvalid``."""
        stage = _one_of(query, "stage", STAGE_IDS)
        status = _one_of(query, "status", COUNTED)
        agency = query.get("agency") or None
        if agency is not None and not is_agency_id(agency):
            raise QueryInvalid(
                _("%(field)s: “%(value)s” is not an agency id."),
                field="agency",
                value=shown(agency),
            )
        by_obligations = any(query.get(field) for field in OBLIGATION_FIELDS)
        period = Period.from_query(query, today) if by_obligations else None
        return cls(stage, agency, status, period)

    @property
    def active(self) -> bool:
        return self.stage is not None or self.period is not None

    def behind(self, obligations: Iterable[Obligation]) -> set[str]:
        """The ``child_ref``s of the counted obligations the filter selects (a filter with a
        ``period``: one that selects by obligations)."""
        period = self.period
        if period is None:
            raise ValueError("this filter does not select children by their obligations")
        statuses = (self.status,) if self.status else COUNTED
        return {
            o.child_ref
            for o in obligations
            if o.status in statuses
            and (self.agency is None or o.owed_by == self.agency)
            and period.contains(o.deadline)
        }

    def keeps(self, child: ChildSummary, behind: set[str] | None) -> bool:
        if behind is not None and child.child_ref not in behind:
            return False
        return self.stage is None or depth(child.events) > STAGE_IDS.index(self.stage)

    def query(self) -> dict[str, str]:
        """The filter as query fields (the children list's form keeps them)."""
        found = {"stage": self.stage, "agency": self.agency, "status": self.status}
        if self.period is not None:
            found.update(since=self.period.since.isoformat(), until=self.period.until.isoformat())
        return {field: value for field, value in found.items() if value}


def stage_query(stage: str) -> dict[str, str]:
    """The children list's query for the children at a funnel stage."""
    return {"stage": stage}


def compliance_query(period: Period, agency: str, status: str | None = None) -> dict[str, str]:
    """The children list's query for the children behind a compliance bar (or one segment)."""
    found = {"agency": agency, "since": period.since.isoformat(), "until": period.until.isoformat()}
    return {**found, "status": status} if status else found


def _one_of(query: Mapping[str, str], field: str, allowed: tuple[str, ...]) -> str | None:
    value = query.get(field) or None
    if value is not None and value not in allowed:
        raise QueryInvalid(
            _("%(field)s: “%(value)s” is not one of %(allowed)s."),
            field=field,
            value=shown(value),
            allowed=", ".join(allowed),
        )
    return value
