"""The children list of a region (supervisors: their own region's children; operations: the
number of children per region only) and its CSV export, both filtered by a funnel stage or by
the obligations behind a compliance bar (``child_filter``) when the query asks."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from backbone.console.access import Viewer
from backbone.console.audit_api import AuditUnavailable
from backbone.console.audit_model import ChildSummary
from backbone.console.child_filter import ChildFilter
from backbone.console.children import MIN_SEARCH, PAGE_SIZE, SearchTooShort, children_list
from backbone.console.compliance import QueryInvalid
from backbone.console.exports import csv_response, refused
from backbone.console.views.common import console_view
from backbone.console.wiring import services

HEADER = (
    "child_ref",
    "region",
    "first_seen",
    "last_seen",
    "last_event",
    "stage",
    "open_breaches",
    "referral_ids",
)


def _found(request: HttpRequest, viewer: Viewer) -> dict[str, Any]:
    region = viewer.region_scope(request.GET.get("region"))
    search = request.GET.get("q", "").strip()[:64]
    context: dict[str, Any] = {
        "region": region,
        "regions": services().regions,
        "search": search,
        "min_search": MIN_SEARCH,
        "rows": [],
    }
    try:
        chosen = ChildFilter.from_query(request.GET, timezone.localdate())
    except QueryInvalid as invalid:
        return {**context, "invalid": str(invalid)}
    context["filter"] = chosen
    audit = services().audit
    try:
        at, children = audit.children(region=region)
        _, breaches = audit.breaches(region=region)
        behind: set[str] | None = None
        if chosen.period is not None:
            _, obligations = audit.obligations(region=region, agency=chosen.agency)
            behind = chosen.behind(obligations)
            children = _with_children_of_other_regions(children, behind, region)
    except AuditUnavailable as error:
        return {**context, "error": str(error)}
    context["as_of"] = at
    children = [child for child in children if chosen.keeps(child, behind)]
    if not viewer.sees_children:
        per_region = Counter(child.region for child in children)
        return {**context, "counts": sorted(per_region.items()), "total": len(children)}
    try:
        rows = children_list(children, breaches, search)
    except SearchTooShort:
        return {**context, "too_short": True, "total": len(children)}
    return {**context, "rows": rows, "total": len(rows)}


def _with_children_of_other_regions(
    children: list[ChildSummary], behind: set[str], region: str | None
) -> list[ChildSummary]:
    """``children`` of the region (by their first event) and the others behind obligations
    whose trigger is in the region: a child first seen elsewhere owes there too, and its own
    trigger event puts it in the region (a supervisor opens its pathway)."""
    missing = behind - {child.child_ref for child in children}
    if region is None or not missing:
        return children
    _, everywhere = services().audit.children()
    return [*children, *(child for child in everywhere if child.child_ref in missing)]


@console_view()
def children_page(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    context = _found(request, viewer)
    page = Paginator(context["rows"], PAGE_SIZE).get_page(request.GET.get("page"))
    status = 400 if context.get("too_short") or "invalid" in context else 200
    return render(request, "console/children.html", {**context, "page": page}, status=status)


@console_view()
def children_csv(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    context = _found(request, viewer)
    if "invalid" in context:
        return refused(context["invalid"], 400)
    if "error" in context:
        return refused(context["error"], 503)
    if context.get("too_short"):
        return refused(f"q: a search needs at least {MIN_SEARCH} characters", 400)
    if not viewer.sees_children:
        return csv_response("children-per-region", ("region", "children"), context["counts"])
    rows = (
        (
            r.child.child_ref,
            r.child.region,
            r.child.first_seen,
            r.child.last_seen,
            r.child.last_event,
            r.stage,
            r.breaches,
            " ".join(r.child.referral_ids),
        )
        for r in context["rows"]
    )
    return csv_response(f"children-{context['region'] or 'all'}", HEADER, rows)
