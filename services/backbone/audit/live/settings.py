"""The live audit's settings: one object, from the command line with environment defaults.

``BACKBONE_AUDIT_AGENCY``  the audit's agency id, also its Kafka principal (``audit.national``)
``BACKBONE_AUDIT_PORT``    its HTTP API port on 127.0.0.1 (6070)
``BACKBONE_AUDIT_URL``     where ``backbone audit pathway|breaches`` find it
                           (``http://127.0.0.1:<BACKBONE_AUDIT_PORT>``)
``BACKBONE_SLA_RULES``     extra SLA rules files, after the national ones (paths separated by
                           ``os.pathsep``; ``rules.load_rules``)

The topics default to the contract's (contracts/topics.md); tests and benchmarks may
point an audit at their own. ``version``: a new version is a new consumer group with new changelogs,
i.e. a rebuild from offset 0 beside the running one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from backbone.broker.topics import DIRECTORY_TOPIC, EVENT_LOG, REJECTED_TOPIC, SLA_TOPIC

RULES_ENV = "BACKBONE_SLA_RULES"


def default_agency() -> str:
    return os.environ.get("BACKBONE_AUDIT_AGENCY", "audit.national")


def default_port() -> int:
    return int(os.environ.get("BACKBONE_AUDIT_PORT", "6070"))


def default_url() -> str:
    return os.environ.get("BACKBONE_AUDIT_URL", f"http://127.0.0.1:{default_port()}")


def rules_files() -> list[str]:
    """The extra SLA rules files ``BACKBONE_SLA_RULES`` names, in order."""
    return [p for p in os.environ.get(RULES_ENV, "").split(os.pathsep) if p.strip()]


@dataclass(frozen=True)
class AuditSettings:
    agency: str = "audit.national"
    port: int = 6070
    version: int = 1
    events_topic: str = EVENT_LOG
    sla_topic: str = SLA_TOPIC
    rejected_topic: str = REJECTED_TOPIC
    directory_topic: str = DIRECTORY_TOPIC
    # How often the schedule is checked for children whose next deadline has passed.
    wake_seconds: float = 0.1
    directory_refresh_seconds: float = 5.0
