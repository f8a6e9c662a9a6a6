"""faust parts the audit's consumer uses: records decoded as raw bytes, and no statistics kept
per record."""

from __future__ import annotations

import asyncio
from unittest.mock import Mock

import faust
from faust.types import TP, Message

from backbone.runtime.lean import QuietMonitor, RawSchema


def _app() -> faust.App:
    return faust.App("lean-test", broker="kafka://127.0.0.1:1", Monitor=QuietMonitor)


def test_raw_records_reach_the_stream_as_the_bytes_on_the_wire() -> None:
    app = _app()
    message = Message("log", 0, 7, 1.0, 1, [("source", b"x")], b"c-1", b"\xc3\x01envelope", None)
    event = asyncio.run(RawSchema().compile(app)(message))
    assert (event.key, event.value, event.headers) == (
        b"c-1",
        b"\xc3\x01envelope",
        {"source": b"x"},
    )
    assert event.message is message


def test_the_quiet_monitor_keeps_no_counts_but_notes_when_a_stream_last_took_an_event() -> None:
    monitor = _app().monitor
    assert isinstance(monitor, QuietMonitor)
    message = Message("log", 0, 7, 1.0, 1, None, b"c-1", b"v", None)
    monitor.on_message_in(TP("log", 0), 7, message)
    monitor.on_stream_event_in(TP("log", 0), 7, Mock(), Mock())
    assert monitor.messages_received_total == 0 and monitor.events_total == 0
    assert TP("log", 0) in monitor.stream_inbound_time
