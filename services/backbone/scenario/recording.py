"""The demo's story as recorded in its data files (``scenario/stories``), read once.

A ``Recording`` is the documented run: its start (the raid), the time at which the
documentation evaluates it, and each child's events under the child's label (A-D,
docs/scenario.md). Every line of every file must be a well-formed plain event and every event of
a child's file must carry the same ``child_ref``; anything else is a broken package and raises
``RecordingInvalid``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from types import MappingProxyType

from backbone.domain.events import Event, MalformedEvent, parse_event

PACKAGE = "backbone.scenario.stories"
MANIFEST = "demo.json"


class RecordingInvalid(Exception):
    """A story file is not what the player needs; the message names the file and line."""


@dataclass(frozen=True)
class Recording:
    start: datetime
    as_of: datetime
    children: Mapping[str, tuple[Event, ...]]  # label → the child's events, in file order

    def events(self) -> list[Event]:
        """Every child's events in time order."""
        return sorted((e for c in self.children.values() for e in c), key=lambda e: e.sort_key)

    def labels(self) -> dict[str, str]:
        """``child_ref`` → label."""
        return {events[0].child_ref: label for label, events in self.children.items()}


@cache
def demo_recording() -> Recording:
    """The demo's story, from the package's data files."""
    return read_recording(resources.files(PACKAGE), MANIFEST)


def read_recording(folder: Traversable, manifest: str) -> Recording:
    source = folder / manifest
    try:
        document = json.loads(source.read_text("utf-8"))
        start, as_of = (_instant(document[key]) for key in ("start", "as_of"))
        files = dict(document["children"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RecordingInvalid(f"{manifest}: {error}") from None
    children = {label: read_events(folder / name, name) for label, name in files.items()}
    for label, events in children.items():
        if not events or len({e.child_ref for e in events}) != 1:
            raise RecordingInvalid(f"{files[label]}: not one child's events")
    return Recording(start, as_of, MappingProxyType(children))


def read_events(source: Traversable, name: str) -> tuple[Event, ...]:
    events = []
    for number, line in enumerate(source.read_text("utf-8").splitlines(), start=1):
        try:
            events.append(parse_event(json.loads(line)))
        except (ValueError, MalformedEvent) as error:  # JSONDecodeError is a ValueError
            raise RecordingInvalid(f"{name}:{number}: {error}") from None
    return tuple(events)


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.utcoffset() is None:
        raise ValueError(f"{text} has no UTC offset")
    return moment
