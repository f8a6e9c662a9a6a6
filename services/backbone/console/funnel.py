"""The pathway funnel by region, counting children (``child_ref``s), never cases or events.

A child is at a stage when it passed that stage and every earlier one (valid events only):

1. identified: known to the backbone at all (its ``child_ref`` is minted at identification);
2. assessed: a ``RiskAssessed`` or ``VictimStatusAssessed``;
3. recognised: a ``VictimStatusAssessed`` with outcome ``recognized``;
4. served: a ``ServiceDelivered`` or ``ServiceContractSigned``;
5. returned or followed up: a ``ChildReturnedHome`` or ``FollowUpRecorded``.

A child's region is the one the audit gives (its first valid event's).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from backbone.console.audit_model import ChildSummary

Events = tuple[tuple[str, dict[str, str]], ...]


def _any(*types: str) -> Callable[[Events], bool]:
    return lambda events: any(kind in types for kind, _ in events)


def _recognised(events: Events) -> bool:
    return any(
        kind == "VictimStatusAssessed" and attributes.get("outcome") == "recognized"
        for kind, attributes in events
    )


STAGES: tuple[tuple[str, Callable[[Events], bool]], ...] = (
    ("identified", lambda events: bool(events)),
    ("assessed", _any("RiskAssessed", "VictimStatusAssessed")),
    ("recognised", _recognised),
    ("served", _any("ServiceDelivered", "ServiceContractSigned")),
    ("followed_up", _any("ChildReturnedHome", "FollowUpRecorded")),
)


@dataclass(frozen=True)
class Funnel:
    region: str
    counts: tuple[int, ...]  # one per stage, never increasing


def depth(events: Events) -> int:
    """How many stages in a row the child has passed."""
    passed = 0
    for _, reached in STAGES:
        if not reached(events):
            break
        passed += 1
    return passed


def funnels(children: Iterable[ChildSummary]) -> list[Funnel]:
    """One funnel per region, by region name."""
    depths: dict[str, list[int]] = {}
    for child in children:
        depths.setdefault(child.region, []).append(depth(child.events))
    return [
        Funnel(region, tuple(sum(d > n for d in found) for n in range(len(STAGES))))
        for region, found in sorted(depths.items())
    ]
