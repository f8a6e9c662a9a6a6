"""Which records of a consumed topic a service has handled, and which it was never handed.

faust acknowledges, and so lets its consumer commit, records its stream never gave the agent:
a record read while flow control is stopped for a rebalance, or of an older consumer
generation, is skipped and acknowledged (faust 0.15, ``Stream.__aiter__``; faust-streaming
#216, #223). After such a commit nothing reads those records again.

So a service (the audit on the event log, an agency service on its inbox) keeps its own
frontier per partition: the offset after the last record it has seen without a hole from the
partition's start. It is recorded with the service's state (a table written in that partition,
after the effects of the records before it), so it survives a restart and moves with the
partition to another instance. Every record handed to the agent is checked against it: the
offsets it skipped over are holes, read again from Kafka and handled before the frontier moves
past them. Records skipped at the end of a partition leave no later record to reveal them; a
partition whose frontier stays below the partition's end for two looks in a row (``stalled``)
is refilled up to that end.

Offsets only, no I/O: the services read the holes and record the frontiers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

PREFIX = "next:"


def cursor_key(partition: int) -> str:
    """The table key of a partition's frontier (written in that partition); no ref, event id or
    position key of the services' tables starts like it."""
    return f"{PREFIX}{partition}"


def parse_cursor(key: bytes | str, value: Any) -> tuple[int, int] | None:
    """(partition, next offset) of a frontier entry of a table; None for any other entry."""
    text = key.decode() if isinstance(key, bytes) else key
    if not text.startswith(PREFIX):
        return None
    return int(text[len(PREFIX) :]), int(value)


class Continuity:
    """The frontier of each partition: the offset after the last record seen without a hole.

    A partition with no frontier yet starts at offset 0: the event log and the inboxes keep
    every record (retention -1), so any record not seen from 0 on is a hole."""

    def __init__(self) -> None:
        self._next: dict[int, int] = {}
        self._looked: dict[int, int] = {}

    def load(self, partition: int, next_offset: int) -> None:
        """A frontier recorded with the state (after recovery). Loading counts as a look: a
        partition whose records stopped short of its end before a restart (records a service
        acknowledged before recording them) is refilled at the first look after it."""
        self._next[partition] = max(self._next.get(partition, 0), next_offset)
        self._looked[partition] = self._next[partition]

    def clear(self) -> None:
        self._next.clear()
        self._looked.clear()

    def next(self, partition: int) -> int:
        return self._next.get(partition, 0)

    def see(self, partition: int, offsets: Iterable[int]) -> list[range]:
        """Take the offsets of records handed to the agent, in order; return the holes before
        them (ranges of offsets never handed over), and move the frontier past the records.

        The caller records the holes' records before it records the new frontier. Offsets below
        the frontier (records read again after a seek back) are no holes and move nothing."""
        holes = []
        frontier = self.next(partition)
        for offset in offsets:
            if offset > frontier:
                holes.append(range(frontier, offset))
            frontier = max(frontier, offset + 1)
        self._next[partition] = frontier
        return holes

    def refilled(self, partition: int, end: int) -> None:
        """Every record below ``end`` is recorded now."""
        self._next[partition] = max(self.next(partition), end)

    def stalled(self, partition: int, end: int) -> range | None:
        """The records below ``end`` (the partition's high watermark) not yet seen, if the
        frontier has not moved since the previous look at this partition; else None."""
        frontier = self.next(partition)
        previous, self._looked[partition] = self._looked.get(partition), frontier
        if end > frontier and previous == frontier:
            return range(frontier, end)
        return None

    def forget(self, partitions: Iterable[int]) -> None:
        """Partitions this instance no longer owns."""
        for partition in partitions:
            self._next.pop(partition, None)
            self._looked.pop(partition, None)
