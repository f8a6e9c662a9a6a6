"""Every log line is one JSON object carrying the process's service and agency."""

from __future__ import annotations

import json
import logging

import pytest

from backbone import logs


def _lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_structlog_lines_are_json_with_service_and_agency(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = logs.configure("router", agency="police.turkestan")

    log.info("envelope.delivered", event_id="6f1c0d4e-0000-4000-8000-000000000001")

    [line] = _lines(capsys.readouterr().err)
    assert line["event"] == "envelope.delivered"
    assert line["service"] == "router"
    assert line["agency"] == "police.turkestan"
    assert line["event_id"] == "6f1c0d4e-0000-4000-8000-000000000001"


def test_library_records_are_rendered_as_json_too(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("audit", agency="audit.national")

    logging.getLogger("kafka.cluster").error("Topic %s is not authorized", "inbox.x.v1")

    [line] = _lines(capsys.readouterr().err)
    assert line["event"] == "Topic inbox.x.v1 is not authorized"
    assert line["service"] == "audit"
    assert line["logger"] == "kafka.cluster"


def test_loopback_scram_warning_is_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("demo")

    logging.getLogger("kafka.net.sasl.scram").warning(
        "Exchanging credentials in the clear during Sasl Authentication"
    )

    assert capsys.readouterr().err == ""
