"""The intake's HTTP face (aiohttp): ``POST /v1/envelopes`` and ``GET /health``.

Bodies are envelope bytes (``application/octet-stream``) up to the configured size; answers are
small JSON objects naming the event id, a status or a reason code, never header or payload
contents; every answer, an error too, is JSON with ``X-Content-Type-Options: nosniff``
(``runtime.http_answers``). A background task reloads the key directory every
``directory_refresh_seconds``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress

from aiohttp import web

from backbone.intake.admission import Admission
from backbone.intake.live_directory import LiveDirectory
from backbone.intake.settings import IntakeSettings
from backbone.runtime.http_answers import harden
from backbone.runtime.metrics import ServiceMetrics

ENVELOPE_TYPE = "application/octet-stream"
_OUTCOMES = {201: "accepted", 200: "repeated", 409: "quarantined", 422: "quarantined"}


def make_app(
    admission: Admission, keys: LiveDirectory, settings: IntakeSettings
) -> web.Application:
    limit = settings.max_envelope_bytes
    app = web.Application(client_max_size=limit)
    metrics = ServiceMetrics("intake")

    async def envelopes(request: web.Request) -> web.Response:
        if request.content_type != ENVELOPE_TYPE:
            return _json(415, {"reason": "unsupported_media_type", "expected": ENVELOPE_TYPE})
        if request.content_length is not None and request.content_length > limit:
            return _json(413, {"reason": "too_large", "limit": limit})
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _json(413, {"reason": "too_large", "limit": limit})
        answer = await admission.submit(body)
        outcome = _OUTCOMES.get(answer.status, "failed")
        reason = answer.body.get("reason") if outcome == "quarantined" else None
        metrics.handled(outcome, None, reason if isinstance(reason, str) else None)
        return _json(answer.status, answer.body, answer.headers)

    async def health(request: web.Request) -> web.Response:
        return _json(200, {"status": "ok", "certificates": keys.certificates})

    async def refresh_periodically(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(_every(settings.directory_refresh_seconds, keys))
        yield
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task

    app.router.add_post("/v1/envelopes", envelopes)
    app.router.add_get("/health", health)
    app.cleanup_ctx.append(refresh_periodically)
    harden(app, "reason")
    return app


async def _every(seconds: float, keys: LiveDirectory) -> None:
    while True:
        await asyncio.sleep(seconds)
        await keys.refresh()


def _json(
    status: int, body: dict[str, object], headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(body, status=status, headers=headers)
