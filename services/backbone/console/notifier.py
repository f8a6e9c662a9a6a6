"""E-mail to supervisors when a breach of their region appears or rises: a thread of ``serve``.

A round runs at the start and then every ``NotifySettings.interval_seconds``: the active
supervisors with an e-mail address, per region the audit's ``/breaches`` (the console's own
client), ``notices.notices`` to decide who is told of what, and one e-mail per notice
(``notice_mail``) through Django's SMTP backend, one connection per round. Once the server has
accepted an e-mail, its (user, breach, level) are written (``notify_store``): neither the next
round nor a restart sends them again. A send that fails is logged (the user name, never the
address), counted, and nothing is written: the next round tries again. A stop between the
server's acceptance and the write (or a failed write) sends that e-mail again (at least once).

``MEASUREMENTS`` records ``notify/round`` (failed when the audit did not answer for a region, or
the round stopped on an error: a database error, say, is logged and the next round runs)
and ``notify/email`` (failed when the server refused it or could not be reached), shown on the
health page and exported with the console's other calls (``console.metrics``).
"""

from __future__ import annotations

import smtplib
import threading
import time
from datetime import datetime

from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend
from django.db import connection

from backbone.console.audit_api import AuditApi, AuditUnavailable
from backbone.console.audit_model import Obligation
from backbone.console.metrics import EMAIL_CALL, MEASUREMENTS
from backbone.console.notice_mail import compose
from backbone.console.notices import Notice, notices
from backbone.console.notify_settings import NotifySettings
from backbone.console.notify_store import notified, recipients, remember
from backbone.logs import get_logger

SMTP_TIMEOUT = 20.0  # seconds for the server to answer, so that a hung server ends a round
_FAILURES = (OSError, smtplib.SMTPException)  # refused, unreachable, disconnected, TLS failed


class Notifier:
    def __init__(self, settings: NotifySettings, audit: AuditApi) -> None:
        self._settings = settings
        self._audit = audit
        self._log = get_logger().bind(component="notifier")

    def round(self) -> int:
        """One round; the number of e-mails the server accepted."""
        began, ok = time.perf_counter(), False
        try:
            supervisors = recipients()
            regions = sorted({r.region for r in supervisors})
            breaches: dict[str, list[Obligation]] = {}
            as_of: dict[str, datetime] = {}
            for region in regions:
                try:
                    as_of[region], breaches[region] = self._audit.breaches(region=region)
                except AuditUnavailable as error:
                    self._log.warning("notify_audit_unavailable", region=region, error=str(error))
            due = notices(supervisors, breaches, notified(r.user_id for r in supervisors))
            sent = self._send(due, as_of) if due else 0
            ok = len(breaches) == len(regions)
            return sent
        finally:
            MEASUREMENTS.record("notify/round", time.perf_counter() - began, ok)

    def _send(self, due: list[Notice], as_of: dict[str, datetime]) -> int:
        smtp = self._connection()
        try:
            smtp.open()
        except _FAILURES as error:
            for notice in due:
                self._failed(notice, error, 0.0)
            return 0
        sent = 0
        try:
            for notice in due:
                sent += self._send_one(smtp, notice, as_of[notice.recipient.region])
        finally:
            try:
                smtp.close()
            except _FAILURES as error:  # everything was sent or counted already
                self._log.warning("notify_smtp_close_failed", error=type(error).__name__)
        return sent

    def _send_one(self, smtp: EmailBackend, notice: Notice, as_of: datetime) -> int:
        subject, body = compose(notice, as_of, self._settings.console_url)
        message = EmailMessage(
            subject,
            body,
            self._settings.sender,
            [notice.recipient.email],
            connection=smtp,
            headers={"Auto-Submitted": "auto-generated"},  # RFC 3834: no automatic replies
        )
        began = time.perf_counter()
        try:
            if message.send() != 1:
                raise smtplib.SMTPException("the message was not sent")
        except _FAILURES as error:
            self._failed(notice, error, time.perf_counter() - began)
            return 0
        MEASUREMENTS.record(EMAIL_CALL, time.perf_counter() - began, True)
        remember(notice)
        self._log.info(
            "notification_sent",
            user=notice.recipient.username,
            region=notice.recipient.region,
            breaches=len(notice.breaches),
        )
        return 1

    def _failed(self, notice: Notice, error: BaseException, seconds: float) -> None:
        MEASUREMENTS.record(EMAIL_CALL, seconds, False)
        self._log.warning(
            "notification_failed",
            user=notice.recipient.username,
            region=notice.recipient.region,
            error=type(error).__name__,
            smtp_code=getattr(error, "smtp_code", None),  # not its text: it may name the address
        )

    def _connection(self) -> EmailBackend:
        settings = self._settings
        backend: EmailBackend = get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            fail_silently=False,
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_user or "",
            password=settings.smtp_password or "",
            use_tls=settings.starttls,
            timeout=SMTP_TIMEOUT,
        )
        return backend


class Running:
    """The notifier's thread: a round now, then one every interval until ``stop``."""

    def __init__(self, notifier: Notifier, interval_seconds: float) -> None:
        self._notifier = notifier
        self._interval = interval_seconds
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="notifier", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = SMTP_TIMEOUT) -> None:
        self._stopping.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        log = get_logger().bind(component="notifier")
        while not self._stopping.is_set():
            try:
                self._notifier.round()
            except Exception as error:  # a database error, say: the next round tries again
                log.error("notify_round_failed", error=type(error).__name__, detail=str(error))
            finally:
                connection.close()  # this thread's own database connection
            self._stopping.wait(self._interval)
