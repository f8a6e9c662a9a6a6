"""``backbone demo``: the whole backbone on this host, playing the scenario from the report.

It provisions the broker (topics, principals, ACLs), keys and the key directory, starts the
router, every agency's service, the field intake, the audit and the console, publishes the
story's events as each agency (signed and encrypted by that agency; the mobile group's on its
field device, through the intake), waits until every inbox holds what is addressed to it and the
audit has flagged the story's breaches, gives the console's demo users fresh generated passwords,
and prints a summary for a person (``demo_summary``): what ran, each agency's inbox (clear headers;
bodies were opened by the agency), the breaches, the console's address with those passwords (shown
only here) and where to look next. ``--json`` prints the full report as JSON instead.
"""

from __future__ import annotations

import argparse
import http.client
import json
import secrets
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from backbone import deploy
from backbone.agency.publish import publish, read_inbox
from backbone.audit.live.client import AuditClient, AuditUnreachable
from backbone.broker.settings import KafkaSettings
from backbone.console.config import default_port as console_port
from backbone.demo_summary import render
from backbone.device.folder import DeviceFolder
from backbone.device.queue import EnvelopeQueue
from backbone.device.recorder import record
from backbone.device.sender import HttpTransport, send_queue
from backbone.domain.events import Event
from backbone.envelope.codec import VerifiedEnvelope, addressed_readers
from backbone.logs import configure
from backbone.paths import run_dir
from backbone.runtime import supervisor
from backbone.runtime.context import ServiceContext
from backbone.runtime.instances import Instances, InstancesInvalid
from backbone.runtime.instances import parse as parse_instances
from backbone.scenario import (
    expected_breaches,
    scenario_as_of,
    scenario_events,
    scenario_start_before,
)

SETTLE_TIMEOUT = 120.0
# The console's demo users: a supervisor of the story's region, one of another region (who sees
# none of the story's children) and an operations user (counts and health, no child).
CONSOLE_USERS = (
    ("sup-turkestan", "supervisor", "turkestan"),
    ("sup-almaty", "supervisor", "almaty"),
    ("ops", "operations", None),
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="run the backbone and play the scenario")
    parser.set_defaults(func=run)
    parser.add_argument(
        "--json", action="store_true", help="print the full report as JSON, not the summary"
    )
    services = subparsers.add_parser("services", help="the local service processes")
    actions = services.add_subparsers(dest="action", required=True)
    start = actions.add_parser("start", help="provision and start every service")
    start.set_defaults(func=_start)
    for command in (parser, start):
        command.add_argument(
            "--instances",
            type=_instances,
            default=Instances(),
            help="workers per service, e.g. router=2,audit=2,agency=2 (agency: each agency's)",
        )
    actions.add_parser("stop", help="stop every service").set_defaults(func=_stop)
    actions.add_parser("status", help="list the services").set_defaults(func=_status)


def _instances(spec: str) -> Instances:
    try:
        return parse_instances(spec)
    except InstancesInvalid as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _start(args: argparse.Namespace) -> int:
    deploy.provision(KafkaSettings.local_admin())
    _print_services(deploy.start_all(args.instances))
    return 0


def _stop(args: argparse.Namespace) -> int:
    print(json.dumps({"stopped": deploy.stop_all()}))
    return 0


def _status(args: argparse.Namespace) -> int:
    statuses = [supervisor.status(name) for name in supervisor.known()]
    _print_services(statuses)
    return 0 if all(s.running for s in statuses) else 1


def _print_services(statuses: list[supervisor.ServiceStatus]) -> None:
    for s in statuses:
        print(
            json.dumps({"service": s.name, "running": s.running, "pid": s.pid, "log": str(s.log)})
        )


def parties_of(events: list[Event]) -> dict[str, set[str]]:
    """referral_id → issuer and recipients, from the story's own ReferralIssued events."""
    return {
        e.referral_id: {e.producer, *e.recipients}
        for e in events
        if e.event_type == "ReferralIssued" and e.referral_id
    }


def expected_inboxes(events: list[Event], parties: dict[str, set[str]]) -> Counter[str]:
    """How many envelopes each agency's inbox must hold once the router has delivered all."""
    counts: Counter[str] = Counter()
    for event in events:
        counts.update(addressed_readers(event, parties.get(event.referral_id or "", set())))
    return counts


def play(events: list[Event], parties: dict[str, set[str]]) -> dict[str, int]:
    """Publish in time order, each run of consecutive events by its own producer.

    The mobile group's events are recorded on its field device (signed and encrypted there,
    queued as if offline) and sent through the intake; every other agency publishes directly.
    """
    contexts: dict[str, ServiceContext] = {}
    device = DeviceFolder.open(deploy.device_folder())
    queue = EnvelopeQueue(device.path)
    field = {"recorded_on_device": 0, "sent_by_device": 0}
    for producer, run_of in groupby(events, key=lambda e: e.producer):
        batch = list(run_of)
        if producer == device.group:
            for event in batch:
                extra = parties.get(event.referral_id or "", set()) - {device.group}
                record(device, [event], readers=sorted(extra))
            field["recorded_on_device"] += len(batch)
            report = send_queue(queue, HttpTransport(deploy.intake_url()))
            if report.stopped or report.refused:
                raise RuntimeError(f"the field device could not send: {report.to_json()}")
            field["sent_by_device"] += len(report.sent) + len(report.already_accepted)
            continue
        if producer not in contexts:
            contexts[producer] = ServiceContext.load(producer, agency=True)
        publish(contexts[producer], batch, parties=parties)
    return field


def wait_for_http(port: int, path: str, what: str, timeout: float = 60.0) -> None:
    """Until ``GET http://127.0.0.1:{port}{path}`` answers 200."""
    deadline = time.monotonic() + timeout
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer at http://127.0.0.1:{port}{path}")
        time.sleep(0.5)


def wait_for_intake(timeout: float = 60.0) -> None:
    wait_for_http(deploy.intake_port(), "/health", "the intake", timeout)


def flagged(start: datetime, url: str, timeout: float = SETTLE_TIMEOUT) -> list[dict[str, Any]]:
    """The live audit's answers for the story's expected breaches, once it has flagged them all
    (``url``: every audit instance, comma-separated; their answers are merged).

    A breach is the same when its rule, trigger event and owing agency are (its level and
    status are the audit's at this moment)."""
    client = AuditClient(url, timeout=10)
    wanted = {(b["rule"], b["trigger_event_id"], b["owed_by"]) for b in expected_breaches(start)}
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = client.breaches()
        except AuditUnreachable:
            answer = None
        if answer is not None and answer.status == 200:
            found = [
                b
                for b in answer.body["breaches"]
                if (b["rule"], b["trigger_event_id"], b["owed_by"]) in wanted
            ]
            if len(found) == len(wanted):
                return found
        if time.monotonic() > deadline:
            raise RuntimeError(f"the audit did not flag the story's breaches in {timeout:.0f}s")
        time.sleep(1.0)


def console_users() -> list[dict[str, Any]]:
    """Give each demo user a fresh generated password (``console adduser --replace``)."""
    users = []
    for user, role, region in CONSOLE_USERS:
        password = secrets.token_urlsafe(15)
        command = [sys.executable, "-m", "backbone.cli", "console", "adduser", user]
        command += ["--role", role, "--replace", *(["--region", region] if region else [])]
        done = subprocess.run(
            command, input=password + "\n", capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"console adduser {user}: {done.stderr.strip()}")
        users.append({"user": user, "role": role, "region": region, "password": password})
    return users


def inbox_summary(agency: str) -> dict[str, Any]:
    context = ServiceContext.load(agency, agency=True)
    opened = [item for item in read_inbox(context) if isinstance(item, VerifiedEnvelope)]
    return {
        "agency": agency,
        "envelopes": len(opened),
        "by_type": dict(sorted(Counter(e.event.event_type for e in opened).items())),
        "opened_bodies": sum(1 for e in opened if e.opened),
    }


def settle(expected: Counter[str]) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while True:
        summaries = {agency: inbox_summary(agency) for agency in sorted(expected)}
        if all(summaries[a]["envelopes"] >= n for a, n in expected.items()):
            return summaries
        if time.monotonic() > deadline:
            late = {
                a: (summaries[a]["envelopes"], n)
                for a, n in expected.items()
                if summaries[a]["envelopes"] < n
            }
            raise RuntimeError(f"inboxes not complete after {SETTLE_TIMEOUT:.0f}s: {late}")
        time.sleep(1.0)


def run(args: argparse.Namespace) -> int:
    print(render(play_demo(args.instances), as_json=args.json))
    return 0


def play_demo(instances: Instances) -> dict[str, Any]:
    """Provision, start every service, play the story and wait for its effects; the report."""
    configure("demo")
    admin = KafkaSettings.local_admin()
    provisioned = deploy.provision(admin)
    started = deploy.start_all(instances)
    start = scenario_start_before(datetime.now(UTC))
    events = scenario_events(start)
    parties = parties_of(events)
    wait_for_intake()
    began = time.monotonic()
    field = play(events, parties)
    summaries = settle(expected_inboxes(events, parties))
    delivered = round(time.monotonic() - began, 1)
    breaches = flagged(start, ",".join(deploy.audit_urls(instances)))
    users = console_users()
    wait_for_http(console_port(), "/login/", "the console")
    console_url = f"http://127.0.0.1:{console_port()}/"
    return {
        "provisioned": provisioned,
        "services": {s.name: s.pid for s in started},
        "scenario": {
            "start": start.isoformat(),
            "as_of": scenario_as_of(start).isoformat(),
            "events_published": len(events),
            "field_device": {"device": f"{deploy.FIELD_GROUP}/{deploy.FIELD_DEVICE}", **field},
            "delivered_in_seconds": delivered,
            "breaches_flagged_in_seconds": round(time.monotonic() - began, 1),
        },
        "inboxes": list(summaries.values()),
        "expected_breaches": [
            {
                k: b[k]
                for k in ("child", "child_ref", "rule", "owed_by", "status", "level", "deadline")
            }
            for b in expected_breaches(start)
        ],
        "flagged_by_the_live_audit": [
            {k: b[k] for k in ("child_ref", "rule", "owed_by", "status", "level", "deadline")}
            for b in breaches
        ],
        "console": {
            "url": console_url,
            "sign_in": users,
            "passwords": "generated for this run and shown only here; "
            "set your own: backbone console adduser USER --role ROLE [--region R] --replace",
        },
        "look_at": {
            "the console": f"{console_url} (sign in as sup-turkestan, then open child B)",
            "the audit's breaches": "backbone audit breaches --region turkestan",
            "an agency's inbox, decrypted": "backbone inbox --as ngo.shymkent.sana-sezim",
            "the story step by step": "docs/scenario.md",
            "service logs": str(run_dir() / "logs"),
            "broker log": str(run_dir() / "kafka" / "node-1" / "logs" / "server.log"),
            "services": "backbone services status",
            "stop everything": "make stop",
        },
    }


__all__ = ["expected_inboxes", "parties_of", "play_demo", "register", "run"]
