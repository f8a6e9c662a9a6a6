"""``backbone audit serve | pathway | breaches``: run the live audit and ask it questions.

``pathway`` and ``breaches`` call the service's HTTP API (``--url``, default ``BACKBONE_AUDIT_URL``
or ``http://127.0.0.1:6070``). Exit status: 0 answered; 1 no such child; 2 bad input (e.g. an
``--as-of`` without offset); 3 the service is unreachable or still recovering.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from backbone.audit.live import service
from backbone.audit.live.client import Answer, AuditClient, AuditUnreachable
from backbone.audit.live.context import AuditContext
from backbone.audit.live.settings import AuditSettings, default_agency, default_port, default_url
from backbone.broker.topics import DIRECTORY_TOPIC, EVENT_LOG, REJECTED_TOPIC, SLA_TOPIC
from backbone.logs import configure

_STATUS = {200: 0, 404: 1, 400: 2}


def register(actions: Any) -> None:
    serve = actions.add_parser("serve", help="run the live audit service in this process")
    serve.add_argument("--as", dest="agency", default=None, help="audit agency and principal")
    serve.add_argument("--port", type=int, default=None, help="HTTP API port on 127.0.0.1")
    serve.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="accepted like every service's; unused: the audit's state is its changelogs",
    )
    serve.add_argument(
        "--version", type=int, default=1, help="app version; a new one rebuilds from offset 0"
    )
    serve.add_argument("--events-topic", default=EVENT_LOG)
    serve.add_argument("--sla-topic", default=SLA_TOPIC)
    serve.add_argument("--rejected-topic", default=REJECTED_TOPIC)
    serve.add_argument("--directory-topic", default=DIRECTORY_TOPIC)
    serve.set_defaults(func=run_serve)

    pathway = actions.add_parser("pathway", help="a child's pathway from the live audit")
    pathway.add_argument("child_ref")
    breaches = actions.add_parser("breaches", help="open and late obligations, live")
    breaches.add_argument("--region", default=None)
    breaches.add_argument("--agency", default=None, help="the owing agency")
    for command in (pathway, breaches):
        command.add_argument("--as-of", dest="as_of", default=None, help="RFC 3339 with offset")
        command.add_argument("--url", default=None, help="the audit API (BACKBONE_AUDIT_URL)")
        command.add_argument("--json", action="store_true", help="print the answer as JSON")
    pathway.set_defaults(func=run_pathway)
    breaches.set_defaults(func=run_breaches)


def run_serve(args: argparse.Namespace) -> int:
    settings = AuditSettings(
        agency=args.agency or default_agency(),
        port=args.port or default_port(),
        version=args.version,
        events_topic=args.events_topic,
        sla_topic=args.sla_topic,
        rejected_topic=args.rejected_topic,
        directory_topic=args.directory_topic,
    )
    log = configure("audit", settings.agency)
    context = AuditContext.load(
        settings.agency, directory_topic=settings.directory_topic, signing=True
    )
    log.info(
        "directory_loaded",
        subjects=len(context.directory.subjects()),
        refused=len(context.directory.refused),
    )
    if not context.signing_certified():
        print(
            f"backbone audit serve: {settings.agency}'s signing key is not in the directory "
            "(backbone keys issue, then backbone keys publish)",
            file=sys.stderr,
        )
        return 2
    service.serve(context, settings)
    return 0


def run_pathway(args: argparse.Namespace) -> int:
    return _ask(args, lambda c: c.pathway(args.child_ref, args.as_of), _pathway_text)


def run_breaches(args: argparse.Namespace) -> int:
    return _ask(
        args,
        lambda c: c.breaches(region=args.region, agency=args.agency, as_of=args.as_of),
        _breaches_text,
    )


def _ask(args: argparse.Namespace, call: Any, text: Any) -> int:
    try:
        answer: Answer = call(AuditClient(args.url or default_url()))
    except AuditUnreachable as error:
        print(f"backbone audit: {error}", file=sys.stderr)
        return 3
    if answer.status != 200:
        print(json.dumps(answer.body), file=sys.stderr)
        return _STATUS.get(answer.status, 3)
    print(json.dumps(answer.body, indent=2, ensure_ascii=False) if args.json else text(answer.body))
    return 0


def _pathway_text(body: dict[str, Any]) -> str:
    pathway = body["pathway"]
    lines = [f"as of {body['as_of']}: {len(pathway['timeline'])} events"]
    for step in pathway["timeline"]:
        verdict = "" if step["rejected"] is None else f"  REJECTED {step['rejected']['reason']}"
        when, kind = step["occurred_at"], step["event_type"]
        lines.append(f"  {when}  {kind:<26} {step['producer']}{verdict}")
    lines.append(f"responsible: {', '.join(pathway['responsible']) or '-'}")
    lines += [_obligation_text(o) for o in pathway["obligations"]]
    return "\n".join(lines)


def _breaches_text(body: dict[str, Any]) -> str:
    lines = [f"as of {body['as_of']}: {len(body['breaches'])} breaches"]
    return "\n".join(lines + [_obligation_text(o) for o in body["breaches"]])


def _obligation_text(o: dict[str, Any]) -> str:
    return (
        f"  {o['deadline']}  {o['status']:<9} level {o['level']}  {o['rule']}"
        f"  owed by {o['owed_by']}"
    )
