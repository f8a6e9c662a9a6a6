"""``backbone console adduser`` and ``serve`` as processes: passwords, the secret key, and the
console signing a supervisor in against the fake audit (``FakeAudit``)."""

from __future__ import annotations

import base64
import hashlib
import http.cookiejar
import os
import re
import sqlite3
import stat
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from console_kit import shoot
from console_support import BACKBONE, PASSWORD, adduser
from fake_audit import FakeAudit
from playwright.sync_api import Browser, Page, expect

from backbone.audit.core.calendar import ALMATY
from backbone.audit.live.client import AuditClient
from backbone.console.audit_api import AuditApi
from backbone.console.compliance import Period
from backbone.console.funnel import depth
from backbone.console.throttle import FAILURE_LIMIT
from backbone.scenario import expected_breaches, scenario_events, scenario_start_before
from support.deployment import wait_for
from support.net import answers, free_port


def test_adduser_reads_the_password_from_stdin_and_keeps_the_secret_key_private(
    tmp_path: Path,
) -> None:
    state = tmp_path / "console"
    done = adduser(state, "sup-a", "--role", "supervisor", "--region", "turkestan")
    assert done.returncode == 0, done.stderr
    secret = state / "secret_key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    key = secret.read_text()
    assert len(key) >= 64
    again = adduser(state, "sup-a", "--role", "supervisor", "--region", "turkestan")
    assert again.returncode == 1 and "exists" in again.stderr
    assert secret.read_text() == key  # generated once, then reused
    assert PASSWORD.encode() not in (state / "console.sqlite3").read_bytes()


def test_adduser_replace_gives_an_existing_user_a_new_role_region_and_password(
    tmp_path: Path,
) -> None:
    state = tmp_path / "console"
    assert adduser(state, "sup-a", "--role", "supervisor", "--region", "turkestan").returncode == 0
    other = "Another-synthetic-pass-5190"
    moved = adduser(
        state, "sup-a", "--role", "supervisor", "--region", "almaty", "--replace", stdin=other
    )
    assert moved.returncode == 0, moved.stderr
    assert "set supervisor sup-a (almaty)" in moved.stdout
    stored, role, region = _stored(state, "sup-a")
    assert (role, region) == ("supervisor", "almaty")
    assert _pbkdf2_matches(stored, other) and not _pbkdf2_matches(stored, PASSWORD)
    weak = adduser(state, "sup-a", "--role", "operations", "--replace", stdin="password\n")
    assert weak.returncode == 2
    assert _stored(state, "sup-a") == (stored, "supervisor", "almaty")


def test_adduser_stores_a_valid_email_address_and_language_and_refuses_an_invalid_one(
    tmp_path: Path,
) -> None:
    state = tmp_path / "console"
    turkestan = ("--role", "supervisor", "--region", "turkestan")
    invalid = adduser(state, "sup-a", *turkestan, "--email", "sup-a@")
    assert invalid.returncode == 2 and "valid email address" in invalid.stderr
    assert _emails(state) == []
    added = adduser(state, "sup-a", *turkestan, "--email", "sup-a@example.org", "--language", "kk")
    assert added.returncode == 0, added.stderr
    assert _emails(state) == [("sup-a", "sup-a@example.org", "kk")]
    other = "Another-synthetic-pass-5190"
    kept = adduser(state, "sup-a", *turkestan, "--replace", stdin=other)
    assert kept.returncode == 0, kept.stderr
    assert _emails(state) == [("sup-a", "sup-a@example.org", "kk")]  # a new password keeps them
    removed = adduser(state, "sup-a", *turkestan, "--replace", "--email", "", "--language", "ru")
    assert removed.returncode == 0, removed.stderr
    assert _emails(state) == [("sup-a", "", "ru")]
    unknown = adduser(state, "ops-1", "--role", "operations", "--language", "de")
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr


def test_adduser_offers_the_consoles_languages() -> None:
    from backbone.console.cli import LANGUAGE_CODES
    from backbone.console.i18n import LANGUAGES

    assert tuple(code for code, _ in LANGUAGES) == LANGUAGE_CODES


def _emails(state: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(state / "console.sqlite3") as db:
        return db.execute(
            "SELECT u.username, u.email, a.language FROM auth_user u"
            " JOIN console_access a ON a.user_id = u.id ORDER BY u.username"
        ).fetchall()


def _stored(state: Path, user: str) -> tuple[str, str, str]:
    with sqlite3.connect(state / "console.sqlite3") as db:
        [row] = db.execute(
            "SELECT u.password, a.role, a.region FROM auth_user u"
            " JOIN console_access a ON a.user_id = u.id WHERE u.username = ?",
            (user,),
        ).fetchall()
    return row


def _pbkdf2_matches(stored: str, password: str) -> bool:
    """Check a Django ``pbkdf2_sha256$iterations$salt$hash`` value without Django."""
    algorithm, iterations, salt, expected = stored.split("$")
    assert algorithm == "pbkdf2_sha256"
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations))
    return base64.b64encode(digest).decode() == expected


def test_adduser_refuses_weak_missing_or_misplaced_passwords_and_regions(tmp_path: Path) -> None:
    state = tmp_path / "console"
    weak = adduser(state, "ops-1", "--role", "operations", stdin="password\n")
    assert weak.returncode == 2 and "too common" in weak.stderr
    empty = adduser(state, "ops-1", "--role", "operations", stdin="")
    assert empty.returncode == 2 and "empty password" in empty.stderr
    no_region = adduser(state, "sup-1", "--role", "supervisor")
    assert no_region.returncode == 2 and "--region" in no_region.stderr
    on_the_line = adduser(state, "ops-1", "--role", "operations", "--password", PASSWORD)
    assert on_the_line.returncode == 2 and "unrecognized arguments" in on_the_line.stderr
    from_file = tmp_path / "password"
    from_file.write_text(PASSWORD + "\n")
    by_file = adduser(state, "ops-1", "--role", "operations", "--password-file", str(from_file))
    assert by_file.returncode == 0, by_file.stderr


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, datetime, int, str]]:
    """The console's address, the story's start, the metrics port and the fake audit's URL."""
    start = scenario_start_before(datetime.now(UTC))
    audit = FakeAudit(scenario_events(start)).start()
    state, port, metrics = tmp_path / "console", free_port(), free_port()
    assert adduser(state, "sup-t", "--role", "supervisor", "--region", "turkestan").returncode == 0
    assert adduser(state, "ops-t", "--role", "operations").returncode == 0
    command = [*BACKBONE, "serve", "--port", str(port), "--audit-url", audit.url]
    with (tmp_path / "console.log").open("wb") as log:
        process = subprocess.Popen(
            [*command, "--state-dir", str(state)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "BACKBONE_METRICS_PORT": str(metrics)},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: answers(url + "/login/"), timeout=60, what="the console to serve")
        yield url, start, metrics, audit.url
    finally:
        process.terminate()
        process.wait(timeout=30)
        audit.stop()


def test_served_console_shows_a_supervisor_the_stall_and_the_compliance_chart(
    served: tuple[str, datetime, int, str], browser: Browser
) -> None:
    url, start, metrics, _ = served
    [stalled] = [b for b in expected_breaches(start) if b["status"] == "open"]
    page = browser.new_page()
    try:
        page.goto(url + "/login/")
        page.get_by_label("User name").fill("sup-t")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name=stalled["child_ref"]).click()
        expect(page.get_by_test_id("stall-state")).to_have_text("received, no decision")
        # The owing agency as the key directory names it, its id beside the name.
        owing = page.get_by_test_id("stall").locator(".agency[title='social.turkestan']")
        expect(owing.first).to_have_text("Test Social Programmes Department (social.turkestan)")
        shoot(page, "served-pathway")
        since = (start - timedelta(days=1)).date().isoformat()
        page.goto(f"{url}/compliance?since={since}")
        expect(page.get_by_test_id("audit-error")).to_have_count(0)
        expect(page.locator("svg.chart rect.seg-open")).to_have_count(1)
    finally:
        page.close()
    exported = urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics", timeout=5).read()
    text = exported.decode()
    assert 'backbone_console_calls_count{call="page/pathway"} 1.0' in text
    assert 'backbone_console_calls_count{call="audit/obligations"} 1.0' in text
    # Three pages named agencies; the directory was asked once (the names are kept a while).
    assert 'backbone_console_calls_count{call="audit/agencies"} 1.0' in text
    assert 'backbone_console_failures_total{call="page/compliance"} 0.0' in text
    assert stalled["child_ref"] not in text


def _page_of(browser: Browser, url: str, user: str) -> Page:
    page = browser.new_page()
    page.goto(url + "/login/")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("who")).to_contain_text(user)
    return page


def _listed(page: Page) -> set[str]:
    rows = page.get_by_test_id("children").locator("tbody tr[data-child]")
    return {str(row.get_attribute("data-child")) for row in rows.all()}


def test_served_children_list_filters_by_stage_and_compliance_bar_and_refuses_bad_values(
    served: tuple[str, datetime, int, str], browser: Browser
) -> None:
    """The funnel's and the compliance chart's bars lead a supervisor to the list of exactly
    the children behind them; a filter value the list cannot use is a 400 naming the field;
    operations get no such link, and the list's filters give them counts, never a child."""
    url, start, _, audit_url = served
    api = AuditApi(AuditClient(audit_url))
    _, children = api.children(region="turkestan")
    recognised = {c.child_ref for c in children if depth(c.events) >= 3}
    assert 0 < len(recognised) < len(children)
    _, obligations = api.obligations(region="turkestan")
    since = (start - timedelta(days=1)).date()
    period = Period.from_query({"since": since.isoformat()}, datetime.now(ALMATY).date())
    open_social = {
        o.child_ref
        for o in obligations
        if (o.owed_by, o.status) == ("social.turkestan", "open") and period.contains(o.deadline)
    }
    assert len(open_social) == 1
    page = _page_of(browser, url, "sup-t")
    try:
        page.goto(url + "/funnel")
        funnel = page.get_by_test_id("funnel-turkestan")
        funnel.locator("a[data-testid=segment-link][data-kind=recognised]").click()
        expect(page).to_have_url(re.compile(r"/children\?stage=recognised$"))
        expect(page.get_by_test_id("filter")).to_contain_text("recognised as victims")
        assert _listed(page) == recognised
        page.goto(f"{url}/compliance?since={since.isoformat()}")
        page.locator("a[data-testid=segment-link][data-kind=open]").click()
        expect(page.get_by_test_id("filter")).to_contain_text("social.turkestan")
        assert _listed(page) == open_social
        for query, named in (
            ("stage=rescued", "stage: “rescued” is not one of identified, assessed"),
            ("status=pending", "status: “pending” is not one of met, late, open"),
            ("agency=Social", "agency: “Social” is not an agency id"),
            ("agency=social.turkestan&until=9999-12-31", "until: 9999-12-31 is not between"),
        ):
            response = page.goto(f"{url}/children?{query}")
            assert response is not None and response.status == 400, query
            expect(page.get_by_test_id("filter-invalid")).to_contain_text(named)
            expect(page.get_by_test_id("children")).to_have_count(0)
            exported = page.request.get(f"{url}/children.csv?{query}")
            assert exported.status == 400 and named in exported.text(), query
    finally:
        page.close()
    page = _page_of(browser, url, "ops-t")
    try:
        for path in ("/funnel?region=turkestan", f"/compliance?since={since.isoformat()}"):
            page.goto(url + path)
            expect(page.locator("svg.chart")).not_to_have_count(0)
            expect(page.locator("a.bar-link")).to_have_count(0)
        page.goto(url + "/children?region=turkestan&stage=recognised")
        counts = page.get_by_test_id("children-counts")
        expect(counts.locator("td[title=turkestan] + td")).to_have_text(str(len(recognised)))
        assert not any(child in page.content() for child in recognised)
    finally:
        page.close()


def test_a_new_password_from_adduser_lifts_a_sign_in_lock(
    served: tuple[str, datetime, int, str], tmp_path: Path
) -> None:
    """A locked user name stays locked for the right password; ``adduser --replace`` (what
    ``make demo`` runs for its users) clears its failed sign-ins, so the new password works."""
    url, *_ = served
    for attempt in range(1, FAILURE_LIMIT + 1):
        status, _ = _sign_in(url, "sup-t", f"not-the-password-{attempt}")
        assert status == (429 if attempt == FAILURE_LIMIT else 200), attempt
    status, page = _sign_in(url, "sup-t", PASSWORD)
    assert status == 429 and 'data-testid="locked"' in page
    renewed = "Renewed-synthetic-pass-2718"
    done = adduser(
        tmp_path / "console",
        *("sup-t", "--role", "supervisor", "--region", "turkestan", "--replace"),
        stdin=renewed + "\n",
    )
    assert done.returncode == 0, done.stderr
    status, page = _sign_in(url, "sup-t", renewed)
    assert status == 200 and 'data-testid="who"' in page


def _sign_in(url: str, user: str, password: str) -> tuple[int, str]:
    """Post the sign-in form as a browser would (its CSRF cookie and token); status and page."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    form = opener.open(url + "/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token is not None, "the sign-in page has no CSRF token"
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token[1], "username": user, "password": password}
    )
    try:
        with opener.open(url + "/login/", body.encode(), timeout=10) as answer:
            return int(answer.status), answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()
