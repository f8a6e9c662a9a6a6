"""The console against the LIVE audit service (``backbone audit serve``) on the real broker.

The story is published, signed by this run's own test agencies in a region the demo does not use
(as ``tests/audit/test_live_audit.py`` does), to the shared event log; a fresh audit process (its
own faust app version) projects it; ``backbone console serve`` reads that audit's API, and the
quarantine topic as the ``operations`` principal. Nothing here is faked.
"""

from __future__ import annotations

import signal
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from console_kit import shoot
from console_support import BACKBONE, PASSWORD, adduser
from kafka import KafkaProducer
from playwright.sync_api import Browser, expect

from backbone.broker import topology
from backbone.broker.topics import EVENT_LOG
from backbone.domain.agencies import agency_type
from backbone.scenario import scenario_events, scenario_start_before
from support.broker import Broker
from support.deployment import deployment, wait_for
from support.live_audit import AuditProcess, Publisher, ensure_audit_keys
from support.net import answers, free_port

pytestmark = pytest.mark.broker

TYPES = ("police", "mobile", "guardianship", "ngo", "phc", "school", "social", "centre", "hotline")


@dataclass
class Live:
    url: str
    region: str
    agencies: dict[str, str]
    child_ref: str
    audit: AuditProcess


def _story(agencies: dict[str, str], region: str) -> list[Any]:
    start = scenario_start_before(datetime.now(UTC)) - timedelta(minutes=uuid.uuid4().int % 997)
    return [
        replace(
            event,
            producer=agencies[agency_type(event.producer)],
            recipients=tuple(agencies[agency_type(r)] for r in event.recipients),
            region=region,
        )
        for event in scenario_events(start)
    ]


def _stalled_breach(audit: AuditProcess, region: str, social: str) -> dict[str, Any] | None:
    if audit.health() is None:
        return None
    answer = audit.client.breaches(region=region)
    found = [b for b in answer.body.get("breaches", []) if b["owed_by"] == social]
    return found[0] if found and found[0]["status"] == "open" else None


@pytest.fixture(scope="module")
def live(broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("console-live")
    with deployment(broker, tmp, {kind: kind for kind in (*TYPES, "supervisor")}) as deployed:
        ensure_audit_keys(broker.admin)
        audit = AuditProcess(deployed, tmp / "audit-state").start()
        publisher = Publisher(deployed)
        console: subprocess.Popen[bytes] | None = None
        try:
            wait_for(audit.health, timeout=120, what="the live audit to recover")
            region = deployed.agencies["supervisor"].split(".")[1]
            publisher.publish(_story(deployed.agencies, region))
            social = deployed.agencies["social"]
            breach = wait_for(
                lambda: _stalled_breach(audit, region, social), timeout=90, what="the breach"
            )
            state, port = tmp / "console", free_port()
            for user, role in (
                ("sup-live", ["supervisor", "--region", region]),
                ("ops-live", ["operations"]),
            ):
                assert adduser(state, user, "--role", *role).returncode == 0
            command = [*BACKBONE, "serve", "--port", str(port)]
            command += ["--audit-url", f"http://127.0.0.1:{audit.port}", "--state-dir", str(state)]
            with (tmp / "console.log").open("wb") as log:
                console = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            url = f"http://127.0.0.1:{port}"
            wait_for(lambda: answers(url + "/login/"), timeout=60, what="the console")
            yield Live(url, region, deployed.agencies, breach["child_ref"], audit)
        finally:
            if console is not None:
                console.terminate()
                console.wait(timeout=30)
            publisher.close()
            if audit.process is not None:
                audit.stop(signal.SIGTERM)
            audit.drop_internal_topics(broker.admin)


def _sign_in(browser: Browser, url: str, user: str) -> Any:
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    page.goto(url + "/login/")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("who")).to_contain_text(user)
    return page


def test_console_on_the_live_audit_shows_the_stall_and_the_real_quarantine(
    live: Live, browser: Browser
) -> None:
    page = _sign_in(browser, live.url, "sup-live")
    row = page.locator("tr[data-breach^='referral-decision/']", has_text=live.agencies["social"])
    expect(row).to_be_visible()
    shoot(page, "live-board-supervisor")
    row.get_by_role("link", name=live.child_ref).click()
    expect(page.get_by_test_id("stall-state")).to_have_text("received, no decision")
    shoot(page, "live-pathway-stalled")
    page.close()

    # A record the audit cannot read reaches the quarantine, which operations browse.
    sender = live.agencies["police"]
    producer = KafkaProducer(**topology.principal_settings(sender).kafka_python())
    try:
        sent = producer.send(EVENT_LOG, key=b"c-000000000000", value=b"not an envelope")
        where = f"{EVENT_LOG}/{sent.get(30).partition}/{sent.get(30).offset}"
    finally:
        producer.close()
    page = _sign_in(browser, live.url, "ops-live")
    response = page.goto(f"{live.url}/pathway/{live.child_ref}")
    assert response is not None and response.status == 403

    def quarantined() -> bool:
        # Every consumer of the log that cannot read it quarantines it: this audit, and the
        # router and audit of a demo stack on the same broker, if one runs.
        page.goto(live.url + "/quarantine?reason=malformed_envelope")
        rows = page.get_by_test_id("quarantine").locator("tbody tr", has_text=where)
        return rows.count() >= 1

    wait_for(quarantined, timeout=60, what=f"{where} in the console's quarantine")
    shoot(page, "live-quarantine")
    page.goto(live.url + "/health")
    expect(page.get_by_test_id("audit-health")).to_have_text("ready")
    shoot(page, "live-health")
    page.close()
