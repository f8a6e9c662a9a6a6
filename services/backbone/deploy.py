"""The local deployment of the whole backbone on this host (``make demo``).

``provision`` makes the broker match the topology, gives every agency of the topology (and the
audit) its keys under the local keystore's root, and publishes the key directory; ``SERVICES``
lists the processes that ``start_all`` starts: the router, one service per agency that runs one
(mobile groups work through field devices and the intake instead), the intake, the audit and
the console. ``--instances`` (``runtime.instances``) runs several workers of the router, the
audit and each agency service, each worker with its own state folder and ports.
The raid's mobile group gets one enrolled field device.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from backbone.audit.live import settings as audit_settings
from backbone.broker import topology
from backbone.broker.directory_topic import publish_directory
from backbone.broker.settings import KafkaSettings
from backbone.device.enrolment import enrol
from backbone.domain.agencies import AgencyId
from backbone.envelope import administration
from backbone.envelope.keys import Keystore
from backbone.paths import run_dir
from backbone.runtime import supervisor
from backbone.runtime.instances import Instances, instance_name, state_dir
from backbone.runtime.supervisor import ServiceSpec

AUDIT = "audit.national"
# The demo's field device: a tablet of the raid's mobile group, holding only its own keys.
FIELD_GROUP, FIELD_DEVICE = "mobile.turkestan.q1-raid", "tablet-1"


def device_folder() -> Path:
    return run_dir() / "devices" / f"{FIELD_GROUP}.{FIELD_DEVICE}"


def intake_port() -> int:
    return int(os.environ.get("BACKBONE_INTAKE_PORT", "6080"))


def intake_url() -> str:
    return f"http://127.0.0.1:{intake_port()}"


# Agencies whose certificates predate the demo's story, which starts about two weeks back.
KEYS_VALID_SINCE = timedelta(days=730)
_TYPE_NAMES = {
    "police": "police department",
    "mobile": "mobile group",
    "guardianship": "guardianship and trusteeship authority",
    "ngo": "NGO",
    "phc": "primary health care",
    "school": "school",
    "social": "authorised body for employment and social programmes",
    "centre": "centre",
    "hotline": "hotline",
    "audit": "audit projection",
}


def display_name(agency: str) -> str:
    parsed = AgencyId.parse(agency)
    place = " ".join(p for p in (parsed.region, parsed.name) if p)
    return f"{_TYPE_NAMES.get(parsed.type, parsed.type)} ({place})"


def provision(admin: KafkaSettings, store: Keystore | None = None) -> dict[str, Any]:
    """Topics, principals, ACLs, keys and the published directory; idempotent."""
    store = store or Keystore()
    loaded = topology.load()
    counts = topology.apply(admin, loaded)
    if not store.root_public_file.exists():
        store.create_root()
    since = datetime.now(UTC) - KEYS_VALID_SINCE
    issued = 0
    for agency in (*loaded.agencies, AUDIT):
        if not store.pairs(agency):
            funding = "state" if AgencyId.parse(agency).type == "ngo" else None
            administration.issue(
                store, agency, display_name(agency), funding=funding, not_before=since
            )
            issued += 1
    if FIELD_GROUP in loaded.agencies and not (device_folder() / "device.json").exists():
        enrol(store, FIELD_GROUP, FIELD_DEVICE, device_folder(), not_before=since)
    published = publish_directory(admin, administration.directory_of(store))
    return {**counts, "keys_issued": issued, "directory_entries": len(published)}


def agency_services(agencies: tuple[str, ...]) -> list[ServiceSpec]:
    return [
        ServiceSpec(agency, ("run", "agency", "--as", agency))
        for agency in agencies
        if AgencyId.parse(agency).type != "mobile"
    ]


def metrics_base_port() -> int:
    """``BACKBONE_METRICS_BASE_PORT``: the first service's Prometheus port (9100)."""
    return int(os.environ.get("BACKBONE_METRICS_BASE_PORT", "9100"))


def audit_urls(instances: Instances) -> list[str]:
    """The HTTP API of each audit instance: instance *k* on ``BACKBONE_AUDIT_PORT`` + *k* - 1."""
    port = audit_settings.default_port()
    return [f"http://127.0.0.1:{port + k}" for k in range(instances.of("audit"))]


def _scaled(
    spec: ServiceSpec, kind: str, principal: str, instances: Instances
) -> list[ServiceSpec]:
    """``spec`` as each of its instances: instance k ≥ 2 named ``<name>@<k>`` with its own
    state folder (and, for the audit, its own HTTP port)."""
    scaled = [spec]
    for k in range(2, instances.of(kind) + 1):
        argv = (*spec.argv, "--state-dir", str(state_dir(principal, k)))
        if kind == "audit":
            argv += ("--port", str(audit_settings.default_port() + k - 1))
        scaled.append(replace(spec, name=instance_name(spec.name, k), argv=argv))
    return scaled


def services(instances: Instances | None = None) -> list[ServiceSpec]:
    """Every local service (as many instances as ``instances`` says), each with its own
    Prometheus port from ``BACKBONE_METRICS_BASE_PORT`` up; the console reads every audit."""
    instances = instances or Instances()
    specs = [
        *_scaled(ServiceSpec("router", ("run", "router")), "router", "router", instances),
        *(
            scaled
            for spec in agency_services(topology.load().agencies)
            for scaled in _scaled(spec, "agency", spec.name, instances)
        ),
        ServiceSpec("intake", ("intake", "serve")),
        *_scaled(ServiceSpec("audit", ("audit", "serve")), "audit", AUDIT, instances),
        ServiceSpec(
            "console",
            ("console", "serve"),
            (("BACKBONE_AUDIT_URL", ",".join(audit_urls(instances))),),
        ),
    ]
    base = metrics_base_port()
    return [
        replace(spec, env=(*spec.env, ("BACKBONE_METRICS_PORT", str(base + n))))
        for n, spec in enumerate(specs)
    ]


def start_all(instances: Instances | None = None) -> list[supervisor.ServiceStatus]:
    return [supervisor.start(spec) for spec in services(instances)]


def stop_all() -> list[str]:
    names = supervisor.known()
    supervisor.stop_many(names)
    return names
