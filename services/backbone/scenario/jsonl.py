"""Plain events as JSON Lines: one event per line, payload included (UTF-8)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import TextIO

from backbone.domain.events import Event


def dumps(event: Event) -> str:
    """One line of the plain JSON form (contracts/events.md)."""
    return json.dumps(event.to_json(), ensure_ascii=False, separators=(",", ":"))


def write_jsonl(
    events: Iterable[Event], out: TextIO
) -> tuple[int, datetime | None, datetime | None]:
    """Write ``events`` one per line; return how many, and the earliest and latest instant."""
    count, first, last = 0, None, None
    for event in events:
        out.write(dumps(event) + "\n")
        count += 1
        first = event.occurred_at if first is None else min(first, event.occurred_at)
        last = event.occurred_at if last is None else max(last, event.occurred_at)
    return count, first, last
