"""The console's own measurements, and the seam for the Prometheus exporter.

Every call to the audit API (``audit/<endpoint>``) and every page (``page/<url name>``, by the
``middleware``) is recorded here with its duration and whether it succeeded. The health page
shows ``snapshot()``; an exporter (another engineer's, see docs/console.md) reads the same
snapshot and needs no change in the console. Thread-safe: waitress serves from several threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Timing:
    count: int = 0
    failures: int = 0
    total_seconds: float = 0.0
    last_seconds: float = 0.0

    @property
    def mean_ms(self) -> float:
        return round(1000 * self.total_seconds / self.count, 1) if self.count else 0.0

    @property
    def last_ms(self) -> float:
        return round(1000 * self.last_seconds, 1)


class Measurements:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._timings: dict[str, Timing] = {}

    def record(self, name: str, seconds: float, ok: bool = True) -> None:
        with self._lock:
            known = self._timings.get(name, Timing())
            self._timings[name] = replace(
                known,
                count=known.count + 1,
                failures=known.failures + (0 if ok else 1),
                total_seconds=known.total_seconds + seconds,
                last_seconds=seconds,
            )

    def snapshot(self) -> dict[str, Timing]:
        with self._lock:
            return dict(sorted(self._timings.items()))


MEASUREMENTS = Measurements()
