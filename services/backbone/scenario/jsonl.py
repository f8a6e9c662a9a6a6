"""Plain events as JSON Lines: one event per line, payload included (UTF-8)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

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


def write_out(program: str, out: str, events: Iterable[Event], summary: dict[str, Any]) -> int:
    """Write ``events`` to the file ``out`` (``-``: stdout), then a JSON summary line: ``out``,
    the number of events, ``summary`` and the first and last event times, on stdout (stderr when
    the events went to stdout). 0, or 2 with ``program: --out: cannot write …`` on stderr."""
    with ExitStack() as stack:
        try:
            stream: TextIO = (
                sys.stdout
                if out == "-"
                else stack.enter_context(Path(out).open("w", encoding="utf-8"))
            )
        except OSError as error:
            print(f"{program}: --out: cannot write {out}: {error.strerror}", file=sys.stderr)
            return 2
        count, first, last = write_jsonl(events, stream)
    report = {
        "out": out,
        "events": count,
        **summary,
        "first_event_at": None if first is None else first.isoformat(),
        "last_event_at": None if last is None else last.isoformat(),
    }
    print(json.dumps(report), file=sys.stderr if out == "-" else sys.stdout)
    return 0
