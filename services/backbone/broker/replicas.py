"""Topics replicated less than the cluster allows, found and raised (``topology apply``).

A topic made while the cluster was smaller, by hand, or by a client that chose its own factor has
fewer replicas or a lower ``min.insync.replicas`` than ``broker/replication.py`` asks for. ``find``
lists them (every topic the principal can see, faust's changelogs included, the broker's own
``__`` topics too); ``repair`` adds replicas with a partition reassignment, waits until they are
in sync and sets the topic's ``min.insync.replicas``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from kafka import TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType

from backbone.broker import partitions
from backbone.broker.admin import AdminError, admin_client
from backbone.broker.replication import Replication
from backbone.broker.settings import KafkaSettings

MIN_ISR = "min.insync.replicas"


@dataclass(frozen=True)
class TopicReplication:
    name: str
    replicas: int
    min_insync: int

    def below(self, rule: Replication) -> bool:
        return self.replicas < rule.factor or self.min_insync < rule.min_insync


def read(settings: KafkaSettings, topics: list[str] | None = None) -> list[TopicReplication]:
    """Replication factor (fewest replicas of any partition) and min ISR of each topic."""
    with admin_client(settings) as admin:
        names = sorted(topics if topics is not None else admin.list_topics())
        resources = [ConfigResource(ConfigResourceType.TOPIC, n, [MIN_ISR]) for n in names]
        configs = admin.describe_configs(resources, config_filter="all") if names else {}
    by_topic: dict[str, dict[str, dict[str, str]]] = configs.get("topic", {})
    states = partitions.describe(settings, names) if names else []
    result = []
    for name in names:
        counts = [len(s.replicas) for s in states if s.topic == name]
        min_isr = int(by_topic.get(name, {}).get(MIN_ISR, {}).get("value") or 1)
        result.append(TopicReplication(name, min(counts, default=0), min_isr))
    return result


def existing_topics(settings: KafkaSettings) -> list[str]:
    with admin_client(settings) as admin:
        return sorted(admin.list_topics())


def find(settings: KafkaSettings, rule: Replication) -> list[TopicReplication]:
    return [t for t in read(settings) if t.below(rule)]


def repair(
    settings: KafkaSettings, rule: Replication, topics: list[str], timeout: float = 120.0
) -> None:
    """Give every partition of ``topics`` ``rule.factor`` replicas and the rule's min ISR."""
    with admin_client(settings) as admin:
        brokers = sorted(b["broker_id"] for b in admin.describe_cluster()["brokers"])
        moves: dict[TopicPartition, list[int]] = {}
        for state in partitions.describe(settings, topics):
            if len(state.replicas) < rule.factor:
                extra = [b for b in brokers if b not in state.replicas]
                needed = rule.factor - len(state.replicas)
                moves[TopicPartition(state.topic, state.partition)] = [
                    *state.replicas,
                    *extra[:needed],
                ]
        if moves:
            refused = {tp: e for tp, e in admin.alter_partition_reassignments(moves).items() if e}
            if refused:
                raise AdminError(f"reassignment refused: {refused}")
        partitions.wait_full_isr(settings, topics, timeout)
        for name in topics:
            resource = ConfigResource(
                ConfigResourceType.TOPIC, name, {MIN_ISR: str(rule.min_insync)}
            )
            admin.alter_configs([resource])
    # The controller commits the change; each broker applies it a moment later, and a read is
    # answered by any one broker: the rule must hold in several reads in a row.
    deadline, agreeing = time.monotonic() + timeout, 0
    while agreeing < 2 * len(brokers):
        agreeing = 0 if any(t.below(rule) for t in read(settings, topics)) else agreeing + 1
        if time.monotonic() > deadline:
            raise AdminError(f"{topics} still replicated below the rule after {timeout:.0f}s")
        time.sleep(0.3)
