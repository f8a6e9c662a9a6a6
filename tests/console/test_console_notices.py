"""The notifier's pure parts: who is told of which breach (``notices``) and its settings from the
environment (``notify_settings``). The e-mails themselves: test_console_notify.py."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from console_support import obligation

from backbone.console.notices import Recipient, notices
from backbone.console.notify_settings import NotifySettings, NotifySettingsInvalid

BREACH = obligation(level=1)
T1 = Recipient(1, "sup-t1", "t1@example.org", "turkestan", "en")
T2 = Recipient(2, "sup-t2", "t2@example.org", "turkestan", "ru")
A = Recipient(3, "sup-a", "a@example.org", "almaty", "en")


def test_each_supervisor_of_the_region_is_told_of_a_new_breach_and_no_one_else() -> None:
    found = notices([T1, T2, A], {"turkestan": [BREACH], "almaty": []}, set())
    assert [(n.recipient, n.breaches) for n in found] == [(T1, (BREACH,)), (T2, (BREACH,))]
    assert found[0].marks == [(1, BREACH.key, 1)]


def test_a_breach_told_at_its_level_is_not_told_again_but_is_when_it_rises() -> None:
    told = {(1, BREACH.key, 1)}
    assert [n.recipient for n in notices([T1, T2], {"turkestan": [BREACH]}, told)] == [T2]
    risen = replace(BREACH, level=2)
    assert [n.breaches for n in notices([T1], {"turkestan": [risen]}, told)] == [(risen,)]


def test_all_that_is_new_for_a_supervisor_goes_in_one_notice() -> None:
    other = replace(BREACH, rule="guardianship-notification", owed_by="police.turkestan")
    told = {(1, BREACH.key, 1)}
    [notice] = notices([T1], {"turkestan": [BREACH, other, replace(other, level=2)]}, told)
    assert notice.breaches == (other, replace(other, level=2))


def test_a_region_the_audit_did_not_answer_gives_no_notice() -> None:
    assert notices([T1, A], {"almaty": []}, set()) == []


def _settings(**env: str) -> NotifySettings | None:
    named = {f"BACKBONE_CONSOLE_{name}": value for name, value in env.items()}
    return NotifySettings.from_environment(6090, named)


def test_notifications_are_off_without_an_smtp_host_and_defaulted_with_one() -> None:
    assert _settings() is None
    assert _settings(SMTP_HOST="", MAIL_FROM="console@example.org") is None
    found = _settings(SMTP_HOST="mail.example.org", MAIL_FROM="console@example.org")
    assert found == NotifySettings(
        smtp_host="mail.example.org",
        sender="console@example.org",
        console_url="http://127.0.0.1:6090",
        smtp_port=25,
        starttls=False,
        smtp_user=None,
        smtp_password=None,
        interval_seconds=60.0,
    )


def test_the_password_is_read_from_an_owner_only_file_and_never_shown(tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("Synthetic-smtp-pass-1\nignored\n")
    secret.chmod(0o600)
    found = _settings(
        SMTP_HOST="mail.example.org",
        SMTP_PORT="587",
        SMTP_STARTTLS="on",
        SMTP_USER="console",
        SMTP_PASSWORD_FILE=str(secret),
        MAIL_FROM="console@example.org",
        NOTIFY_SECONDS="30",
        URL="https://console.example.org/",
    )
    assert found is not None
    assert (found.smtp_port, found.starttls, found.smtp_user) == (587, True, "console")
    assert found.smtp_password == "Synthetic-smtp-pass-1"
    assert (found.interval_seconds, found.console_url) == (30.0, "https://console.example.org")
    assert "Synthetic-smtp-pass-1" not in repr(found)
    secret.chmod(0o640)
    with pytest.raises(NotifySettingsInvalid, match="readable by others"):
        _settings(
            SMTP_HOST="mail.example.org",
            SMTP_STARTTLS="on",
            SMTP_USER="console",
            SMTP_PASSWORD_FILE=str(secret),
            MAIL_FROM="console@example.org",
        )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MAIL_FROM": ""}, "MAIL_FROM"),
        ({"MAIL_FROM": "console@"}, "MAIL_FROM"),
        ({"SMTP_PORT": "0"}, "SMTP_PORT"),
        ({"SMTP_PORT": "smtp"}, "SMTP_PORT"),
        ({"SMTP_STARTTLS": "maybe"}, "SMTP_STARTTLS"),
        ({"NOTIFY_SECONDS": "-1"}, "NOTIFY_SECONDS"),
        ({"NOTIFY_SECONDS": "nan"}, "NOTIFY_SECONDS"),
        ({"SMTP_USER": "console"}, "SMTP_USER"),
        ({"SMTP_PASSWORD_FILE": "/nonexistent"}, "SMTP_PASSWORD_FILE"),
        ({"SMTP_USER": "console", "SMTP_PASSWORD_FILE": "/nonexistent"}, "SMTP_PASSWORD_FILE"),
    ],
)
def test_a_setting_that_cannot_work_is_refused_by_name(env: dict[str, str], named: str) -> None:
    base = {"SMTP_HOST": "127.0.0.1", "MAIL_FROM": "console@example.org"}
    with pytest.raises(NotifySettingsInvalid, match=f"BACKBONE_CONSOLE_{named}"):
        _settings(**{**base, **env})


def test_a_password_goes_only_over_starttls_or_to_loopback(tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("Synthetic-smtp-pass-1\n")
    secret.chmod(0o600)
    signed_in = {"SMTP_USER": "console", "SMTP_PASSWORD_FILE": str(secret)}
    sender = {"MAIL_FROM": "console@example.org"}
    with pytest.raises(NotifySettingsInvalid, match="SMTP_STARTTLS"):
        _settings(SMTP_HOST="mail.example.org", **signed_in, **sender)
    for loopback in ("127.0.0.1", "localhost", "::1"):
        assert _settings(SMTP_HOST=loopback, **signed_in, **sender) is not None
