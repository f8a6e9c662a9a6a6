"""``POST /breaches/follow-up``: a supervisor acknowledges or assigns a breach of their region
(``follow_up``). The breach must be one the audit lists for their region now: otherwise 404,
the same answer as for a breach that does not exist."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from backbone.console.access import Viewer
from backbone.console.audit_api import AuditUnavailable
from backbone.console.follow_up import FollowUpRefused, acknowledge, assign
from backbone.console.views.common import console_view
from backbone.console.wiring import services


@require_POST
@console_view(lambda viewer: viewer.sees_children)
def follow_up(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    key, action = request.POST.get("key", ""), request.POST.get("action", "")
    try:
        _, breaches = services().audit.breaches(region=viewer.region)
    except AuditUnavailable as error:
        return _refused(request, str(error), 503)
    listed = {b.key for b in breaches}
    if key not in listed:
        raise Http404
    try:
        if action == "acknowledge":
            acknowledge(viewer, key, listed)
        elif action == "assign":
            assign(viewer, key, request.POST.get("assignee", ""), listed)
        else:
            return _refused(request, f"action: {action[:20]!r} is neither acknowledge nor assign")
    except FollowUpRefused as refused:
        return _refused(request, str(refused))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = reverse("board")
    return HttpResponseRedirect(back)


def _refused(request: HttpRequest, reason: str, status: int = 400) -> HttpResponse:
    return render(request, "console/follow_up_refused.html", {"reason": reason}, status=status)
