"""The breach board and its live twin (JSON for ``static/console/console.js``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from backbone.console.access import Viewer
from backbone.console.audit_api import AuditUnavailable
from backbone.console.board import AGE_CHOICES, LEVELS, BoardFilter, board, counts, signature
from backbone.console.exports import csv_response, refused
from backbone.console.follow_up import assignees, follow_ups
from backbone.console.views.common import console_view
from backbone.console.wiring import services


def _context(request: HttpRequest, viewer: Viewer) -> dict[str, Any]:
    chosen = BoardFilter.from_query(request.GET)
    region = viewer.region_scope(request.GET.get("region"))
    context: dict[str, Any] = {
        "filter": chosen,
        "region": region,
        "regions": services().regions,
        "rules": services().rules,
        "levels": LEVELS,
        "ages": AGE_CHOICES,
        "rows": [],
        "counts": [],
        "agencies": [],
    }
    try:
        at, breaches = services().audit.breaches(region=region)
    except AuditUnavailable as error:
        return {**context, "error": str(error), "signature": "unavailable"}
    rows = board(breaches, chosen, at)
    followed = follow_ups(r.obligation.key for r in rows) if viewer.sees_children else {}
    noted = sorted(f"{key}={f.signature}" for key, f in followed.items())
    return {
        **context,
        "as_of": at,
        "agencies": sorted({b.owed_by for b in breaches}),
        "total": len(rows),
        "rows": rows if viewer.sees_children else [],
        "counts": [] if viewer.sees_children else counts(rows),
        "follow_ups": followed,
        "assignees": assignees(viewer.region) if viewer.region else [],
        "signature": signature(rows, noted),
    }


@console_view()
def board_page(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    return render(request, "console/board.html", _context(request, viewer))


@console_view()
def board_live(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    context = _context(request, viewer)
    html = render_to_string("console/_board_results.html", context, request=request)
    return JsonResponse({"signature": context["signature"], "html": html})


ROW_HEADER = (
    "level",
    "status",
    "rule",
    "owed_by",
    "child_ref",
    "referral_id",
    "waiting_since",
    "deadline",
    "closed_at",
    "overdue_hours",
)
COUNT_HEADER = ("owed_by", "rule", "status", "level", "children", "breaches")


@console_view()
def board_csv(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    """The board's rows as the filter keeps them (operations: its counts)."""
    context = _context(request, viewer)
    if "error" in context:
        return refused(context["error"], 503)
    name = f"breaches-{context['region'] or 'all'}"
    if not viewer.sees_children:
        groups = context["counts"]
        rows = [(c.owed_by, c.rule, c.status, c.level, c.children, c.breaches) for c in groups]
        return csv_response(name, COUNT_HEADER, rows)
    return csv_response(
        name,
        ROW_HEADER,
        (
            (
                r.obligation.level,
                r.obligation.status,
                r.obligation.rule,
                r.obligation.owed_by,
                r.obligation.child_ref,
                r.obligation.referral_id,
                r.obligation.triggered_at,
                r.obligation.deadline,
                r.obligation.closed_at,
                round(r.overdue.total_seconds() / 3600, 1),
            )
            for r in context["rows"]
        ),
    )
