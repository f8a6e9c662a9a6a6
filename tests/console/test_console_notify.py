"""E-mail to a region's supervisors when a breach appears or rises (``console.notifier``):
``backbone console serve`` as a process against the fake audit (the audit's own API functions
over the story, its clock set by the test) and a real SMTP server (aiosmtpd) on a loopback port.

The story's turkestan breaches (docs/scenario.md): the social body's undecided referral is
breached at level 1 from its deadline and at level 2 a day later; the police's notification of
guardianship is done late, a breach from its deadline on.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from console_support import BACKBONE, adduser
from fake_audit import FakeAudit
from prometheus_client.parser import text_string_to_metric_families
from smtp_inbox import Received, SmtpInbox

from backbone.audit.live.client import AuditClient
from backbone.console.audit_api import AuditApi
from backbone.console.audit_model import instant
from backbone.scenario import (
    expected_breaches,
    scenario_as_of,
    scenario_events,
    scenario_start_before,
)
from support.deployment import wait_for
from support.net import answers, free_port

START = scenario_start_before(datetime.now(UTC))
STORY = expected_breaches(START)
[STALLED] = [b for b in STORY if b["rule"] == "referral-decision"]
[LATE] = [b for b in STORY if b["rule"] == "guardianship-notification"]
# The social body's breach at level 1 only; at level 2 before the police's is due; both.
AT_LEVEL_1 = instant(STALLED["deadline"]) + timedelta(minutes=1)
AT_LEVEL_2 = instant(LATE["deadline"]) - timedelta(minutes=1)
AT_BOTH = scenario_as_of(START)
CONSOLE_URL = "https://console.backbone.example"
SENDER = "console@backbone.example"
TURKESTAN = {"sup-t1@example.org": "sup-t1", "sup-t2@example.org": "sup-t2"}
ELSEWHERE = ("sup-a@example.org", "ops@example.org")


@pytest.fixture(scope="module")
def audit() -> Iterator[FakeAudit]:
    fake = FakeAudit(scenario_events(START)).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def users(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two turkestan supervisors with addresses (sup-t2 reads Russian), one without, a
    supervisor of almaty and an operations user with addresses."""
    state = tmp_path_factory.mktemp("notify") / "console"
    supervisor = ("--role", "supervisor", "--region")
    for args in (
        ("sup-t1", *supervisor, "turkestan", "--email", "sup-t1@example.org"),
        ("sup-t2", *supervisor, "turkestan", "--email", "sup-t2@example.org", "--language", "ru"),
        ("sup-t3", *supervisor, "turkestan"),
        ("sup-a", *supervisor, "almaty", "--email", "sup-a@example.org"),
        ("ops", "--role", "operations", "--email", "ops@example.org"),
    ):
        done = adduser(state, *args)
        assert done.returncode == 0, done.stderr
    return state


@pytest.fixture
def state(users: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "console"
    shutil.copytree(users, copy)
    return copy


class Console:
    """``backbone console serve`` notifying through the SMTP server on ``smtp_port``."""

    def __init__(self, state: Path, audit: FakeAudit, smtp_port: int, log: Path) -> None:
        self.state, self.log, self.metrics_port = state, log, free_port()
        self._audit, self.smtp_port = audit, smtp_port
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, **settings: str) -> Console:
        """With ``settings``: more ``BACKBONE_CONSOLE_<name>`` variables."""
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("BACKBONE_CONSOLE_")}
        env.update(
            BACKBONE_METRICS_PORT=str(self.metrics_port),
            BACKBONE_CONSOLE_SMTP_HOST="127.0.0.1",
            BACKBONE_CONSOLE_SMTP_PORT=str(self.smtp_port),
            BACKBONE_CONSOLE_MAIL_FROM=SENDER,
            BACKBONE_CONSOLE_NOTIFY_SECONDS="0.3",
            BACKBONE_CONSOLE_URL=CONSOLE_URL,
        )
        env.update({f"BACKBONE_CONSOLE_{name}": value for name, value in settings.items()})
        command = [*BACKBONE, "serve", "--port", str(port), "--audit-url", self._audit.url]
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                [*command, "--state-dir", str(self.state)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/login/"), 90, "the console", self.tail)
        self.wait_rounds(1)
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
            self._process = None

    def sample(self, name: str, **labels: str) -> float:
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        text = urllib.request.urlopen(url, timeout=5).read().decode()
        for family in text_string_to_metric_families(text):
            for found in family.samples:
                if found.name == name and found.labels == labels:
                    return float(found.value)
        return 0.0

    def rounds(self) -> float:
        return self.sample("backbone_console_calls_count", call="notify/round")

    def wait_rounds(self, count: int = 2) -> None:
        """Until ``count`` more rounds have ended: the last began after this call."""
        before = self.rounds()
        wait_for(lambda: self.rounds() >= before + count, 60, "notifier rounds", self.tail)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@pytest.fixture
def console(state: Path, audit: FakeAudit, tmp_path: Path) -> Iterator[Console]:
    """Not started: the test starts it (and again, to restart it)."""
    port = free_port()
    audit.as_of = None
    running = Console(state, audit, port, tmp_path / "console.log")
    try:
        yield running
    finally:
        running.stop()
        audit.as_of = None


def _at(audit: FakeAudit, moment: datetime, *expected: tuple[str, int]) -> None:
    """Set the audit's clock, checking that turkestan's breaches are then ``expected``
    (rule, level), and almaty has none."""
    audit.as_of = moment
    api = AuditApi(AuditClient(audit.url, timeout=5))
    _, found = api.breaches(region="turkestan")
    assert [(b.rule, b.level) for b in found] == list(expected)
    assert api.breaches(region="almaty")[1] == []


def _arrived(inbox: SmtpInbox, count: int, console: Console) -> list[Received]:
    wait_for(lambda: len(inbox.received) >= count, 60, f"{count} e-mails", console.tail)
    return inbox.received


def _notified(state: Path) -> set[tuple[str, str, int]]:
    with sqlite3.connect(state / "console.sqlite3") as db:
        rows = db.execute(
            "SELECT u.username, n.breach, n.level FROM console_notified n"
            " JOIN auth_user u ON u.id = n.user_id"
        ).fetchall()
    return {(user, breach, level) for user, breach, level in rows}


def _key(breach: dict[str, object]) -> str:
    return f"{breach['rule']}/{breach['trigger_event_id']}/{breach['owed_by']}"


def test_a_new_breach_is_mailed_once_to_each_supervisor_of_its_region_and_again_at_level_2(
    audit: FakeAudit, console: Console, state: Path
) -> None:
    inbox = SmtpInbox(console.smtp_port).start()
    try:
        _at(audit, AT_LEVEL_1, ("referral-decision", 1))
        console.start()
        first = _arrived(inbox, 2, console)
        console.wait_rounds()
        assert len(inbox.received) == 2  # a later round sends nothing again
        by_address = {m.recipients: m for m in first}
        assert set(by_address) == {(address,) for address in TURKESTAN}  # not almaty, not ops
        english, russian = by_address[("sup-t1@example.org",)], by_address[("sup-t2@example.org",)]
        assert english.subject.startswith("Referral backbone: deadline breaches in")
        assert english.subject.endswith("(1 new)")
        assert english.message["To"] == "sup-t1@example.org"
        assert english.message["From"] == SENDER
        assert english.message["Auto-Submitted"] == "auto-generated"
        assert "level 1: regional supervisor" in english.body
        assert russian.subject.startswith("Система направлений: нарушения сроков")
        assert "уровень 1: региональный руководитель" in russian.body
        stalled = _key(dict(STALLED))
        assert _notified(state) == {("sup-t1", stalled, 1), ("sup-t2", stalled, 1)}

        _at(audit, AT_LEVEL_2, ("referral-decision", 2))
        risen = _arrived(inbox, 4, console)[2:]
        assert {m.recipients for m in risen} == {(address,) for address in TURKESTAN}
        for message in risen:
            assert STALLED["child_ref"] in message.body
        assert "level 2: inter-agency commission" in next(
            m.body for m in risen if m.recipients == ("sup-t1@example.org",)
        )
        console.wait_rounds()
        assert len(inbox.received) == 4

        console.stop()  # a restart over the same database sends nothing again
        console.start()
        console.wait_rounds()
        assert len(inbox.received) == 4
        assert console.sample("backbone_console_emails_total", outcome="sent") == 0
        assert len(_notified(state)) == 4
    finally:
        inbox.stop()


def test_a_failed_send_is_counted_marks_nothing_and_is_sent_when_the_server_is_back(
    audit: FakeAudit, console: Console, state: Path
) -> None:
    _at(audit, AT_LEVEL_1, ("referral-decision", 1))
    console.start()  # no SMTP server listens on its port yet
    wait_for(
        lambda: console.sample("backbone_console_emails_total", outcome="failed") >= 2,
        60,
        "failed sends to be counted",
        console.tail,
    )
    assert console.sample("backbone_console_failures_total", call="notify/email") >= 2
    assert console.sample("backbone_console_emails_total", outcome="sent") == 0
    assert _notified(state) == set()
    log = console.log.read_text()
    assert '"notification_failed"' in log and '"user": "sup-t1"' in log
    assert not any(address in log for address in [*TURKESTAN, *ELSEWHERE])

    inbox = SmtpInbox(console.smtp_port).start()
    try:
        back = _arrived(inbox, 2, console)
        assert {m.recipients for m in back} == {(address,) for address in TURKESTAN}
        console.wait_rounds()
        assert len(inbox.received) == 2
        assert console.sample("backbone_console_emails_total", outcome="sent") == 2
        assert {user for user, _, _ in _notified(state)} == set(TURKESTAN.values())
    finally:
        inbox.stop()


# aiosmtpd warns of a sign-in without TLS: this server listens on loopback only.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_notifier_signs_in_with_the_password_from_its_file(
    audit: FakeAudit, console: Console, tmp_path: Path
) -> None:
    password = "Synthetic-smtp-pass-4412"
    secret = tmp_path / "smtp-password"
    secret.write_text(password + "\n")
    secret.chmod(0o600)
    inbox = SmtpInbox(console.smtp_port, login=("console", password)).start()
    try:
        _at(audit, AT_LEVEL_1, ("referral-decision", 1))
        console.start(SMTP_USER="console", SMTP_PASSWORD_FILE=str(secret))
        assert {m.recipients for m in _arrived(inbox, 2, console)} == {
            (address,) for address in TURKESTAN
        }
        assert inbox.refused_logins == 0
    finally:
        inbox.stop()
    assert password not in console.log.read_text()


def _payload_text() -> set[str]:
    """The story's payload strings that are text (names, numbers, free text), not codes or dates
    that an e-mail may rightly hold for another reason (an agency id, a deadline's day)."""

    def leaves(value: object) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from leaves(item)
        elif isinstance(value, list | tuple):
            for item in value:
                yield from leaves(item)

    code = re.compile(r"[a-z_.\-]+|\d{4}-\d{2}-\d{2}|[A-Z]{2}")
    return {
        text
        for event in scenario_events(START)
        for text in leaves(event.payload)
        if not code.fullmatch(text)
    }


def test_the_email_holds_child_ref_rule_agency_and_link_and_no_payload_text(
    audit: FakeAudit, console: Console
) -> None:
    inbox = SmtpInbox(console.smtp_port).start()
    try:
        _at(audit, AT_BOTH, ("referral-decision", 2), ("guardianship-notification", 1))
        console.start()
        [mail, _] = sorted(_arrived(inbox, 2, console), key=lambda m: m.recipients)
    finally:
        inbox.stop()
    body = mail.body
    assert mail.recipients == ("sup-t1@example.org",)
    assert mail.subject.endswith("(2 new)")
    labels = {"referral-decision": "decision on a referral"}
    labels["guardianship-notification"] = "notification of guardianship"
    for breach in (STALLED, LATE):
        label = labels[str(breach["rule"])]
        child_ref = str(breach["child_ref"])
        assert f"- {label} ({breach['rule']})" in body
        assert f"Owed by: {breach['owed_by']}" in body
        assert f"Child: {child_ref}" in body
        assert f"{CONSOLE_URL}/pathway/{child_ref}" in body
    assert "Status: done late" in body and "Status: open" in body
    payload_text = _payload_text()
    assert {"Test-Child-A", "Synthetic Parent B", "Patrol sent."} <= payload_text
    assert [text for text in payload_text if text in body or text in mail.subject] == []
    others = {e.child_ref for e in scenario_events(START)} - {
        STALLED["child_ref"],
        LATE["child_ref"],
    }
    assert others and not [ref for ref in others if ref in body]


def test_serve_refuses_notification_settings_that_cannot_work(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKBONE_CONSOLE_")}
    env["BACKBONE_CONSOLE_SMTP_HOST"] = "127.0.0.1"  # and no sender
    command = [*BACKBONE, "serve", "--port", str(free_port())]
    done = subprocess.run(
        [*command, "--state-dir", str(tmp_path / "console")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "BACKBONE_CONSOLE_MAIL_FROM" in done.stderr
