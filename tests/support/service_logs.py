"""A service's log in tests: its JSON lines (structlog) and its last lines for a failure message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def json_lines(log: Path, since: int = 0) -> list[dict[str, Any]]:
    """The JSON objects logged in ``log`` from byte ``since``, each read from its first ``{``
    (faust's console may write terminal codes before it); a library's plain line, or a line still
    being written, is left out."""
    found = []
    with log.open("rb") as lines:
        lines.seek(since)
        for line in lines:
            start = line.find(b"{")
            if start < 0:
                continue
            try:
                value = json.loads(line[start:])
            except ValueError:
                continue
            if isinstance(value, dict):
                found.append(value)
    return found


def logged(log: Path, event: str, since: int = 0) -> list[dict[str, Any]]:
    """The JSON lines of ``event`` in ``log`` from byte ``since``."""
    return [line for line in json_lines(log, since) if line.get("event") == event]


def tail(log: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of ``log``, for a failing test's message."""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
