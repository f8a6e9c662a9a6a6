"""``backbone device ...``: enrol a field device, record events offline, send the queue.

``enrol`` is the directory administrator's (it needs the root keystore); ``record``, ``send``,
``status`` and ``update-directory`` (a newer public directory for readers' keys) run on the
device with only its folder. Output is one JSON document on stdout;
problems are one JSON line on stderr. Exit status: 0 done; 2 refused (bad input, or the intake
refused an envelope); 3 ``send`` stopped early and the rest of the queue waits for the next try.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from backbone.cli_args import agency_id, instant, print_json
from backbone.device.enrolment import EnrolmentError, enrol
from backbone.device.folder import DeviceFolder, DeviceFolderError
from backbone.device.queue import EnvelopeQueue
from backbone.device.recorder import RecordRefused, record
from backbone.device.sender import HttpTransport, send_queue
from backbone.domain.events import read_events_file
from backbone.envelope.errors import DirectoryError
from backbone.envelope.keys import Keystore, KeystoreError

STOPPED = 3


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("device", help="a mobile group's field device")
    add_actions(parser.add_subparsers(dest="action", required=True))


def add_actions(actions: Any) -> None:
    device_dir = argparse.ArgumentParser(add_help=False)
    device_dir.add_argument("--device-dir", type=Path, required=True, help="the device folder")

    enrolling = actions.add_parser(
        "enrol", parents=[device_dir], help="certify a new device key under its group (admin)"
    )
    enrolling.add_argument("--group", type=agency_id, required=True, help="the group's agency id")
    enrolling.add_argument("--device", required=True, help="device label, e.g. tablet-3")
    enrolling.add_argument("--keystore", type=Path, help="the root keystore (default as keys)")
    enrolling.add_argument("--not-before", type=instant, help="start of validity (default now)")
    enrolling.set_defaults(func=_guarded(_enrol))

    recording = actions.add_parser(
        "record", parents=[device_dir], help="sign and encrypt plain events into the queue"
    )
    recording.add_argument("--file", type=Path, required=True, help="JSON Lines, one event a line")
    recording.add_argument(
        "--readers", default="", help="more agencies to address, comma-separated"
    )
    recording.set_defaults(func=_guarded(_record))

    sending = actions.add_parser(
        "send", parents=[device_dir], help="send the queue to the intake, oldest first"
    )
    sending.add_argument("--intake", required=True, help="the intake's base URL")
    sending.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    sending.set_defaults(func=_guarded(_send))

    actions.add_parser(
        "status", parents=[device_dir], help="the queue and the refused envelopes"
    ).set_defaults(func=_guarded(_status))

    updating = actions.add_parser(
        "update-directory",
        parents=[device_dir],
        help="merge a newer public key directory file (checked against the device's root)",
    )
    updating.add_argument("--file", type=Path, required=True, help="a directory.json")
    updating.set_defaults(func=_guarded(_update_directory))


def _enrol(args: argparse.Namespace) -> int:
    folder = enrol(
        Keystore(args.keystore),
        args.group,
        args.device,
        args.device_dir,
        not_before=args.not_before,
    )
    print_json({"enrolled": folder.summary(), "next": "backbone keys publish"})
    return 0


def _record(args: argparse.Namespace) -> int:
    events, problems = read_events_file(args.file)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    folder = DeviceFolder.open(args.device_dir)
    readers = [r for r in args.readers.split(",") if r]
    recorded = record(folder, events, readers)
    print_json(
        {
            "queued": [r.event_id for r in recorded if r.queued],
            "already_queued": [r.event_id for r in recorded if not r.queued],
            "waiting": len(EnvelopeQueue(folder.path).items()),
        }
    )
    return 0


def _send(args: argparse.Namespace) -> int:
    folder = DeviceFolder.open(args.device_dir)
    report = send_queue(EnvelopeQueue(folder.path), HttpTransport(args.intake, args.timeout))
    print_json(report.to_json())
    if report.stopped is not None:
        return STOPPED
    return 2 if report.refused else 0


def _status(args: argparse.Namespace) -> int:
    folder = DeviceFolder.open(args.device_dir)
    queue = EnvelopeQueue(folder.path)
    waiting = [
        {"event_id": q.event_id, "file": q.path.name, "bytes": q.path.stat().st_size}
        for q in queue.items()
    ]
    print_json({**folder.summary(), "queued": waiting, "refused": queue.refused()})
    return 0


def _update_directory(args: argparse.Namespace) -> int:
    folder = DeviceFolder.open(args.device_dir)
    if not args.file.exists():
        raise DeviceFolderError(f"{args.file} does not exist")
    changed = folder.update_directory(args.file)
    print_json({"certificates_changed": changed, "agencies": folder.directory().subjects()})
    return 0


def _guarded(action: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Report a refusal as one JSON line on stderr, exit status 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return action(args)
        except (
            EnrolmentError,
            RecordRefused,
            DeviceFolderError,
            KeystoreError,
            DirectoryError,
            ValueError,
        ) as error:
            print(json.dumps({"error": str(error)}), file=sys.stderr)
            return 2

    return run


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m backbone.device.cli ACTION ...``: the same actions without the whole CLI."""
    parser = argparse.ArgumentParser(prog="backbone device")
    add_actions(parser.add_subparsers(dest="action", required=True))
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
