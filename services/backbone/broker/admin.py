"""Administration of the broker as its super user: topics, SCRAM principals and ACLs."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from kafka import KafkaConsumer
from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ConfigResource,
    ConfigResourceType,
    KafkaAdminClient,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
    ScramMechanism,
    UserScramCredentialUpsertion,
)
from kafka.errors import TopicAlreadyExistsError

from backbone.broker.replication import Replication, of_cluster
from backbone.broker.settings import KafkaSettings


class AdminError(RuntimeError):
    """The broker refused an administrative change."""


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 1
    configs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Grant:
    """Allow ``principal`` an operation on a topic, group or transactional id (or a prefix)."""

    principal: str
    operation: str
    resource_type: str
    resource: str
    prefixed: bool = False

    def acl(self) -> ACL:
        pattern = (
            ACLResourcePatternType.PREFIXED if self.prefixed else ACLResourcePatternType.LITERAL
        )
        return ACL(
            principal=f"User:{self.principal}",
            host="*",
            operation=ACLOperation[self.operation.upper()],
            permission_type=ACLPermissionType.ALLOW,
            resource_pattern=ResourcePattern(
                ResourceType[self.resource_type.upper()], self.resource, pattern
            ),
        )


@contextmanager
def admin_client(settings: KafkaSettings) -> Iterator[KafkaAdminClient]:
    client = KafkaAdminClient(**settings.kafka_python(), request_timeout_ms=15000)
    try:
        yield client
    finally:
        client.close()


def ensure_topics(
    settings: KafkaSettings, topics: Iterable[TopicSpec], rule: Replication | None = None
) -> list[str]:
    """Create the topics that do not exist yet, replicated as ``rule`` (by default the
    replication rule for the cluster ``settings`` reach) says; return the names created."""
    rule = rule or of_cluster(settings)
    created = []
    with admin_client(settings) as admin:
        for topic in topics:
            try:
                admin.create_topics(
                    {
                        topic.name: {
                            "num_partitions": topic.partitions,
                            "replication_factor": rule.factor,
                            "configs": {**topic.configs, **rule.topic_configs()},
                        }
                    },
                    wait_for_metadata=True,
                )
                created.append(topic.name)
            except TopicAlreadyExistsError:
                continue
    return created


def align_topic_configs(settings: KafkaSettings, topics: Iterable[TopicSpec]) -> None:
    """Set each existing topic's listed configuration keys to its spec's values.

    The keys are the project's own and the broker refuses one it does not know, so kafka-python's
    own check of them is off: it compares them with a describe of the topic's dynamic configs,
    which a broker of a cluster that has not yet applied the topic's creation answers empty.
    A refusal is raised with the topic and the broker's reason."""
    refused = {}
    with admin_client(settings) as admin:
        for topic in topics:
            result = admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, topic.name, dict(topic.configs))],
                raise_on_unknown=False,
            )
            for name, outcome in result.get("topic", {}).items():
                if outcome != "OK":
                    refused[name] = outcome
    if refused:
        raise AdminError(f"topic configuration refused: {refused}")


def upsert_scram_user(settings: KafkaSettings, username: str, password: str) -> None:
    """Create or change a SCRAM-SHA-512 principal; the password is never logged or echoed."""
    with admin_client(settings) as admin:
        result = admin.alter_user_scram_credentials(
            [UserScramCredentialUpsertion(username, ScramMechanism.SCRAM_SHA_512, password)]
        )
    failures = {user: error for user, error in result.items() if error}
    if failures:
        raise AdminError(f"SCRAM credential change refused for {sorted(failures)}: {failures}")


def grant(settings: KafkaSettings, grants: Iterable[Grant]) -> None:
    acls = [g.acl() for g in grants]
    if not acls:
        return
    with admin_client(settings) as admin:
        result = admin.create_acls(acls)
    if result.get("failed"):
        raise AdminError(f"ACL creation failed: {result['failed']}")


def remove_principal(settings: KafkaSettings, username: str) -> int:
    """Delete every ACL naming ``username`` and retire its SCRAM credential; the ACLs deleted.

    For principals made for one run (benchmarks); a principal without a credential is no error.
    The credential is replaced by a random password that nobody keeps, not deleted: with the
    Kafka 4.0 jars used here, a cluster in whose metadata a SCRAM credential was deleted refused
    its own inter-broker credential once restarted ("invalid credentials", every node; see
    docs/platform.md), while a replaced one restarts as before.
    """
    everything = ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY)
    mine = ACLFilter(f"User:{username}", None, ACLOperation.ANY, ACLPermissionType.ANY, everything)
    with admin_client(settings) as admin:
        [(_, deleted, error)] = admin.delete_acls([mine])
        if error is not None and error.errno:
            raise AdminError(f"ACL deletion for {username} refused: {error}")
    upsert_scram_user(settings, username, secrets.token_urlsafe(32))
    return len(deleted)


def partition_count(settings: KafkaSettings, topic: str) -> int:
    """How many partitions ``topic`` has, as ``settings``' principal sees it (Describe ACL)."""
    consumer = KafkaConsumer(**settings.kafka_python(), enable_auto_commit=False)
    try:
        partitions = consumer.partitions_for_topic(topic)
    finally:
        consumer.close()
    if not partitions:
        raise AdminError(f"topic {topic} does not exist or {settings.username} may not describe it")
    return len(partitions)
