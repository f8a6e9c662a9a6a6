"""Shared pieces of the console tests: the browser's settings, the users, page helpers.

Kept out of ``conftest.py`` so that test modules import them by a name no other suite uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from playwright.sync_api import Page, expect

from backbone.paths import PROJECT_ROOT

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


@dataclass
class Console:
    """The demo's console: its address, the story's start and the demo users' passwords."""

    url: str
    start: datetime
    passwords: dict[str, str]
    audit_url: str
    report: dict[str, Any]


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
