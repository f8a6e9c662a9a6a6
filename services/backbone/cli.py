"""The ``backbone`` command. Each area registers its own subcommands in its ``cli`` module."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from backbone.logs import configure

# One module per area; each has ``register(subparsers)`` adding parsers whose ``func(args)``
# returns the exit status.
COMMAND_MODULES = (
    "backbone.broker.cli",
    "backbone.envelope.cli",
    "backbone.demo",
    "backbone.runtime.cli",
    "backbone.audit.live.cli",
    "backbone.scenario.cli",
    "backbone.console.cli",
    "backbone.device.cli",
    "backbone.intake.cli",
    "backbone.agency.conformance",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="backbone", description="Inter-agency referral backbone")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Logs go to stderr as JSON lines from the start; stdout is for the command's own output.
    # Long-running services configure again with their own service and agency names.
    configure(f"backbone {args.command}")
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
