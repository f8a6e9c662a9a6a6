"""The audit's HTTP API on faust's web server (127.0.0.1 only; answers from ``api``). Every
answer, an error too, is JSON with ``X-Content-Type-Options: nosniff`` (``runtime.http_answers``
on faust's aiohttp application)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import faust
from aiohttp.web import Application
from faust.web.drivers.aiohttp import Web as AiohttpWeb

from backbone.audit import api
from backbone.audit.projection import Projection
from backbone.envelope.directory import KeyDirectory
from backbone.runtime.http_answers import harden


def register(
    app: faust.App,
    projection: Projection,
    health: api.Health,
    counts: Callable[[], tuple[int, int]],
    directory: KeyDirectory,
) -> Application:
    """Add the views; ``counts`` gives (records quarantined, children scheduled), ``directory``
    the agencies' names (kept current by the service's refresh). Returns the aiohttp
    application they are on."""
    driver = app.web
    if not isinstance(driver, AiohttpWeb):
        raise TypeError(f"the audit API needs faust's aiohttp web driver, not {app.conf.web}")
    harden(driver.web_app, "error")

    @app.page("/health")
    async def health_page(view: faust.web.View, request: faust.web.Request) -> Any:
        status, body = health.answer(projection, *counts())
        return view.json(body, status=status)

    @app.page("/pathway/{child_ref}")
    async def pathway_page(view: faust.web.View, request: faust.web.Request, child_ref: str) -> Any:
        status, body = api.pathway(projection, health, child_ref, request.query)
        return view.json(body, status=status)

    @app.page("/breaches")
    async def breaches_page(view: faust.web.View, request: faust.web.Request) -> Any:
        status, body = api.breaches(projection, health, request.query)
        return view.json(body, status=status)

    @app.page("/obligations")
    async def obligations_page(view: faust.web.View, request: faust.web.Request) -> Any:
        status, body = api.obligations(projection, health, request.query)
        return view.json(body, status=status)

    @app.page("/children")
    async def children_page(view: faust.web.View, request: faust.web.Request) -> Any:
        status, body = api.children(projection, health, request.query)
        return view.json(body, status=status)

    @app.page("/agencies")
    async def agencies_page(view: faust.web.View, request: faust.web.Request) -> Any:
        status, body = api.agencies(directory)
        return view.json(body, status=status)

    return driver.web_app
