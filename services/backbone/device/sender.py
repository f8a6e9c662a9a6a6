"""Sending the queue to the intake: oldest first, each file removed only once acknowledged.

The rules (docs/field-intake.md, "Retry rules")::

    201, or 200, naming the same event_id   acknowledged: the file is removed, next one
    any other 4xx but 408, 425 and 429     refused: the file moves to refused/, next one
    408, 425, 429, 5xx, no connection      stop: this file and all later ones stay queued
    anything else                          stop: not the intake's answer, nothing is removed

A ``Transport`` posts one envelope and returns the answer or raises ``Unreachable``;
``HttpTransport`` is the real one (standard library only, so it runs on a small device).
"""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from backbone.device.queue import EnvelopeQueue, Queued

ENVELOPES_PATH = "/v1/envelopes"
RETRY_LATER = frozenset({408, 425, 429})
_ANSWER_LIMIT = 64 * 1024


class Unreachable(Exception):
    """No answer from the intake (refused connection, timeout, broken connection)."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: Mapping[str, Any]


class Transport(Protocol):
    def post(self, envelope: bytes) -> Reply: ...


class HttpTransport:
    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"intake URL {base_url!r} must be http:// or https://host[:port]")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = parts.path.rstrip("/") + ENVELOPES_PATH
        self._timeout = timeout

    def post(self, envelope: bytes) -> Reply:
        connection = self._connect()
        headers = {"Content-Type": "application/octet-stream", "Accept": "application/json"}
        try:
            # The intake may answer early (413) and close; its answer can still be read.
            with suppress(BrokenPipeError, ConnectionResetError):
                connection.request("POST", self._path, body=envelope, headers=headers)
            response = connection.getresponse()
            raw = response.read(_ANSWER_LIMIT)
        except (OSError, http.client.HTTPException) as error:
            raise Unreachable(type(error).__name__) from None
        finally:
            connection.close()
        return Reply(response.status, _json_object(raw))

    def _connect(self) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)
    already_accepted: list[str] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    stopped: str | None = None
    remaining: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "already_accepted": self.already_accepted,
            "refused": self.refused,
            "stopped": self.stopped,
            "remaining": self.remaining,
        }


def send_queue(queue: EnvelopeQueue, transport: Transport) -> SendReport:
    report = SendReport()
    for item in queue.items():
        stop = _send_one(queue, item, transport, report)
        if stop is not None:
            report.stopped = stop
            break
    report.remaining = len(queue.items())
    return report


def _send_one(
    queue: EnvelopeQueue, item: Queued, transport: Transport, report: SendReport
) -> str | None:
    """Send ``item`` and apply the rules; return why sending stops, or ``None`` to go on."""
    try:
        reply = transport.post(item.read())
    except Unreachable as error:
        return f"intake unreachable ({error})"
    if reply.status in (200, 201):
        if reply.body.get("event_id") != item.event_id:
            return f"answer {reply.status} does not name event {item.event_id}"
        queue.remove(item)
        (report.sent if reply.status == 201 else report.already_accepted).append(item.event_id)
        return None
    if 400 <= reply.status < 500 and reply.status not in RETRY_LATER:
        answer = {"status": reply.status, "reason": reply.body.get("reason", "refused")}
        if "detail" in reply.body:
            answer["detail"] = reply.body["detail"]
        queue.refuse(item, answer)
        report.refused.append({"event_id": item.event_id, **answer})
        return None
    return f"intake answered {reply.status}; try again later"


def _json_object(raw: bytes) -> Mapping[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
