"""The children list of a region (supervisors: their own region's children; operations: the
number of children per region only) and its CSV export."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from backbone.console.access import Viewer
from backbone.console.audit_api import AuditUnavailable
from backbone.console.children import MIN_SEARCH, PAGE_SIZE, SearchTooShort, children_list
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
        at, children = services().audit.children(region=region)
        _, breaches = services().audit.breaches(region=region)
    except AuditUnavailable as error:
        return {**context, "error": str(error)}
    context["as_of"] = at
    if not viewer.sees_children:
        per_region = Counter(child.region for child in children)
        return {**context, "counts": sorted(per_region.items()), "total": len(children)}
    try:
        rows = children_list(children, breaches, search)
    except SearchTooShort:
        return {**context, "too_short": True, "total": len(children)}
    return {**context, "rows": rows, "total": len(rows)}


@console_view()
def children_page(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    context = _found(request, viewer)
    page = Paginator(context["rows"], PAGE_SIZE).get_page(request.GET.get("page"))
    status = 400 if context.get("too_short") else 200
    return render(request, "console/children.html", {**context, "page": page}, status=status)


@console_view()
def children_csv(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    context = _found(request, viewer)
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
