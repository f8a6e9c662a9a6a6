"""Failover of a scaled live audit.

Two ``backbone audit serve`` instances of one app version (one consumer group) project N
synthetic envelopes; the instance owning more partitions is SIGKILLed. Measured on the real
broker:

* takeover: from the SIGKILL to the survivor answering ``/health`` 200 for every partition
  (the broker's session timeout, 10 s, is most of it: the dead member is only noticed then);
* survivor: the events the survivor holds alone afterwards (every published one: none lost);
* restore: in the survivor's log, from ``audit_partitions_assigned`` with every partition to
  ``audit_recovered`` (reading every owned partition of the changelogs and rebuilding the store).

The run gets an app version of its own, so its own consumer group and changelogs. Isolated
like ``bench_audit.py`` (``audit_world``). Not part of ``make bench``:
``.venv/bin/python bench/failover_audit.py [--children N]`` (about 2 min at 800 children on an idle
host; results in docs/operations.md, "Scaling out"). All data synthetic.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from audit_world import AuditWorld, free_port
from synthetic import synthetic_events

from backbone.audit.live.client import AuditClient, AuditUnreachable
from backbone.broker.settings import KafkaSettings

EVERY = 0.05  # how often /health is asked


@dataclass
class Instance:
    port: int
    log: Path
    process: subprocess.Popen[bytes]

    def health(self) -> tuple[int, dict[str, Any]]:
        try:
            answer = AuditClient(f"http://127.0.0.1:{self.port}", timeout=5).health()
        except AuditUnreachable:
            return 0, {}
        return answer.status, answer.body

    def logged(self, event: str) -> list[dict[str, Any]]:
        lines = self.log.read_text(errors="replace").splitlines()
        parsed = [_json(line[line.index("{") :]) for line in lines if "{" in line]
        return [line for line in parsed if line.get("event") == event]


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def until(condition: Any, timeout: float, what: str) -> float:
    """Seconds until ``condition()`` holds (polled every ``EVERY``)."""
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > timeout:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(EVERY)
    return time.monotonic() - began


def failover(world: AuditWorld, version: int, events: int) -> dict[str, float]:
    folder = world.tmp / f"v{version}"
    folder.mkdir()
    instances = []
    for k in (1, 2):
        port, log = free_port(), folder / f"audit@{k}.log"
        options = ("--version", str(version))
        process = world.spawn(port, folder / f"state@{k}", log, *options)
        instances.append(Instance(port, log, process))
    try:
        merged = AuditClient(",".join(f"http://127.0.0.1:{i.port}" for i in instances), 5)

        def projected() -> bool:
            try:
                answer = merged.health()
            except AuditUnreachable:
                return False
            return answer.status == 200 and answer.body["events"] >= events

        try:
            caught_up = until(projected, 60 + events / 100, "both instances projecting all")
        except TimeoutError:
            print(merged.health(), file=sys.stderr)
            raise
        owned = [len(i.health()[1].get("partitions", [])) for i in instances]
        victim, survivor = (instances[0], instances[1]) if owned[0] >= owned[1] else instances[::-1]
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait()

        def took_over() -> bool:
            status, body = survivor.health()
            return status == 200 and body.get("partitions") == [0, 1, 2]

        takeover = until(took_over, 120, "the survivor owning every partition")
        alone = survivor.health()[1]["events"]
        assigned = [
            line
            for line in survivor.logged("audit_partitions_assigned")
            if line["partitions"] == [0, 1, 2]
        ][-1]
        recovered = survivor.logged("audit_recovered")[-1]
        restore = _at(recovered) - _at(assigned)
        return {"caught_up": caught_up, "takeover": takeover, "restore": restore, "alone": alone}
    finally:
        for instance in instances:
            if instance.process.poll() is None:
                instance.process.send_signal(signal.SIGTERM)
                instance.process.wait(timeout=60)


def _at(line: dict[str, Any]) -> float:
    return datetime.fromisoformat(line["timestamp"]).timestamp()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--children", type=int, default=3000, help="synthetic children")
    args = parser.parse_args()
    start = datetime.now(UTC) - timedelta(days=45)
    events = list(synthetic_events(args.children, 7, start=start))
    with (
        tempfile.TemporaryDirectory() as tmp,
        AuditWorld(KafkaSettings.local_admin(), Path(tmp), events) as world,
    ):
        world.publish(world.record(event) for event in events)
        f = failover(world, 100 + int(time.time()) % 100_000, len(events))
    print(f"audit failover: 2 instances, {len(events):,} events, one SIGKILLed")
    print(f"{'caught up':>12}{'takeover':>12}{'restore':>12}{'survivor':>12}")
    print(
        f"{f['caught_up']:>10.1f} s{f['takeover']:>10.1f} s"
        f"{f['restore']:>10.2f} s{f['alone']:>8,.0f} ev"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
