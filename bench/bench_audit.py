"""The live audit on the real broker, beside bounds measured in the same run.

1. Projection throughput: N synthetic envelopes (``synthetic_events``, signed by their producers,
   sealed for their readers) are published to an event log while ``backbone audit serve`` is
   paused, then it is resumed; the figure is the rate from the first to the last of them
   counted as projected by its ``/health``. Its bound is the single-core rate of the work's
   floor: the audit's codec verifying and decoding the first round's envelopes in this process
   (best of three passes), measured with the audit paused just before and just after each round;
   the higher of the two is that round's bound, as the host's speed drifts (a fixed loop ran up
   to ~40 % slower from one second to the next). The best of two rounds of fresh envelopes, each
   against its own bound, counts. Target: ≥ 50 % of the bound. (The service checks signatures on
   the event loop; the host has two cores, which the broker shares.)
2. Breach delay: hotline alerts whose one-hour deadline falls a few seconds after publishing;
   the figure is the time from each deadline to its ``SlaBreached`` record (the audit producer's
   record timestamp) on the SLA topic. Target: < 2 s.

Everything is isolated from the shared deployment: a temporary keystore with its own root, its
own directory, event, SLA and quarantine topics, and a principal ``audit.national.b-<hex>`` of
its own (its topics, ACLs and SCRAM credential deleted at the end). Run:
``.venv/bin/python bench/bench_audit.py`` (about 1-2 min; ``--strict`` exits 1 when a target is
missed). All data is synthetic.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from audit_world import AuditWorld, hotline_alert
from synthetic import synthetic_events

from backbone.audit.core.sla import breach_event_id
from backbone.broker.settings import KafkaSettings
from backbone.envelope.codec import EnvelopeCodec

THROUGHPUT_TARGET = 0.50
DELAY_TARGET = timedelta(seconds=2)


def decode_rate(world: AuditWorld, envelopes: list[bytes]) -> float:
    """Events per second the audit's own codec verifies and decodes, best of three rounds."""
    codec = EnvelopeCodec(world.directory)
    best = 0.0
    for _ in range(3):
        began = time.perf_counter()
        for data in envelopes:
            codec.decode(data)
        best = max(best, len(envelopes) / (time.perf_counter() - began))
    return best


def measured_round(
    world: AuditWorld, records: list[tuple[bytes, bytes]], envelopes: list[bytes]
) -> tuple[float, float]:
    """The live rate of one round and its bound (the higher of the bounds just before and after)."""
    with world.paused():
        before = decode_rate(world, envelopes)
    rate = throughput(world, records)
    with world.paused():
        after = decode_rate(world, envelopes)
    return rate, max(before, after)


def throughput(world: AuditWorld, records: list[tuple[bytes, bytes]]) -> float:
    """Events/s the live audit projects while it works through newly published records.

    The audit is paused (SIGSTOP) while they are published, so that on this host the publisher
    does not take the CPU it would need; it is connected and idle before and resumed after. The
    clock runs from the first new record projected to the last (sampled every 20 ms).
    """
    before = world.health()["events"]
    with world.paused():
        world.publish(records)
    first = world.wait(lambda h: h["events"] > before, timeout=60, every=0.02)
    began = time.perf_counter()
    world.wait(lambda h: h["events"] >= before + len(records), timeout=300, every=0.02)
    rate = (before + len(records) - first["events"]) / (time.perf_counter() - began)
    # Let the audit evaluate the new children (and emit their breaches) before going on.
    world.wait(lambda h: h["evaluated"] >= h["children"], timeout=300)
    return rate


def breach_delays(world: AuditWorld, count: int) -> list[float]:
    """Seconds from each alert's deadline to its SlaBreached record on the SLA topic."""
    lead = timedelta(seconds=4)
    alerts = [hotline_alert(world, lead + timedelta(seconds=0.7 * i)) for i in range(count)]
    watch = world.sla_watch()
    world.publish([world.record(alert) for alert in alerts])
    wanted = {
        breach_event_id("hotline-alert-receipt", a.event_id, a.recipients[0], 1): a for a in alerts
    }
    seen = watch.until(set(wanted), timeout=lead.total_seconds() + count + 30)
    return [
        (seen[event_id] - (alert.occurred_at + timedelta(hours=1))).total_seconds()
        for event_id, alert in wanted.items()
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--children", type=int, default=2000, help="synthetic children a round")
    parser.add_argument("--rounds", type=int, default=2, help="throughput rounds (best counts)")
    parser.add_argument("--alerts", type=int, default=6, help="deadlines to time")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()
    start = datetime.now(UTC) - timedelta(days=45)
    seeds = range(42, 42 + args.rounds)
    rounds = [list(synthetic_events(args.children, seed, start=start)) for seed in seeds]
    with (
        tempfile.TemporaryDirectory() as tmp,
        AuditWorld(KafkaSettings.local_admin(), Path(tmp), [e for r in rounds for e in r]) as world,
    ):
        published = [[world.record(event) for event in events] for events in rounds]
        envelopes = [value for _, value in published[0]]
        world.start_audit()
        measured = [measured_round(world, records, envelopes) for records in published]
        emitted = world.health()["sla_events_emitted"]
        delays = sorted(breach_delays(world, args.alerts))
    live, bound = max(measured, key=lambda m: m[0] / m[1])
    ratio = live / bound
    sizes = ", ".join(f"{len(events):,}" for events in rounds)
    print(f"audit benchmark: rounds of {sizes} envelopes ({args.children} children each)")
    print(f"{'figure':<44}{'measured':>18}   bound / target")
    print(
        f"{'projection throughput (live, real broker)':<44}{live:>12,.0f} ev/s"
        f"   {bound:,.0f} ev/s single-core verify+decode -> {ratio:.0%} (target >= 50%)"
    )
    each = "  ".join(f"{rate:,.0f} / {bound:,.0f}" for rate, bound in measured)
    print(f"{'  each round (ev/s, live / bound)':<44}{each:>18}")
    print(f"{'  SLA events emitted while catching up':<44}{emitted:>16,}")
    print(
        f"{'deadline -> SlaBreached on the SLA topic':<44}"
        f"{statistics.median(delays) * 1000:>10,.0f} ms med   max {max(delays) * 1000:,.0f} ms"
        f" of {len(delays)} (target < {DELAY_TARGET.total_seconds():.0f} s)"
    )
    missed = ratio < THROUGHPUT_TARGET or max(delays) >= DELAY_TARGET.total_seconds()
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
