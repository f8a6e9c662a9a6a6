"""Where the backbone's HTTP listeners bind: the loopback interface unless configured otherwise.

Every HTTP listener (the audit API, the intake, the console, each service's Prometheus exporter)
binds ``BACKBONE_BIND_HOST``, default ``127.0.0.1``: on one host nothing is reachable from the
network. In a container the address must be ``0.0.0.0`` for other containers (the console asks
the audit) and for a published port to reach it; TLS and access control then belong to the
reverse proxy and network policy in front (docs/deployment.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

LOOPBACK = "127.0.0.1"


def bind_host(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get("BACKBONE_BIND_HOST") or LOOPBACK
