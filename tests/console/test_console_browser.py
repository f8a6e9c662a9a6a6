"""The console in a real headless Chromium: who sees what, and what a supervisor reads."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from console_kit import SCREENSHOTS, Console, shoot, sign_in, visit
from playwright.sync_api import Page, expect

from backbone.scenario import scenario_events


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


def test_supervisor_of_another_region_sees_neither_the_breach_nor_the_child(
    page: Page, console: Console, story_breaches: list[Any]
) -> None:
    stalled = _stalled(story_breaches)
    sign_in(page, console, "sup-almaty")
    visit(page, console.url + "/?region=turkestan", "board-other-region")
    expect(page.get_by_test_id("region")).to_have_text("almaty")
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

    console.audit.add([alert])
    try:
        expect(page.locator(f"tr[data-breach='{key}']")).to_be_visible(timeout=15_000)
        assert page.evaluate("() => window.sameDocument") is True
        expect(page.get_by_test_id("live-status")).not_to_be_empty()
        page.screenshot(path=str(SCREENSHOTS / "board-after-new-breach.png"), full_page=True)
    finally:
        console.audit.reset()


def _overdue_hotline_alert(console: Console) -> Any:
    """A hotline alert to the police two hours ago that nobody received: breached at 1 hour."""
    issued = next(
        e
        for e in scenario_events(console.start)
        if e.event_type == "ReferralIssued" and e.attributes["kind"] == "hotline_alert"
    )
    return replace(
        issued,
        event_id=str(uuid.uuid4()),
        child_ref=f"c-{uuid.uuid4().hex[:12]}",
        referral_id=f"r-{uuid.uuid4().hex[:12]}",
        occurred_at=datetime.now(UTC) - timedelta(hours=2),
        payload=None,
    )


def test_compliance_chart_counts_each_agency_met_late_and_open(
    page: Page, console: Console
) -> None:
    sign_in(page, console, "sup-turkestan")
    since = (console.start - timedelta(days=1)).date().isoformat()
    visit(page, f"{console.url}/compliance?since={since}", "compliance")
    tallies = page.get_by_test_id("tallies")
    social = tallies.locator("tr", has_text="social.turkestan")
    expect(social.locator("td").nth(3)).to_have_text("1")  # the open decision
    police = tallies.locator("tr", has_text="police.turkestan")
    expect(police.locator("td").nth(2)).to_have_text("1")  # the late notification
    expect(page.locator("svg.chart rect.seg-open")).to_have_count(1)
    expect(page.locator("svg.chart rect.seg-late")).to_have_count(1)
    assert page.locator("svg.chart rect.seg-met").count() >= 5


def test_funnel_counts_children_by_region(page: Page, console: Console) -> None:
    sign_in(page, console, "ops")
    visit(page, console.url + "/funnel?region=turkestan", "funnel")
    funnel = page.get_by_test_id("funnel-turkestan")
    totals = funnel.locator("text.chart-total").all_text_contents()
    # A, B, C, D identified and assessed; A and D recognised and served; none followed up.
    assert totals == ["4", "4", "2", "2", "0"]
    expect(funnel).to_contain_text("recognised as victims")


def test_operations_browse_the_quarantine_by_reason_and_the_health(
    page: Page, console: Console
) -> None:
    sign_in(page, console, "ops")
    visit(page, console.url + "/quarantine", "quarantine")
    table = page.get_by_test_id("quarantine")
    expect(table.locator("tbody tr")).to_have_count(4)
    page.get_by_role("link", name="unknown_key (2)").click()
    expect(table.locator("tbody tr")).to_have_count(2)
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
