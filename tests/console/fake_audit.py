"""A stand-in for the live audit's HTTP API that serves the REAL evaluator's answers.

It holds a real ``EventStore`` and ``Projection`` and answers with the audit's own
``backbone.audit.core.api`` functions (the ones its faust web pages call); only the transport is
aiohttp in a thread instead of faust's web server (also aiohttp). Its clock is the real one
unless a test sets ``as_of``: then a question that names no time is answered as at that time,
as the live audit would answer it then.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from aiohttp import web

from backbone.audit.core import api
from backbone.audit.core.calendar import kazakhstan_calendar
from backbone.audit.core.projection import Projection
from backbone.audit.core.rules import load_rules
from backbone.audit.core.store import EventStore
from backbone.audit.live.web import agencies as directory_agencies
from backbone.domain.events import Event
from backbone.envelope.directory import KeyDirectory
from support.envelopes import make_world


class FakeAudit:
    def __init__(self, events: Iterable[Event], directory: KeyDirectory | None = None) -> None:
        """``directory``: the agencies it names (default: the test world's, ``make_world``)."""
        self.directory = directory or make_world().directory
        self.store = EventStore()
        self.projection = Projection(self.store, load_rules([]), kazakhstan_calendar())
        self.health = api.Health("audit.national", ready=True)
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.as_of: datetime | None = None  # answer as at this time (None: now)
        self._initial = list(events)
        self.add(self._initial)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, events: Iterable[Event]) -> None:
        with self._lock:
            for event in events:
                digest = hashlib.sha256(json.dumps(event.header(), sort_keys=True).encode())
                self.store.add(event, digest.digest())

    def reset(self) -> None:
        """Back to the events it started with (a test that added some cleans up)."""
        with self._lock:
            self.store.clear()
        self.add(self._initial)

    def start(self) -> FakeAudit:
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        if not ready.wait(10):
            raise RuntimeError("the fake audit did not start")
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_get("/breaches", self._breaches)
        app.router.add_get("/pathway/{child_ref}", self._pathway)
        app.router.add_get("/obligations", self._obligations)
        app.router.add_get("/children", self._children)
        app.router.add_get("/agencies", self._agencies)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = self._runner.addresses[0][1]
        ready.set()
        self._loop.run_forever()

    def _query(self, request: web.Request) -> Mapping[str, str]:
        if self.as_of is None or "as_of" in request.query:
            return request.query
        return {**request.query, "as_of": self.as_of.isoformat()}

    def _json(self, answer: tuple[int, dict[str, Any]]) -> web.Response:
        status, body = answer
        return web.json_response(body, status=status)

    async def _health(self, request: web.Request) -> web.Response:
        with self._lock:
            return self._json(self.health.answer(self.projection, 0, 0))

    async def _breaches(self, request: web.Request) -> web.Response:
        with self._lock:
            return self._json(api.breaches(self.projection, self.health, self._query(request)))

    async def _pathway(self, request: web.Request) -> web.Response:
        child_ref = request.match_info["child_ref"]
        with self._lock:
            return self._json(
                api.pathway(self.projection, self.health, child_ref, self._query(request))
            )

    async def _obligations(self, request: web.Request) -> web.Response:
        with self._lock:
            return self._json(api.obligations(self.projection, self.health, self._query(request)))

    async def _children(self, request: web.Request) -> web.Response:
        with self._lock:
            return self._json(api.children(self.projection, self.health, self._query(request)))

    async def _agencies(self, request: web.Request) -> web.Response:
        with self._lock:
            return self._json(directory_agencies(self.directory))
