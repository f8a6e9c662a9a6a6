"""The next instant at which each child must be evaluated again, as a heap (in memory).

It is derived state: after a restart every child is due at once, and each evaluation sets the
child's next instant (``notices.next_check``). Setting a child again replaces its instant.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Container, Hashable, Iterable
from datetime import datetime, timedelta
from typing import Any


class Schedule:
    def __init__(self) -> None:
        self._due: dict[str, datetime] = {}
        self._heap: list[tuple[datetime, str]] = []

    def set(self, child_ref: str, at: datetime | None) -> None:
        """Evaluate ``child_ref`` at ``at`` (``None``: nothing is due for it)."""
        if at is None:
            self._due.pop(child_ref, None)
            return
        if self._due.get(child_ref) == at:
            return
        self._due[child_ref] = at
        heapq.heappush(self._heap, (at, child_ref))

    def sooner(self, child_ref: str, at: datetime) -> None:
        """Evaluate ``child_ref`` at ``at`` unless it is due earlier already."""
        known = self._due.get(child_ref)
        if known is None or at < known:
            self.set(child_ref, at)

    def pop_due(self, now: datetime, again_after: timedelta | None = None) -> list[str]:
        """The children due at or before ``now``, each once, removed from the schedule; with
        ``again_after``, each is due again that long after ``now`` unless it is set before (the
        evaluation that a due child is sent to sets it, so one whose evaluation never happens
        comes back)."""
        due: list[str] = []
        while self._heap and self._heap[0][0] <= now:
            at, child_ref = heapq.heappop(self._heap)
            if self._due.get(child_ref) == at:
                del self._due[child_ref]
                due.append(child_ref)
        if again_after is not None:
            for child_ref in due:
                self.set(child_ref, now + again_after)
        return due

    def clear(self) -> None:
        self._due.clear()
        self._heap.clear()

    def __len__(self) -> int:
        return len(self._due)


class Backlog:
    """How far the projection is behind the log: records the consumer knows of, not yet read.

    While it is more than ``threshold`` records behind, children are not evaluated: an
    evaluation of a child whose later events are still unread would emit breaches that those
    events resolve at once (after a restart, in a rebuild), and it would slow the catching up.
    In steady state the lag is nil, so a breach is emitted within a wake interval of its deadline.
    """

    def __init__(self, threshold: int = 500) -> None:
        self._threshold = threshold
        self._read: dict[Hashable, int] = {}

    def read(self, partition: Hashable, offset: int) -> None:
        """The projection has read the record at ``offset`` of ``partition``."""
        self._read[partition] = offset

    def forget(self, partitions: Iterable[Hashable]) -> None:
        """Partitions this worker no longer owns (revoked in a rebalance) no longer count."""
        for partition in partitions:
            self._read.pop(partition, None)

    def behind(self, highwater: Callable[[Any], int | None], owned: Container[Hashable]) -> bool:
        """Whether the lag over the ``owned`` partitions, given each one's high watermark,
        exceeds the threshold. A partition read before but not owned now is forgotten: its
        high watermark can no longer be asked for (it belongs to another worker)."""
        self.forget([partition for partition in self._read if partition not in owned])
        lag = sum(
            max(0, (highwater(partition) or 0) - offset - 1)
            for partition, offset in self._read.items()
        )
        return lag > self._threshold
