"""The keeper that ``backbone services start`` runs each service under: a service that exits
with a failure is started again, and SIGTERM stops the keeper without another start."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from support.deployment import wait_for
from support.service_logs import logged


def _restarts(log: Path) -> list[dict[str, object]]:
    return logged(log, "service_restarted")


def test_a_failing_service_is_started_again_until_the_keeper_is_stopped(tmp_path: Path) -> None:
    log = tmp_path / "service.log"
    missing = tmp_path / "no-such-events.jsonl"
    with log.open("ab") as out:
        keeper = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "backbone.runtime.keepalive",
                "emit",
                "--as",
                "ngo.turkestan.t-keepalive",
                "--file",
                str(missing),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        restarts = wait_for(lambda: len(_restarts(log)) >= 2 and _restarts(log), timeout=60)
        assert [r["after_seconds"] for r in restarts[:2]] == [1.0, 2.0]
        assert all(r["status"] != 0 for r in restarts)
    finally:
        keeper.send_signal(signal.SIGTERM)
        status = keeper.wait(timeout=30)
    assert status != 0  # the failing service's own status, and no start after the SIGTERM
