"""Replay: plain JSON event lines → pathways, obligations and content rejections at time *t*.

The core takes numbered records, ``(line, raw)`` with ``raw`` as text or UTF-8 bytes, so a
file, stdin or a Kafka topic (line = offset) can feed it. Input is all-or-nothing: if any record
is malformed (section 3) or repeats an ``event_id`` with different content, ``MalformedInput``
lists every bad record and nothing is evaluated.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backbone.audit.core.calendar import WorkingCalendar
from backbone.audit.core.pathway import Pathway, fold
from backbone.audit.core.rules import RuleSet
from backbone.audit.core.sla import Obligation, evaluate
from backbone.domain.events import Event, MalformedEvent, parse_event
from backbone.domain.lifecycle import Judgement, judge

Record = tuple[int, str | bytes]


@dataclass(frozen=True)
class LineProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.line}: {self.reason}"


class MalformedInput(ValueError):
    """Some records are malformed; ``problems`` has one entry per bad record, by line."""

    def __init__(self, problems: list[LineProblem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


@dataclass(frozen=True)
class Rejected:
    line: int
    event_id: str
    reason: str


@dataclass(frozen=True)
class Replay:
    pathways: tuple[Pathway, ...]
    obligations: tuple[Obligation, ...]
    rejected: tuple[Rejected, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "pathways": [p.to_json() for p in self.pathways],
            "obligations": [o.to_json() for o in self.obligations],
            "rejected": [
                {"line": r.line, "event_id": r.event_id, "reason": r.reason} for r in self.rejected
            ],
        }


def numbered_lines(data: bytes) -> Iterator[Record]:
    """The lines of a JSON Lines file, numbered from 1."""
    yield from enumerate(data.split(b"\n"), start=1)


def parse_records(records: Iterable[Record]) -> list[tuple[int, Event]]:
    """The events of the non-blank records, each with its first line; raise ``MalformedInput``."""
    problems: list[LineProblem] = []
    first: dict[str, tuple[int, Event]] = {}
    for line, raw in records:
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError:
            problems.append(LineProblem(line, "not UTF-8 text"))
            continue
        if not text.strip():
            continue
        try:
            event = parse_event(_load_json(text))
        except _NotJson as error:
            problems.append(LineProblem(line, f"not JSON: {error}"))
            continue
        except MalformedEvent as error:
            problems.append(LineProblem(line, "; ".join(error.problems)))
            continue
        known = first.setdefault(event.event_id, (line, event))
        if known[1] is not event and not known[1].same_content(event):
            problems.append(
                LineProblem(line, f"event_id: same as line {known[0]} with different content")
            )
    if problems:
        raise MalformedInput(sorted(problems, key=lambda p: p.line))
    return sorted(first.values(), key=lambda item: item[0])


def replay(
    records: Iterable[Record], at: datetime, rules: RuleSet, calendar: WorkingCalendar
) -> Replay:
    """Parse ``records`` and evaluate them at ``at`` (see ``replay_events``)."""
    return replay_events(parse_records(records), at, rules, calendar)


def replay_events(
    numbered: Iterable[tuple[int, Event]],
    at: datetime,
    rules: RuleSet,
    calendar: WorkingCalendar,
) -> Replay:
    """Pathways, obligations and content rejections of the events with ``occurred_at`` ≤ ``at``.

    ``numbered`` pairs each distinct event with its first line; only the line numbers of the
    rejected list depend on them.
    """
    pairs = list(numbered)
    lines: dict[str, int] = {}
    for line, event in pairs:
        lines[event.event_id] = min(line, lines.get(event.event_id, line))
    judgement, obligations = judge_and_evaluate((e for _, e in pairs), at, rules, calendar)
    rejected = [
        Rejected(lines[e.event_id], e.event_id, rejection.reason.value)
        for e in judgement.events
        if (rejection := judgement.verdicts[e.event_id]) is not None
    ]
    rejected.sort(key=lambda r: (r.line, r.event_id))
    return Replay(fold(judgement, obligations), obligations, tuple(rejected))


def judge_and_evaluate(
    events: Iterable[Event], at: datetime, rules: RuleSet, calendar: WorkingCalendar
) -> tuple[Judgement, tuple[Obligation, ...]]:
    """The verdicts and the obligations at ``at``: the evaluating half of ``replay_events``."""
    judgement = judge(events, until=at)
    return judgement, evaluate(judgement, at, rules, calendar)


class _NotJson(ValueError):
    pass


def _load_json(text: str) -> Any:
    """Strict JSON: no repeated keys in an object, no NaN or Infinity."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise _NotJson(f"{error.msg} at column {error.colno}") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise _NotJson(f"key {', '.join(repeated)} appears twice in one object")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON value")
