"""``backbone intake serve``: the field intake as one process (the composition root).

It runs as the Kafka principal ``intake`` (write ``referral.events.v1`` and
``referral.rejected.v1``, read ``keys.directory.v1``), trusts the root key of the keystore
(``BACKBONE_KEYSTORE``: only ``root/root.pub`` is read), and listens on 127.0.0.1 (or
``BACKBONE_BIND_HOST``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from aiohttp import web

from backbone.broker.directory_topic import load_directory
from backbone.broker.quarantine import KafkaQuarantine
from backbone.intake.accepted import SqliteAcceptedEvents
from backbone.intake.admission import Admission
from backbone.intake.app import make_app
from backbone.intake.live_directory import LiveDirectory
from backbone.intake.publisher import KafkaPublisher
from backbone.intake.settings import IntakeSettings
from backbone.logs import configure
from backbone.network import bind_host
from backbone.runtime.context import ServiceContext
from backbone.runtime.metrics import serve_from_env

PRINCIPAL = "intake"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("intake", help="the HTTP intake for field devices")
    add_actions(parser.add_subparsers(dest="action", required=True))


def add_actions(actions: Any) -> None:
    serve = actions.add_parser("serve", help="verify and publish envelopes that devices send")
    serve.add_argument("--port", type=int, help="port on 127.0.0.1 (default 6080)")
    serve.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    settings = IntakeSettings.from_env()
    if args.port is not None:
        settings = replace(settings, port=args.port)
    log = configure(PRINCIPAL)
    serve_from_env()
    context = ServiceContext.load(PRINCIPAL, agency=False)
    root = context.keystore.root_public_key()
    keys = LiveDirectory(context.directory, lambda: load_directory(context.kafka, root))
    accepted = SqliteAcceptedEvents(settings.accepted_db)
    publisher = KafkaPublisher(context.kafka, settings.publish_timeout_seconds)
    quarantine = KafkaQuarantine(context.kafka)
    admission = Admission(keys, publisher, quarantine, accepted)
    app = make_app(admission, keys, settings)

    async def close(app: web.Application) -> None:
        await publisher.close()
        await asyncio.get_running_loop().run_in_executor(None, admission.close)
        quarantine.close()
        accepted.close()

    app.on_cleanup.append(close)
    host = bind_host()  # behind a TLS-terminating reverse proxy in any real deployment
    log.info("intake_listening", host=host, port=settings.port, certificates=keys.certificates)
    web.run_app(app, host=host, port=settings.port, access_log=None, print=None)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m backbone.intake.cli serve``: the same action without the whole CLI."""
    parser = argparse.ArgumentParser(prog="backbone intake")
    add_actions(parser.add_subparsers(dest="action", required=True))
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
