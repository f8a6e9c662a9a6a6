"""The loopback in tests: a port for a service to listen on, and whether a URL answers."""

from __future__ import annotations

import socket
import urllib.request


def free_port() -> int:
    """A port nothing listens on now (the system's pick), for a service the test starts or, left
    unused, for a peer that is unreachable."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def answers(url: str) -> bool:
    """Whether a GET of ``url`` is answered 200 (within 2 s); ``False`` while nothing listens."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
            return bool(response.status == 200)
    except OSError:
        return False
