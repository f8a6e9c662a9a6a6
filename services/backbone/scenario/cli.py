"""``backbone scenario write``: the demo story, played at a start, as JSON Lines.

    backbone scenario write --out FILE.jsonl [--start TIME]

``--out -`` writes to stdout. A JSON summary goes to stdout (to stderr with ``--out -``): how
many events, the ``as_of`` time at which ``backbone audit replay`` shows the story's verdicts,
and the ``expected_breaches`` it shows then (``backbone.scenario.expected``). Without
``--start`` the story is placed so that its as-of time has just passed. Exit status 2, with the
problem on stderr, for an unusable argument or output file. (Synthetic pathways for load tests:
``bench/write_synthetic.py``.)
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from backbone.scenario.expected import expected_breaches
from backbone.scenario.jsonl import write_out
from backbone.scenario.story import (
    scenario_as_of,
    scenario_events,
    scenario_labels,
    scenario_start_before,
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("scenario", help="the demo's story as JSON Lines")
    actions = parser.add_subparsers(dest="action", required=True)
    story = actions.add_parser("write", help="write the demo's multi-agency story")
    story.add_argument("--out", required=True, help="JSON Lines file, or - for stdout")
    story.add_argument("--start", type=instant, help="raid time, RFC 3339 with an offset")
    story.set_defaults(func=run_write)


def run_write(args: argparse.Namespace) -> int:
    start = args.start or scenario_start_before(datetime.now(UTC))
    summary = {
        "children": len(scenario_labels(start)),
        "start": start.isoformat(),
        "as_of": scenario_as_of(start).isoformat(),
        "expected_breaches": expected_breaches(start),
    }
    return write_out("backbone scenario", args.out, scenario_events(start), summary)


def instant(text: str) -> datetime:
    """An argument that must be an RFC 3339 time with an offset."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or "T" not in text.upper() or moment.utcoffset() is None:
        raise argparse.ArgumentTypeError("must be an RFC 3339 time with an offset")
    return moment
