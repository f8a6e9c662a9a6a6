"""Rebuilding the audit from offset 0 at scale, beside references measured in the same run.

For each size (``BENCH_REBUILD_SMALL``, default 20,000, and ``BENCH_REBUILD_EVENTS``, default
1,000,000) a log of that many synthetic envelopes is filled once and kept (``rebuild_log``), then:

* floor: the raw per-record work (PyNaCl verify + fastavro header decode) in this process on
  one core, best of three passes over the log's first 20,000 records;
* bare consumer: a plain aiokafka consumer doing the floor's work on every record of the log,
  in 1 process and in 2 processes (partitions 0 and 2, and 1, of the three), started together;
  the rate runs on one clock from the first record any process checked to the last one all
  checked, as the audit's instances are timed (so the rate of 2 is about that of the one with two
  partitions; the sum of the two processes' own rates is printed beside it); peak RSS of each;
* live audit: ``backbone audit serve`` with empty state, as a principal of its own, rebuilding
  the whole log; rate from its first to its last event counted by ``/health``; peak RSS
  (``VmHWM``) and the children it holds; then the same instance started again on what it
  recorded (restored from its changelogs): seconds from its start to ready with every event,
  and its peak RSS; and 2 instances in one consumer group started together, from the first event
  any counts to all counted, against the bare consumer in 2 processes;
* replay: ``backbone audit replay --from-kafka`` over the whole log (wall time, peak RSS).

Targets (issue 11, point 6): live audit >= 0.5 of the bare consumer with the same number of
processes; replay >= 0.5 of the one-process bare consumer; cost per event flat from the small
size to the large one; memory bounded by live state, not by events read. ``--strict`` exits 1
when a rate target is missed. The audit principals, their ACLs, SCRAM credentials and topics are
deleted at the end; the filled logs and their keystores (under the run folder) are kept.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from audit_world import PARTITIONS as AUDIT_PARTITIONS
from audit_world import AuditWorld, free_port
from rebuild_log import PARTITIONS, FilledLog, Floor, read_values

from backbone.audit.live.client import AuditClient, AuditUnreachable
from backbone.broker import admin
from backbone.broker.directory_topic import publish_directory
from backbone.broker.settings import KafkaSettings

TARGET = 0.50
FLOOR_SAMPLE = 20_000


@dataclass(frozen=True)
class Run:
    events: int
    seconds: float
    rss_mib: float
    balanced: float = 0.0  # several processes: the sum of their own rates
    children: int = 0  # an audit: the children it holds at the end

    @property
    def rate(self) -> float:
        return self.events / self.seconds


class RebuildAudit(AuditWorld):
    """An audit principal of its own over a ``FilledLog``, whose topics and keystore it keeps."""

    def __init__(self, log: FilledLog, tmp: Path) -> None:
        super().__init__(log.admin, tmp, [])
        self.log = log
        self.keystore = log.keystore
        self.topics.update(events=log.topic, directory=log.directory_topic)
        self.kept = {log.topic, log.directory_topic}

    def __enter__(self) -> RebuildAudit:
        self.log.issue(self.agency)
        self.directory = self.log.directory()
        admin.ensure_topics(
            self.admin,
            [
                admin.TopicSpec(self.topics["sla"], AUDIT_PARTITIONS),
                admin.TopicSpec(self.topics["rejected"], 1),
            ],
        )
        publish_directory(self.admin, self.directory, self.topics["directory"])
        admin.upsert_scram_user(self.admin, self.agency, self._password)
        admin.grant(self.admin, self._grants())
        return self


def floor_rate(log: FilledLog) -> float:
    values = read_values(log.admin, log.topic, min(FLOOR_SAMPLE, log.size))
    floor = Floor(log.directory())
    best = 0.0
    for _ in range(3):
        began = time.perf_counter()
        for value in values:
            floor.check(value)
        best = max(best, len(values) / (time.perf_counter() - began))
    return best


def bare(log: FilledLog, processes: int) -> Run:
    """The bare consumer in ``processes`` processes, each given its share of the partitions."""
    shares = [list(range(PARTITIONS))[i::processes] for i in range(processes)]
    script = [sys.executable, __file__, "--bare-worker", str(log.size)]
    workers = [
        subprocess.Popen([*script, ",".join(map(str, share))], stdout=subprocess.PIPE)
        for share in shares
    ]
    answers = []
    for worker in workers:
        out, _ = worker.communicate(timeout=3600)
        answers.append(json.loads(out))
    # One clock for all, as for the audit's instances: from the first record any worker checked
    # to the last one all of them checked (a worker that starts late is not flattered).
    seconds = max(a["last_at"] for a in answers) - min(a["first_at"] for a in answers)
    return Run(
        sum(a["events"] for a in answers),
        seconds,
        max(a["rss_mib"] for a in answers),
        sum(a["events"] / a["seconds"] for a in answers),
    )


def bare_worker(size: int, share: list[int]) -> None:
    log = FilledLog(KafkaSettings.local_admin(), size)
    events, first_at, last_at = asyncio.run(_consume(log, share))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    seconds = last_at - first_at
    answer = {"events": events, "seconds": seconds, "first_at": first_at, "last_at": last_at}
    print(json.dumps({**answer, "rss_mib": rss}))


async def _consume(log: FilledLog, share: list[int]) -> tuple[int, float, float]:
    """Records of ``share`` checked, and the wall-clock times (``time.time``) at which the first
    and the last of them were checked (as the audit's rate runs from its first event counted)."""
    floor = Floor(log.directory())
    settings = log.admin
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap,
        security_protocol=settings.security_protocol,
        sasl_mechanism=settings.sasl_mechanism,
        sasl_plain_username=settings.username,
        sasl_plain_password=settings.password,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(log.topic, n) for n in share]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        left = {p for p in partitions if ends[p] > 0}
        count, began = 0, 0.0
        while left:
            for part, records in (await consumer.getmany(timeout_ms=1000)).items():
                for record in records:
                    if record.offset < ends[part] and record.value is not None:
                        floor.check(record.value)
                        count += 1
                        began = began or time.time()
                if records and records[-1].offset + 1 >= ends[part]:
                    left.discard(part)
        return count, began, time.time()
    finally:
        await consumer.stop()


def live(log: FilledLog, tmp: Path) -> tuple[Run, Run, list[tuple[float, int]]]:
    """One audit instance rebuilding the whole log, then started again on what it recorded (its
    restore from the changelogs); the two runs and the rebuild's (seconds, events) samples."""
    with RebuildAudit(log, tmp) as world:
        world.start_audit()
        first = world.wait(lambda h: h["events"] > 0, timeout=600, every=0.05)
        began = time.perf_counter()
        samples = [(0.0, first["events"])]
        last: dict[str, Any] = {}

        def sample(health: dict[str, Any]) -> bool:
            samples.append((time.perf_counter() - began, health["events"]))
            last.update(health)
            return bool(health["events"] >= log.size)

        world.wait(sample, timeout=7200, every=1.0)
        seconds = samples[-1][0]
        rss = _peak_rss_mib(world.pid)
        rebuilt = Run(log.size - first["events"], seconds, rss, children=last["children"])
        world.stop_audit()
        began = time.perf_counter()
        world.start_audit(timeout=7200)  # ready once its partitions are restored
        restored = world.wait(lambda h: h["events"] >= log.size, timeout=600, every=0.2)
        restart = Run(
            restored["events"],
            time.perf_counter() - began,
            _peak_rss_mib(world.pid),
            children=restored["children"],
        )
    return rebuilt, restart, samples


def live_instances(log: FilledLog, tmp: Path, count: int) -> Run:
    """``count`` audit instances (one consumer group, a state folder each) started together,
    rebuilding the whole log between them; the rate runs from the first event counted by any
    instance's ``/health`` to all of them counted (an instance answering 503 while its partitions
    move counts as it last did); peak RSS is the largest instance's."""
    with RebuildAudit(log, tmp) as world:
        ports = [free_port() for _ in range(count)]
        processes = [
            world.spawn(port, tmp / f"state-{k}", tmp / f"audit-{k}.log")
            for k, port in enumerate(ports)
        ]
        counted = dict.fromkeys(ports, 0)

        def total() -> int:
            for port in ports:
                try:
                    answer = AuditClient(f"http://127.0.0.1:{port}", timeout=30).health()
                except AuditUnreachable:
                    continue
                if answer.status == 200:
                    counted[port] = answer.body["events"]
            return sum(counted.values())

        try:
            deadline = time.monotonic() + 7200
            while (first := total()) == 0:
                _still_running(processes, tmp, deadline)
                time.sleep(0.05)
            began = time.perf_counter()
            while total() < log.size:
                _still_running(processes, tmp, deadline)
                time.sleep(1.0)
            seconds = time.perf_counter() - began
            rss = max(_peak_rss_mib(process.pid) for process in processes)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=120)
    return Run(log.size - first, seconds, rss)


def _still_running(processes: list[subprocess.Popen[bytes]], tmp: Path, deadline: float) -> None:
    for k, process in enumerate(processes):
        if process.poll() is not None:
            tail = (tmp / f"audit-{k}.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"audit instance {k} exited ({process.returncode}):\n{tail}")
    if time.monotonic() > deadline:
        raise TimeoutError("the audit instances did not read the whole log in time")


def replay(log: FilledLog, tmp: Path) -> Run:
    with RebuildAudit(log, tmp) as world:
        command = [sys.executable, "-m", "backbone.cli", "audit", "replay", "--from-kafka"]
        command += ["--as-of", datetime.now(UTC).isoformat(), "--as", world.agency]
        command += ["--topic", log.topic, "--directory-topic", log.directory_topic]
        began = time.perf_counter()
        with (tmp / "replay.txt").open("wb") as out, (tmp / "replay.err").open("wb") as err:
            process = subprocess.Popen(command, env=world.environment(), stdout=out, stderr=err)
            _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - began
        if status != 0:
            raise RuntimeError((tmp / "replay.err").read_text()[-2000:])
    return Run(log.size, seconds, usage.ru_maxrss / 1024)


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(size: int, tmp: Path) -> dict[str, Any]:
    log = FilledLog(KafkaSettings.local_admin(), size)
    began = time.perf_counter()
    filled = log.fill()
    print(
        f"-- {size:,} events: log {'filled' if filled else 'reused'}"
        f" ({time.perf_counter() - began:,.0f} s)",
        flush=True,
    )
    for part in ("live", "live2", "replay"):
        (tmp / part).mkdir(parents=True)
    figures: dict[str, Any] = {"floor": floor_rate(log)}
    figures["bare1"] = bare(log, 1)
    figures["bare2"] = bare(log, 2)
    figures["live1"], figures["restart"], figures["samples"] = live(log, tmp / "live")
    figures["live2"] = live_instances(log, tmp / "live2", 2)
    figures["replay"] = replay(log, tmp / "replay")
    report(size, figures)
    return figures


def report(size: int, f: dict[str, Any]) -> None:
    bare1, bare2, live1, live2, replayed = (
        f[key] for key in ("bare1", "bare2", "live1", "live2", "replay")
    )
    print(f"{'figure':<40}{'ev/s':>9}{'seconds':>9}{'peak RSS':>11}   bound -> ratio")
    print(f"{'floor (verify + header, one core)':<40}{f['floor']:>9,.0f}")
    rows = [
        ("bare aiokafka consumer, 1 process", bare1, f["floor"], "floor"),
        ("bare aiokafka consumer, 2 processes", bare2, 2 * f["floor"], "2 x floor"),
        ("live audit rebuild, 1 instance", live1, bare1.rate, "bare 1 process"),
        ("live audit rebuild, 2 instances", live2, bare2.rate, "bare 2 processes"),
        ("audit replay --from-kafka", replayed, bare1.rate, "bare 1 process"),
    ]
    for name, run, bound, what in rows:
        print(
            f"{name:<40}{run.rate:>9,.0f}{run.seconds:>9,.1f}{run.rss_mib:>8,.0f} MiB"
            f"   {what} {bound:,.0f} -> {run.rate / bound:.2f}"
        )
    restart = f["restart"]
    print(
        f"{'live audit restart (restore), 1 inst.':<40}{restart.rate:>9,.0f}"
        f"{restart.seconds:>9,.1f}{restart.rss_mib:>8,.0f} MiB   from start to ready"
    )
    print(f"{'  children held by the live audit':<40}{live1.children:>9,}")
    print(f"{'  2 processes, sum of their own rates':<40}{bare2.balanced:>9,.0f}")
    samples = f["samples"]
    if len(samples) > 4:
        half = len(samples) // 2
        (t0, e0), (t1, e1), (t2, e2) = samples[0], samples[half], samples[-1]
        print(
            f"{'  live rate, first half / second half':<40}"
            f"{(e1 - e0) / max(t1 - t0, 1e-9):>9,.0f}{(e2 - e1) / max(t2 - t1, 1e-9):>9,.0f}"
        )


def summary(small: dict[str, Any], large: dict[str, Any], sizes: tuple[int, int]) -> bool:
    print(f"-- cost per event, {sizes[0]:,} -> {sizes[1]:,} events (µs; peak RSS MiB)")
    for key, name in [
        ("bare1", "bare consumer, 1 process"),
        ("live1", "live audit, 1 instance"),
        ("restart", "live audit restart (restore)"),
        ("live2", "live audit, 2 instances"),
        ("replay", "replay --from-kafka"),
    ]:
        a, b = small[key], large[key]
        print(
            f"  {name:<38}{1e6 / a.rate:>8,.0f} -> {1e6 / b.rate:>6,.0f}"
            f"   RSS {a.rss_mib:,.0f} -> {b.rss_mib:,.0f}"
        )
    a, b = small["live1"], large["live1"]
    grown = (b.rss_mib - a.rss_mib) * 1024 * 1024
    print(
        f"  memory: the live audit held {a.children:,} -> {b.children:,} children"
        f" for {sizes[0]:,} -> {sizes[1]:,} events; peak RSS {a.rss_mib:,.0f} ->"
        f" {b.rss_mib:,.0f} MiB: {grown / max(b.children - a.children, 1):,.0f} B per child"
        f" added, {grown / (sizes[1] - sizes[0]):,.0f} B per event added"
    )
    live_ok = (
        large["live1"].rate >= TARGET * large["bare1"].rate
        and large["live2"].rate >= TARGET * large["bare2"].rate
    )
    replay_ok = large["replay"].rate >= TARGET * large["bare1"].rate
    print(f"targets (>= {TARGET:.0%} of the bare consumer): live {live_ok}, replay {replay_ok}")
    return live_ok and replay_ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--bare-worker", nargs=2, metavar=("SIZE", "PARTITIONS"), help="internal")
    args = parser.parse_args()
    if args.bare_worker:
        bare_worker(int(args.bare_worker[0]), [int(p) for p in args.bare_worker[1].split(",")])
        return 0
    # A stopped run (SIGTERM) still deletes its audit principal and topics on the way out.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    small = int(os.environ.get("BENCH_REBUILD_SMALL", "20000"))
    large = int(os.environ.get("BENCH_REBUILD_EVENTS", "1000000"))
    with tempfile.TemporaryDirectory() as tmp:
        figures = [measure(size, Path(tmp) / f"n{size}") for size in (small, large)]
    met = summary(figures[0], figures[1], (small, large))
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
