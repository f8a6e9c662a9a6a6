"""Helpers shared by the console's process tests: ``backbone console`` commands."""

from __future__ import annotations

import subprocess
import sys
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
