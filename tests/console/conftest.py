"""The console under test: the real Django app on waitress, in this process, against a fake
audit that serves the real evaluator's answers for the demo story (``fake_audit``), driven by
Debian's headless Chromium through Playwright. Screenshots go to ``artifacts/screenshots/`` and
page load times to ``artifacts/console-timings.json`` (both git-ignored)."""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fake_audit import FakeAudit
from playwright.sync_api import Browser, Page, expect, sync_playwright

from backbone.envelope.quarantine import MemoryQuarantine, Rejection
from backbone.paths import PROJECT_ROOT
from backbone.scenario import expected_breaches, scenario_events, scenario_start_before

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = PROJECT_ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
POLL_SECONDS = 1.0
USERS = {
    "sup-turkestan": ("supervisor", "turkestan"),
    "sup-almaty": ("supervisor", "almaty"),
    "ops": ("operations", None),
}


@dataclass
class Console:
    url: str
    audit: FakeAudit
    start: datetime
    passwords: dict[str, str]
    quarantine: MemoryQuarantine


@dataclass
class Timings:
    pages: dict[str, dict[str, float]] = field(default_factory=dict)

    def record(self, name: str, page: Page) -> dict[str, float]:
        entry: dict[str, Any] = page.evaluate(
            "() => performance.getEntriesByType('navigation')[0].toJSON()"
        )
        server = [t["duration"] for t in entry.get("serverTiming", []) if t["name"] == "app"]
        found = {
            "load_ms": round(entry["loadEventEnd"] - entry["startTime"], 1),
            "dom_content_loaded_ms": round(entry["domContentLoadedEventEnd"], 1),
            "server_ms": round(server[0], 1) if server else -1.0,
        }
        self.pages[name] = found
        return found


TIMINGS = Timings()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TIMINGS.pages:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "console-timings.json").write_text(json.dumps(TIMINGS.pages, indent=2) + "\n")
    terminalreporter.section("console page load times (ms)")
    for name, t in sorted(TIMINGS.pages.items()):
        terminalreporter.line(
            f"{name:<28} load {t['load_ms']:>7.1f}  server {t['server_ms']:>6.1f}"
            f"  -> artifacts/screenshots/{name}.png"
        )


def sample_rejections() -> list[Rejection]:
    at = datetime.now(UTC) - timedelta(hours=3)
    reasons = ("signature_invalid", "unknown_key", "unknown_key", "schema_unknown")
    return [
        Rejection(
            reason=reason,
            detail=f"synthetic {reason} for the console test",
            value=secrets.token_bytes(96 + n),
            key=None,
            source_topic="referral.events.v1",
            source_partition=n % 3,
            source_offset=100 + n,
            event_id=str(uuid.uuid4()),
            rejected_by="router",
            rejected_at=at + timedelta(minutes=n),
        )
        for n, reason in enumerate(reasons)
    ]


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    from backbone.console.access import Role
    from backbone.console.config import ConsoleSettings
    from backbone.console.framework import configure
    from backbone.console.quarantine import MemoryQuarantineSource
    from backbone.console.server import make_server

    start = scenario_start_before(datetime.now(UTC))
    audit = FakeAudit(scenario_events(start)).start()
    memory = MemoryQuarantine()
    for rejection in sample_rejections():
        memory.put(rejection)
    state = tmp_path_factory.mktemp("console-state")
    settings = ConsoleSettings(state, audit.url, port=0, poll_seconds=POLL_SECONDS)
    configure(settings, quarantine=MemoryQuarantineSource(memory))
    from backbone.console.users import add_user  # the models need the configuration

    passwords = {}
    for name, (role, region) in USERS.items():
        passwords[name] = secrets.token_urlsafe(18)
        add_user(name, Role(role), region, passwords[name])
    server = make_server(0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Console(f"http://127.0.0.1:{server.effective_port}", audit, start, passwords, memory)
    finally:
        server.close()
        audit.stop()


@pytest.fixture(scope="session")
def story_breaches(console: Console) -> list[Any]:
    return list(expected_breaches(console.start))


@pytest.fixture(scope="session")
def browser(console: Console) -> Iterator[Browser]:
    """Started after the console: Playwright's sync API runs an event loop in this thread, in
    which Django refuses database work (the console's own threads are not affected)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (docs/console.md)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="en-GB")
    opened = context.new_page()
    yield opened
    context.close()


def visit(page: Page, url: str, name: str) -> None:
    """Open ``url``, wait until it has loaded, record its timings and save a screenshot."""
    page.goto(url, wait_until="load")
    shoot(page, name)


def shoot(page: Page, name: str) -> None:
    page.wait_for_load_state("load")
    TIMINGS.record(name, page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, console: Console, user: str) -> None:
    page.goto(f"{console.url}/login/")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(console.passwords[user])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("who")).to_contain_text(user)
