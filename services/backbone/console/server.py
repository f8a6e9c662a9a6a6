"""The console's WSGI server: waitress on 127.0.0.1 only."""

from __future__ import annotations

from waitress.server import create_server

from backbone.console.framework import wsgi_application

HOST = "127.0.0.1"
THREADS = 8


def make_server(port: int):  # type: ignore[no-untyped-def]
    """A waitress server bound now (``port`` 0: a free one); ``run()`` serves, ``close()`` stops."""
    return create_server(wsgi_application(), host=HOST, port=port, threads=THREADS, ident="console")
