"""Shared pieces of the console tests: the browser's settings, the users, page helpers.

Kept out of ``conftest.py`` so that test modules import them by a name no other suite uses.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fake_audit import FakeAudit
from playwright.sync_api import Page, expect

from backbone.envelope.quarantine import MemoryQuarantine, Rejection
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
