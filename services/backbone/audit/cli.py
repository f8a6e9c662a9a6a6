"""``backbone audit replay``: evaluate a JSON Lines file of events at a given time.

Exit status 0 with the report on stdout; 2, with nothing on stdout, when the input, ``--as-of``
or a rules file is unusable (each problem on stderr, bad event lines as ``LINE: reason``).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from backbone.audit.calendar import kazakhstan_calendar
from backbone.audit.replay import MalformedInput, Replay, numbered_lines, replay
from backbone.audit.rules import RULES_ENV, RulesError, load_rules

_PROG = "backbone audit replay"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("audit", help="the audit projection: pathways and deadlines")
    actions = parser.add_subparsers(dest="action", required=True)
    command = actions.add_parser("replay", help="evaluate a JSON Lines file of plain events")
    command.add_argument("--events", required=True, help="JSON Lines file, or - for stdin")
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
    command.set_defaults(func=run_replay)


def run_replay(args: argparse.Namespace) -> int:
    at = _as_of(args.as_of)
    if at is None:
        _fail("--as-of: must be an RFC 3339 time with an offset, e.g. 2026-12-15T09:00:00+05:00")
        return 2
    try:
        data = sys.stdin.buffer.read() if args.events == "-" else Path(args.events).read_bytes()
    except OSError as error:
        _fail(f"--events: cannot read {args.events}: {error.strerror}")
        return 2
    try:
        rules = load_rules(args.rules)
    except RulesError as error:
        for rules_problem in error.problems:
            _fail(rules_problem)
        return 2
    try:
        report = replay(numbered_lines(data), at, rules, kazakhstan_calendar())
    except MalformedInput as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        print(_text(report))
    return 0


def _as_of(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if "T" not in text.upper() or moment.utcoffset() is None:
        return None
    return moment


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
