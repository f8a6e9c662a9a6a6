"""The local supervisor: starts, stops and lists the backbone's service processes on this host.

Each service is a ``backbone ...`` process in its own session, run by a keeper that starts it
again when it exits on its own with a failure (``runtime.keepalive``), with its log in
``.run/logs/<name>.log`` and the keeper's pid in ``.run/pids/<name>.pid``. ``make demo`` uses
it; in a real deployment each agency runs its own service on its own host (see the README).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from backbone.paths import private_dir, run_dir


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    pid: int | None
    running: bool
    log: Path


def _pid_file(name: str) -> Path:
    return private_dir(run_dir() / "pids") / f"{name}.pid"


def log_file(name: str) -> Path:
    return private_dir(run_dir() / "logs") / f"{name}.log"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def status(name: str) -> ServiceStatus:
    try:
        pid: int | None = int(_pid_file(name).read_text())
    except (FileNotFoundError, ValueError):
        pid = None
    running = pid is not None and _alive(pid)
    return ServiceStatus(name, pid if running else None, running, log_file(name))


def start(spec: ServiceSpec, env: dict[str, str] | None = None) -> ServiceStatus:
    """Start ``spec`` unless it runs already."""
    current = status(spec.name)
    if current.running:
        return current
    log = log_file(spec.name).open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "backbone.runtime.keepalive", *spec.argv],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, **dict(spec.env), **(env or {})},
    )
    _pid_file(spec.name).write_text(str(process.pid))
    return status(spec.name)


def stop(name: str, timeout: float = 30.0) -> None:
    stop_many([name], timeout)


def stop_many(names: list[str], timeout: float = 30.0) -> None:
    """SIGTERM every named service's keeper at once, then SIGKILL the session (the keeper and
    the service it runs) of what still runs after ``timeout``: many instances stop in about the
    time one does."""
    pids = [pid for pid in (status(name).pid for name in names) if pid is not None]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # it ended on its own meanwhile
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.2)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    for name in names:
        _pid_file(name).unlink(missing_ok=True)


def known() -> list[str]:
    return sorted(path.stem for path in private_dir(run_dir() / "pids").glob("*.pid"))
