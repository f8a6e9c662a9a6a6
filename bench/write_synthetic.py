"""Write seeded synthetic pathways as JSON Lines, for load tests and the audit's replay.

    .venv/bin/python bench/write_synthetic.py --children N --seed S --out FILE.jsonl
        [--start TIME] [--invalid-fraction F]

``--out -`` writes to stdout. A JSON summary goes to stdout (to stderr with ``--out -``): the
number of events and children, the seed, and the first and last event times. Exit status 2, with
the problem on stderr, for an unusable argument or output file. The generator is ``synthetic``
beside this script (docs/scenario.md, "Synthetic pathways").
"""

from __future__ import annotations

import argparse
import sys

from synthetic import DEFAULT_START, synthetic_events

from backbone.scenario.cli import instant
from backbone.scenario.jsonl import write_out

PROGRAM = "write_synthetic"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROGRAM, description=__doc__.splitlines()[0])
    parser.add_argument("--children", required=True, type=_count, help="how many children")
    parser.add_argument("--seed", required=True, type=int, help="the random seed")
    parser.add_argument("--out", required=True, help="JSON Lines file, or - for stdout")
    parser.add_argument("--start", type=instant, default=DEFAULT_START, help="first arrival")
    parser.add_argument(
        "--invalid-fraction",
        type=_fraction,
        default=0.0,
        dest="invalid_fraction",
        help="share of children given one event the lifecycle judge rejects (default 0)",
    )
    args = parser.parse_args(argv)
    events = synthetic_events(
        args.children, args.seed, start=args.start, invalid_fraction=args.invalid_fraction
    )
    return write_out(PROGRAM, args.out, events, {"children": args.children, "seed": args.seed})


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


if __name__ == "__main__":
    sys.exit(main())
