"""Where each partition lives: leader, replicas and in-sync replicas, from the broker's metadata.

For tests and the fault suite (which node to kill) and for ``topology`` (under-replicated
topics). Public kafka-python admin calls only.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from backbone.broker.admin import admin_client
from backbone.broker.settings import KafkaSettings

NO_LEADER = -1


class PartitionError(RuntimeError):
    """A topic could not be described, or its replicas did not catch up in time."""


@dataclass(frozen=True)
class PartitionState:
    topic: str
    partition: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]

    @property
    def fully_in_sync(self) -> bool:
        return self.leader != NO_LEADER and set(self.isr) == set(self.replicas)


def describe(settings: KafkaSettings, topics: Iterable[str]) -> list[PartitionState]:
    """Every partition of ``topics``, ordered by topic and partition."""
    names = list(topics)
    with admin_client(settings) as admin:
        described = admin.describe_topics(names)
    states = []
    for topic in described:
        if topic["error_code"] != 0:
            raise PartitionError(f"cannot describe {topic['name']}: error {topic['error_code']}")
        for p in topic["partitions"]:
            states.append(
                PartitionState(
                    topic["name"],
                    p["partition_index"],
                    p["leader_id"],
                    tuple(p["replica_nodes"]),
                    tuple(p["isr_nodes"]),
                )
            )
    return sorted(states, key=lambda s: (s.topic, s.partition))


def leader_of(settings: KafkaSettings, topic: str, partition: int = 0) -> int:
    """The id of the broker leading ``topic``'s ``partition`` (-1 while none does)."""
    for state in describe(settings, [topic]):
        if state.partition == partition:
            return state.leader
    raise PartitionError(f"{topic} has no partition {partition}")


def wait_full_isr(settings: KafkaSettings, topics: Iterable[str], timeout: float = 60.0) -> None:
    """Return once every partition of ``topics`` has a leader and all its replicas in sync."""
    names = list(topics)
    deadline = time.monotonic() + timeout
    lagging: list[PartitionState] = []
    while time.monotonic() < deadline:
        lagging = [s for s in describe(settings, names) if not s.fully_in_sync]
        if not lagging:
            return
        time.sleep(0.5)
    raise PartitionError(f"replicas not in sync after {timeout:.0f}s: {lagging}")
