"""The local deployment of the whole backbone on this host (``make demo``).

``provision`` makes the broker match the topology, gives every agency of the topology (and the
audit) its keys under the local keystore's root, and publishes the key directory; ``SERVICES``
lists the processes that ``start_all`` starts: the router, one service per agency that runs one
(mobile groups work through field devices and the intake instead), the intake, the audit and
the console.
The raid's mobile group gets one enrolled field device.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from backbone.broker import topology
from backbone.broker.settings import KafkaSettings
from backbone.device.enrolment import enrol
from backbone.domain.agencies import AgencyId
from backbone.envelope import administration
from backbone.envelope.directory_topic import publish_directory
from backbone.envelope.keys import Keystore
from backbone.paths import run_dir
from backbone.runtime import supervisor
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


METRICS_BASE_PORT = 9100


def services() -> list[ServiceSpec]:
    """Every local service, each with its own Prometheus port from ``METRICS_BASE_PORT`` up."""
    specs = [
        ServiceSpec("router", ("run", "router")),
        *agency_services(topology.load().agencies),
        ServiceSpec("intake", ("intake", "serve")),
        ServiceSpec("audit", ("audit", "serve")),
        ServiceSpec("console", ("console", "serve")),
    ]
    return [
        replace(spec, env=(("BACKBONE_METRICS_PORT", str(METRICS_BASE_PORT + n)),))
        for n, spec in enumerate(specs)
    ]


def start_all() -> list[supervisor.ServiceStatus]:
    return [supervisor.start(spec) for spec in services()]


def stop_all() -> list[str]:
    names = supervisor.known()
    for name in names:
        supervisor.stop(name)
    return names
