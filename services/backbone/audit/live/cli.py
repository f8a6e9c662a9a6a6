"""``backbone audit ...``: replay (a file or the Kafka log), and the live service (``cli_live``).

``backbone audit replay --events FILE|- --as-of T [--rules F]... [--json]`` and
``backbone audit replay --from-kafka --as-of T [--as AGENCY] [--topic T] [--progress] [--json]``
print the same report. Exit status 0 with the report on stdout; 2, with nothing on stdout, when
the input, ``--as-of``, a rules file or the broker setup is unusable (each problem on stderr, bad
event lines as ``LINE: reason``). From Kafka, records the live audit would quarantine are left
out and listed on stderr as ``topic/partition/offset: reason``; ``--progress`` adds a line on
stderr every 10,000 records read.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from kafka.errors import KafkaError, TopicAuthorizationFailedError

from backbone.audit.core.calendar import WorkingCalendar, kazakhstan_calendar, parse_instant
from backbone.audit.core.replay import MalformedInput, Replay, numbered_lines, replay
from backbone.audit.core.rules import RulesError, RuleSet, load_rules
from backbone.audit.live import cli_live
from backbone.audit.live.context import AuditContext
from backbone.audit.live.kafka_log import replay_from_kafka
from backbone.audit.live.settings import RULES_ENV, default_agency, rules_files
from backbone.broker.reader import TopicMissing
from backbone.broker.settings import MissingSecret
from backbone.broker.topics import DIRECTORY_TOPIC, EVENT_LOG
from backbone.broker.topology import TopologyError
from backbone.envelope.keys import KeystoreError

_PROG = "backbone audit replay"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("audit", help="the audit projection: pathways and deadlines")
    actions = parser.add_subparsers(dest="action", required=True)
    command = actions.add_parser("replay", help="evaluate plain events (a file) or the log")
    source = command.add_mutually_exclusive_group(required=True)
    source.add_argument("--events", help="JSON Lines file, or - for stdin")
    source.add_argument(
        "--from-kafka", action="store_true", help="the event log from offset 0, verified"
    )
    command.add_argument(
        "--as-of", required=True, dest="as_of", help="evaluation time, RFC 3339 with an offset"
    )
    command.add_argument(
        "--rules",
        action="append",
        type=Path,
        help=f"an extra SLA rules file (repeatable; default: the files in ${RULES_ENV})",
    )
    command.add_argument("--json", action="store_true", help="print the report as JSON")
    command.add_argument(
        "--as", dest="agency", default=None, help="--from-kafka: read as this principal"
    )
    command.add_argument("--topic", default=EVENT_LOG, help="--from-kafka: the event log")
    command.add_argument(
        "--progress", action="store_true", help="--from-kafka: records read so far, on stderr"
    )
    command.add_argument("--directory-topic", default=DIRECTORY_TOPIC, help=argparse.SUPPRESS)
    command.set_defaults(func=run_replay)
    cli_live.register(actions)


def run_replay(args: argparse.Namespace) -> int:
    at = parse_instant(args.as_of)
    if at is None:
        _fail("--as-of: must be an RFC 3339 time with an offset, e.g. 2026-12-15T09:00:00+05:00")
        return 2
    try:
        rules = load_rules(rules_files() if args.rules is None else args.rules)
    except RulesError as error:
        for rules_problem in error.problems:
            _fail(rules_problem)
        return 2
    report = _from_kafka(args, at, rules) if args.from_kafka else _from_file(args, at, rules)
    if report is None:
        return 2
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        print(_text(report))
    return 0


def _from_file(args: argparse.Namespace, at: datetime, rules: RuleSet) -> Replay | None:
    try:
        data = sys.stdin.buffer.read() if args.events == "-" else Path(args.events).read_bytes()
    except OSError as error:
        _fail(f"--events: cannot read {args.events}: {error.strerror}")
        return None
    try:
        return replay(numbered_lines(data), at, rules, _calendar())
    except MalformedInput as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return None


def _from_kafka(args: argparse.Namespace, at: datetime, rules: RuleSet) -> Replay | None:
    try:
        # An operator may replay as another principal (the administrator): the replay only
        # reads and verifies, with no keyring.
        context = AuditContext.load(
            args.agency or default_agency(),
            directory_topic=args.directory_topic,
            any_principal=True,
        )
    except (MissingSecret, TopologyError, KeystoreError) as error:
        _fail(f"--from-kafka: {error}")
        return None
    progress = _progress if args.progress else None
    try:
        report, left_out = replay_from_kafka(
            context, args.topic, at, rules, _calendar(), progress, pathways=args.json
        )
    except TopicMissing as error:
        _fail(f"--from-kafka: {error}")
        return None
    except TopicAuthorizationFailedError:
        _fail(f"--from-kafka: {context.kafka.username} may not read {args.topic}")
        return None
    except (KafkaError, TimeoutError) as error:  # brokers that cannot answer, after retrying
        _fail(f"--from-kafka: the log could not be read: {error}")
        return None
    for rejection in left_out:
        where = f"{rejection.source_topic}/{rejection.source_partition}/{rejection.source_offset}"
        print(f"{where}: {rejection.reason}", file=sys.stderr)
    return report


def _progress(read: int, total: int) -> None:
    print(f"{_PROG}: read {read:,} of {total:,} records", file=sys.stderr, flush=True)


def _calendar() -> WorkingCalendar:
    return kazakhstan_calendar()


def _text(report: Replay) -> str:
    lines = [f"obligations: {len(report.obligations)}"]
    lines += [
        f"  {o.to_json()['deadline']}  {o.status.value:<9} level {o.level}  {o.rule}"
        f"  owed by {o.owed_by}  trigger {o.trigger_event_id}"
        for o in report.obligations
    ]
    lines.append(f"rejected: {len(report.rejected)}")
    lines += [f"  line {r.line}: {r.event_id} {r.reason}" for r in report.rejected]
    return "\n".join(lines)


def _fail(message: str) -> None:
    print(f"{_PROG}: {message}", file=sys.stderr)
