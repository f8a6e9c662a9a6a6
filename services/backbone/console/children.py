"""The children list of a region: every child the audit knows there, found by its ``child_ref``
or one of its referral ids, newest activity first, with how far its pathway got and what it has
open.

A search is case-insensitive and matches a part of a ``child_ref`` or of a referral id (at least
``MIN_SEARCH`` characters, so that a single letter does not list the region). Only ids are
searched: the console holds no name or other personal data to search by.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from backbone.console.audit_model import ChildSummary, Obligation
from backbone.console.funnel import STAGES, depth

MIN_SEARCH = 3
PAGE_SIZE = 50
_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ChildRow:
    child: ChildSummary
    stage: str | None  # the last funnel stage reached in order (None: none)
    breaches: int  # open breaches of the child now


class SearchTooShort(ValueError):
    """A search shorter than ``MIN_SEARCH`` characters."""


def matches(child: ChildSummary, search: str) -> bool:
    needle = search.strip().lower()
    return needle in child.child_ref.lower() or any(
        needle in referral.lower() for referral in child.referral_ids
    )


def children_list(
    children: Iterable[ChildSummary], breaches: Iterable[Obligation], search: str = ""
) -> list[ChildRow]:
    """The rows for ``children`` (already limited to a region by the audit), filtered by
    ``search`` when it is given; raises ``SearchTooShort`` for a search too short to use."""
    search = search.strip()
    if search and len(search) < MIN_SEARCH:
        raise SearchTooShort(search)
    open_by_child = Counter(b.child_ref for b in breaches if b.status == "open")
    rows = [
        ChildRow(child, _stage(child), open_by_child[child.child_ref])
        for child in children
        if not search or matches(child, search)
    ]
    return sorted(
        rows, key=lambda r: (r.child.last_seen or _EARLIEST, r.child.child_ref), reverse=True
    )


def _stage(child: ChildSummary) -> str | None:
    reached = depth(child.events)
    return STAGES[reached - 1][0] if reached else None
