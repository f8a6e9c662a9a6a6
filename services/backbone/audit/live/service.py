"""The live audit (principal and signer ``audit.national`` by default), on aiokafka's public API.

* One consumer in the audit's group (``<principal>_svc``, ``-v<version>`` after version 1) reads
  the event log in batches. Each batch goes through the ``AuditGate``; the clear headers of the
  new events of each partition's share are written as one chunk to the ``headers`` changelog
  (compacted, co-partitioned with the log), followed by that partition's frontier (the offset
  after the last record recorded); once the broker has acknowledged both, the batch's offsets
  are committed and its children are due to be evaluated. That is settled in order
  (``settle``) while the next batches are checked, as soon as the broker has acknowledged the
  batch; the projection waits only when ``UNSETTLED_MAX`` batches are waiting (a broker paused
  or lost), and the consumer is polled meanwhile when nothing new is fetched.
* The frontier is what counts, not the group's committed offset: when partitions are assigned,
  the instance reads their share of ``headers`` and ``emitted`` from the start (the changelogs
  are its only state; the store's temporary file is scratch, gone with the process), rebuilds
  the store, and seeks each partition to its frontier. So a record is never skipped (the
  consumer hands over every record it fetched, in order), and a record recorded but not
  committed is read again and counted as repeated.
  A group whose committed offset was moved past the frontier (an operator's reset) is logged as
  ``audit_partition_resumed``.
* Every ``wake_seconds`` the children whose next instant in the ``Schedule`` has come are
  evaluated (``Emission``), unless the projection is catching up (``Backlog``). What was emitted
  for a child is written to the ``emitted`` changelog in the child's partition of the log, after
  its events were acknowledged, so a new owner of the partition emits what the old one had not,
  under the same derived ids (``sla.breach_event_id``), and nothing twice under another id.
* Several instances share the log's partitions (one consumer group). While partitions move the
  instance stops answering (503) and evaluating; once its share is restored, every owned child is
  due again.
* The HTTP API (``web``, ``api``) answers from the store on 127.0.0.1; Prometheus metrics
  (records by outcome, quarantine reasons, end-to-end delay, lag, open breaches by level) on
  ``BACKBONE_METRICS_PORT``. A consumer that is behind the log's end and has fetched nothing for
  ``watchdog.STALL_SECONDS`` exits (``EXIT_STALLED``); a failure of the loop exits with
  ``EXIT_AGENT_FAILED``; either way what was not recorded is read again by the next start.

The audit left faust for aiokafka: faust's per-record stream machinery cost more than
the audit's own work per event (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gc
import json
import logging
import os
import signal
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError

from backbone.audit.core import api
from backbone.audit.core.calendar import kazakhstan_calendar
from backbone.audit.core.notices import LEVELS
from backbone.audit.core.projection import Projection
from backbone.audit.core.rules import load_rules
from backbone.audit.core.schedule import Backlog, Schedule
from backbone.audit.core.store import EventStore, chunk
from backbone.audit.live import web
from backbone.audit.live.context import AuditContext
from backbone.audit.live.emission import Emission
from backbone.audit.live.emitter import SlaEmitter
from backbone.audit.live.gate import AuditGate, Checked
from backbone.audit.live.settings import AuditSettings, rules_files
from backbone.broker import admin
from backbone.broker.quarantine import KafkaQuarantine
from backbone.broker.reader import stream_partitions
from backbone.broker.settings import KafkaSettings
from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import Quarantine
from backbone.envelope.codec import read_clear_header
from backbone.logs import get_logger
from backbone.runtime.continuity import cursor_key, parse_cursor
from backbone.runtime.faust_app import EXIT_AGENT_FAILED, app_id
from backbone.runtime.metrics import OpenBreaches, ServiceMetrics, serve_from_env
from backbone.runtime.watchdog import EXIT_STALLED, STALL_SECONDS, Watchdog

# Records per batch (one chunk per partition and batch: a chunk stays well below a record's 1 MiB).
BATCH_MAX = 1000
# How long one fetch waits for records when there are none.
FETCH_MS = 100
# Batches projected whose changelog writes the broker has not acknowledged yet, beyond which the
# projection waits for them (each holds only its acknowledgements, offsets and children).
UNSETTLED_MAX = 8
# How often the consumer lag is measured for the metrics, and the watchdog looks.
LAG_SECONDS = 5.0
# Allocations between collections of the youngest generation (Python's default is 700).
YOUNG_OBJECTS = 10_000
COMPACTED = {"cleanup.policy": "compact"}


def group_id(principal: str, version: int) -> str:
    """The audit's consumer group, also the prefix of its changelogs (its ACLs allow
    ``<principal>_``); a new version is a new group with new changelogs: a rebuild from 0."""
    base = app_id(principal)
    return base if version <= 1 else f"{base}-v{version}"


def settle_heap() -> None:
    """After recovery, keep what is alive now (the store just loaded, and all the code) out of
    the cycle collector's passes, and collect young objects less often. The store's headers hold
    no cycles; a full pass over them took ~90 ms, twice while catching up 30k events. What an
    earlier recovery froze is thawed and collected first, so garbage of a past assignment is
    freed."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])


class Changelogs:
    """The audit's two compacted changelogs, co-partitioned with the event log: ``headers``
    (chunks and frontiers) and ``emitted`` (what was emitted for each child, JSON)."""

    def __init__(self, prefix: str, partitions: int) -> None:
        self.headers, self.emitted = f"{prefix}-headers-changelog", f"{prefix}-emitted-changelog"
        self.partitions = partitions

    def declare(self, settings: KafkaSettings) -> None:
        admin.ensure_topics(
            settings,
            [admin.TopicSpec(name, self.partitions, COMPACTED) for name in self.names],
        )

    @property
    def names(self) -> tuple[str, str]:
        return self.headers, self.emitted


class LiveAudit:
    def __init__(
        self, context: AuditContext, settings: AuditSettings, quarantine: Quarantine | None = None
    ) -> None:
        self.context, self.settings = context, settings
        self.log = get_logger().bind(service="audit")
        self.options = context.kafka.aiokafka()
        self.group = group_id(settings.agency, settings.version)
        self.partition_count = admin.partition_count(context.kafka, settings.events_topic)
        self.changelogs = Changelogs(self.group, self.partition_count)
        registry = context.directory.registry
        self.store = EventStore(
            lambda header: read_clear_header(header, registry),
            lambda kept: read_clear_header(kept, registry, checked=False),
        )
        self.projection = Projection(self.store, load_rules(rules_files()), kazakhstan_calendar())
        self.metrics = ServiceMetrics("audit", settings.agency)
        self.quarantine = quarantine or KafkaQuarantine(context.kafka, settings.rejected_topic)
        self.gate = AuditGate(
            context.verifier,
            self.quarantine,
            self.store,
            name=settings.agency,
            metrics=self.metrics,
        )
        self.schedule, self.backlog = Schedule(), Backlog()
        self.health = api.Health(
            settings.agency, partitions=frozenset(), partition_count=self.partition_count
        )
        self.frontier: dict[int, int] = {}  # partition -> offset after the last recorded
        self.emitted: dict[bytes, Any] = {}
        self.pending: list[asyncio.Future[Any]] = []  # emitted records not yet acknowledged
        # Batches projected whose changelog writes may not be acknowledged yet, oldest first:
        # a batch's offsets are committed, and its children made due, once they are, one batch
        # at a time in order (``settling``).
        self.unsettled: collections.deque[Projected] = collections.deque()
        self.settling = asyncio.Lock()
        # child_ref -> the log's partition its events were first read from: where its emitted
        # record goes, so the partition's next owner finds it there.
        self.homes: dict[str, int] = {}
        self.watchdog = Watchdog("audit", STALL_SECONDS)
        self.stopping = asyncio.Event()
        # Set while the partitions owned are restored and sought to their frontiers. aiokafka
        # hands out records of a new assignment before its listener has run (the restore), so
        # records fetched while this is clear are dropped: the restore's seek, which comes
        # later, fetches them again (it seeks and sets this with no await in between).
        self.restored = asyncio.Event()
        # Batches and evaluations in hand run to their end before partitions are revoked.
        self.activity = Activity()
        self.consumer: AIOKafkaConsumer | None = None
        self.producer: AIOKafkaProducer | None = None

    # -- state -----------------------------------------------------------------------------

    async def restore(self, owned: frozenset[int]) -> None:
        """Rebuild the store, frontiers and emitted records from the changelogs' ``owned``
        partitions, seek the consumer to each frontier and make every child due."""
        assert self.consumer is not None
        began = time.monotonic()
        self.store.clear()
        self.schedule.clear()
        self.frontier.clear()
        self.emitted.clear()
        self.homes.clear()
        await asyncio.gather(self.restore_headers(owned), self.restore_emitted(owned))
        parts = {p: TopicPartition(self.settings.events_topic, p) for p in sorted(owned)}
        committed = {p: await self.consumer.committed(tp) for p, tp in parts.items()}
        # From the first seek to ``restored.set()`` nothing is awaited: a record fetched before
        # the seeks is dropped and fetched again, one fetched after them is projected.
        for partition, tp in parts.items():
            at = self.frontier.get(partition, 0)
            ahead = committed[partition]
            if ahead is not None and ahead > at:
                self.log.warning(
                    "audit_partition_resumed", partition=partition, at=at, committed=ahead
                )
            self.consumer.seek(tp, at)
        now = datetime.now(UTC)
        for child_ref in self.store.children():
            self.schedule.set(child_ref, now)
        settle_heap()
        self.health.partitions = owned
        self.health.ready = True
        self.restored.set()
        self.log.info(
            "audit_recovered",
            events=len(self.store),
            quarantined=self.gate.quarantined,
            partitions=sorted(owned),
            seconds=round(time.monotonic() - began, 3),
        )

    async def restore_headers(self, owned: frozenset[int]) -> None:
        """The store and the frontiers from ``headers``, one fetched batch at a time (the store
        keeps its headers on disk: a restore holds no more than a batch of them). No chunk key
        is written twice (``record``), so loading each chunk as it comes is what compaction
        would leave."""
        topic = self.changelogs.headers
        async for batch in stream_partitions(self.context.kafka, topic, owned):
            for record in batch:
                cursor = parse_cursor(record.key, record.value)
                if cursor is not None:
                    self.frontier[cursor[0]] = cursor[1]
                    continue
                for child_ref in self.store.load([record.value]):
                    self.homes.setdefault(child_ref, record.partition)

    async def restore_emitted(self, owned: frozenset[int]) -> None:
        """What was emitted for each child (the latest record of its key)."""
        topic = self.changelogs.emitted
        async for batch in stream_partitions(self.context.kafka, topic, owned):
            for record in batch:
                self.emitted[record.key] = json.loads(record.value)

    async def flush(self) -> None:
        """Wait until the broker has acknowledged every changelog write made so far (and commit
        the offsets of every batch projected)."""
        await self.settle()
        await self.flush_emitted()

    async def flush_emitted(self) -> None:
        """Wait until the broker has acknowledged the emitted records written so far. Not the
        batches': evaluation goes on while they wait (a breach due while a broker is paused is
        emitted on time, as the fault suite measures, not once the batches are acknowledged)."""
        pending, self.pending = self.pending, []
        for future in pending:
            await future

    def unacknowledged(self) -> int:
        """How many batches, the newest, wait for an acknowledgement of the broker: while it
        does not come (a broker paused or lost), the loop goes on polling the consumer."""
        acknowledged = 0
        for batch in self.unsettled:
            if not all(write.done() for write in batch.writes):
                break
            acknowledged += 1
        return len(self.unsettled) - acknowledged

    async def settle(self, keep: int = 0) -> None:
        """Commit the offsets of the batches projected, all but the ``keep`` newest, each once
        the broker has acknowledged its changelog writes, and make their children due."""
        assert self.consumer is not None
        async with self.settling:
            while len(self.unsettled) > keep:
                batch = self.unsettled.popleft()
                for write in batch.writes:
                    await write
                try:
                    await self.consumer.commit(batch.commit)
                except CommitFailedError:  # partitions moved meanwhile; the frontier counts
                    partitions = sorted(tp.partition for tp in batch.commit)
                    self.log.info("audit_commit_skipped", partitions=partitions)
                now = datetime.now(UTC)
                for child_ref in batch.children:
                    self.schedule.sooner(child_ref, now)

    # -- the projection --------------------------------------------------------------------

    async def project(self, fetched: dict[TopicPartition, list[Any]]) -> None:
        assert self.consumer is not None and self.producer is not None
        children: set[str] = set()
        commit: dict[TopicPartition, int] = {}
        writes: list[asyncio.Future[Any]] = []
        for tp, records in fetched.items():
            if not records:
                continue
            inbound = [Inbound.from_record(r) for r in records]
            outcomes = self.gate.verify(inbound)
            checked = (o.envelope.event.event_id for o in outcomes if isinstance(o, Checked))
            self.store.prefetch(checked)
            entries, first = [], None
            for record, outcome in zip(inbound, outcomes, strict=True):
                stored = self.gate.admit(record, outcome)
                if stored is not None and isinstance(outcome, Checked):
                    first = record.offset if first is None else first
                    entries.append(outcome.entry)
                    children.add(stored.event.child_ref)
                    self.homes.setdefault(stored.event.child_ref, tp.partition)
            last = records[-1].offset
            self.backlog.read(tp, last)
            self.frontier[tp.partition] = last + 1
            writes += await self.record(tp.partition, first, entries)
            commit[tp] = last + 1
        # The broker acknowledges this batch's writes while the next batches are checked (on a
        # cluster, waiting for them here idled the audit ~10 % of a rebuild); the audit waits
        # only when more than UNSETTLED_MAX batches are not acknowledged yet.
        self.unsettled.append(Projected(writes, commit, children))
        await self.settle(keep=min(self.unacknowledged(), UNSETTLED_MAX))

    async def record(
        self, partition: int, first: int | None, entries: Sequence[bytes]
    ) -> list[asyncio.Future[Any]]:
        """Write a chunk of ``entries`` (if any), keyed by the offset of the record of its first
        entry, then the partition's frontier, to ``headers`` in ``partition``; the producer keeps
        their order. A record is admitted once, so no chunk replaces another (a key of the
        batch's first record would: records read again after a restart are repeated, and a
        chunk of only the new ones after them would take the old chunk's key). The writes'
        acknowledgements are returned."""
        assert self.producer is not None
        topic, writes = self.changelogs.headers, []
        if entries and first is not None:
            key = f"{partition}:{first}".encode()
            writes.append(
                await self.producer.send(topic, chunk(entries), key=key, partition=partition)
            )
        frontier = str(self.frontier[partition]).encode()
        key = cursor_key(partition).encode()
        writes.append(await self.producer.send(topic, frontier, key=key, partition=partition))
        return writes

    # -- evaluation ------------------------------------------------------------------------

    async def send_sla(self, key: bytes, value: bytes) -> None:
        assert self.producer is not None
        await (await self.producer.send(self.settings.sla_topic, value, key=key))

    async def remember(self, key: bytes, value: Any) -> None:
        """What was emitted for the child keyed ``key``, kept and written to ``emitted``."""
        assert self.producer is not None
        self.emitted[key] = value
        data = json.dumps(value, separators=(",", ":")).encode()
        topic, partition = self.changelogs.emitted, self.homes[key.decode()]
        self.pending.append(await self.producer.send(topic, data, key=key, partition=partition))

    async def evaluate(self, emission: Emission) -> None:
        """Every ``wake_seconds``, evaluate the children due, beside the projection (a child's
        SLA events are each acknowledged before the next: thousands of evaluations after a
        restart must not hold the log's records back)."""
        assert self.consumer is not None
        consumer = self.consumer
        while True:
            await asyncio.sleep(self.settings.wake_seconds)
            owned = consumer.assignment()
            if not self.health.ready or self.backlog.behind(consumer.highwater, owned):
                continue
            for child_ref in self.schedule.pop_due(datetime.now(UTC)):
                if not self.health.ready:  # revoked meanwhile: restored, every child is due
                    break
                async with self.activity.working():
                    await emission(child_ref.encode())
            async with self.activity.working():
                await self.flush_emitted()

    # -- housekeeping ----------------------------------------------------------------------

    async def look(self) -> None:
        """Lag for the metrics; exit if the consumer is behind and has stalled."""
        assert self.consumer is not None
        consumer, topic = self.consumer, self.settings.events_topic
        owned = [tp for tp in consumer.assignment() if tp.topic == topic]
        ends = {tp: consumer.highwater(tp) or 0 for tp in owned}
        positions = {tp: self.frontier.get(tp.partition, 0) for tp in owned}
        self.metrics.lag({topic: sum(max(0, ends[tp] - positions[tp]) for tp in owned)})
        active = bool(owned) and self.health.ready
        if self.watchdog.judge(active, positions, ends, time.monotonic()):
            self.log.error(
                "consumer_stalled",
                service="audit",
                seconds=STALL_SECONDS,
                partitions=sorted(f"{tp.topic}:{tp.partition}" for tp in owned),
            )
            logging.shutdown()
            os._exit(EXIT_STALLED)

    # -- the run ---------------------------------------------------------------------------

    async def run(self) -> None:
        settings = self.settings
        self.changelogs.declare(self.context.kafka)
        self.producer = AIOKafkaProducer(
            **self.options, acks="all", enable_idempotence=True, linger_ms=5
        )
        self.consumer = AIOKafkaConsumer(
            **self.options,
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=BATCH_MAX,
            # A member that died without leaving keeps its partitions until its session expires.
            session_timeout_ms=10_000,
            # A member that joins is given its share once the others have heard of it, at their
            # next heartbeat.
            heartbeat_interval_ms=1_000,
        )
        emitter = SlaEmitter(self.projection, self.context.signer, self.context.directory)
        emission = Emission(
            emitter,
            self.emitted,
            self.remember,
            self.send_sla,
            self.schedule,
            self.health,
            OpenBreaches(LEVELS),
        )
        runner = await web.serve(
            settings.port,
            self.projection,
            self.health,
            lambda: (self.gate.quarantined, len(self.schedule)),
            self.context.directory,
        )
        await self.producer.start()
        await self.consumer.start()
        self.consumer.subscribe([settings.events_topic], listener=Rebalance(self))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stopping.set)
        evaluating = asyncio.create_task(self.evaluate(emission))
        looked = refreshed = time.monotonic()
        try:
            while not self.stopping.is_set():
                # Always poll, even while partitions move: aiokafka's group coordination waits for
                # the next poll to hand an error to the caller, and without one it never rejoins.
                fetched = await self.consumer.getmany(timeout_ms=FETCH_MS, max_records=BATCH_MAX)
                now = time.monotonic()
                if evaluating.done():
                    evaluating.result()  # raises what stopped it
                if fetched and self.restored.is_set():
                    async with self.activity.working():
                        await self.project(fetched)
                elif self.unsettled:  # nothing new: settle what the broker has acknowledged
                    async with self.activity.working():
                        await self.settle(keep=self.unacknowledged())
                if now - refreshed >= settings.directory_refresh_seconds:
                    refreshed = now
                    await self.context.refresh_directory_async()
                if now - looked >= LAG_SECONDS:
                    looked = now
                    await self.look()
        except Exception:
            self.log.exception("agent_failed", service="audit")
            logging.shutdown()
            os._exit(EXIT_AGENT_FAILED)
        evaluating.cancel()
        await self.activity.idle()
        await self.flush()
        await self.consumer.stop()
        await self.producer.stop()
        await runner.cleanup()
        if isinstance(self.quarantine, KafkaQuarantine):
            self.quarantine.close()
        self.log.info("audit_stopped")


@dataclass(frozen=True)
class Projected:
    """A batch projected: its changelog writes, the offsets after it, the children it touched."""

    writes: list[asyncio.Future[Any]]
    commit: dict[TopicPartition, int]
    children: set[str]


class Activity:
    """Work in hand (batches, evaluations), which a revocation waits for."""

    def __init__(self) -> None:
        self._active = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.asynccontextmanager
    async def working(self) -> AsyncIterator[None]:
        self._active += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._active -= 1
            if not self._active:
                self._idle.set()

    async def idle(self) -> None:
        await self._idle.wait()


class Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Partitions move: stop answering and evaluating; restore the share assigned."""

    def __init__(self, audit: LiveAudit) -> None:
        self.audit = audit

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        audit = self.audit
        audit.restored.clear()
        audit.health.ready = False
        audit.health.partitions = frozenset()
        await audit.activity.idle()
        await audit.flush()
        audit.backlog.forget(revoked)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        audit = self.audit
        topic = audit.settings.events_topic
        owned = frozenset(tp.partition for tp in assigned if tp.topic == topic)
        audit.restored.clear()  # records fetched before the restore's seek are not projected
        audit.log.info("audit_partitions_assigned", partitions=sorted(owned))
        await audit.restore(owned)


def serve(context: AuditContext, settings: AuditSettings) -> None:
    """Run the live audit in this process until SIGTERM or SIGINT."""
    port = serve_from_env()
    if port is not None:
        get_logger().info("metrics_served", port=port)
    asyncio.run(LiveAudit(context, settings).run())
