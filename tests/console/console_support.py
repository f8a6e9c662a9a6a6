"""Helpers shared by the console's process tests: ``backbone console`` commands and ports."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

BACKBONE = [sys.executable, "-m", "backbone.cli", "console"]
PASSWORD = "Synthetic-console-pass-7431"


def adduser(
    state: Path, *args: str, stdin: str = PASSWORD + "\n"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BACKBONE, "adduser", *args, "--state-dir", str(state)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
            return bool(response.status == 200)
    except OSError:
        return False
