"""The java processes of the local cluster's nodes: command line, liveness, memory, ports."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from backbone.paths import PROJECT_ROOT, write_private

DEPLOY_DIR = PROJECT_ROOT / "deploy" / "kafka"
JARS_DIR = DEPLOY_DIR / ".jars"
HEAP_OPTS = os.environ.get("BACKBONE_KAFKA_HEAP", "-Xms256m -Xmx512m")


class BrokerError(RuntimeError):
    """The local cluster could not be prepared, started or stopped."""


def classpath() -> str:
    if not any(JARS_DIR.glob("kafka_2.13-*.jar")):
        raise BrokerError(f"no broker jars in {JARS_DIR}: run `make broker-jars` first")
    return str(JARS_DIR / "*")


def java(logs: Path, *args: str) -> list[str]:
    return [
        "java",
        *HEAP_OPTS.split(),
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dkafka.logs.dir={logs}",
        f"-Dlog4j2.configurationFile={DEPLOY_DIR / 'log4j2.properties'}",
        "-cp",
        classpath(),
        *args,
    ]


@contextlib.contextmanager
def argument_file(folder: Path, *args: str) -> Iterator[str]:
    """``@FILE`` for a ``java`` command line: ``args`` (the main class and its arguments: the
    launcher expands no ``@`` after the main class) in a launcher argument file (JDK 9+),
    written owner-only in ``folder`` and removed when the block ends, also on an error. What
    the file holds is never on a command line (``ps``, ``/proc/<pid>/cmdline``)."""
    path = folder / f"java-{secrets.token_hex(8)}.args"
    write_private(path, "".join(f"{_quoted(arg)}\n" for arg in args).encode())
    try:
        yield f"@{path}"
    finally:
        path.unlink(missing_ok=True)


def _quoted(arg: str) -> str:
    """One argument of an argument file: double-quoted, its backslashes and quotes escaped."""
    if any(char in arg for char in "\n\r\0"):
        raise ValueError("an argument of an argument file cannot hold a line break or NUL")
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap a node this process started and that has exited
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except FileNotFoundError:
        return None
    return None


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def listening(address: str) -> bool:
    """False only for a loopback address on which nothing listens."""
    host, _, port = address.rpartition(":")
    return host not in ("127.0.0.1", "localhost") or port_open(int(port))


def wait_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return not alive(pid)
