"""The Prometheus metrics every service shares: labels and the audit's open-breach gauge."""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY

from backbone.runtime.metrics import OpenBreaches, ServiceMetrics, serve


def _value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_handled_records_count_by_outcome_and_reason_and_time_the_delay() -> None:
    metrics = ServiceMetrics("metrics-test", "police.turkestan.t-metrics")
    labels = {"service": "metrics-test", "agency": "police.turkestan.t-metrics"}
    appended = datetime.now(UTC) - timedelta(seconds=2)
    metrics.handled("accepted", appended)
    metrics.handled("accepted", appended)
    metrics.handled("quarantined", None, "signature_invalid")
    assert _value("backbone_events_total", **labels, outcome="accepted") == 2
    assert _value("backbone_events_total", **labels, outcome="quarantined") == 1
    assert _value("backbone_quarantined_total", **labels, reason="signature_invalid") == 1
    assert _value("backbone_end_to_end_seconds_count", **labels) == 2
    assert (_value("backbone_end_to_end_seconds_sum", **labels) or 0) >= 4


def test_open_breaches_follow_each_childs_latest_evaluation() -> None:
    gauge = OpenBreaches((1, 2))
    assert gauge.totals() == {1: 0, 2: 0}
    gauge.set("c-000000000001", [1, 2])
    gauge.set("c-000000000002", [1])
    assert gauge.totals() == {1: 2, 2: 1}
    assert _value("backbone_open_breaches", level="1") == 2
    gauge.set("c-000000000001", [2, 2])  # its level-1 breach escalated
    assert gauge.totals() == {1: 1, 2: 2}
    gauge.set("c-000000000002", [])  # resolved
    gauge.set("c-000000000001", [])
    assert gauge.totals() == {1: 0, 2: 0}
    assert _value("backbone_open_breaches", level="2") == 0


def test_the_exporter_answers_with_nosniff() -> None:
    server = serve(0, "127.0.0.1")
    try:
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            headers, body = response.headers, response.read()
    finally:
        server.shutdown()
        server.server_close()

    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers.get_content_type() == "text/plain"
    assert b"backbone_events_total" in body
