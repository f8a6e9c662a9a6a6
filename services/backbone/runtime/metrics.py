"""Prometheus metrics of a backbone service, served on ``BACKBONE_METRICS_PORT`` (on
``BACKBONE_BIND_HOST``, default 127.0.0.1), every answer with ``X-Content-Type-Options:
nosniff`` (``serve``: prometheus_client's WSGI application on a server of ours, since its own
sets no such header).

Labels are service names, agency ids, outcome and reason codes only: never a child_ref, a
referral id, an event id or anything from a payload.

| metric | what |
|---|---|
| ``backbone_events_total{service,agency,outcome}`` | records handled, by outcome |
| ``backbone_quarantined_total{service,agency,reason}`` | refused records by quarantine reason |
| ``backbone_end_to_end_seconds{service,agency}`` | broker append on the source topic to handled |
| ``backbone_consumer_lag{service,agency,topic}`` | records not yet read, per source topic |
| ``backbone_open_breaches{level}`` | open breaches by level (the audit) |
| ``backbone_unreadable_envelopes_total{service,agency,producer}`` | answered unreadable |

``producer`` is the agency id of the producer whose envelope an agency service verified but could
not read (and answered with ``EnvelopeUnreadable``).

Labelled children are looked up once per label set and kept: a consumer updates them per record.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import Counter as Tally
from collections.abc import Iterable, Mapping
from datetime import datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import Counter, Gauge, Histogram, make_wsgi_app

from backbone.network import bind_host

EVENTS = Counter("backbone_events", "Records handled, by outcome", ["service", "agency", "outcome"])
QUARANTINED = Counter(
    "backbone_quarantined", "Records refused, by quarantine reason", ["service", "agency", "reason"]
)
END_TO_END = Histogram(
    "backbone_end_to_end_seconds",
    "From the broker's append of the source record to the end of its handling",
    ["service", "agency"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
LAG = Gauge("backbone_consumer_lag", "Records not yet read", ["service", "agency", "topic"])
OPEN_BREACHES = Gauge("backbone_open_breaches", "Open deadline breaches", ["level"])
UNREADABLE = Counter(
    "backbone_unreadable_envelopes",
    "Envelopes verified but not readable, answered with EnvelopeUnreadable, by their producer",
    ["service", "agency", "producer"],
)


def serve_from_env() -> int | None:
    """Start the exporter if ``BACKBONE_METRICS_PORT`` is set; return the port."""
    port = os.environ.get("BACKBONE_METRICS_PORT")
    if not port:
        return None
    serve(int(port), bind_host())
    return int(port)


def serve(port: int, host: str) -> WSGIServer:
    """The exporter on ``host:port`` (0: a free port, ``server_port`` says which), served by a
    daemon thread; ``shutdown()`` stops it."""

    class Server(ThreadingMixIn, WSGIServer):
        address_family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        daemon_threads = True

    server = make_server(host, port, _nosniff(make_wsgi_app()), Server, _QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server


def _nosniff(application: WSGIApplication) -> WSGIApplication:
    def answer(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            return start_response(
                status, [*headers, ("X-Content-Type-Options", "nosniff")], *exc_info
            )

        return application(environ, start)

    return answer


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No line on stderr per scrape."""


class ServiceMetrics:
    """The metrics one consumer updates, bound to its service and agency labels."""

    def __init__(self, service: str, agency: str | None = None) -> None:
        self.service, self.agency = service, agency or ""
        self._children: dict[tuple[Any, str], Any] = {}
        self._delay = END_TO_END.labels(self.service, self.agency)

    def _child(self, metric: Any, label: str) -> Any:
        found = self._children.get((metric, label))
        if found is None:
            found = self._children[(metric, label)] = metric.labels(
                self.service, self.agency, label
            )
        return found

    def handled(
        self, outcome: str, appended_at: datetime | None, reason: str | None = None
    ) -> None:
        self._child(EVENTS, outcome).inc()
        if reason is not None:
            self._child(QUARANTINED, reason).inc()
        if appended_at is not None:
            self._delay.observe(max(0.0, time.time() - appended_at.timestamp()))

    def unreadable(self, producer: str) -> None:
        """One envelope of ``producer`` (an agency id) answered as unreadable."""
        self._child(UNREADABLE, producer).inc()

    def lag(self, per_topic: Mapping[str, int]) -> None:
        for topic, behind in per_topic.items():
            LAG.labels(self.service, self.agency, topic).set(behind)


class OpenBreaches:
    """``backbone_open_breaches{level}`` from each child's latest evaluation (the audit).

    ``set`` replaces a child's open breaches (one level per breached obligation) and updates the
    gauge's totals; every level in ``levels`` is exported, also at 0."""

    def __init__(self, levels: Iterable[int]) -> None:
        self._levels = tuple(levels)
        self._by_child: dict[str, Tally[int]] = {}
        self._totals: Tally[int] = Tally()
        self._export()

    def set(self, child_ref: str, levels: Iterable[int]) -> None:
        now = Tally(levels)
        before = self._by_child.pop(child_ref, Tally())
        if now:
            self._by_child[child_ref] = now
        if now != before:
            self._totals.update(now)
            self._totals.subtract(before)
            self._export()

    def totals(self) -> dict[int, int]:
        return {level: self._totals[level] for level in self._levels}

    def _export(self) -> None:
        for level in self._levels:
            OPEN_BREACHES.labels(str(level)).set(self._totals[level])
