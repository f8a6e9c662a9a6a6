"""The declarative topology: topics, principals and ACLs from ``deploy/kafka/topology.toml``.

``load`` validates the file and expands it (one inbox and one principal per agency);
``apply`` makes the broker match it idempotently; ``principal_settings`` is how a service of the
demo finds its own generated credentials.
"""

from __future__ import annotations

import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backbone.broker import admin, replicas
from backbone.broker.admin import Grant, TopicSpec
from backbone.broker.replication import Replication, of_cluster
from backbone.broker.settings import KafkaSettings
from backbone.broker.topics import inbox_topic
from backbone.domain.agencies import AgencyId, InvalidAgencyId
from backbone.paths import PROJECT_ROOT, run_dir, write_private

DEFAULT_FILE = PROJECT_ROOT / "deploy" / "kafka" / "topology.toml"
_OPERATIONS = {"read", "write", "describe", "create", "delete", "alter", "idempotent_write"}
_RESOURCES = {"topic", "group", "transactional_id", "cluster"}
_PATTERNS = {"literal": False, "prefixed": True}


class TopologyError(ValueError):
    """The topology file is not valid; the message names the entry."""


@dataclass(frozen=True)
class Topology:
    topics: tuple[TopicSpec, ...]
    agencies: tuple[str, ...]
    grants: Mapping[str, tuple[Grant, ...]]

    @property
    def principals(self) -> tuple[str, ...]:
        return tuple(self.grants)


def _topic(entry: Any, where: str) -> TopicSpec:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise TopologyError(f"{where}: a topic needs a name")
    config = entry.get("config", {})
    if not all(isinstance(v, str) for v in config.values()):
        raise TopologyError(f"{where}: topic config values must be strings")
    return TopicSpec(entry["name"], int(entry.get("partitions", 1)), dict(config))


def _grants(principal: str, acls: Any, where: str, agency: str | None = None) -> tuple[Grant, ...]:
    if not isinstance(acls, list):
        raise TopologyError(f"{where}: acls must be a list")
    grants = []
    for n, acl in enumerate(acls):
        if not (isinstance(acl, list) and len(acl) == 4 and all(isinstance(a, str) for a in acl)):
            raise TopologyError(f"{where}.acls[{n}]: must be [operation, type, name, pattern]")
        operation, resource_type, name, pattern = acl
        if operation not in _OPERATIONS:
            raise TopologyError(f"{where}.acls[{n}]: unknown operation {operation!r}")
        if resource_type not in _RESOURCES:
            raise TopologyError(f"{where}.acls[{n}]: unknown resource type {resource_type!r}")
        if pattern not in _PATTERNS:
            raise TopologyError(f"{where}.acls[{n}]: pattern must be literal or prefixed")
        if agency is not None:
            name = name.replace("{agency}", agency)
        elif "{agency}" in name:
            raise TopologyError(f"{where}.acls[{n}]: {{agency}} is only for the agency role")
        grants.append(Grant(principal, operation, resource_type, name, _PATTERNS[pattern]))
    return tuple(grants)


def load(path: Path = DEFAULT_FILE, agencies: list[str] | None = None) -> Topology:
    """Load and expand the file; ``agencies`` replaces its agency list (tests, other regions)."""
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise TopologyError(f"{path}: {exc}") from None
    topics = [_topic(t, f"topics[{n}]") for n, t in enumerate(data.get("topics", []))]
    if agencies is None:
        agencies = list(data.get("agencies", {}).get("ids", []))
    for agency in agencies:
        try:
            AgencyId.parse(agency)
        except InvalidAgencyId as exc:
            raise TopologyError(f"agencies.ids: {exc}") from None
    if len(set(agencies)) != len(agencies):
        raise TopologyError("agencies.ids: an agency is listed twice")
    inbox = data.get("inbox", {})
    role = data.get("roles", {}).get("agency", {}).get("acls", [])
    grants: dict[str, tuple[Grant, ...]] = {}
    for agency in agencies:
        topics.append(_topic({**inbox, "name": inbox_topic(agency)}, f"inbox of {agency}"))
        grants[agency] = _grants(agency, role, "roles.agency", agency)
    for principal, entry in data.get("principals", {}).items():
        if principal in grants:
            raise TopologyError(f"principals.{principal}: also listed as an agency")
        grants[principal] = _grants(principal, entry.get("acls"), f"principals.{principal}")
    return Topology(tuple(topics), tuple(agencies), grants)


def password_folder() -> Path:
    return run_dir() / "secrets" / "principals"


def password_file(principal: str) -> Path:
    return password_folder() / f"{principal}.password"


def ensure_passwords(topology: Topology) -> list[str]:
    """Give every principal without a password file a new random one; return those principals.

    ``apply`` makes them the same way; a deployment whose services run elsewhere
    (docs/deployment.md) calls this alone to make the files it hands to each service before the
    first ``apply``."""
    made = []
    for principal in topology.principals:
        path = password_file(principal)
        if not path.exists():
            write_private(path, secrets.token_urlsafe(32).encode())
            made.append(principal)
    return made


def principal_settings(principal: str, base: KafkaSettings | None = None) -> KafkaSettings:
    """Credentials that ``apply`` generated for ``principal`` (local deployments and tests)."""
    base = base or KafkaSettings.local_admin()
    path = password_file(principal)
    if not path.exists():
        raise TopologyError(f"no credentials for {principal}: run `backbone topology apply`")
    return base.as_principal(principal, path.read_text().strip())


def replicated(topic: TopicSpec, rule: Replication) -> TopicSpec:
    """``topic`` with the configuration the replication rule adds (its min ISR)."""
    return TopicSpec(topic.name, topic.partitions, {**topic.configs, **rule.topic_configs()})


def apply(settings: KafkaSettings, topology: Topology, repair: bool = False) -> dict[str, Any]:
    """Create missing topics (replicated as ``broker/replication.py`` says), SCRAM users (new
    random passwords) and ACLs; list the topics replicated less than the cluster allows, after
    raising them if ``repair``. Returns counts and those topics."""
    rule = of_cluster(settings)
    created = admin.ensure_topics(settings, topology.topics, rule)
    admin.align_topic_configs(settings, [replicated(t, rule) for t in topology.topics])
    new_users = 0
    for principal in topology.principals:
        path = password_file(principal)
        if not path.exists():
            write_private(path, secrets.token_urlsafe(32).encode())
            new_users += 1
        admin.upsert_scram_user(settings, principal, path.read_text().strip())
    all_grants = [g for grants in topology.grants.values() for g in grants]
    admin.grant(settings, all_grants)
    below = replicas.find(settings, rule)
    repaired: list[str] = []
    if repair and below:
        repaired = [t.name for t in below]
        replicas.repair(settings, rule, repaired)
        below = replicas.find(settings, rule)
    return {
        "topics_created": len(created),
        "principals": len(topology.principals),
        "new_principals": new_users,
        "acls": len(all_grants),
        "replication_factor": rule.factor,
        "min_insync_replicas": rule.min_insync,
        "repaired": repaired,
        "under_replicated": [
            {"topic": t.name, "replicas": t.replicas, "min_insync_replicas": t.min_insync}
            for t in below
        ],
    }
