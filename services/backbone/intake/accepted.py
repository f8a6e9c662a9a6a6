"""The event ids the intake has published, with their content digests, kept in SQLite.

A row is written only after the broker acknowledged the record, so a crash between the two
leaves the event published but not remembered: the device, which got no answer, sends it again
and it is published a second time with the same bytes. The router and the audit projection drop
such an identical duplicate (same ``event_id``, same digest), so the window costs one extra
record in the log, never a second delivery.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from backbone.paths import private_dir


class AcceptedEvents(Protocol):
    def digest(self, event_id: str) -> bytes | None:
        """The content digest of the accepted event ``event_id``, or ``None``."""

    def add(self, event_id: str, digest: bytes) -> None:
        """Remember ``event_id`` durably (called after the broker's acknowledgement)."""


class SqliteAcceptedEvents:
    def __init__(self, path: Path) -> None:
        private_dir(path.parent)
        # Used by one event loop at a time, which may run in another thread than the opener's.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS accepted ("
            " event_id TEXT PRIMARY KEY, digest BLOB NOT NULL, accepted_at TEXT NOT NULL)"
        )
        path.chmod(0o600)

    def digest(self, event_id: str) -> bytes | None:
        row = self._db.execute(
            "SELECT digest FROM accepted WHERE event_id = ?", (event_id,)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def add(self, event_id: str, digest: bytes) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO accepted (event_id, digest, accepted_at) VALUES (?, ?, ?)",
            (event_id, digest, datetime.now(UTC).isoformat()),
        )

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM accepted").fetchone()[0])

    def close(self) -> None:
        self._db.close()
