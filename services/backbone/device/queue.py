"""The device's durable queue: one file per complete envelope, sent oldest first.

``queue/<sequence>-<event_id>.envelope`` holds the envelope bytes exactly as they will be sent
(and sent again after an outage: a resend carries the same bytes). Every write goes to a
temporary file that is flushed, synced and then renamed, and the folder is synced after a
rename or removal, so a power cut leaves either the whole file or none. The sequence number
comes from ``queue/sequence`` (and never repeats a number still queued), not from the device's
clock, which may jump. A refused envelope moves to ``refused/`` beside ``<name>.reason.json``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backbone.paths import private_dir

SUFFIX = ".envelope"


@dataclass(frozen=True)
class Queued:
    path: Path
    sequence: int
    event_id: str

    @classmethod
    def parse(cls, path: Path) -> Queued | None:
        number, _, event_id = path.name.removesuffix(SUFFIX).partition("-")
        if not (path.name.endswith(SUFFIX) and number.isdigit() and event_id):
            return None
        return cls(path, int(number), event_id)

    def read(self) -> bytes:
        return self.path.read_bytes()


class EnvelopeQueue:
    def __init__(self, device_folder: Path) -> None:
        self.folder = device_folder / "queue"
        self.refused_folder = device_folder / "refused"

    def items(self) -> list[Queued]:
        """Queued envelopes, oldest first."""
        if not self.folder.exists():
            return []
        found = (Queued.parse(path) for path in self.folder.iterdir())
        return sorted((q for q in found if q is not None), key=lambda q: q.sequence)

    def holds(self, event_id: str) -> bool:
        return any(q.event_id == event_id for q in self.items())

    def add(self, event_id: str, envelope: bytes) -> Queued:
        private_dir(self.folder)
        counter = self.folder / "sequence"
        stored = int(counter.read_text()) if counter.exists() else 0
        sequence = max([stored, *(q.sequence for q in self.items())]) + 1
        _write_atomically(counter, str(sequence).encode())
        path = self.folder / f"{sequence:010d}-{event_id}{SUFFIX}"
        _write_atomically(path, envelope)
        _sync_folder(self.folder)
        return Queued(path, sequence, event_id)

    def remove(self, item: Queued) -> None:
        item.path.unlink()
        _sync_folder(self.folder)

    def refuse(self, item: Queued, answer: Mapping[str, Any]) -> Path:
        """Move ``item`` to ``refused/``, its reason (the intake's answer) beside it."""
        private_dir(self.refused_folder)
        target = self.refused_folder / item.path.name
        reason = {**answer, "event_id": item.event_id, "refused_at": datetime.now(UTC).isoformat()}
        _write_atomically(
            target.with_name(target.name + ".reason.json"),
            (json.dumps(reason, indent=2, sort_keys=True) + "\n").encode(),
        )
        os.replace(item.path, target)
        _sync_folder(self.refused_folder)
        _sync_folder(self.folder)
        return target

    def refused(self) -> list[dict[str, Any]]:
        """The reasons of every refused envelope, oldest first."""
        if not self.refused_folder.exists():
            return []
        reasons = sorted(self.refused_folder.glob(f"*{SUFFIX}.reason.json"))
        return [
            {"file": p.name.removesuffix(".reason.json"), **json.loads(p.read_text())}
            for p in reasons
        ]


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
