"""The local Apache Kafka broker: KRaft, one node, started with ``java`` from the Maven jars.

``start()`` renders ``server.properties`` into the run folder, formats KRaft storage once
(``kafka.tools.StorageTool``, with the SCRAM credential of the ``admin`` super user), starts
``kafka.Kafka`` on loopback and returns when a SCRAM-authenticated client has created and
described a topic. ``stop()`` sends SIGTERM and waits for a clean shutdown.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from string import Template

from backbone.broker.settings import (
    KafkaSettings,
    admin_password_file,
    local_client_port,
    local_controller_port,
)
from backbone.paths import PROJECT_ROOT, private_dir, run_dir, write_private

DEPLOY_DIR = PROJECT_ROOT / "deploy" / "kafka"
JARS_DIR = DEPLOY_DIR / ".jars"
READY_TOPIC = "backbone.broker-ready"
HEAP_OPTS = os.environ.get("BACKBONE_KAFKA_HEAP", "-Xms256m -Xmx512m")


class BrokerError(RuntimeError):
    """The local broker could not be prepared, started or stopped."""


@dataclass(frozen=True)
class BrokerStatus:
    pid: int | None
    running: bool
    bootstrap: str
    rss_kib: int | None


def _broker_dir() -> Path:
    return private_dir(run_dir() / "kafka")


def _pid_file() -> Path:
    return _broker_dir() / "broker.pid"


def _classpath() -> str:
    if not any(JARS_DIR.glob("kafka_2.13-*.jar")):
        raise BrokerError(f"no broker jars in {JARS_DIR}: run `make broker-jars` first")
    return str(JARS_DIR / "*")


def _secret(name: str) -> str:
    """A generated secret of the local broker, created on first use, readable by its owner."""
    path = run_dir() / "secrets" / name
    if not path.exists():
        write_private(path, secrets.token_urlsafe(32).encode())
    return path.read_text().strip()


def _admin_password() -> str:
    return _secret(admin_password_file().name)


def _render_properties(password: str) -> Path:
    template = Template((DEPLOY_DIR / "server.properties.in").read_text())
    text = template.substitute(
        client_port=local_client_port(),
        controller_port=local_controller_port(),
        admin_user="admin",
        admin_password=password,
        controller_password=_secret("kafka-controller.password"),
        data_dir=_broker_dir() / "data",
    )
    path = _broker_dir() / "server.properties"
    write_private(path, text.encode())
    return path


def _java(*args: str) -> list[str]:
    return [
        "java",
        *HEAP_OPTS.split(),
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dkafka.logs.dir={_broker_dir() / 'logs'}",
        f"-Dlog4j2.configurationFile={DEPLOY_DIR / 'log4j2.properties'}",
        "-cp",
        _classpath(),
        *args,
    ]


def _format_storage(properties: Path, password: str) -> None:
    if (_broker_dir() / "data" / "meta.properties").exists():
        return
    cluster_id = (
        subprocess.run(
            _java("kafka.tools.StorageTool", "random-uuid"),
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    result = subprocess.run(
        _java(
            "kafka.tools.StorageTool",
            "format",
            "--standalone",
            "-t",
            cluster_id,
            "-c",
            str(properties),
            "--add-scram",
            f"SCRAM-SHA-512=[name=admin,password={password}]",
        ),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        # The command line carries the admin secret: report the tool's output, not the command.
        raise BrokerError(f"formatting KRaft storage failed: {result.stdout}{result.stderr}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def _read_pid() -> int | None:
    try:
        pid = int(_pid_file().read_text())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _alive(pid) else None


def _rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        return None
    return None


def status() -> BrokerStatus:
    pid = _read_pid()
    return BrokerStatus(
        pid, pid is not None, f"127.0.0.1:{local_client_port()}", _rss_kib(pid) if pid else None
    )


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_ready(settings: KafkaSettings, timeout: float = 90.0) -> None:
    """Return when ``settings``' principal can create and describe a topic."""
    from kafka.admin import KafkaAdminClient
    from kafka.errors import KafkaError, TopicAlreadyExistsError

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        pid = _read_pid()
        if pid is None and _pid_file().exists():
            raise BrokerError(f"the broker exited during start; see {_broker_dir() / 'logs'}")
        host, _, port = settings.bootstrap.split(",")[0].rpartition(":")
        if host in ("127.0.0.1", "localhost") and not _port_open(int(port)):
            time.sleep(0.2)
            continue
        try:
            admin = KafkaAdminClient(
                **settings.kafka_python(), request_timeout_ms=5000, bootstrap_timeout_ms=5000
            )
            try:
                with contextlib.suppress(TopicAlreadyExistsError):
                    admin.create_topics(
                        {READY_TOPIC: {"num_partitions": 1, "replication_factor": 1}}
                    )
                if admin.describe_topics([READY_TOPIC]):
                    return
            finally:
                admin.close()
        except (KafkaError, OSError) as exc:
            last = exc
        time.sleep(0.5)
    raise BrokerError(f"the broker did not become ready in {timeout:.0f}s: {last!r}")


def start(timeout: float = 90.0) -> BrokerStatus:
    """Start the local broker unless it runs already; return once it serves clients."""
    password = _admin_password()
    if status().running:
        wait_ready(KafkaSettings.local_admin(), timeout)
        return status()
    if _port_open(local_client_port()) or _port_open(local_controller_port()):
        raise BrokerError(
            f"ports {local_client_port()}/{local_controller_port()} are taken by another process; "
            "set BACKBONE_KAFKA_PORT and BACKBONE_KAFKA_CONTROLLER_PORT"
        )
    properties = _render_properties(password)
    _format_storage(properties, password)
    log = (_broker_dir() / "broker.out").open("ab")
    process = subprocess.Popen(
        _java("kafka.Kafka", str(properties)),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    _pid_file().write_text(str(process.pid))
    try:
        wait_ready(KafkaSettings.local_admin(), timeout)
    except BrokerError:
        stop()
        raise
    return status()


def stop(timeout: float = 30.0) -> None:
    """Stop the local broker cleanly (SIGTERM), killing it only if it does not exit in time."""
    pid = _read_pid()
    if pid is None:
        _pid_file().unlink(missing_ok=True)
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    _pid_file().unlink(missing_ok=True)
