"""The console's settings: one object, from the command line with environment defaults.

``BACKBONE_CONSOLE_PORT``           its port on 127.0.0.1 (6090)
``BACKBONE_AUDIT_URL``              the live audit's API (``http://127.0.0.1:<BACKBONE_AUDIT_PORT>``)
``BACKBONE_CONSOLE_POLL_SECONDS``   how often an open board asks for new breaches (5)
``BACKBONE_CONSOLE_HOSTS``          host names the console answers besides 127.0.0.1 and localhost,
                                    comma-separated (the name a reverse proxy forwards)

The console's own state (users, sessions, the secret key) lives in ``<run dir>/console/``,
readable by its owner only. The secret key is generated there on the first start and never
defaulted or committed.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from backbone.audit.live.settings import default_url
from backbone.broker.topics import REJECTED_TOPIC
from backbone.paths import private_dir, run_dir, write_private


class UnsafeSecret(RuntimeError):
    """The secret key file can be read by others than its owner."""


def default_port() -> int:
    return int(os.environ.get("BACKBONE_CONSOLE_PORT", "6090"))


def default_poll_seconds() -> float:
    return float(os.environ.get("BACKBONE_CONSOLE_POLL_SECONDS", "5"))


def default_public_hosts() -> tuple[str, ...]:
    hosts = os.environ.get("BACKBONE_CONSOLE_HOSTS", "")
    return tuple(h.strip() for h in hosts.split(",") if h.strip())


def default_state_dir() -> Path:
    return run_dir() / "console"


@dataclass(frozen=True)
class ConsoleSettings:
    state_dir: Path
    audit_url: str
    port: int = 6090
    poll_seconds: float = 5.0
    quarantine_topic: str = REJECTED_TOPIC
    public_hosts: tuple[str, ...] = ()

    @classmethod
    def from_environment(cls, **overrides: object) -> ConsoleSettings:
        values: dict[str, object] = {
            "state_dir": default_state_dir(),
            "audit_url": default_url(),
            "port": default_port(),
            "poll_seconds": default_poll_seconds(),
            "public_hosts": default_public_hosts(),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    @property
    def database(self) -> Path:
        return private_dir(self.state_dir) / "console.sqlite3"

    @property
    def secret_file(self) -> Path:
        return self.state_dir / "secret_key"


def load_secret_key(path: Path) -> str:
    """The key in ``path``, made (owner-only) on first use; refuse a file others can read."""
    if not path.exists():
        write_private(path, secrets.token_urlsafe(64).encode())
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UnsafeSecret(f"{path}: readable by others; chmod 600 it or delete it")
    return path.read_text().strip()
