"""A real SMTP server for the notifier's tests: aiosmtpd on a loopback port, keeping every
message it accepts; ``stop`` and ``start`` again on the same port to play a server outage."""

from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


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
    def __init__(self, port: int) -> None:
        self.port = port
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._controller: Controller | None = None

    def start(self) -> SmtpInbox:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
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

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self._received.append(Received(tuple(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"
