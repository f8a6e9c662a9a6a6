"""The console under test is the one ``make demo`` serves: the fixture ``console`` runs
``backbone demo`` (the command behind ``make demo``) on the test broker, which provisions and
starts the whole stack (router, agency services, intake, live audit, console), plays the story
and prints (``--json``: as JSON, not the summary a person reads) the console's address with
freshly generated passwords. Debian's headless Chromium
drives it through Playwright. Services the demo started are stopped after the module that used
them; ones that were running before are left running. Screenshots go to
``artifacts/screenshots/`` and page load times to ``artifacts/console-timings.json`` (both
git-ignored).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from console_kit import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TIMINGS, Console
from playwright.sync_api import Browser, Page, sync_playwright

from backbone.audit.live.settings import default_url
from backbone.runtime import supervisor
from backbone.scenario import expected_breaches
from support.broker import Broker

DEMO_TIMEOUT = 900


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


@pytest.fixture(scope="module")
def console(broker: Broker) -> Iterator[Console]:
    """The console of the demo's stack, with the demo's report (``backbone demo --json``)."""
    running = {name for name in supervisor.known() if supervisor.status(name).running}
    demo = subprocess.run(
        [sys.executable, "-m", "backbone.cli", "demo", "--json"],
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT,
    )
    try:
        if demo.returncode != 0:
            pytest.fail(f"backbone demo exited {demo.returncode}: {demo.stderr[-3000:]}")
        report = json.loads(demo.stdout)
        users = report["console"]["sign_in"]
        yield Console(
            url=report["console"]["url"].rstrip("/"),
            start=datetime.fromisoformat(report["scenario"]["start"]),
            passwords={user["user"]: user["password"] for user in users},
            audit_url=default_url(),
            report=report,
        )
    finally:
        for name in supervisor.known():
            if name not in running:
                supervisor.stop(name)


@pytest.fixture(scope="module")
def story_breaches(console: Console) -> list[Any]:
    return list(expected_breaches(console.start))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module scope, so that Playwright's event loop is gone again before other suites call
    ``asyncio.run``."""
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
