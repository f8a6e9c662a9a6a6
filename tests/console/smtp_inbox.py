"""A real SMTP server for the notifier's tests: aiosmtpd on a loopback port, keeping every
message it accepts; ``stop`` and ``start`` again on the same port to play a server outage. Given
``login`` (user, password), it accepts mail only after that sign-in (over plain SMTP: loopback)."""

from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class Received:
    recipients: tuple[str, ...]  # the envelope's RCPT TO
    message: EmailMessage

    @property
    def subject(self) -> str:
        """As a mail client shows it (Django folds an encoded subject onto its own line)."""
        return str(self.message["Subject"]).strip()

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())


class SmtpInbox:
    def __init__(self, port: int, login: tuple[str, str] | None = None) -> None:
        self.port = port
        self._login = login
        self.refused_logins = 0
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._controller: Controller | None = None

    def start(self) -> SmtpInbox:
        signing_in: dict[str, Any] = {}
        if self._login is not None:
            signing_in = {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": False,
            }
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **signing_in)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        given = (
            (data.login.decode(), data.password.decode())
            if isinstance(data, LoginPassword)
            else None
        )
        if given != self._login:
            with self._lock:
                self.refused_logins += 1
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self._received.append(Received(tuple(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"
