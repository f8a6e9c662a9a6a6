"""The fault suite's cluster: three KRaft nodes from the jars, the topology, and two instances of
the router, the NGO's service and the audit (``make faults``; not part of ``make test``).

Every scenario's figures are collected in ``RESULTS`` and written, when the session ends, to
``artifacts/faults.json`` and between the markers of the table in ``docs/reliability.md``.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from faults_support import Faulty, write_report

from backbone.broker import topology
from backbone.broker.local import LocalCluster
from support.broker import Broker
from support.cluster import throwaway_cluster
from support.deployment import deployment
from support.live_audit import AuditProcess, Publisher, ensure_audit_keys, new_version


@pytest.fixture(scope="session")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Faulty]:
    root = tmp_path_factory.mktemp("faults")
    saved = {k: os.environ.get(k) for k in ("BACKBONE_RUN_DIR", "BACKBONE_KEYSTORE")}
    os.environ["BACKBONE_RUN_DIR"] = str(root)  # principals' passwords and keys stay in here
    try:
        with throwaway_cluster(root, nodes=3) as cluster:
            yield from _deployed(cluster, root)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _deployed(cluster: LocalCluster, root: Path) -> Iterator[Faulty]:
    admin = cluster.admin_settings()
    topology.apply(admin, topology.load())
    broker = Broker(admin=admin, kind="local cluster")
    roles = {r: r for r in ("police", "ngo", "hotline", "supervisor")}
    with deployment(broker, root, roles) as deployed:
        ensure_audit_keys(admin)
        ngo = deployed.agencies["ngo"]
        instances = {
            "router": ("router",),
            "router@2": ("router", "--state-dir", str(root / "state" / "router@2")),
            "ngo": ("agency", "--as", ngo, "--state-dir", str(root / "state" / ngo)),
            "ngo@2": ("agency", "--as", ngo, "--state-dir", str(root / "state" / f"{ngo}@2")),
        }
        version = new_version()
        audits = [
            AuditProcess(deployed, root / f"audit-state-{k}", version=version, instance=k)
            for k in (1, 2)
        ]
        # The audit addresses breaches to supervisor.<region>: the region is the supervisor's.
        region = deployed.agencies["supervisor"].split(".")[1]
        faulty = Faulty(cluster, deployed, Publisher(deployed), audits, region, root, instances)
        for name in instances:
            faulty.start(name)
        for audit in audits:
            audit.start()
        try:
            faulty.wait_stable()
            faulty.supervise()
            yield faulty
        finally:
            faulty.stop_supervising()
            faulty.publisher.close()
            for audit in audits:
                if audit.process is not None:
                    audit.stop(signal.SIGTERM)


def pytest_sessionfinish(session: pytest.Session) -> None:
    write_report()
