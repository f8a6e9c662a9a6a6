"""Operations only: the quarantine with reasons, and the health of the backbone."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from backbone.console import quarantine, throttle
from backbone.console.access import Viewer
from backbone.console.audit_api import AuditUnavailable
from backbone.console.health_labels import figures
from backbone.console.metrics import MEASUREMENTS, SIGN_INS
from backbone.console.quarantine import QuarantineUnavailable
from backbone.console.views.common import console_view
from backbone.console.wiring import services

SHOWN = 200  # newest rows on the page (filter by reason for others); the counts cover all


def _operations(viewer: Viewer) -> bool:
    return viewer.sees_operations


@console_view(_operations)
def quarantine_page(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    reason = request.GET.get("reason") or None
    try:
        rejections = services().quarantine.read()
    except QuarantineUnavailable as error:
        return render(request, "console/quarantine.html", {"error": str(error)})
    found = quarantine.rows(rejections, reason)
    context = {
        "reason": reason,
        "reasons": quarantine.by_reason(rejections),
        "total": len(rejections),
        "matching": len(found),
        "rows": found[:SHOWN],
    }
    return render(request, "console/quarantine.html", context)


@console_view(_operations)
def health_page(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    context: dict[str, Any] = {
        "timings": MEASUREMENTS.snapshot(),
        "sign_ins": SIGN_INS.snapshot(),
        "locked_now": throttle.locked_now(),
        "failure_limit": throttle.FAILURE_LIMIT,
        "cool_off_minutes": int(throttle.COOL_OFF.total_seconds() // 60),
    }
    audit = services().audit
    try:
        health = audit.health()
        context["audit"], context["figures"] = health, figures(health.body)
        at, breaches = audit.breaches()
        context["breach_levels"] = sorted(Counter(b.level for b in breaches).items())
        context["breach_total"] = len(breaches)
        context["as_of"] = at
    except AuditUnavailable as error:
        context["audit_error"] = str(error)
    try:
        context["quarantine"] = quarantine.by_reason(services().quarantine.read())
    except QuarantineUnavailable as error:
        context["quarantine_error"] = str(error)
    return render(request, "console/health.html", context)
