"""What every view shares: who is asking (``Viewer``), the role gate, the template context."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from backbone.console import i18n
from backbone.console.access import Role, Viewer
from backbone.console.models import Access
from backbone.console.wiring import services

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, Viewer, P], HttpResponse]


def viewer_of(request: HttpRequest) -> Viewer | None:
    """The signed-in user's role; ``None`` when not signed in or without a console role."""
    user = request.user
    if not user.is_authenticated:
        return None
    access = Access.objects.filter(user_id=user.pk).first()
    if access is None:
        return None
    return Viewer(user.get_username(), Role(access.role), access.region or None)


def console_view(
    allowed: Callable[[Viewer], bool] = lambda viewer: True,
) -> Callable[[View[P]], Callable[Concatenate[HttpRequest, P], HttpResponse]]:
    """Sign-in required; then 403 unless the viewer's role passes ``allowed``."""

    def decorate(view: View[P]) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
        def wrapped(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            viewer = viewer_of(request)
            if viewer is None or not allowed(viewer):
                raise PermissionDenied
            return view(request, viewer, *args, **kwargs)

        functools.update_wrapper(wrapped, view)
        return wrapped

    return decorate


def console_context(request: HttpRequest) -> dict[str, Any]:
    """Available to every template: the viewer, the languages, the poll interval."""
    return {
        "viewer": viewer_of(request),
        "console_languages": i18n.LANGUAGES,
        "poll_seconds": services().poll_seconds,
    }
