"""The console's WSGI server: waitress on 127.0.0.1 (or ``BACKBONE_BIND_HOST``)."""

from __future__ import annotations

from waitress.server import create_server

from backbone.console.framework import wsgi_application
from backbone.network import bind_host

THREADS = 8


def make_server(port: int):  # type: ignore[no-untyped-def]
    """A waitress server bound now (``port`` 0: a free one); ``run()`` serves, ``close()`` stops."""
    return create_server(
        wsgi_application(), host=bind_host(), port=port, threads=THREADS, ident="console"
    )
