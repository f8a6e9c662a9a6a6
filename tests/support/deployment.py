"""A backbone deployment for end-to-end tests: test agencies, keys, and service processes.

Test agencies get unique ids (``police.<region>.t-<hex>``: contract v1.1 allows only the 20
region codes, or ``national``, as an id's region part, so the name part is the new one), so tests
share the broker, the event log and the router with anything else on it (the demo, other test
runs) without reading or writing another run's inboxes. A deployment's region, the header region
of its events, is one the demo does not use, picked at random, so that a region's views hold
little but this run's. Its ``supervisor`` role is ``supervisor.<region>`` itself, the agency the
audit addresses the region's breaches to; shared by every run in that region, its keys are issued
once. The agencies are certified under the local keystore's root, the one trust anchor of this
broker's deployment (``backbone demo`` uses it too), so every router on the broker verifies every
test's envelopes. Each service runs as a real ``backbone run ...`` process that the test can
stop, kill and restart.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from backbone.broker import topology
from backbone.broker.directory_topic import publish_directory
from backbone.domain.agencies import REGIONS
from backbone.envelope import administration
from backbone.envelope.keys import Keystore
from support.broker import Broker

T = TypeVar("T")
BACKBONE = [sys.executable, "-m", "backbone.cli"]
# The demo's story region and its console's supervisor regions (``backbone demo``): left to it.
DEMO_REGIONS = frozenset({"turkestan", "almaty"})
TEST_REGIONS = tuple(sorted(REGIONS - DEMO_REGIONS))


def wait_for(
    condition: Callable[[], T | None],
    timeout: float = 60.0,
    what: str = "",
    explain: Callable[[], str] | None = None,
    every: float = 0.3,
) -> T:
    """Poll ``condition`` every ``every`` seconds until it returns a truthy value; fail after
    ``timeout`` seconds, with what ``explain`` says then (a service's last log lines, say) in the
    message."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = f"\n{explain()}" if explain is not None else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(every)


@dataclass
class Deployment:
    broker: Broker
    keystore: Path
    logs: Path
    agencies: dict[str, str] = field(default_factory=dict)  # role -> agency id
    region: str = TEST_REGIONS[0]  # the header region of this deployment's events
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {**os.environ, "BACKBONE_KEYSTORE": str(self.keystore)}

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*BACKBONE, *args], env=self.env(), capture_output=True, text=True, timeout=120
        )
        if check and result.returncode != 0:
            raise AssertionError(f"backbone {' '.join(args)} failed: {result.stderr[-2000:]}")
        return result

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [*BACKBONE, "run", *args],
            env={**self.env(), **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop(self, name: str, sig: int = signal.SIGTERM) -> int:
        """Signal the process and return its exit status; one that has not exited 60 s after
        the signal is killed, as ``backbone services stop`` does (faust's shutdown was seen
        hanging after a fault suite's broker restarts)."""
        process = self.processes.pop(name)
        process.send_signal(sig)
        try:
            return process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait(timeout=30)

    def start_agency(self, role: str, env: dict[str, str] | None = None) -> None:
        self.start(role, "agency", "--as", self.agencies[role], env=env)

    def inbox(self, role: str) -> list[dict[str, object]]:
        lines = self.cli("inbox", "--as", self.agencies[role]).stdout.splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def emit(self, role: str, events: list[dict[str, object]], tmp: Path) -> None:
        path = tmp / f"emit-{uuid.uuid4().hex[:8]}.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in events))
        self.cli("emit", "--as", self.agencies[role], "--file", str(path))

    def close(self) -> None:
        for name in list(self.processes):
            self.stop(name)


@contextmanager
def deployment(
    broker: Broker, tmp: Path, roles: dict[str, str], region: str | None = None
) -> Iterator[Deployment]:
    """``roles`` maps a role name to an agency type; each gets a unique test agency of
    ``region`` (a random one of ``TEST_REGIONS`` if not given), but a supervisor, which is
    ``supervisor.<region>``."""
    region = region or random.choice(TEST_REGIONS)
    suffix = uuid.uuid4().hex[:6]
    agencies = {
        role: f"{kind}.{region}" if kind == "supervisor" else f"{kind}.{region}.t-{suffix}"
        for role, kind in roles.items()
    }
    topology.apply(broker.admin, topology.load(agencies=list(agencies.values())))
    logs = tmp / "logs"
    logs.mkdir()
    store = Keystore()
    if not store.root_public_file.exists():
        store.create_root()
    since = datetime.now(UTC) - timedelta(days=400)
    for role, agency in agencies.items():
        shared = roles[role] == "supervisor"  # supervisor.<region>: keys of an earlier run kept
        if not (shared and store.pairs(agency)):
            administration.issue(store, agency, f"Test {agency}", not_before=since)
    publish_directory(broker.admin, administration.directory_of(store))
    deployed = Deployment(broker, store.path, logs, agencies, region)
    try:
        yield deployed
    finally:
        deployed.close()


def scrape(port: int) -> str | None:
    """A service's Prometheus text from ``127.0.0.1:port``, or ``None`` while it does not answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/metrics")
        return connection.getresponse().read().decode()
    except OSError:
        return None
    finally:
        connection.close()


def consumer_lag(port: int, service: str, topic: str, agency: str = "") -> float | None:
    """The service's ``backbone_consumer_lag`` on ``topic`` as its exporter on ``port`` shows it;
    ``None`` until the service has measured it (it does once its partitions are assigned)."""
    prefix = f'backbone_consumer_lag{{agency="{agency}",service="{service}",topic="{topic}"}} '
    lines = (scrape(port) or "").splitlines()
    return next((float(line[len(prefix) :]) for line in lines if line.startswith(prefix)), None)
