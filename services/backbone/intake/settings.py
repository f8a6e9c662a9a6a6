"""The intake's settings, read from the environment once at start (no secrets here).

``BACKBONE_INTAKE_PORT``               listening port (default 6080) on ``BACKBONE_BIND_HOST``
``BACKBONE_INTAKE_DB``                 the accepted-events database (default run_dir()/intake/)
``BACKBONE_INTAKE_MAX_BYTES``          largest envelope accepted (default 1,000,000: under the
                                       broker's default message size limit)
``BACKBONE_INTAKE_DIRECTORY_REFRESH``  seconds between key directory reloads (default 30)
``BACKBONE_INTAKE_PUBLISH_TIMEOUT``    seconds to wait for the broker's acknowledgement (default 20)

The Kafka principal is ``intake`` (``KAFKA_*`` or the local generated credentials).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from backbone.paths import run_dir

DEFAULT_PORT = 6080
DEFAULT_MAX_ENVELOPE_BYTES = 1_000_000


@dataclass(frozen=True)
class IntakeSettings:
    accepted_db: Path
    port: int = DEFAULT_PORT
    max_envelope_bytes: int = DEFAULT_MAX_ENVELOPE_BYTES
    directory_refresh_seconds: float = 30.0
    publish_timeout_seconds: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IntakeSettings:
        env = os.environ if env is None else env
        return cls(
            accepted_db=Path(env.get("BACKBONE_INTAKE_DB", run_dir() / "intake" / "accepted.db")),
            port=int(env.get("BACKBONE_INTAKE_PORT", DEFAULT_PORT)),
            max_envelope_bytes=int(
                env.get("BACKBONE_INTAKE_MAX_BYTES", DEFAULT_MAX_ENVELOPE_BYTES)
            ),
            directory_refresh_seconds=float(env.get("BACKBONE_INTAKE_DIRECTORY_REFRESH", 30)),
            publish_timeout_seconds=float(env.get("BACKBONE_INTAKE_PUBLISH_TIMEOUT", 20)),
        )
