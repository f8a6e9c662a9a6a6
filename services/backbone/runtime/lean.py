"""faust parts that do less for each record, for a service whose hot path is faust's own loop.

* ``RawSchema``: keys and values as the bytes on the wire (the raw serializers), decoded without
  faust's codec registry and without looking the event class up for every record.
* ``QuietMonitor``: faust's monitor without its statistics per record (counts, times and stream
  names for every record in and every event out). Nothing reads them here (faust's statistics
  pages are off, a service exports its own metrics); it still notes when a partition's stream
  last took an event, which faust's slow-processing warnings read.

On the audit's hot path the two took ~15 % of the event loop. Use ``schema=RawSchema()`` for a
topic and ``Monitor=QuietMonitor`` for ``make_app``.
"""

from __future__ import annotations

import time
from typing import Any

import faust
from faust.sensors import Monitor
from faust.types import TP, EventT, Message, StreamT


class RawSchema(faust.Schema[bytes, bytes]):
    """Raw keys and values, handed to the event as they are."""

    def __init__(self) -> None:
        super().__init__(key_serializer="raw", value_serializer="raw")

    def compile(self, app: Any, **ignored: Any) -> Any:
        """faust's decode function for a topic with this schema: raw bytes cannot fail to
        decode, so no error handler is ever called."""
        event_class = app.conf.Event

        async def decode(message: Message, *, propagate: bool = False) -> Any:
            return event_class(app, message.key, message.value, message.headers, message)

        return decode


class QuietMonitor(Monitor):
    """faust's ``Monitor`` minus its bookkeeping per record."""

    def on_message_in(self, tp: TP, offset: int, message: Message) -> None:
        return None

    def on_stream_event_in(
        self, tp: TP, offset: int, stream: StreamT[Any], event: EventT[Any]
    ) -> dict[str, Any] | None:
        self.stream_inbound_time[tp] = time.monotonic()
        return None

    def on_stream_event_out(
        self,
        tp: TP,
        offset: int,
        stream: StreamT[Any],
        event: EventT[Any],
        state: dict[str, Any] | None = None,
    ) -> None:
        return None

    def on_message_out(self, tp: TP, offset: int, message: Message) -> None:
        return None
