"""The console under test: the real Django app on waitress, in this process, against a fake
audit that serves the real evaluator's answers for the demo story (``fake_audit``), driven by
Debian's headless Chromium through Playwright. Screenshots go to ``artifacts/screenshots/`` and
page load times to ``artifacts/console-timings.json`` (both git-ignored)."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from console_kit import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    POLL_SECONDS,
    TIMINGS,
    USERS,
    Console,
    sample_rejections,
)
from fake_audit import FakeAudit
from playwright.sync_api import Browser, Page, sync_playwright

from backbone.envelope.quarantine import MemoryQuarantine
from backbone.scenario import expected_breaches, scenario_events, scenario_start_before


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


@pytest.fixture(scope="module")
def browser(console: Console) -> Iterator[Browser]:
    """Started after the console: Playwright's sync API runs an event loop in this thread, in
    which Django refuses database work (the console's own threads are not affected). Module
    scope, so that loop is gone again before other suites call ``asyncio.run``."""
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
