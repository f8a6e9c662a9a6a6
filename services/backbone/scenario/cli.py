"""``backbone scenario``: write the demo story or synthetic pathways as JSON Lines.

    backbone scenario write --out FILE.jsonl [--start TIME]
    backbone scenario synthetic --children N --seed S --out FILE.jsonl [--start TIME]
        [--invalid-fraction F]

``--out -`` writes to stdout. A JSON summary goes to stdout (to stderr with ``--out -``): how
many events, and for the story the ``as_of`` time at which ``backbone audit replay`` shows its
verdicts, with the ``expected_breaches`` it shows then (``backbone.scenario.expected``). Without
``--start`` the story is placed so that its as-of time has just passed.
Exit status 2, with the problem on stderr, for an unusable argument or output file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from backbone.domain.events import Event
from backbone.scenario.expected import expected_breaches
from backbone.scenario.jsonl import write_jsonl
from backbone.scenario.story import (
    scenario_as_of,
    scenario_events,
    scenario_labels,
    scenario_start_before,
)
from backbone.scenario.synthetic import DEFAULT_START, synthetic_events


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("scenario", help="the demo story and synthetic pathways")
    actions = parser.add_subparsers(dest="action", required=True)
    story = actions.add_parser("write", help="write the demo's multi-agency story")
    story.add_argument("--out", required=True, help="JSON Lines file, or - for stdout")
    story.add_argument("--start", type=_instant, help="raid time, RFC 3339 with an offset")
    story.set_defaults(func=run_write)
    synthetic = actions.add_parser("synthetic", help="write seeded synthetic pathways")
    synthetic.add_argument("--children", required=True, type=_count, help="how many children")
    synthetic.add_argument("--seed", required=True, type=int, help="the random seed")
    synthetic.add_argument("--out", required=True, help="JSON Lines file, or - for stdout")
    synthetic.add_argument(
        "--start", type=_instant, default=DEFAULT_START, help="first arrival, RFC 3339"
    )
    synthetic.add_argument(
        "--invalid-fraction",
        type=_fraction,
        default=0.0,
        dest="invalid_fraction",
        help="share of children given one event the lifecycle judge rejects (default 0)",
    )
    synthetic.set_defaults(func=run_synthetic)


def run_write(args: argparse.Namespace) -> int:
    start = args.start or scenario_start_before(datetime.now(UTC))
    summary = {
        "start": start.isoformat(),
        "as_of": scenario_as_of(start).isoformat(),
        "expected_breaches": expected_breaches(start),
    }
    children = len(scenario_labels(start))
    return _write(args.out, scenario_events(start), {"children": children, **summary})


def run_synthetic(args: argparse.Namespace) -> int:
    events = synthetic_events(
        args.children, args.seed, start=args.start, invalid_fraction=args.invalid_fraction
    )
    return _write(args.out, events, {"children": args.children, "seed": args.seed})


def _write(out: str, events: Iterable[Event], summary: dict[str, Any]) -> int:
    with ExitStack() as stack:
        try:
            stream: TextIO = (
                sys.stdout
                if out == "-"
                else stack.enter_context(Path(out).open("w", encoding="utf-8"))
            )
        except OSError as error:
            print(
                f"backbone scenario: --out: cannot write {out}: {error.strerror}", file=sys.stderr
            )
            return 2
        count, first, last = write_jsonl(events, stream)
    report = {
        "out": out,
        "events": count,
        **summary,
        "first_event_at": None if first is None else first.isoformat(),
        "last_event_at": None if last is None else last.isoformat(),
    }
    print(json.dumps(report), file=sys.stderr if out == "-" else sys.stdout)
    return 0


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or "T" not in text.upper() or moment.utcoffset() is None:
        raise argparse.ArgumentTypeError("must be an RFC 3339 time with an offset")
    return moment


def _count(text: str) -> int:
    value = int(text) if text.isdigit() else -1
    if value < 0:
        raise argparse.ArgumentTypeError("must be a whole number, zero or more")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be a number from 0 to 1")
    return value
