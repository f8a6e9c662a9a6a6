"""Response headers and page timings.

``never_stored``: every page the console builds carries children's pathways, breaches or
counts, so none may be kept by a browser or a proxy (``Cache-Control: no-store``, Django's
``add_never_cache_headers``); the static files set their own ``Cache-Control`` and keep it.
``content_security_policy``: only this origin's script, style and forms; no frames. ``timing``
records each page's duration in ``metrics.MEASUREMENTS`` (``page/<url name>``) and sends it as
``Server-Timing``, which a browser's navigation timing shows next to the load time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from backbone.console.metrics import MEASUREMENTS

Handler = Callable[[HttpRequest], HttpResponse]
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def content_security_policy(get_response: Handler) -> Handler:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.setdefault("Content-Security-Policy", POLICY)
        return response

    return middleware


def never_stored(get_response: Handler) -> Handler:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response

    return middleware


def timing(get_response: Handler) -> Handler:
    def middleware(request: HttpRequest) -> HttpResponse:
        began = time.perf_counter()
        response = get_response(request)
        seconds = time.perf_counter() - began
        match = request.resolver_match
        name = match.url_name if match is not None and match.url_name else "other"
        MEASUREMENTS.record(f"page/{name}", seconds, response.status_code < 500)
        response["Server-Timing"] = f"app;dur={seconds * 1000:.1f}"
        return response

    return middleware
