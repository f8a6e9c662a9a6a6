"""What ``backbone demo`` prints: a summary for a person, or with ``--json`` the full report.

The summary says what ran (services, the story's events, the field device), each agency's inbox,
the breaches the live audit flagged, the console's address with the demo users' generated
passwords, and where to look next. It is made from the same report that ``--json`` prints, so
both show the same facts; only the JSON has every figure (provisioning counts, pids).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

Report = Mapping[str, Any]
WIDTH = 100  # sentences wrap at this width; table rows are kept whole


def render(report: Report, *, as_json: bool) -> str:
    return json.dumps(report, indent=2) if as_json else summary(report)


def summary(report: Report) -> str:
    sections = [
        ["The referral backbone is running on this host and has played the story."],
        _what_ran(report),
        _inboxes(report["inboxes"]),
        _breaches(report),
        _console(report["console"]),
        ["Where to look", *_table([(what, where) for what, where in report["look_at"].items()])],
        ["The same report as JSON: backbone demo --json"],
    ]
    return "\n\n".join("\n".join(lines) for lines in sections)


def _what_ran(report: Report) -> list[str]:
    services = sorted(report["services"])
    story = report["scenario"]
    field = story["field_device"]
    return [
        "What ran",
        *_wrapped(f"{len(services)} services: {', '.join(services)}"),
        *_wrapped(
            f"the story: {story['events_published']} events from {_when(story['start'])},"
            f" evaluated as of {_when(story['as_of'])}"
        ),
        *_wrapped(
            f"the field device {field['device']}: {field['recorded_on_device']} events recorded"
            f" offline, {field['sent_by_device']} sent through the intake"
        ),
        *_wrapped(
            f"every inbox complete after {story['delivered_in_seconds']} s; the live audit had"
            f" flagged the story's breaches after {story['breaches_flagged_in_seconds']} s"
        ),
    ]


def _inboxes(inboxes: Sequence[Mapping[str, Any]]) -> list[str]:
    rows = [
        (inbox["agency"], f"{inbox['envelopes']} envelopes, {inbox['opened_bodies']} opened")
        for inbox in inboxes
    ]
    return ["Inboxes (each agency opened its own envelopes)", *_table(rows)]


def _breaches(report: Report) -> list[str]:
    flagged = report["flagged_by_the_live_audit"]
    labels = {b["child_ref"]: b["child"] for b in report["expected_breaches"]}
    rows = [("child", "child_ref", "rule", "owed by", "status", "level", "deadline")] + [
        (
            labels.get(b["child_ref"], "?"),
            b["child_ref"],
            b["rule"],
            b["owed_by"],
            b["status"],
            str(b["level"]),
            _when(b["deadline"]),
        )
        for b in flagged
    ]
    return [f"Breaches the live audit flagged ({len(flagged)})", *_table(rows)]


def _console(console: Mapping[str, Any]) -> list[str]:
    rows = [("user", "role", "password")] + [
        (
            user["user"],
            f"{user['role']}, {user['region']}" if user["region"] else user["role"],
            user["password"],
        )
        for user in console["sign_in"]
    ]
    return [
        f"The console: {console['url']}",
        *_table(rows),
        *_wrapped(f"({console['passwords']})"),
    ]


def _wrapped(sentence: str) -> list[str]:
    return textwrap.wrap(
        sentence,
        WIDTH,
        initial_indent="  ",
        subsequent_indent="    ",
        break_long_words=False,
        break_on_hyphens=False,  # agency ids and child_refs stay whole
    )


def _table(rows: Iterable[Sequence[str]]) -> list[str]:
    """Rows indented by two spaces, each column as wide as its widest cell."""
    rows = [tuple(str(cell) for cell in row) for row in rows]
    if not rows:
        return ["  none"]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _when(moment: str) -> str:
    """An RFC 3339 time to the minute, its offset kept: 2026-11-20 00:00+05:00."""
    return datetime.fromisoformat(moment).isoformat(" ", "minutes")
