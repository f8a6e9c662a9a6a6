"""How a process reaches the broker, read from the environment (never defaulted secrets).

``KAFKA_BOOTSTRAP``            host:port list (default: every node of the local cluster of
                              ``backbone broker start``, as its ``cluster.json`` lists them)
``KAFKA_USERNAME``             SCRAM principal name
``KAFKA_PASSWORD`` or ``KAFKA_PASSWORD_FILE``
``KAFKA_SECURITY_PROTOCOL``    default ``SASL_PLAINTEXT`` (loopback); ``SASL_SSL`` elsewhere
``KAFKA_SASL_MECHANISM``       default ``SCRAM-SHA-512``
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backbone.broker.cluster import read_spec
from backbone.paths import run_dir

DEFAULT_CLIENT_PORT = 19092
DEFAULT_CONTROLLER_PORT = 19093


class MissingSecret(RuntimeError):
    """A password or key the process needs was not configured."""


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap: str
    username: str
    password: str = field(repr=False)
    security_protocol: str = "SASL_PLAINTEXT"
    sasl_mechanism: str = "SCRAM-SHA-512"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> KafkaSettings:
        env = os.environ if env is None else env
        username = env.get("KAFKA_USERNAME", "")
        if not username:
            raise MissingSecret("KAFKA_USERNAME is not set")
        return cls(
            bootstrap=env.get("KAFKA_BOOTSTRAP") or local_bootstrap(),
            username=username,
            password=_password(env),
            security_protocol=env.get("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"),
            sasl_mechanism=env.get("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
        )

    @classmethod
    def local_admin(cls, bootstrap: str | None = None) -> KafkaSettings:
        """The super user of the local broker, whose password the broker start generated."""
        secret = admin_password_file()
        if not secret.exists():
            raise MissingSecret(f"no admin secret at {secret}: start the broker with `make broker`")
        return cls(
            bootstrap=bootstrap or local_bootstrap(),
            username="admin",
            password=secret.read_text().strip(),
        )

    def as_principal(self, username: str, password: str) -> KafkaSettings:
        return KafkaSettings(
            self.bootstrap, username, password, self.security_protocol, self.sasl_mechanism
        )

    def kafka_python(self) -> dict[str, Any]:
        """Keyword arguments for kafka-python clients."""
        return {
            "bootstrap_servers": self.bootstrap.split(","),
            "security_protocol": self.security_protocol,
            "sasl_mechanism": self.sasl_mechanism,
            "sasl_plain_username": self.username,
            "sasl_plain_password": self.password,
        }

    def aiokafka(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka clients; a broker that died and came back is found
        again within seconds."""
        return {**self.kafka_python(), "metadata_max_age_ms": 3000}


def _password(env: Mapping[str, str]) -> str:
    if env.get("KAFKA_PASSWORD"):
        return env["KAFKA_PASSWORD"]
    path = env.get("KAFKA_PASSWORD_FILE")
    if path:
        return Path(path).read_text().strip()
    raise MissingSecret("neither KAFKA_PASSWORD nor KAFKA_PASSWORD_FILE is set")


def admin_settings() -> KafkaSettings:
    """The operator's principal: ``KAFKA_*`` when ``KAFKA_USERNAME`` is set (a remote cluster, the
    compose file's provision service), else the local broker's super user."""
    if os.environ.get("KAFKA_USERNAME"):
        return KafkaSettings.from_env()
    return KafkaSettings.local_admin()


def admin_password_file() -> Path:
    return run_dir() / "secrets" / "kafka-admin.password"


def local_client_port() -> int:
    return int(os.environ.get("BACKBONE_KAFKA_PORT", DEFAULT_CLIENT_PORT))


def local_controller_port() -> int:
    return int(os.environ.get("BACKBONE_KAFKA_CONTROLLER_PORT", DEFAULT_CONTROLLER_PORT))


def local_bootstrap() -> str:
    """Every node of the local cluster, or the one node the environment's ports name."""
    spec = read_spec(run_dir() / "kafka")
    return spec.bootstrap if spec else f"127.0.0.1:{local_client_port()}"
