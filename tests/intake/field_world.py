"""Intake test helpers: a mobile group with enrolled devices, and intakes to send to.

``Field`` is a world of test agencies (support.envelopes) plus ``GROUP`` and its devices.
``Harness`` builds the real intake (admission and aiohttp app) over in-memory adapters: a
publisher, a quarantine, and SQLite in a temporary folder (so a restart keeps what it accepted).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from backbone.consumer.quarantine import MemoryQuarantine
from backbone.device.enrolment import device_certificate
from backbone.device.folder import DeviceFolder
from backbone.domain.events import Event, parse_event
from backbone.envelope.codec import EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.keys import KeyPair, Keyring
from backbone.intake.accepted import SqliteAcceptedEvents
from backbone.intake.admission import Admission
from backbone.intake.app import make_app
from backbone.intake.live_directory import LiveDirectory
from backbone.intake.publisher import MemoryPublisher
from backbone.intake.settings import IntakeSettings
from support.envelopes import SINCE, World, make_world, plain_event

GROUP = "mobile.turkestan.q1-raid"
RECIPIENT = "ngo.shymkent.sana-sezim"
OCTET = {"Content-Type": "application/octet-stream"}
T = TypeVar("T")


@dataclass
class Field:
    world: World
    devices: dict[str, KeyPair] = field(default_factory=dict)

    def enrol(self, label: str) -> KeyPair:
        pair = KeyPair.generate(GROUP, SINCE)
        group = self.world.certificate(self.world.pairs[GROUP])
        self.world.certify(
            device_certificate(pair, self.world.root, group, label, not_before=SINCE)
        )
        self.devices[label] = pair
        return pair

    def codec(self, label: str = "tablet-3") -> EnvelopeCodec:
        return EnvelopeCodec(self.world.directory, Keyring([self.devices[label]]))

    def event(self, event_type: str = "ChildIdentified", **overrides: Any) -> Event:
        if event_type == "ReferralIssued":
            overrides.setdefault("recipients", [RECIPIENT])
        return parse_event(plain_event(event_type, GROUP, **overrides))

    def envelope(self, event: Event | None = None, label: str = "tablet-3") -> bytes:
        return self.codec(label).encode(event or self.event())

    def device_folder(self, path: Path, label: str = "tablet-3") -> DeviceFolder:
        pair = self.devices[label]
        return DeviceFolder.create(
            path, pair, label, self.world.root.public_key, self.world.copy_directory()
        )


def make_field() -> Field:
    world = make_world()
    world.add_agency(GROUP)
    made = Field(world)
    made.enrol("tablet-3")
    return made


@dataclass
class Harness:
    """The intake over in-memory adapters; ``load`` is what a directory refresh reads."""

    load: Callable[[], KeyDirectory]
    db: Path
    publisher: MemoryPublisher = field(default_factory=MemoryPublisher)
    quarantine: MemoryQuarantine = field(default_factory=MemoryQuarantine)
    max_bytes: int = 64 * 1024
    monotonic: float = 0.0  # the directory's clock (seconds): tests move it, waits advance it
    reloads: list[float] = field(default_factory=list)  # when each reload began

    def _load(self) -> KeyDirectory:
        self.reloads.append(self.monotonic)
        return self.load()

    async def _sleep(self, seconds: float) -> None:
        self.monotonic += seconds

    @contextmanager
    def app(self) -> Iterator[web.Application]:
        settings = IntakeSettings(self.db, max_envelope_bytes=self.max_bytes)
        keys = LiveDirectory(
            self.load(), self._load, clock=lambda: self.monotonic, sleep=self._sleep
        )
        accepted = SqliteAcceptedEvents(self.db)
        admission = Admission(keys, self.publisher, self.quarantine, accepted)
        try:
            yield make_app(admission, keys, settings)
        finally:
            admission.close()
            accepted.close()

    def run(self, scenario: Callable[[TestClient[Any, Any]], Awaitable[T]]) -> T:
        """Start the intake, run ``scenario`` with aiohttp's test client, stop the intake."""

        async def main() -> T:
            with self.app() as app:
                async with TestClient(TestServer(app)) as client:
                    return await scenario(client)

        return asyncio.run(main())

    @contextmanager
    def serving(self) -> Iterator[str]:
        """The intake on a real port in a background thread; yields its base URL."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        with self.app() as app:
            runner = web.AppRunner(app)
            asyncio.run_coroutine_threadsafe(runner.setup(), loop).result()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            asyncio.run_coroutine_threadsafe(site.start(), loop).result()
            host, port = runner.addresses[0][:2]
            try:
                yield f"http://{host}:{port}"
            finally:
                asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result()
                loop.call_soon_threadsafe(loop.stop)
                thread.join()
                loop.close()
