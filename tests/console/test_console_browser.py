"""The console ``make demo`` serves, in a real headless Chromium: who sees what, and what a
supervisor reads. The stack is the demo's (``conftest.console``): the story's events went
through the router and the agencies' services, the live audit flagged the breaches, and the
console asks that audit. The audit on a shared development broker may also hold earlier plays
of the story (other days' starts); counts are therefore checked against the audit's own answers.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import urllib.request
import uuid
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from console_kit import SCREENSHOTS, Console, shoot, sign_in, visit
from kafka import KafkaProducer
from playwright.sync_api import Browser, Page, expect

from backbone import deploy
from backbone.agency.publish import publish
from backbone.audit.core.calendar import ALMATY
from backbone.audit.live.client import AuditClient
from backbone.broker import topology
from backbone.broker.topics import EVENT_LOG
from backbone.console import throttle
from backbone.console.audit_api import AuditApi
from backbone.console.children import PAGE_SIZE
from backbone.console.funnel import depth, funnels
from backbone.demo_summary import summary
from backbone.runtime import supervisor
from backbone.runtime.context import ServiceContext
from backbone.scenario import scenario_events
from support.deployment import wait_for

pytestmark = pytest.mark.broker
HOTLINE = "hotline.national.116-16"


def _stalled(story_breaches: list[Any]) -> Any:
    """The story's open level-2 breach: the nurse's referral nobody at social decided on."""
    [stalled] = [b for b in story_breaches if b["status"] == "open"]
    assert (stalled["rule"], stalled["owed_by"], stalled["level"]) == (
        "referral-decision",
        "social.turkestan",
        2,
    )
    return stalled


def _row(page: Page, breach: Any) -> Any:
    key = f"{breach['rule']}/{breach['trigger_event_id']}/{breach['owed_by']}"
    return page.locator(f"tr[data-breach='{key}']")


def test_the_demo_played_the_story_and_the_live_audit_flagged_its_breaches(
    console: Console, story_breaches: list[Any]
) -> None:
    report = console.report
    assert report["scenario"]["events_published"] == len(scenario_events(console.start))
    assert {"router", "intake", "audit", "console", "police.turkestan"} <= set(report["services"])
    assert all(inbox["opened_bodies"] == inbox["envelopes"] > 0 for inbox in report["inboxes"])
    flagged = report["flagged_by_the_live_audit"]
    assert sorted((b["rule"], b["owed_by"], b["status"]) for b in flagged) == sorted(
        (b["rule"], b["owed_by"], b["status"]) for b in story_breaches
    )
    users = {u["user"]: (u["role"], u["region"]) for u in report["console"]["sign_in"]}
    assert users == {
        "sup-turkestan": ("supervisor", "turkestan"),
        "sup-almaty": ("supervisor", "almaty"),
        "ops": ("operations", None),
    }
    assert len(set(console.passwords.values())) == 3


def test_the_demos_summary_of_this_run_names_the_console_its_passwords_and_the_breaches(
    console: Console,
) -> None:
    """What ``make demo`` prints (``backbone demo`` without ``--json``), made from this run's
    report: the fixture asked for the JSON form to read the passwords."""
    lines = summary(console.report).splitlines()
    assert f"The console: {console.url}/" in lines
    for user, password in console.passwords.items():
        assert any(line.split()[:1] == [user] and password in line for line in lines), user
    for breach in console.report["flagged_by_the_live_audit"]:
        assert any(
            line.split()[1:4] == [breach["child_ref"], breach["rule"], breach["owed_by"]]
            for line in lines
        ), breach


def test_every_service_of_the_demo_serves_prometheus_metrics(console: Console) -> None:
    ports = {spec.name: int(dict(spec.env)["BACKBONE_METRICS_PORT"]) for spec in deploy.services()}
    texts = {name: _metrics(port) for name, port in ports.items()}
    for name, text in texts.items():
        assert "backbone_" in text, name
    # The story's undecided referral is an open breach at level 2 (its late notification is
    # resolved). The audit's API evaluates on demand, so the demo sees the breach as soon as
    # the events are projected; the gauge follows when the audit's check of that child has
    # emitted the breach, a tick later (seconds on a loaded host). So it is waited for.
    open_level_2 = 'backbone_open_breaches{level="2"}'

    def counted() -> str | None:
        text = _metrics(ports["audit"])
        return text if _sample(text, open_level_2) >= 1 else None

    audit = wait_for(
        counted,
        timeout=120,
        what="the audit's gauge of open level-2 breaches to count the story's stalled referral",
        explain=lambda: _audit_state(console, ports["audit"]),
    )
    assert 'backbone_open_breaches{level="1"}' in audit
    # Every story event the demo published itself reached the audit: new (accepted) or, where
    # an earlier play of the same day's story is on a shared development broker, repeated. (The
    # field device's events go through the intake, which answers a second play's copies as
    # already accepted and publishes nothing.)
    read = 'backbone_events_total{agency="audit.national",outcome="%s",service="audit"}'
    handled = sum(_sample(audit, read % outcome, absent=0) for outcome in ("accepted", "repeated"))
    played = console.report["scenario"]
    assert played["events_published"] == len(scenario_events(console.start))
    assert handled >= played["events_published"] - played["field_device"]["recorded_on_device"]
    assert "backbone_consumer_lag{" in audit and "backbone_end_to_end_seconds_count{" in audit
    assert (
        _sample(
            texts["router"],
            'backbone_consumer_lag{agency="",service="router",topic="referral.events.v1"}',
        )
        >= 0
    )
    assert "backbone_console_calls_count{" in texts["console"]
    story = {e.child_ref for e in scenario_events(console.start)}
    assert not any(ref in text for ref in story for text in texts.values())


def _audit_state(console: Console, metrics_port: int) -> str:
    """What the audit says of itself when its gauge disagrees: health, its gauge and event
    counters, and the last lines of its log (events by kind; log lines carry no child data)."""
    health = AuditClient(console.audit_url, timeout=10).health()
    gauges = [
        line
        for line in _metrics(metrics_port).splitlines()
        if line.startswith(("backbone_open_breaches", "backbone_events_total", "process_start"))
    ]
    kept = ("event", "level", "reason", "rule", "sla_level", "owed_by", "detail", "partitions")
    lines = []
    for raw in supervisor.log_file("audit").read_text(errors="replace").splitlines()[-60:]:
        try:
            entry = json.loads(raw[raw.index("{") :])
        except ValueError:
            continue
        lines.append(" ".join(f"{k}={entry[k]}" for k in kept if k in entry))
    status = supervisor.status("audit")
    return "\n".join(
        [f"audit health: {health.status} {health.body}", f"supervisor: {status}", *gauges, *lines]
    )


def _metrics(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        return str(answer.read().decode())


def _sample(text: str, name: str, absent: float | None = None) -> float:
    """The value of sample ``name``; ``absent`` if it is not exported (else that fails)."""
    found = [line for line in text.splitlines() if line.startswith(name + " ")]
    if not found and absent is not None:
        return absent
    [line] = found
    return float(line.rsplit(" ", 1)[1])


def test_supervisor_sees_the_scenario_breach_and_opens_the_stalled_handoff(
    page: Page, console: Console, story_breaches: list[Any]
) -> None:
    stalled = _stalled(story_breaches)
    sign_in(page, console, "sup-turkestan")
    visit(page, console.url + "/", "board-supervisor")
    row = _row(page, stalled)
    expect(row).to_be_visible()
    expect(row).to_contain_text("social.turkestan")
    expect(row.locator(".badge")).to_have_text("2")
    expect(row).to_contain_text("open")
    [late] = [b for b in story_breaches if b["status"] == "late"]
    expect(_row(page, late)).to_contain_text("police.turkestan")

    row.get_by_role("link", name=stalled["child_ref"]).click()
    expect(page.get_by_test_id("child-ref")).to_have_text(stalled["child_ref"])
    shoot(page, "pathway-stalled")
    # Social owes the decision: it is responsible now (the walk-through found it missing).
    expect(page.get_by_test_id("responsible")).to_contain_text("social.turkestan")
    stall = page.get_by_test_id("stall")
    expect(stall).to_have_count(1)
    expect(stall).to_contain_text("decision on a referral")
    expect(stall).to_contain_text("social.turkestan")
    expect(stall.get_by_test_id("stall-state")).to_have_text("received, no decision")
    expect(stall).to_contain_text("phc.turkestan.polyclinic-3")
    timeline = page.get_by_test_id("timeline")
    for agency in ("phc.turkestan.polyclinic-3", "police.turkestan", "social.turkestan"):
        expect(timeline.locator("thead")).to_contain_text(agency)
    for step in ("identified", "referred", "received", "accepted", "served"):
        expect(timeline).to_contain_text(step)


def test_a_late_handoff_reads_as_done_late_by_its_real_lateness(
    page: Page, console: Console, story_breaches: list[Any]
) -> None:
    """Child C's notification was sent after its deadline. The board said "late" with an age
    that kept growing and the pathway said nothing: now both say it was done, and how late."""
    [late] = [b for b in story_breaches if b["status"] == "late"]
    answer = AuditClient(console.audit_url).get("/pathway/" + late["child_ref"]).body
    [obligation] = [
        o
        for o in answer["pathway"]["obligations"]
        if (o["rule"], o["trigger_event_id"]) == (late["rule"], late["trigger_event_id"])
    ]
    lateness = datetime.fromisoformat(obligation["closed_at"]) - datetime.fromisoformat(
        obligation["deadline"]
    )
    late_by = f"done late by {lateness.days} d {lateness.seconds // 3600} h"
    sign_in(page, console, "sup-turkestan")
    visit(page, console.url + "/", "board-done-late")
    row = _row(page, late)
    expect(row.locator(".status")).to_have_text("done late")
    expect(row.get_by_test_id("overdue")).to_have_text(late_by)
    expect(row.get_by_test_id("waiting-since")).not_to_be_empty()
    visit(page, f"{console.url}/pathway/{late['child_ref']}", "pathway-done-late")
    done = page.get_by_test_id("late")
    expect(done).to_have_count(1)
    expect(done.get_by_test_id("late-by")).to_have_text(late_by)
    expect(done).to_contain_text("police.turkestan")


def test_responsible_now_names_who_has_a_part_today(
    page: Page, console: Console, story_breaches: list[Any]
) -> None:
    """Child A: the mobile group's identification was taken over on day 0, so it has no part
    left; the guardianship authority that placed A in the centre has."""
    story = scenario_events(console.start)
    [a] = {e.child_ref for e in story if e.producer.startswith("mobile.")}
    sign_in(page, console, "sup-turkestan")
    visit(page, f"{console.url}/pathway/{a}", "pathway-responsible")
    responsible = page.get_by_test_id("responsible")
    expect(responsible).to_contain_text("guardianship.turkestan")
    expect(responsible).to_contain_text("centre.shymkent.support-centre")
    expect(responsible).not_to_contain_text("mobile.")


def test_supervisor_finds_a_child_without_a_breach_by_its_ref_or_a_referral_id(
    page: Page, console: Console, story_breaches: list[Any]
) -> None:
    """Child A has no breach, so the board never led to it: the children list does."""
    story = [e for e in scenario_events(console.start) if e.region == "turkestan"]
    [a] = {e.child_ref for e in story if e.producer.startswith("mobile.")}
    referral = next(e.referral_id for e in story if e.child_ref == a and e.referral_id)
    assert a not in {b["child_ref"] for b in story_breaches}
    sign_in(page, console, "sup-turkestan")
    visit(page, console.url + "/children", "children")
    listed = page.get_by_test_id("children")
    for child in {e.child_ref for e in story}:
        expect(listed.locator(f"tr[data-child='{child}']")).to_have_count(1)
    stalled = _stalled(story_breaches)["child_ref"]
    expect(
        listed.locator(f"tr[data-child='{stalled}']").get_by_test_id("open-breaches")
    ).to_have_text("1")
    page.get_by_test_id("search").fill(referral.upper())
    page.get_by_role("button", name="Show").click()
    expect(listed.locator("tbody tr")).to_have_count(1)
    expect(listed.locator(f"tr[data-child='{a}']")).to_contain_text(referral)
    shoot(page, "children-search")
    listed.get_by_role("link", name=a).click()
    expect(page.get_by_test_id("child-ref")).to_have_text(a)
    response = page.goto(console.url + "/children?q=c-")
    assert response is not None and response.status == 400
    expect(page.get_by_test_id("search-too-short")).to_be_visible()


def test_operations_see_only_the_number_of_children_per_region(
    page: Page, console: Console
) -> None:
    sign_in(page, console, "ops")
    visit(page, console.url + "/children?region=turkestan", "children-operations")
    expect(page.get_by_test_id("children-counts")).to_contain_text("Turkestan Region")
    expect(page.get_by_test_id("children-counts").locator("td[title=turkestan]")).to_have_count(1)
    expect(page.get_by_test_id("children")).to_have_count(0)
    expect(page.get_by_test_id("search")).to_have_count(0)
    story = {e.child_ref for e in scenario_events(console.start)}
    assert not any(child in page.content() for child in story)
    exported = page.request.get(console.url + "/children.csv?region=turkestan")
    assert exported.text().splitlines()[0].lstrip("\ufeff") == "region,children"
    assert not any(child in exported.text() for child in story)


def _csv(page: Page, url: str) -> list[dict[str, str]]:
    answer = page.request.get(url)
    assert answer.status == 200, answer.text()
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"].startswith("attachment; filename=")
    assert "no-store" in answer.headers["cache-control"]
    return list(csv.DictReader(io.StringIO(answer.text().lstrip("\ufeff"))))


def test_board_children_and_compliance_export_as_csv(
    page: Page, console: Console, story_breaches: list[Any]
) -> None:
    stalled = _stalled(story_breaches)
    sign_in(page, console, "sup-turkestan")
    visit(page, console.url + "/?level=2", "board-level-2")
    href = page.get_by_test_id("export").get_attribute("href")
    assert href is not None and href.startswith("/board.csv?") and "level=2" in href
    board_rows = _csv(page, console.url + href)
    assert {r["level"] for r in board_rows} == {"2"}
    [row] = [r for r in board_rows if r["child_ref"] == stalled["child_ref"]]
    assert (row["rule"], row["owed_by"], row["status"]) == (
        "referral-decision",
        "social.turkestan",
        "open",
    )
    assert float(row["overdue_hours"]) > 0 and row["closed_at"] == ""
    children = {r["child_ref"]: r for r in _csv(page, console.url + "/children.csv")}
    assert stalled["child_ref"] in children
    assert children[stalled["child_ref"]]["open_breaches"] == "1"
    since = (console.start - timedelta(days=1)).date().isoformat()
    tallies = {r["owed_by"]: r for r in _csv(page, f"{console.url}/compliance.csv?since={since}")}
    expected = _tallies(console, console.start.date() - timedelta(days=1))
    assert {a: int(t["open"]) for a, t in tallies.items()} == {
        a: e["open"] for a, e in expected.items()
    }


def test_a_pathway_prints_for_a_case_conference(
    page: Page, console: Console, story_breaches: list[Any]
) -> None:
    """Printed: no navigation, forms or buttons; the stall, who owes it, the timeline, and who
    printed it when."""
    stalled = _stalled(story_breaches)
    sign_in(page, console, "sup-turkestan")
    visit(page, f"{console.url}/pathway/{stalled['child_ref']}", "pathway-screen")
    expect(page.get_by_test_id("printed")).to_be_hidden()
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("form").first).to_be_hidden()
    expect(page.get_by_test_id("printed")).to_be_visible()
    expect(page.get_by_test_id("printed")).to_contain_text("sup-turkestan")
    expect(page.get_by_test_id("stall")).to_contain_text("social.turkestan")
    expect(page.get_by_test_id("timeline")).to_be_visible()
    shoot(page, "pathway-print")
    assert page.pdf(format="A4").startswith(b"%PDF")


def test_supervisor_acknowledges_and_assigns_a_breach(page: Page, console: Console) -> None:
    # A breach of its own (the console's records outlive a demo run on a development machine).
    alert = _overdue_hotline_alert(console)
    publish(ServiceContext.load(HOTLINE, agency=True), [alert])
    breach = {
        "rule": "hotline-alert-receipt",
        "trigger_event_id": alert.event_id,
        "owed_by": "police.turkestan",
        "child_ref": alert.child_ref,
    }
    key = f"{breach['rule']}/{breach['trigger_event_id']}/{breach['owed_by']}"
    sign_in(page, console, "sup-turkestan")
    visit(page, console.url + "/", "board-follow-up-before")
    row = _row(page, breach)
    expect(row).to_be_visible(timeout=30_000)
    row.get_by_role("button", name="Acknowledge").click()
    row = _row(page, breach)
    expect(row.get_by_test_id("acknowledged")).to_contain_text("Acknowledged by sup-turkestan")
    expect(row.get_by_role("button", name="Acknowledge")).to_have_count(0)
    row.get_by_test_id("assignee").select_option("sup-turkestan")
    row.get_by_role("button", name="Assign").click()
    row = _row(page, breach)
    expect(row.get_by_test_id("assigned")).to_have_text(
        "Assigned to sup-turkestan by sup-turkestan"
    )
    shoot(page, "board-follow-up")
    # Only the region's supervisors can be assignees (sup-almaty and ops are not offered).
    expect(row.get_by_test_id("assignee").locator("option")).to_have_text(["sup-turkestan"])
    visit(page, f"{console.url}/pathway/{breach['child_ref']}", "pathway-follow-up")
    # Open (a stall) or, once the police received it, done late: followed up either way.
    expect(page.get_by_test_id("acknowledged")).to_contain_text("sup-turkestan")
    expect(page.get_by_test_id("assigned")).to_contain_text("sup-turkestan")
    # Refusals: an assignee who is not a supervisor of the region; a breach of another region.
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    assert token is not None
    headers = {"X-CSRFToken": token, "Referer": console.url + "/"}
    wrong = {"key": key, "action": "assign", "assignee": "ops"}
    answer = page.request.post(console.url + "/breaches/follow-up", form=wrong, headers=headers)
    assert answer.status == 400 and "ops is not a supervisor of turkestan" in answer.text()
    sign_in(page, console, "sup-almaty")
    visit(page, console.url + "/", "board-other-region-follow-up")
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    assert token is not None
    headers = {"X-CSRFToken": token, "Referer": console.url + "/"}
    foreign = {"key": key, "action": "acknowledge"}
    answer = page.request.post(console.url + "/breaches/follow-up", form=foreign, headers=headers)
    assert answer.status == 404


def test_supervisor_of_another_region_sees_neither_the_breach_nor_the_child(
    page: Page, console: Console, story_breaches: list[Any]
) -> None:
    stalled = _stalled(story_breaches)
    sign_in(page, console, "sup-almaty")
    visit(page, console.url + "/?region=turkestan", "board-other-region")
    expect(page.get_by_test_id("region")).to_have_text("Almaty")
    expect(page.get_by_test_id("region")).to_have_attribute("title", "almaty")
    expect(page.get_by_test_id("breaches")).to_contain_text("No breach matches.")
    expect(page.locator("tr[data-breach]")).to_have_count(0)
    response = page.goto(f"{console.url}/pathway/{stalled['child_ref']}")
    assert response is not None and response.status == 404
    expect(page.get_by_test_id("not-found")).to_be_visible()
    expect(page.get_by_text(stalled["child_ref"])).to_have_count(0)
    shoot(page, "pathway-other-region")


def test_operations_see_counts_but_cannot_open_a_timeline(
    page: Page, console: Console, story_breaches: list[Any]
) -> None:
    stalled = _stalled(story_breaches)
    sign_in(page, console, "ops")
    visit(page, console.url + "/", "board-operations")
    counts = page.get_by_test_id("breach-counts")
    expect(counts).to_contain_text("social.turkestan")
    expect(counts).to_contain_text("decision on a referral")
    expect(page.locator("a[href*='/pathway/']")).to_have_count(0)
    expect(page.get_by_text(stalled["child_ref"])).to_have_count(0)
    response = page.goto(f"{console.url}/pathway/{stalled['child_ref']}")
    assert response is not None and response.status == 403
    expect(page.get_by_test_id("forbidden")).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_have_count(0)
    shoot(page, "pathway-operations-forbidden")


def test_supervisor_cannot_open_operations_pages(page: Page, console: Console) -> None:
    sign_in(page, console, "sup-turkestan")
    for path in ("/quarantine", "/health"):
        response = page.goto(console.url + path)
        assert response is not None and response.status == 403


def test_board_shows_a_new_breach_without_a_reload(page: Page, console: Console) -> None:
    sign_in(page, console, "sup-turkestan")
    visit(page, console.url + "/", "board-before-new-breach")
    page.evaluate("() => { window.sameDocument = true; }")
    alert = _overdue_hotline_alert(console)
    key = f"hotline-alert-receipt/{alert.event_id}/police.turkestan"
    expect(page.locator(f"tr[data-breach='{key}']")).to_have_count(0)

    # Published by the hotline's own keys through the real backbone; the live audit flags it.
    publish(ServiceContext.load(HOTLINE, agency=True), [alert])
    expect(page.locator(f"tr[data-breach='{key}']")).to_be_visible(timeout=30_000)
    assert page.evaluate("() => window.sameDocument") is True
    expect(page.get_by_test_id("live-status")).not_to_be_empty()
    page.screenshot(path=str(SCREENSHOTS / "board-after-new-breach.png"), full_page=True)


def _overdue_hotline_alert(console: Console) -> Any:
    """A hotline alert to the police two hours ago, not yet received: breached at one hour."""
    issued = next(
        e
        for e in scenario_events(console.start)
        if e.event_type == "ReferralIssued" and e.attributes["kind"] == "hotline_alert"
    )
    assert issued.producer == HOTLINE
    return replace(
        issued,
        event_id=str(uuid.uuid4()),
        child_ref=f"c-{uuid.uuid4().hex[:12]}",
        referral_id=f"r-{uuid.uuid4().hex[:12]}",
        occurred_at=datetime.now(UTC) - timedelta(hours=2),
    )


def test_compliance_chart_counts_each_agency_met_late_and_open(
    page: Page, console: Console
) -> None:
    sign_in(page, console, "sup-turkestan")
    since = (console.start - timedelta(days=1)).date()
    expected = _tallies(console, since)
    visit(page, f"{console.url}/compliance?since={since.isoformat()}", "compliance")
    assert expected["social.turkestan"]["open"] >= 1  # the story's undecided referral
    assert expected["police.turkestan"]["late"] >= 1  # the story's late notification
    tallies = page.get_by_test_id("tallies")
    expect(tallies.locator("tbody tr")).to_have_count(len(expected))
    for agency in expected:
        row = tallies.locator("tr", has_text=agency)
        for column, status in ((1, "met"), (2, "late"), (3, "open")):
            expect(row.locator("td").nth(column)).to_have_text(str(expected[agency][status]))
    expect(page.locator("svg.chart rect.seg-open")).to_have_count(
        sum(1 for t in expected.values() if t["open"])
    )
    assert page.locator("svg.chart rect.seg-met").count() >= 5


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("until=9999-12-31", "until: 9999-12-31 is not between"),
        ("since=9999-12-31", "since: 9999-12-31 is not between"),
        ("until=0001-01-01", "until: 0001-01-01 is not between"),
        ("since=2026-13-01", "since: “2026-13-01” is not a date"),
        ("until=2026-W49-1", "until: “2026-W49-1” is not a date"),
        ("since=2026-12-10&until=2026-12-01", "starts on 2026-12-10, after its end on 2026-12-01"),
    ],
)
def test_compliance_refuses_a_period_it_cannot_show_and_names_the_value(
    page: Page, console: Console, query: str, named: str
) -> None:
    """Extreme days gave a 500, a bad date fell back to the default and a reversed period was
    swapped, all without a word: each is now a 400 that names the field and the value, with
    the form showing what was typed."""
    sign_in(page, console, "sup-turkestan")
    response = page.goto(f"{console.url}/compliance?{query}")
    assert response is not None and response.status == 400
    expect(page.get_by_test_id("period-invalid")).to_contain_text(named)
    expect(page.get_by_test_id("tallies")).to_have_count(0)
    given = dict(part.split("=") for part in query.split("&"))
    for field, value in given.items():
        # The value as typed (a date input shows an invalid one as empty, but keeps it).
        expect(page.locator(f"input[name={field}]")).to_have_attribute("value", value[:10])
    if query.startswith("since=2026-12-10"):
        shoot(page, "compliance-period-refused")


def test_pages_are_never_stored_and_the_console_has_an_icon(
    page: Page, console: Console, story_breaches: list[Any]
) -> None:
    """A child's pathway left in a shared computer's cache is a leak: every page the console
    builds says ``no-store``; its static files keep their own caching, and the icon is served."""
    sign_in(page, console, "sup-turkestan")
    stalled = _stalled(story_breaches)
    for path in ("/", f"/pathway/{stalled['child_ref']}", "/compliance", "/funnel"):
        response = page.goto(console.url + path)
        assert response is not None and response.status == 200, path
        assert "no-store" in response.headers["cache-control"], path
    login = page.request.get(console.url + "/login/")
    assert "no-store" in login.headers["cache-control"]
    icon = page.request.get(console.url + "/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.body().startswith(b"<svg")
    css = page.request.get(console.url + "/static/console.css")
    assert css.headers["cache-control"] == "no-cache"
    expect(page.locator("link[rel=icon]")).to_have_attribute("href", "/static/favicon.svg")


def _tallies(console: Console, since: Any) -> dict[str, dict[str, int]]:
    """Met, late and open per owing agency of the region, from the audit's own obligations,
    for deadlines from ``since`` 00:00 to the end of today (Almaty), as the page counts them."""
    body = AuditClient(console.audit_url).get("/obligations", region="turkestan").body
    begin = datetime.combine(since, time(), ALMATY)
    end = datetime.combine(datetime.now(ALMATY).date() + timedelta(days=1), time(), ALMATY)
    tallies: dict[str, dict[str, int]] = {}
    for o in body["obligations"]:
        if (
            o["status"] in ("met", "late", "open")
            and begin < datetime.fromisoformat(o["deadline"]) <= end
        ):
            counts = tallies.setdefault(o["owed_by"], {"met": 0, "late": 0, "open": 0})
            counts[o["status"]] += 1
    return tallies


def test_funnel_counts_children_by_region(page: Page, console: Console) -> None:
    api = AuditApi(AuditClient(console.audit_url))
    _, children = api.children(region="turkestan")
    sign_in(page, console, "ops")
    visit(page, console.url + "/funnel?region=turkestan", "funnel")
    funnel = page.get_by_test_id("funnel-turkestan")
    totals = [int(t) for t in funnel.locator("text.chart-total").all_text_contents()]
    [expected] = funnels(children)
    assert totals == list(expected.counts)
    expect(funnel).to_contain_text("recognised as victims")
    # The story's own children, A to D: all identified and assessed, A and D recognised and
    # served, none returned or followed up yet: [4, 4, 2, 2, 0] of the totals are theirs.
    story = {e.child_ref for e in scenario_events(console.start) if e.region == "turkestan"}
    [own] = funnels(c for c in children if c.child_ref in story)
    assert own.counts == (4, 4, 2, 2, 0)


def _agency_names(console: Console) -> dict[str, str]:
    body = AuditClient(console.audit_url).agencies().body
    return {a["agency_id"]: a["display_name"] for a in body["agencies"]}


def test_agencies_read_by_their_directory_names_beside_their_ids(
    page: Page, console: Console, story_breaches: list[Any]
) -> None:
    """The board, a pathway and compliance name each agency as its certificate in the key
    directory does, with its id beside the name and as its tooltip."""
    names = _agency_names(console)
    social, police = "social.turkestan", "police.turkestan"
    shown = {agency: f"{names[agency]} ({agency})" for agency in (social, police)}
    stalled = _stalled(story_breaches)
    sign_in(page, console, "sup-turkestan")
    visit(page, console.url + "/", "board-agency-names")
    owing = _row(page, stalled).locator(f".agency[title='{social}']")
    expect(owing).to_have_text(shown[social])
    expect(page.locator("select[name=agency] option", has_text=shown[social])).to_have_count(1)
    visit(page, f"{console.url}/pathway/{stalled['child_ref']}", "pathway-agency-names")
    responsible = page.get_by_test_id("responsible").locator(f".agency[title='{social}']")
    expect(responsible).to_have_text(shown[social])
    lanes = page.get_by_test_id("timeline").locator("thead")
    expect(lanes.locator(f".agency[title='{police}']")).to_have_text(shown[police])
    since = (console.start - timedelta(days=1)).date().isoformat()
    visit(page, f"{console.url}/compliance?since={since}", "compliance-agency-names")
    tallies = page.get_by_test_id("tallies")
    expect(tallies.locator(f".agency[title='{police}']")).to_have_text(shown[police])
    expect(page.locator("svg.chart text.chart-label title", has_text=shown[police])).to_have_count(
        1
    )


def _listed(page: Page) -> set[str]:
    rows = page.get_by_test_id("children").locator("tbody tr[data-child]")
    return {str(row.get_attribute("data-child")) for row in rows.all()}


def test_a_compliance_bar_leads_to_exactly_the_children_behind_it(
    page: Page, console: Console, story_breaches: list[Any]
) -> None:
    """Police's late segment lists the children of its late handoffs in the period, the story's
    late notification among them; police's bar, every child it counts there."""
    since = (console.start - timedelta(days=1)).date()
    body = AuditClient(console.audit_url).get("/obligations", region="turkestan").body
    begin = datetime.combine(since, time(), ALMATY)
    end = datetime.combine(datetime.now(ALMATY).date() + timedelta(days=1), time(), ALMATY)
    counted = [
        o
        for o in body["obligations"]
        if o["owed_by"] == "police.turkestan"
        and o["status"] in ("met", "late", "open")
        and begin < datetime.fromisoformat(o["deadline"]) <= end
    ]
    late = {o["child_ref"] for o in counted if o["status"] == "late"}
    [story_late] = [b for b in story_breaches if b["status"] == "late"]
    assert story_late["child_ref"] in late
    assert len({o["child_ref"] for o in counted}) <= PAGE_SIZE  # one page holds them all
    sign_in(page, console, "sup-turkestan")
    compliance = f"{console.url}/compliance?since={since.isoformat()}"
    page.goto(compliance)
    police = "[href*='agency=police.turkestan&']"
    page.locator(f"a[data-testid=segment-link][data-kind=late]{police}").click()
    expect(page.get_by_test_id("filter")).to_contain_text("police.turkestan")
    expect(page.get_by_test_id("filter")).to_contain_text("done late")
    assert _listed(page) == late
    shoot(page, "children-behind-compliance-late")
    page.goto(compliance)
    page.locator(f"a[data-testid=bar-label-link]{police}").click()
    expect(page.get_by_test_id("filter")).to_contain_text(since.isoformat())
    assert _listed(page) == {o["child_ref"] for o in counted}
    page.get_by_test_id("filter-clear").click()
    expect(page.get_by_test_id("filter")).to_have_count(0)
    story = {e.child_ref for e in scenario_events(console.start) if e.region == "turkestan"}
    assert story <= _listed(page)


def test_a_funnel_stage_leads_to_exactly_the_children_counted_there(
    page: Page, console: Console
) -> None:
    """The story's children A and D, recognised as victims, are among those the funnel's
    "recognised" bar lists; B and C, assessed only, are not."""
    _, children = AuditApi(AuditClient(console.audit_url)).children(region="turkestan")
    recognised = {c.child_ref for c in children if depth(c.events) >= 3}
    story = {e.child_ref for e in scenario_events(console.start) if e.region == "turkestan"}
    assert len(recognised & story) == 2 and len(recognised) <= PAGE_SIZE
    sign_in(page, console, "sup-turkestan")
    page.goto(console.url + "/funnel")
    funnel = page.get_by_test_id("funnel-turkestan")
    funnel.locator("a[data-testid=segment-link][data-kind=recognised]").click()
    expect(page.get_by_test_id("filter")).to_contain_text("recognised as victims")
    assert _listed(page) == recognised
    shoot(page, "children-behind-funnel-recognised")
    # Operations read the same funnel without a way to the children.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, console, "ops")
    page.goto(console.url + "/funnel?region=turkestan")
    expect(page.get_by_test_id("funnel-turkestan").locator("svg.chart")).to_have_count(1)
    expect(page.locator("a.bar-link")).to_have_count(0)


def test_operations_browse_the_quarantine_by_reason_and_the_health(
    page: Page, console: Console
) -> None:
    # A record nobody can read, written to the event log by an agency principal: the router
    # and the audit quarantine it, and operations find it in the console.
    producer = KafkaProducer(**topology.principal_settings("police.turkestan").kafka_python())
    try:
        sent = producer.send(EVENT_LOG, value=b"not an envelope").get(30)
    finally:
        producer.close()
    where = f"{EVENT_LOG}/{sent.partition}/{sent.offset}"
    sign_in(page, console, "ops")

    def listed() -> bool:
        page.goto(console.url + "/quarantine")
        rows = page.get_by_test_id("quarantine").locator("tbody tr", has_text=where)
        return rows.count() >= 1

    wait_for(listed, timeout=60, what=f"{where} in the console's quarantine")
    visit(page, console.url + "/quarantine", "quarantine")
    page.locator("a[href$='reason=malformed_envelope']").click()
    table = page.get_by_test_id("quarantine")
    expect(table.locator("tbody tr", has_text=where).first).to_be_visible()
    expect(table).not_to_contain_text("signature_invalid")
    visit(page, console.url + "/health", "health")
    expect(page.get_by_test_id("audit-health")).to_have_text("ready")
    expect(page.get_by_test_id("audit-events")).to_have_text(re.compile(r"^\d+$"))
    expect(page.get_by_test_id("breach-total")).not_to_have_text("0")
    expect(page.get_by_test_id("timings")).to_contain_text("audit/breaches")


def test_language_switch_shows_russian_and_kazakh_labels(page: Page, console: Console) -> None:
    sign_in(page, console, "sup-turkestan")
    visit(page, console.url + "/", "board-english")
    page.get_by_role("button", name="Русский").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Открытые и просроченные направления")
    expect(page.get_by_test_id("breaches")).to_contain_text("решение по направлению")
    shoot(page, "board-russian")
    page.get_by_role("button", name="Қазақша").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ашық және мерзімі өткен жолдамалар")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    shoot(page, "board-kazakh")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open and late handoffs")


def test_sign_in_needs_the_right_password_and_a_csrf_token(page: Page, console: Console) -> None:
    page.goto(f"{console.url}/login/")
    page.get_by_label("User name").fill("sup-turkestan")
    page.get_by_label("Password").fill("not-the-password-at-all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".error")).to_be_visible()
    expect(page.get_by_test_id("who")).to_have_count(0)
    forged = page.request.post(
        f"{console.url}/login/",
        form={"username": "sup-turkestan", "password": console.passwords["sup-turkestan"]},
    )
    assert forged.status == 403
    response = page.goto(console.url + "/")
    assert response is not None and response.url.startswith(f"{console.url}/login/")


def test_repeated_wrong_passwords_lock_the_user_even_for_the_right_one_and_are_counted(
    page: Page, console: Console
) -> None:
    """46 wrong passwords at a steady pace were followed by a successful sign-in with the right
    one. Now the failure that reaches the limit locks the user name at this address, the right
    password is then refused with the lock message, and the failures and the lockout are counted
    in /metrics (counts only) and on the health page, while another user at the same address
    still signs in. ``backbone console unlock`` lifts the lock."""
    user = "sup-almaty"
    port = {spec.name: int(dict(spec.env)["BACKBONE_METRICS_PORT"]) for spec in deploy.services()}
    failures, lockouts = (
        "backbone_console_sign_in_failures_total",
        "backbone_console_sign_in_lockouts_total",
    )
    before = _metrics(port["console"])
    try:
        page.goto(f"{console.url}/login/")
        for attempt in range(1, throttle.FAILURE_LIMIT + 1):
            page.get_by_label("User name").fill(user)
            page.get_by_label("Password").fill(f"not-the-password-{attempt}")
            page.get_by_role("button", name="Sign in").click()
            if attempt < throttle.FAILURE_LIMIT:
                expect(page.locator(".error")).to_contain_text("correct username and password")
                expect(page.get_by_test_id("locked")).to_have_count(0)
        expect(page.get_by_test_id("locked")).to_be_visible()
        page.get_by_label("User name").fill(user)
        page.get_by_label("Password").fill(console.passwords[user])
        with page.expect_response(
            lambda r: r.url == f"{console.url}/login/" and r.request.method == "POST"
        ) as answer:
            page.get_by_role("button", name="Sign in").click()
        assert answer.value.status == 429
        expect(page.get_by_test_id("locked")).to_contain_text(
            "Sign-in is locked: too many failed attempts for this user name from this address."
        )
        expect(page.get_by_test_id("who")).to_have_count(0)
        shoot(page, "sign-in-locked")

        after = _metrics(port["console"])
        assert _sample(after, lockouts) == _sample(before, lockouts) + 1
        assert _sample(after, failures) == _sample(before, failures) + throttle.FAILURE_LIMIT + 1
        assert not [line for line in after.splitlines() if "sign_in" in line and "{" in line]
        sign_in(page, console, "ops")  # another user name at the same address
        visit(page, console.url + "/health", "health-sign-ins")
        expect(page.get_by_test_id("sign-in-lockouts")).to_have_text(
            f"{_sample(after, lockouts):.0f}"
        )
        expect(page.get_by_test_id("sign-in-failures")).to_have_text(
            f"{_sample(after, failures):.0f}"
        )
        expect(page.get_by_test_id("sign-in-locked-now")).to_have_text(re.compile(r"^[1-9]\d*$"))
    finally:
        unlocked = subprocess.run(
            [sys.executable, "-m", "backbone.cli", "console", "unlock", user],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert unlocked.returncode == 0, unlocked.stderr
    assert f"unlocked {user}" in unlocked.stdout
    sign_in(page, console, user)


# Child B's pathway as a Russian or Kazakh reader sees it: the region's official name, every
# attribute as "name: value" in words, the referral kinds (police notification and "other").
READS = {
    "ru": {
        "button": "Русский",
        "region": "Туркестанская область",
        "attributes": [
            "где выявлен: организация ПМСП",
            "в сопровождении взрослого: да",
            "возраст: 0–3 года",  # noqa: RUF001 (an en dash)
            "уровень риска: высокий",
            "вид направления: уведомление полиции",
            "вид направления: иное",
            "вид услуг: социально-медицинские",
        ],
        "kinds": {"police_notification": "уведомление полиции", "other": "иное"},
    },
    "kk": {
        "button": "Қазақша",
        "region": "Түркістан облысы",
        "attributes": [
            "қайда анықталды: МСАК ұйымы",  # noqa: RUF001 (Cyrillic letters like Latin ones)
            "ересек адаммен бірге: иә",  # noqa: RUF001 (Cyrillic letters like Latin ones)
            "жасы: 0–3 жас",  # noqa: RUF001 (an en dash)
            "тәуекел деңгейі: жоғары",
            "жолдама түрі: полицияны хабардар ету",
            "жолдама түрі: басқа",
            "қызмет түрі: әлеуметтік-медициналық",
        ],
        "kinds": {"police_notification": "полицияны хабардар ету", "other": "басқа"},
    },
}


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_pathway_reads_kinds_attributes_and_region_in_words(
    page: Page, console: Console, story_breaches: list[Any], language: str
) -> None:
    """The walk-through found English codes (``police_notification``, ``risk_level: high``,
    ``turkestan``) on Russian and Kazakh pages; each is now a label, its code kept in a
    tooltip for talking to other systems."""
    reads = READS[language]
    child = _stalled(story_breaches)["child_ref"]
    sign_in(page, console, "sup-turkestan")
    page.get_by_role("button", name=reads["button"]).click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_test_id("region")).to_have_text(reads["region"])
    expect(page.get_by_test_id("region")).to_have_attribute("title", "turkestan")
    visit(page, f"{console.url}/pathway/{child}", f"pathway-words-{language}")
    expect(page.get_by_test_id("child-regions")).to_contain_text(reads["region"])
    expect(page.get_by_test_id("who")).to_contain_text(reads["region"])
    steps = page.get_by_test_id("timeline").locator(".attr")
    for text in reads["attributes"]:
        expect(steps.filter(has_text=text)).to_have_count(1)
    expect(steps).to_have_count(len(reads["attributes"]))
    for text in steps.all_text_contents():  # words only: no Latin code left
        assert not re.search(r"[a-z]", text), text
    expect(steps.filter(has_text=reads["attributes"][3])).to_have_attribute(
        "title", "risk_level: high"
    )
    referrals = page.get_by_test_id("referrals")
    for code, kind in reads["kinds"].items():
        expect(referrals.locator(f"td[title={code}]")).to_have_text(kind)
    expect(referrals).not_to_contain_text("police_notification")
    expect(page.get_by_test_id("stall")).to_contain_text(f"({reads['kinds']['other']})")


def _one_line(page: Page, selector: str) -> list[str]:
    """Elements of ``selector`` that are not kept on one line (text, white-space, lines)."""
    found: list[str] = page.locator(selector).evaluate_all(
        """elements => elements
            .filter(e => getComputedStyle(e).whiteSpace !== 'nowrap'
                         || e.getClientRects().length !== 1)
            .map(e => `${e.textContent} ${getComputedStyle(e).whiteSpace}`
                      + ` ${e.getClientRects().length} lines`)"""
    )
    return found


@pytest.mark.parametrize("width", [390, 1360])
def test_kazakh_never_breaks_a_child_ref_or_a_referral_id_at_its_hyphen(
    browser: Browser, console: Console, story_breaches: list[Any], width: int
) -> None:
    """Kazakh's longer labels narrow the board's columns, and ``c-…`` wrapped after its ``c-``:
    a child ref or referral id is one token, on one line, at any width."""
    child = _stalled(story_breaches)["child_ref"]
    context = browser.new_context(viewport={"width": width, "height": 844}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, console, "sup-turkestan")
        page.get_by_role("button", name="Қазақша").click()
        expect(page.locator("html")).to_have_attribute("lang", "kk")
        link = page.get_by_role("link", name=child)
        expect(link).to_have_css("white-space", "nowrap")
        assert _one_line(page, f"a[href$='/pathway/{child}']") == []
        visit(page, f"{console.url}/pathway/{child}", f"pathway-kazakh-{width}")
        expect(page.get_by_test_id("child-ref")).to_have_css("white-space", "nowrap")
        ids = page.get_by_test_id("referrals").locator("td:first-child code")
        expect(ids).to_have_text([re.compile(r"^r-[0-9a-f]+$")] * 2)
        assert (
            _one_line(page, "[data-testid=child-ref], [data-testid=referrals] td:first-child code")
            == []
        )
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_a_phone_never_scrolls_sideways(
    browser: Browser, console: Console, story_breaches: list[Any], language: str
) -> None:
    """At 390 px the board scrolled sideways: its rows are now cards, as are a pathway's
    deadlines and referrals, the compliance table and the children list; the timeline scrolls
    in its own box."""
    child = _stalled(story_breaches)["child_ref"]
    since = (console.start - timedelta(days=1)).date().isoformat()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, console, "sup-turkestan")
        if language != "en":
            page.get_by_role("button", name=READS[language]["button"]).click()
            expect(page.locator("html")).to_have_attribute("lang", language)
        pages = {
            "board": ("/", "breaches"),
            "pathway": (f"/pathway/{child}", "timeline"),
            "compliance": (f"/compliance?since={since}", "tallies"),
            "children": ("/children", "children"),
        }
        for name, (path, shown) in pages.items():
            visit(page, console.url + path, f"phone-{name}-{language}")
            expect(page.get_by_test_id(shown)).to_be_visible()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} is {width} px wide at 390 px"
    finally:
        context.close()


def test_operations_read_the_health_keys_in_russian(page: Page, console: Console) -> None:
    sign_in(page, console, "ops")
    page.get_by_role("button", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    visit(page, console.url + "/health", "health-russian")
    expect(page.locator("th[title=events]")).to_have_text("событий в хранилище")
    expect(page.locator("th[title=sla_events_emitted]")).to_have_text(
        "событий о нарушениях отправлено с запуска"  # noqa: RUF001 (Cyrillic letters like Latin ones)
    )
    expect(page.get_by_test_id("audit-status")).to_have_text("готова")
    expect(page.get_by_test_id("timings")).to_contain_text("API аудита audit/breaches")
