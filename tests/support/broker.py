"""Which real Kafka broker the tests run against, and principals and topics made on it.

In order: ``KAFKA_BOOTSTRAP`` (with ``KAFKA_ADMIN_USERNAME`` and ``KAFKA_ADMIN_PASSWORD``) if set;
else a Docker engine through testcontainers if one answers; else the local broker from the Maven
jars (``backbone broker start``), started here if ``make`` has not started it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from backbone.broker import admin, jvm, local
from backbone.broker.settings import KafkaSettings

DOCKER_IMAGE = "apache/kafka:4.0.2"
# The container advertises localhost:9092, so the host port must be the same.
DOCKER_CLIENT_PORT = 9092


@dataclass
class Broker:
    """A running broker and its super user; makes fresh principals and topics for a test."""

    admin: KafkaSettings
    kind: str
    _cleanup: list[Callable[[], None]] = field(default_factory=list)

    def principal(self, stem: str, grants: Iterable[tuple[str, str, str]] = ()) -> KafkaSettings:
        """A new SCRAM principal ``<stem>-<random>`` with (operation, resource_type, resource)."""
        name = f"{stem}-{uuid.uuid4().hex[:8]}"
        password = secrets.token_urlsafe(24)
        admin.upsert_scram_user(self.admin, name, password)
        admin.grant(self.admin, [admin.Grant(name, op, rtype, res) for op, rtype, res in grants])
        return self.admin.as_principal(name, password)

    def topic(self, stem: str, partitions: int = 1, **configs: str) -> str:
        name = f"test.{stem}.{uuid.uuid4().hex[:8]}"
        admin.ensure_topics(self.admin, [admin.TopicSpec(name, partitions, configs)])
        return name


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info"], capture_output=True, timeout=20)
    return probe.returncode == 0


@contextmanager
def _docker_broker() -> Iterator[Broker]:
    """The apache/kafka image started by the same entrypoint as docker-compose.yml."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    password = secrets.token_urlsafe(24)
    container = (
        DockerContainer(DOCKER_IMAGE)
        .with_env("KAFKA_ADMIN_PASSWORD", password)
        .with_env("KAFKA_CONTROLLER_PASSWORD", secrets.token_urlsafe(24))
        .with_env("KAFKA_ADVERTISED_HOST", "localhost")
        .with_bind_ports(9092, DOCKER_CLIENT_PORT)
        .with_volume_mapping(
            str(jvm.DEPLOY_DIR / "server.properties.in"),
            "/etc/backbone/server.properties.in",
            "ro",
        )
        .with_volume_mapping(
            str(jvm.DEPLOY_DIR / "docker-entrypoint.sh"),
            "/etc/backbone/docker-entrypoint.sh",
            "ro",
        )
        .with_kwargs(entrypoint=["/bin/sh", "/etc/backbone/docker-entrypoint.sh"])
    )
    with container:
        wait_for_logs(container, "Kafka Server started", timeout=120)
        settings = KafkaSettings(f"localhost:{DOCKER_CLIENT_PORT}", "admin", password)
        local.wait_ready(settings)
        yield Broker(settings, "testcontainers")


@contextmanager
def provide_broker() -> Iterator[Broker]:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP")
    if bootstrap:
        settings = KafkaSettings(
            bootstrap,
            os.environ["KAFKA_ADMIN_USERNAME"],
            os.environ["KAFKA_ADMIN_PASSWORD"],
            os.environ.get("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"),
        )
        local.wait_ready(settings)
        yield Broker(settings, "external")
        return
    if not local.running() and _docker_answers():
        with _docker_broker() as broker:
            yield broker
        return
    started_here = not local.running()
    local.start()
    try:
        yield Broker(KafkaSettings.local_admin(), "local-jars")
    finally:
        if started_here:
            local.stop()
