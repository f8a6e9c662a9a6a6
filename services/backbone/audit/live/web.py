"""The audit's HTTP API on aiohttp (``BACKBONE_BIND_HOST``, 127.0.0.1 by default; answers from
``api``). Every answer, an error too, is JSON with ``X-Content-Type-Options: nosniff``
(``runtime.http_answers``)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from backbone.audit.core import api
from backbone.audit.core.projection import Projection
from backbone.envelope.directory import KeyDirectory
from backbone.network import bind_host
from backbone.runtime.http_answers import harden


def application(
    projection: Projection,
    health: api.Health,
    counts: Callable[[], tuple[int, int]],
    directory: KeyDirectory,
) -> web.Application:
    """The API's views; ``counts`` gives (records quarantined, children scheduled),
    ``directory`` the agencies' names (kept current by the service's refresh)."""
    app = web.Application()
    harden(app, "error")

    def answer(found: api.Answer) -> web.Response:
        status, body = found
        return web.json_response(body, status=status)

    async def health_page(request: web.Request) -> web.Response:
        return answer(health.answer(projection, *counts()))

    async def pathway_page(request: web.Request) -> web.Response:
        child_ref = request.match_info["child_ref"]
        return answer(api.pathway(projection, health, child_ref, request.query))

    async def breaches_page(request: web.Request) -> web.Response:
        return answer(api.breaches(projection, health, request.query))

    async def obligations_page(request: web.Request) -> web.Response:
        return answer(api.obligations(projection, health, request.query))

    async def children_page(request: web.Request) -> web.Response:
        return answer(api.children(projection, health, request.query))

    async def agencies_page(request: web.Request) -> web.Response:
        return answer(agencies(directory))

    app.router.add_get("/health", health_page)
    app.router.add_get("/agencies", agencies_page)
    app.router.add_get("/pathway/{child_ref}", pathway_page)
    app.router.add_get("/breaches", breaches_page)
    app.router.add_get("/obligations", obligations_page)
    app.router.add_get("/children", children_page)
    return app


async def serve(
    port: int,
    projection: Projection,
    health: api.Health,
    counts: Callable[[], tuple[int, int]],
    directory: KeyDirectory,
) -> web.AppRunner:
    """Start answering on ``port``; the caller cleans the returned runner up."""
    app = application(projection, health, counts, directory)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, bind_host(), port).start()
    return runner


def agencies(directory: KeyDirectory) -> api.Answer:
    """``{"agencies": [{"agency_id", "display_name", "kind", "region"}]}``, by agency id: each
    agency the directory certifies, named as its newest own (not a device's) certificate names
    it, a revoked or expired one too (its past events still name it). The directory is read
    before the service starts, so this answers while the tables recover; it is the same on
    every instance and names no partition."""
    found = []
    for subject in directory.subjects():
        own = [
            s.certificate for s in directory.certificates(subject) if s.certificate.device is None
        ]
        if not own:
            continue
        newest = max(own, key=lambda c: (c.issued_at, c.not_before))
        found.append(
            {
                "agency_id": subject,
                "display_name": newest.display_name,
                "kind": newest.agency_type,
                "region": newest.region,
            }
        )
    return 200, {"agencies": found}
