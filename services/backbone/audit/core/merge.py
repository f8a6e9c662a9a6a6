"""One answer from the answers of several audit instances, each owning some partitions.

Every answer of the audit API names the event log's partitions it covers (``partitions``, of
``partition_count``; an answer without them is an older, single audit that covers all). The
merged answer is the instances' lists joined, or, when some partition is covered by no instance
that answered (one is down, rebalancing or unreachable), 503 ``{"error": "incomplete",
"missing_partitions": [...]}``: a partial list must never pass for the whole.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

Reply = tuple[int, dict[str, Any]] | None  # None: the instance did not answer

LISTS = ("breaches", "obligations", "children")


def covered(replies: Sequence[Reply]) -> tuple[set[int], int | None]:
    """The partitions covered by 200/404 answers, and the partition count they state."""
    partitions: set[int] = set()
    count: int | None = None
    for reply in replies:
        if reply is None or reply[0] not in (200, 404):
            continue
        body = reply[1]
        count = body.get("partition_count", count)
        partitions.update(body.get("partitions", range(body.get("partition_count", 0))))
    return partitions, count


def missing(replies: Sequence[Reply]) -> list[int] | None:
    """The partitions no answer covers; ``None`` when nobody said how many there are."""
    partitions, count = covered(replies)
    if count is None:
        return None
    return [p for p in range(count) if p not in partitions]


def incomplete(replies: Sequence[Reply], absent: list[int] | None) -> tuple[int, dict[str, Any]]:
    answered = sum(1 for r in replies if r is not None)
    body: dict[str, Any] = {"error": "incomplete", "instances": len(replies)}
    body["answered"] = answered
    if absent is not None:
        body["missing_partitions"] = absent
    bad = [r for r in replies if r is not None and r[0] == 400]
    return bad[0] if bad else (503, body)


def merge(replies: Sequence[Reply], kind: str) -> tuple[int, dict[str, Any]]:
    """The merged answer of a list (``breaches``…), a ``pathway`` or ``health``."""
    only = replies[0] if len(replies) == 1 else None
    if only is not None and (
        kind == "health" or "partitions" not in only[1] or only[0] not in (200, 404)
    ):
        return only  # one instance's health, an audit of old, or one recovering: as it is
    absent = missing(replies)
    found = [r for r in replies if r is not None and r[0] == 200]
    if kind == "pathway" and found:
        return found[0]
    if absent is None or absent:
        return incomplete(replies, absent)
    if kind == "pathway":
        return 404, {"error": "no events for this child_ref"}
    bodies = [body for _, body in found]
    partitions = sorted({p for body in bodies for p in body.get("partitions", [])})
    merged: dict[str, Any] = {"partitions": partitions, "partition_count": len(partitions)}
    if kind == "health":
        return 200, {**merged, **_health(bodies)}
    # Two instances may both still answer for a partition while it moves: same items, once.
    items = {json.dumps(item, sort_keys=True): item for b in bodies for item in b.get(kind, [])}
    ordered = list(items.values())  # each instance's own order, instance after instance
    if kind in ("breaches", "obligations"):  # the server's order: Obligation.sort_key
        ordered.sort(key=_obligation_order)
    elif kind == "children":  # the server lists children by child_ref
        ordered.sort(key=lambda child: str(child.get("child_ref")))
    return 200, {**merged, "as_of": bodies[0].get("as_of"), kind: ordered}


def _obligation_order(item: dict[str, Any]) -> tuple[datetime, str, str, str]:
    deadline = datetime.fromisoformat(item["deadline"]).astimezone(UTC)
    return (deadline, item["rule"], item["trigger_event_id"], item["owed_by"])


def _health(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts added up; the agency and status of the instances."""
    summed = ("events", "children", "quarantined", "scheduled", "evaluated", "sla_events_emitted")
    totals = {key: sum(body.get(key, 0) for body in bodies) for key in summed}
    return {
        "status": "ready",
        "agency": bodies[0].get("agency"),
        "instances": len(bodies),
        **totals,
    }
