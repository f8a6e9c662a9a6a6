"""The settings of the console's e-mail notifications (``notifier``), from the environment.

``BACKBONE_CONSOLE_SMTP_HOST``           the SMTP server; unset or empty: no notifications
``BACKBONE_CONSOLE_SMTP_PORT``           its port (25)
``BACKBONE_CONSOLE_SMTP_STARTTLS``       ``on`` to upgrade the connection with STARTTLS (off)
``BACKBONE_CONSOLE_SMTP_USER``           the user to sign in to the server as (none: no sign-in)
``BACKBONE_CONSOLE_SMTP_PASSWORD_FILE``  a file whose first line is that user's password,
                                         readable by its owner only (needed with a user)
``BACKBONE_CONSOLE_MAIL_FROM``           the sender's address (needed with a host)
``BACKBONE_CONSOLE_NOTIFY_SECONDS``      how often to look for new breaches (60)
``BACKBONE_CONSOLE_URL``                 the console's address in the e-mails' links
                                         (``http://127.0.0.1:<console port>``)

A password is never defaulted nor taken from the command line, and is sent only over STARTTLS or
to a server on the loopback interface. Anything else wrong raises ``NotifySettingsInvalid``
naming the variable, so that ``serve`` refuses to start rather than never sending.
"""

from __future__ import annotations

import ipaddress
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

PREFIX = "BACKBONE_CONSOLE_"
_ON, _OFF = {"1", "on", "true", "yes"}, {"", "0", "off", "false", "no"}


class NotifySettingsInvalid(ValueError):
    """A notification setting that cannot work (named in the message)."""


@dataclass(frozen=True)
class NotifySettings:
    smtp_host: str
    sender: str
    console_url: str
    smtp_port: int = 25
    starttls: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    interval_seconds: float = 60.0

    @classmethod
    def from_environment(
        cls, console_port: int, env: Mapping[str, str] | None = None
    ) -> NotifySettings | None:
        """The settings, or ``None`` when no SMTP host is set (notifications off)."""
        env = os.environ if env is None else env
        host = env.get(PREFIX + "SMTP_HOST", "").strip()
        if not host:
            return None
        user = env.get(PREFIX + "SMTP_USER", "").strip() or None
        starttls = _switch(env, "SMTP_STARTTLS")
        password = _password(env, user)
        if password is not None and not starttls and not _loopback(host):
            raise NotifySettingsInvalid(
                f"{PREFIX}SMTP_STARTTLS: must be on to send a password to {host}"
            )
        return cls(
            smtp_host=host,
            sender=_sender(env),
            console_url=env.get(PREFIX + "URL", f"http://127.0.0.1:{console_port}").rstrip("/"),
            smtp_port=_port(env),
            starttls=starttls,
            smtp_user=user,
            smtp_password=password,
            interval_seconds=_seconds(env),
        )


def _switch(env: Mapping[str, str], name: str) -> bool:
    value = env.get(PREFIX + name, "").strip().lower()
    if value not in _ON | _OFF:
        raise NotifySettingsInvalid(f"{PREFIX}{name}: {value!r} is neither on nor off")
    return value in _ON


def _port(env: Mapping[str, str]) -> int:
    text = env.get(PREFIX + "SMTP_PORT", "25")
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise NotifySettingsInvalid(f"{PREFIX}SMTP_PORT: {text!r} is not a port")
    return int(text)


def _seconds(env: Mapping[str, str]) -> float:
    text = env.get(PREFIX + "NOTIFY_SECONDS", "60")
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise NotifySettingsInvalid(f"{PREFIX}NOTIFY_SECONDS: {text!r} is not a positive number")
    return seconds


def _sender(env: Mapping[str, str]) -> str:
    sender = env.get(PREFIX + "MAIL_FROM", "").strip()
    try:
        validate_email(sender)
    except ValidationError:
        raise NotifySettingsInvalid(f"{PREFIX}MAIL_FROM: {sender!r} is not an address") from None
    return sender


def _password(env: Mapping[str, str], user: str | None) -> str | None:
    """The first line of the password file (owner-only), which a user needs and only a user has."""
    name = PREFIX + "SMTP_PASSWORD_FILE"
    path = env.get(name, "").strip()
    if user is None:
        if path:
            raise NotifySettingsInvalid(f"{name}: given without {PREFIX}SMTP_USER")
        return None
    if not path:
        raise NotifySettingsInvalid(f"{PREFIX}SMTP_USER: given without {name}")
    file = Path(path)
    try:
        if file.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise NotifySettingsInvalid(f"{name}: {path} is readable by others; chmod 600 it")
        lines = file.read_text().splitlines()
    except OSError as error:
        raise NotifySettingsInvalid(f"{name}: {path}: {error.strerror}") from None
    if not lines or not lines[0]:
        raise NotifySettingsInvalid(f"{name}: {path} holds no password")
    return lines[0]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
