"""How many copies of every topic the backbone keeps: decided here and nowhere else.

The rule: a topic has min(3, brokers) replicas, and a write is acknowledged (``acks=all``) once
``min.insync.replicas`` of them hold it: 2 once there are 3 brokers (one broker may be lost
without losing an acknowledged event or refusing writes), 1 below that. It applies to the topics
of ``topology apply``, to the broker's internal topics (rendered into ``server.properties`` by
``backbone broker start``), to faust's changelog and repartition topics (``runtime/faust_app``)
and to the Strimzi export.
"""

from __future__ import annotations

from dataclasses import dataclass

from kafka.admin import KafkaAdminClient

from backbone.broker.settings import KafkaSettings

MAX_REPLICAS = 3


@dataclass(frozen=True)
class Replication:
    brokers: int

    def __post_init__(self) -> None:
        if self.brokers < 1:
            raise ValueError("a cluster has at least one broker")

    @property
    def factor(self) -> int:
        return min(MAX_REPLICAS, self.brokers)

    @property
    def min_insync(self) -> int:
        return 2 if self.brokers >= MAX_REPLICAS else 1

    def topic_configs(self) -> dict[str, str]:
        """The configuration every topic carries, beside its own."""
        return {"min.insync.replicas": str(self.min_insync)}

    def server_properties(self) -> dict[str, str]:
        """Values of ``server.properties.in`` for the default and internal topics."""
        return {
            "replication_factor": str(self.factor),
            "min_insync_replicas": str(self.min_insync),
        }


def broker_count(settings: KafkaSettings) -> int:
    """Brokers registered with the cluster, as ``settings``' principal sees them. A broker that is
    down stays registered (fenced), so one lost node does not lower the replication asked for."""
    admin = KafkaAdminClient(**settings.kafka_python(), request_timeout_ms=15000)
    try:
        brokers = admin.describe_cluster()["brokers"]
    finally:
        admin.close()
    return max(1, len(brokers))


def of_cluster(settings: KafkaSettings) -> Replication:
    return Replication(broker_count(settings))
