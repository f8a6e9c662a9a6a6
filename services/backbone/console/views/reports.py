"""Aggregates both roles may see: per-agency compliance and the funnel (no child in them). A
supervisor's bars lead to the children behind them (the children list, filtered); those of
operations lead nowhere."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from backbone.console import i18n
from backbone.console.access import Viewer
from backbone.console.audit_api import AuditUnavailable
from backbone.console.charts import compliance_chart, funnel_chart
from backbone.console.child_filter import compliance_query, stage_query
from backbone.console.compliance import Period, PeriodInvalid, tally
from backbone.console.exports import csv_response, refused
from backbone.console.funnel import STAGES, funnels
from backbone.console.views.common import console_view
from backbone.console.wiring import services


@console_view()
def compliance_page(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    region = viewer.region_scope(request.GET.get("region"))
    context: dict[str, Any] = {"region": region, "regions": services().regions}
    try:
        period = Period.from_query(request.GET, timezone.localdate())
    except PeriodInvalid as invalid:
        context.update(period=_as_given(request), invalid=str(invalid))
        return render(request, "console/compliance.html", context, status=400)
    context["period"] = period
    try:
        at, obligations = services().audit.obligations(region=region)
    except AuditUnavailable as error:
        return render(request, "console/compliance.html", {**context, "error": str(error)})
    tallies = tally(obligations, period)
    names = services().agencies.name
    link = None
    if viewer.sees_children:  # operations see counts, never the children behind them

        def link(agency: str, status: str | None) -> str:
            return _children_url(compliance_query(period, agency, status))

    chart = compliance_chart(tallies, names, link)
    context.update(as_of=at, tallies=tallies, chart=chart)
    return render(request, "console/compliance.html", context)


def _children_url(query: dict[str, str]) -> str:
    return f"{reverse('children')}?{urlencode(query)}"


@console_view()
def compliance_csv(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    """The compliance table of the page with the same query, one row per owing agency."""
    region = viewer.region_scope(request.GET.get("region"))
    try:
        period = Period.from_query(request.GET, timezone.localdate())
        _, obligations = services().audit.obligations(region=region)
    except PeriodInvalid as invalid:
        return refused(str(invalid), 400)
    except AuditUnavailable as error:
        return refused(str(error), 503)
    rows = [
        (t.agency, period.since, period.until, t.met, t.late, t.open, t.on_time_percent)
        for t in tally(obligations, period)
    ]
    header = ("owed_by", "since", "until", "met", "late", "open", "on_time_percent")
    name = f"compliance-{region or 'all'}-{period.since}-{period.until}"
    return csv_response(name, header, rows)


def _as_given(request: HttpRequest) -> dict[str, str]:
    """The period's fields as the user typed them, for the form shown again with the error."""
    return {field: request.GET.get(field, "")[:10] for field in ("since", "until")}


@console_view()
def funnel_page(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    region = viewer.region_scope(request.GET.get("region"))
    context: dict[str, Any] = {"region": region, "regions": services().regions}
    try:
        at, children = services().audit.children(region=region)
    except AuditUnavailable as error:
        return render(request, "console/funnel.html", {**context, "error": str(error)})
    found = funnels(children)
    link = (lambda stage: _children_url(stage_query(stage))) if viewer.sees_children else None
    charts = [
        (
            f.region,
            funnel_chart(
                [
                    (i18n.label("stage", stage), stage, count)
                    for (stage, _), count in zip(STAGES, f.counts, strict=True)
                ],
                link,
            ),
            f.counts,
        )
        for f in found
    ]
    context.update(as_of=at, charts=charts, stages=[stage for stage, _ in STAGES])
    return render(request, "console/funnel.html", context)
