"""``backbone run``, ``backbone emit`` and ``backbone inbox``: the services and their operators."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kafka.errors import KafkaError

from backbone.agency import publish as agency_publish
from backbone.agency import service as agency_service
from backbone.domain.events import read_events_file
from backbone.envelope.codec import VerifiedEnvelope
from backbone.logs import configure
from backbone.router import service as router_service
from backbone.runtime.context import ServiceContext
from backbone.runtime.faust_app import run_worker, standby_option


def register(subparsers: Any) -> None:
    run = subparsers.add_parser("run", help="run one backbone service in this process")
    services = run.add_subparsers(dest="service", required=True)
    router = services.add_parser("router", help="deliver the event log to the readers' inboxes")
    router.set_defaults(func=_run_router)
    agency = services.add_parser("agency", help="an agency's service (inbox, receipts, view)")
    agency.add_argument("--as", dest="agency", required=True, help="the agency id")
    agency.set_defaults(func=_run_agency)
    for command in (router, agency):
        command.add_argument(
            "--state-dir", type=Path, default=None, help="RocksDB folder (one per instance)"
        )
        standby_option(command)

    emit = subparsers.add_parser("emit", help="sign, encrypt and publish plain JSON events")
    emit.add_argument("--as", dest="agency", required=True, help="the producing agency")
    emit.add_argument("--file", type=Path, required=True, help="JSON Lines, one event a line")
    emit.add_argument("--readers", default="", help="more agencies to address, comma-separated")
    emit.set_defaults(func=_emit)

    inbox = subparsers.add_parser("inbox", help="what an agency received, decrypted")
    inbox.add_argument("--as", dest="agency", required=True, help="the agency id")
    inbox.set_defaults(func=_inbox)


def _run_router(args: argparse.Namespace) -> int:
    configure("router")
    context = ServiceContext.load("router", agency=False)
    app = router_service.build(
        context, state_dir=args.state_dir, standby_replicas=args.standby_replicas
    )
    run_worker(app, "router", settings=context.kafka)
    return 0


def _run_agency(args: argparse.Namespace) -> int:
    configure("agency", args.agency)
    context = ServiceContext.load(args.agency, agency=True)
    app = agency_service.build(
        context, state_dir=args.state_dir, standby_replicas=args.standby_replicas
    )
    run_worker(app, "agency", args.agency, settings=context.kafka)
    return 0


def _emit(args: argparse.Namespace) -> int:
    events, problems = read_events_file(args.file)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    readers = [r for r in args.readers.split(",") if r]
    try:
        context = ServiceContext.load(args.agency, agency=True)
        published = agency_publish.publish(context, events, readers)
    except agency_publish.PublishRefused as refused:
        print(f"refused: {refused}", file=sys.stderr)
        return 2
    except agency_publish.PublishFailed as failed:
        print(f"not published: {failed}; publish the unacknowledged events again", file=sys.stderr)
        print(
            json.dumps(
                {
                    "published": len(failed.acknowledged),
                    "event_ids": failed.acknowledged,
                    "unacknowledged": failed.unacknowledged,
                }
            )
        )
        return 3
    except KafkaError as unreachable:  # before anything was sent: the key directory, the cluster
        print(
            f"not published: the brokers could not be reached ({type(unreachable).__name__});"
            f" none of the {len(events)} events was sent, publish them again",
            file=sys.stderr,
        )
        ids = [e.event_id for e in events]
        print(json.dumps({"published": 0, "event_ids": [], "unacknowledged": ids}))
        return 3
    print(json.dumps({"published": len(published), "event_ids": published}))
    return 0


def _inbox(args: argparse.Namespace) -> int:
    context = ServiceContext.load(args.agency, agency=True)
    for item in agency_publish.read_inbox(context):
        if isinstance(item, VerifiedEnvelope):
            print(json.dumps(item.event.to_json(), ensure_ascii=False))
        else:
            print(
                json.dumps(
                    {"refused": item.reason, "detail": item.detail, "event_id": item.event_id}
                )
            )
    return 0
