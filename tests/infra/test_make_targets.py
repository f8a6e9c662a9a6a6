"""What the make targets do to the machine: only ``make test`` installs a browser.

``make -n`` prints the commands a target would run, without running them. Chromium's path is
pointed at a file that does not exist, so a target that depends on the browser shows its
installation (``apt-get update``, ``apt-get install chromium``) among them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MISSING_BROWSER = "/nonexistent/backbone-make-test/chromium"
SYSTEM_CHANGE = re.compile(r"\b(apt-get|apt|dpkg|sudo)\b|chromium", re.IGNORECASE)


def _planned(target: str) -> list[str]:
    make = shutil.which("make")
    assert make is not None, "make is not on the PATH"
    done = subprocess.run(
        [make, "-n", "--no-print-directory", target, f"CHROMIUM={MISSING_BROWSER}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"make -n {target}: {done.stderr}"
    return done.stdout.splitlines()


@pytest.mark.parametrize("target", ["setup", "demo", "cluster", "faults", "bench"])
def test_demo_and_the_other_targets_install_no_browser_and_change_no_system_package(
    target: str,
) -> None:
    assert [line for line in _planned(target) if SYSTEM_CHANGE.search(line)] == []


def test_only_the_test_suite_installs_debians_chromium() -> None:
    planned = _planned("pytest")
    assert any("apt-get install" in line and "chromium" in line for line in planned), planned
