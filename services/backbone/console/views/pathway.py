"""A child's pathway: supervisors of the child's region only; operations never (403)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from backbone.console.access import Viewer
from backbone.console.audit_api import AuditUnavailable
from backbone.console.follow_up import assignees, follow_ups
from backbone.console.timeline import timeline
from backbone.console.views.common import console_view
from backbone.console.wiring import services


@console_view(lambda viewer: viewer.sees_children)
def pathway_page(request: HttpRequest, viewer: Viewer, child_ref: str) -> HttpResponse:
    audit = services().audit
    try:
        answer = audit.pathway(child_ref)
        allowed = answer is not None and viewer.may_open_pathway(answer.regions)
    except AuditUnavailable as error:
        return render(request, "console/pathway.html", {"error": str(error)}, status=503)
    if answer is None or not allowed:
        # The same answer for "no such child" and "not in your region": existence is not told.
        raise Http404
    view = timeline(answer.pathway)
    context: dict[str, object] = {"child_ref": child_ref, "as_of": answer.as_of, "view": view}
    context["pathway"] = answer.pathway
    context["printed_at"] = timezone.now()  # for the print view's "printed ... by ..."
    breached = [*(s.obligation for s in view.stalls), *(d.obligation for d in view.done_late)]
    context["follow_ups"] = follow_ups(o.key for o in breached)
    context["assignees"] = assignees(viewer.region) if viewer.region else []
    context["regions"] = answer.regions
    return render(request, "console/pathway.html", context)
