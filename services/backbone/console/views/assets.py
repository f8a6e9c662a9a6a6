"""The console's static files, served by the app itself (no CDN, no collectstatic step).

``/favicon.ico`` is the console's icon (an SVG: every browser the console supports takes one
whatever the name says); the pages also name it in ``<link rel="icon">``."""

from __future__ import annotations

from pathlib import Path

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

FOLDER = Path(__file__).resolve().parent.parent / "static" / "console"
TYPES = {
    "console.js": "text/javascript",
    "console.css": "text/css",
    "favicon.svg": "image/svg+xml",
}


@require_GET
def asset(request: HttpRequest, name: str) -> FileResponse:
    if name not in TYPES:
        raise Http404
    response = FileResponse((FOLDER / name).open("rb"), content_type=TYPES[name])
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def favicon(request: HttpRequest) -> FileResponse:
    return asset(request, "favicon.svg")
