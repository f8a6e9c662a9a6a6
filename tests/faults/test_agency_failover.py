"""Two instances of the router and of an agency's service share their partitions on the real
broker; one of each is SIGKILLed mid-stream and the survivors finish the work.

Nothing is lost (every referral reaches the agency and its receipt comes back) and nothing is
applied twice by the agency's state: the referral views read back from the service's own
changelog hold each event once.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support import referrals as synthetic
from support.broker import Broker
from support.deployment import Deployment, deployment, wait_for
from support.groups import group_of, stable_members
from support.kafka_io import read_keyed
from support.service_logs import logged

# In make faults (a rebalance under load): around the rebalance after one agency instance is
# killed, faust 0.15 commits records its stream never handled; the survivor must read them again
# (docs/operations.md, "Scaling out", records faust skips).
pytestmark = [pytest.mark.faults, pytest.mark.broker, pytest.mark.timeout(600)]

# Referrals published before the kill, and while the survivors take over.
BEFORE, DURING = 15, 15


@pytest.fixture(scope="module")
def scaled(broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("scaled")
    with deployment(broker, tmp, {"police": "police", "ngo": "ngo"}) as deployed:
        ngo = deployed.agencies["ngo"]
        deployed.start("router", "router")
        deployed.start("router@2", "router", "--state-dir", str(tmp / "state" / "router@2"))
        deployed.start_agency("ngo")
        state = str(tmp / "state" / f"{ngo}@2")
        deployed.start("ngo@2", "agency", "--as", ngo, "--state-dir", state)
        for group in (group_of("router"), group_of(ngo)):
            wait_for(
                lambda g=group: stable_members(broker.admin, g) == 2,
                timeout=90,
                what=f"two stable members in {group}",
            )
        yield deployed


def _referral(d: Deployment) -> dict[str, Any]:
    return synthetic.referral(d.agencies["police"], [d.agencies["ngo"]], d.region)


def _logged(d: Deployment, name: str, event: str) -> set[str]:
    """The event ids of the service's ``event`` log lines."""
    return {line["event_id"] for line in logged(d.logs / f"{name}.log", event)}


def _views(d: Deployment) -> dict[str, dict[str, Any]]:
    """The ngo service's referral views, the last value of each key in its changelog."""
    topic = f"{group_of(d.agencies['ngo'])}-referrals-changelog"
    views: dict[str, dict[str, Any]] = {}
    for key, value in read_keyed(d.broker.admin, topic):
        if key is not None and value is not None:
            views[json.loads(key)] = json.loads(value)
    return {k: v for k, v in views.items() if isinstance(v, dict)}  # not the frontiers


def test_two_instances_share_the_work_and_a_killed_one_loses_and_repeats_nothing(
    scaled: Deployment, tmp_path: Path
) -> None:
    first = [_referral(scaled) for _ in range(BEFORE)]
    scaled.emit("police", first, tmp_path)
    issued = {r["event_id"] for r in first}
    opened = ("ngo", "ngo@2")
    wait_for(
        lambda: issued <= set().union(*(_logged(scaled, n, "envelope_opened") for n in opened)),
        timeout=60,
        what="the first referrals opened",
    )
    # Both instances of each service had partitions with work on them.
    for name in ("router", "router@2"):
        assert _logged(scaled, name, "envelope_delivered") & issued, name
    for name in ("ngo", "ngo@2"):
        assert _logged(scaled, name, "envelope_opened") & issued, name

    scaled.stop("router@2", signal.SIGKILL)
    scaled.stop("ngo@2", signal.SIGKILL)
    then = [_referral(scaled) for _ in range(DURING)]
    scaled.emit("police", then, tmp_path)
    referrals = {r["referral_id"]: r for r in first + then}

    def receipts() -> dict[str, int] | None:
        counts = {r: 0 for r in referrals}
        for event in scaled.inbox("police"):
            if event.get("event_type") == "ReferralReceived" and event["referral_id"] in counts:
                counts[str(event["referral_id"])] += 1
        return counts if all(counts.values()) else None

    counts = wait_for(receipts, timeout=120, what="a receipt for every referral")
    assert set(counts.values()) == {1}
    views = _views(scaled)
    for referral_id, referral in referrals.items():
        history = [line["event_id"] for line in views[referral_id]["history"]]
        assert len(history) == len(set(history)), referral_id
        assert referral["event_id"] in history
        assert views[referral_id]["recipients"] == {scaled.agencies["ngo"]: "received"}
