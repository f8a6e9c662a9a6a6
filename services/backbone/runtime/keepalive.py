"""Keep one service process running: ``python -m backbone.runtime.keepalive <backbone args>``.

``backbone services start`` runs every service under this keeper, as a container's restart
policy would: when the service exits on its own with a non-zero status (its watchdog found its
consumer stalled, an agent failed, it crashed) the keeper starts it again, after 1 s, doubling
up to 30 s while it keeps failing within a minute of its start. SIGTERM or SIGINT to the keeper
is passed on to the service, and the keeper exits with the service's status without restarting
it. Every restart is logged (``service_restarted``) in the service's log.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from types import FrameType

from backbone.logs import configure

FIRST_DELAY, LONGEST_DELAY = 1.0, 30.0
# A run this long resets the delay: the service was working, its next failure is a new one.
HEALTHY_SECONDS = 60.0


def main(argv: list[str]) -> int:
    log = configure("keepalive")
    stopping = threading.Event()
    child: subprocess.Popen[bytes] | None = None

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    delay = FIRST_DELAY
    while True:
        started = time.monotonic()
        child = subprocess.Popen([sys.executable, "-m", "backbone.cli", *argv])
        status = child.wait()
        if stopping.is_set() or status == 0:
            return status
        if time.monotonic() - started >= HEALTHY_SECONDS:
            delay = FIRST_DELAY
        log.warning("service_restarted", command=argv[:2], status=status, after_seconds=delay)
        if stopping.wait(delay):
            return status
        delay = min(delay * 2, LONGEST_DELAY)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
