"""The live audit as a faust app (principal and signer ``audit.national`` by default).

* ``project`` reads the event log (raw bytes) in batches through the ``AuditGate`` and writes
  the clear headers of the new events of each partition's share of a batch as one chunk to the
  ``headers`` table (changelog-backed RocksDB, co-partitioned with the log), followed by the
  partition's frontier (``continuity``: the offset after the last record recorded without a
  hole); their children are to be evaluated now.
  faust writes a table in the partition of its current event, a context variable: a processor
  of the stream keeps, for each partition, a copy of the context in which a record of that
  partition was handed over, and a partition's chunk is written in it.
* faust acknowledges (and may commit) a batch's records before the broker has its chunks, and
  it skips and acknowledges records around a rebalance. The frontier is what counts: records
  handed over above it reveal a hole, read again from Kafka (``read_range``) and recorded
  first. Holes at a partition's end (after a restart or a rebalance) show as a frontier that
  stays below the high watermark (``watch_ends``, every 10 s); a ``REFILL`` tick of that
  partition has ``check`` record them. The changelog keeps a partition's writes in order, so a
  frontier recovered from it has the chunks before it. (One table write per event capped a bare
  faust agent at ~3.5k events/s on the reference host; one per partition and batch, at ~15k.)
* ``wake`` (a timer, every 0.1 s) sends a tick, keyed by ``child_ref``, for every child whose
  next instant in the ``Schedule`` has come, unless the projection is catching up (``Backlog``);
  ``check`` consumes the ticks (a co-partitioned internal topic, so that table writes happen
  inside a stream) and runs the ``Emission`` of the child's due SLA events.
* After recovery the in-memory store is reloaded from ``headers`` and every child is due.
* Several instances (one consumer group) share the log's partitions; the ticks and tables are
  co-partitioned with it, so a child's events, schedule, evaluation and ``emitted`` record live
  on the instance that owns its partition. When partitions are revoked the instance stops
  answering (503) and evaluating until its tables are recovered for the new assignment; then it
  reloads the store from the ``headers`` of the partitions it owns now (faust iterates active
  partitions only) and every owned child is due again. The ``emitted`` table moved with the
  partition, so the new owner emits what the old one had not, under the same derived ids
  (``sla.breach_event_id``), and nothing twice under another id.
* The HTTP API (``web``, ``api``) answers from the store on 127.0.0.1; Prometheus metrics
  (records by outcome, quarantine reasons, end-to-end delay, lag, open breaches by level) on
  ``BACKBONE_METRICS_PORT``.
* faust's own consumer transport (public settings only); records are decoded as raw bytes and
  faust keeps no statistics per record
  (``RawSchema``, ``QuietMonitor``); after recovery the heap is settled (``settle_heap``).
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
from faust.types import TP

from backbone.audit import api, web
from backbone.audit.calendar import kazakhstan_calendar
from backbone.audit.context import AuditContext
from backbone.audit.emission import Emission
from backbone.audit.emitter import SlaEmitter
from backbone.audit.gate import AuditGate, Checked
from backbone.audit.notices import LEVELS
from backbone.audit.projection import Projection
from backbone.audit.rules import load_rules
from backbone.audit.schedule import Backlog, Schedule
from backbone.audit.settings import EVENT_LOG_PARTITIONS, AuditSettings, rules_files
from backbone.audit.store import EventStore, chunk
from backbone.broker.reader import read_range
from backbone.envelope.quarantine import Inbound, KafkaQuarantine, Quarantine
from backbone.logs import get_logger
from backbone.runtime.continuity import Continuity, cursor_key, parse_cursor
from backbone.runtime.faust_app import consumer_lag, exit_on_failure, make_app
from backbone.runtime.lean import QuietMonitor, RawSchema
from backbone.runtime.metrics import OpenBreaches, ServiceMetrics

# Ticks are only wake-up calls: a child is due again if its evaluation has not followed its tick
# within TICK_LOST (the evaluation sets its next instant), and after a restart.
TICKS_RETENTION, TICK_LOST = timedelta(hours=1), timedelta(seconds=5)
# How often the consumer lag is measured for the metrics.
LAG_SECONDS = 5.0
# Records per projection batch, and the longest a record waits for its batch to fill.
BATCH_MAX, BATCH_WITHIN = 1000, 0.05
# How often each owned partition's frontier is compared with the log's end (two looks in a
# row without progress start a refill of the records skipped at its end).
CONTINUITY_SECONDS = 10.0
# The key of a tick that asks the owner of its partition to refill that partition's end.
REFILL = b"\x00refill"
# Allocations between collections of the youngest generation (Python's default is 700).
YOUNG_OBJECTS = 10_000


def settle_heap() -> None:
    """After recovery, keep what is alive now (the store just loaded, and all the code) out of
    the cycle collector's passes, and collect young objects less often. The store's headers hold
    no cycles; a full pass over them took ~90 ms, twice while catching up 30k events, and young
    passes another ~0.1 s. (``make bench``: about a tenth more throughput.) What an earlier
    recovery froze is thawed and collected first, so garbage of a past assignment is freed."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])


def build(
    context: AuditContext, settings: AuditSettings, quarantine: Quarantine | None = None
) -> faust.App:
    app = make_app(
        settings.agency,
        context.kafka,
        web_port=settings.port,
        state_dir=settings.state_dir,
        standby_replicas=settings.standby_replicas,
        version=settings.version,
        broker_max_poll_records=BATCH_MAX,
        # faust pauses fetching when a stream buffers this many records; at its default (4096)
        # catching up stalled ~0.5 s every few batches.
        stream_buffer_maxsize=16 * BATCH_MAX,
        Monitor=QuietMonitor,
    )
    log = get_logger().bind(service="audit")
    store = EventStore()
    projection = Projection(store, load_rules(rules_files()), kazakhstan_calendar())
    emitter = SlaEmitter(projection, context.signer, context.directory)
    metrics = ServiceMetrics("audit", settings.agency)
    gate = AuditGate(
        context.verifier,
        quarantine or KafkaQuarantine(context.kafka, settings.rejected_topic),
        store,
        name=settings.agency,
        metrics=metrics,
    )
    schedule, backlog = Schedule(), Backlog()
    health = api.Health(
        settings.agency, partitions=frozenset(), partition_count=EVENT_LOG_PARTITIONS
    )
    raw: dict[str, Any] = {"schema": RawSchema()}
    source = app.topic(settings.events_topic, **raw)
    sla = app.topic(settings.sla_topic, **raw)
    ticks = app.topic(
        f"{app.conf.id}-ticks",
        partitions=EVENT_LOG_PARTITIONS,
        internal=True,
        retention=TICKS_RETENTION,
        **raw,
    )
    tables: dict[str, Any] = {"partitions": EVENT_LOG_PARTITIONS, "key_type": bytes}
    headers = app.Table("headers", default=None, value_type=bytes, **tables)
    emitted = app.Table("emitted", default=None, **tables)

    continuity = Continuity()
    # One batch or refill at a time records chunks and moves frontiers.
    recording = asyncio.Lock()

    @headers.on_recover
    async def reload() -> None:
        store.clear()
        schedule.clear()
        continuity.clear()

        def chunks() -> Iterator[bytes]:
            for key, value in headers.items():
                cursor = parse_cursor(key, value)
                if cursor is None:
                    yield value
                else:
                    continuity.load(*cursor)

        store.load(chunks())
        now = datetime.now(UTC)
        for child_ref in store.children():
            schedule.set(child_ref, now)
        settle_heap()
        health.ready = True
        log.info("audit_recovered", events=len(store), quarantined=gate.quarantined)

    @app.on_partitions_revoked.connect
    async def revoked(sender: Any, /, *partitions: Any, signal: Any, **_: Any) -> None:
        health.ready = False
        health.partitions = frozenset()
        revoked: set[TP] = partitions[0]
        backlog.forget(revoked)
        continuity.forget(tp.partition for tp in revoked if tp.topic == settings.events_topic)

    @app.on_partitions_assigned.connect
    async def assigned(sender: Any, /, *partitions: Any, signal: Any, **_: Any) -> None:
        assigned: set[TP] = partitions[0]
        owned = frozenset(tp.partition for tp in assigned if tp.topic == settings.events_topic)
        health.partitions = owned
        log.info("audit_partitions_assigned", partitions=sorted(owned))

    def admit(records: list[Inbound]) -> tuple[list[tuple[Inbound, bytes]], set[str]]:
        """Check and admit ``records`` through the gate; return the table entries of the
        events admitted, each with its record, and their children. (On the event loop: checking
        on two threads of this process was no faster on the 2-core reference host, and the
        threads' share of the GIL starved the event loop.)"""
        outcomes = gate.verify(records)
        entries, children = [], set()
        for record, outcome in zip(records, outcomes, strict=True):
            stored = gate.admit(record, outcome)
            if stored is not None and isinstance(outcome, Checked):
                entries.append((record, outcome.entry))
                children.add(stored.event.child_ref)
        return entries, children

    async def refill(
        partition: int, holes: list[range]
    ) -> tuple[list[tuple[int, bytes]], set[str]]:
        """Read the records at ``holes`` of ``partition`` from Kafka and admit them."""
        loop = asyncio.get_running_loop()
        entries: list[tuple[int, bytes]] = []
        children: set[str] = set()
        for hole in holes:
            read = await loop.run_in_executor(
                None, read_range, context.kafka, settings.events_topic, partition, hole
            )
            admitted, whose = admit([Inbound.from_record(r) for r in read])
            entries += [(inbound.offset or 0, entry) for inbound, entry in admitted]
            children |= whose
            log.warning(
                "audit_hole_refilled",
                partition=partition,
                offsets=f"{hole.start}-{hole.stop - 1}",
                records=len(read),
                admitted=len(admitted),
            )
        return entries, children

    def record(partition: int, entries: list[tuple[int, bytes]]) -> None:
        """Write a chunk of ``entries`` (if any) and then the partition's frontier to
        ``headers``; the current event must be in ``partition``. A chunk's key is the offset of
        its first entry's record: a record is admitted once, so no chunk replaces another (a
        key of the first record handed over would, when records are read again after a seek
        back and only the later ones are new)."""
        if entries:
            headers[f"{partition}:{entries[0][0]}".encode()] = chunk(e for _, e in entries)
        headers[cursor_key(partition).encode()] = str(continuity.next(partition)).encode()

    # A context per partition whose current event (faust's, a context variable) is a record of
    # that partition, and that record (the variable holds a weak reference). The stream's
    # processor takes it while faust hands the record over; a chunk is written in it.
    writers: dict[int, tuple[contextvars.Context, faust.types.EventT[bytes]]] = {}

    @app.agent(source)
    @exit_on_failure("audit")
    async def project(stream: faust.Stream[bytes]) -> None:
        def writer(value: bytes) -> bytes:
            event = stream.current_event
            if event is not None and event.message.partition not in writers:
                writers[event.message.partition] = (contextvars.copy_context(), event)
            return value

        stream.add_processor(writer)
        async for batch in stream.take_events(BATCH_MAX, BATCH_WITHIN):
            async with recording:
                offsets: dict[int, list[int]] = {}
                for event in batch:
                    backlog.read(event.message.tp, event.message.offset)
                    offsets.setdefault(event.message.partition, []).append(event.message.offset)
                mine: dict[int, list[tuple[int, bytes]]] = {p: [] for p in offsets}
                children: set[str] = set()
                for partition, handed in offsets.items():
                    holes = continuity.see(partition, handed)
                    if holes:
                        mine[partition], refilled = await refill(partition, holes)
                        children |= refilled
                records = [Inbound.from_record(event.message) for event in batch]
                admitted, whose = admit(records)
                for inbound, entry in admitted:
                    mine[inbound.partition or 0].append((inbound.offset or 0, entry))
                for partition, entries in mine.items():
                    writers[partition][0].run(record, partition, entries)
            now = datetime.now(UTC)
            for child_ref in children | whose:
                schedule.sooner(child_ref, now)

    async def send_sla(key: bytes, value: bytes) -> None:
        await (await sla.send(key=key, value=value))

    emit_due = Emission(emitter, emitted, send_sla, schedule, health, OpenBreaches(LEVELS))

    @app.agent(ticks)
    @exit_on_failure("audit")
    async def check(stream: faust.StreamT[bytes]) -> None:
        async for message in stream.events():
            if message.key == REFILL:
                await refill_end(message.message.partition)
            else:
                await emit_due(message.key)

    async def refill_end(partition: int) -> None:
        """Record the records of ``partition`` below its high watermark not seen yet (a tick of
        that partition is the current event, so the table writes land in it)."""
        tp = TP(settings.events_topic, partition)
        async with recording:
            end = app.consumer.highwater(tp) if tp in app.consumer.assignment() else None
            hole = range(continuity.next(partition), end or 0)
            if not hole:
                return
            entries, children = await refill(partition, [hole])
            continuity.refilled(partition, hole.stop)
            backlog.read(tp, hole.stop - 1)
            record(partition, entries)
        now = datetime.now(UTC)
        for child_ref in children:
            schedule.sooner(child_ref, now)

    @app.timer(CONTINUITY_SECONDS)
    async def watch_ends() -> None:
        """Ask for a refill of each owned partition whose frontier stays below its end."""
        if not health.ready:
            return
        # All ends first: a rebalance during a send below may revoke a partition, and asking
        # for a partition's high watermark is only allowed while it is assigned.
        consumer, topic = app.consumer, settings.events_topic
        ends = {
            tp.partition: consumer.highwater(tp)
            for tp in consumer.assignment()
            if tp.topic == topic
        }
        for partition, end in ends.items():
            if end and continuity.stalled(partition, end):
                await ticks.send(key=REFILL, value=b"", partition=partition)

    @app.timer(settings.wake_seconds)
    async def wake() -> None:
        # Only the partitions owned now: asking for another's high watermark fails.
        if not health.ready or backlog.behind(app.consumer.highwater, app.consumer.assignment()):
            return
        # A tick can be lost: faust skips (and acknowledges) records around a rebalance, the
        # ticks' too. A child whose evaluation does not follow is due again after TICK_LOST.
        for child_ref in schedule.pop_due(datetime.now(UTC), again_after=TICK_LOST):
            await ticks.send(key=child_ref.encode(), value=b"")

    @app.timer(settings.directory_refresh_seconds)
    async def refresh_directory() -> None:
        await context.refresh_directory_async()

    @app.timer(LAG_SECONDS)
    async def measure_lag() -> None:
        lag = await consumer_lag(app)
        metrics.lag({t: n for t, n in lag.items() if t == settings.events_topic})

    web.register(
        app, projection, health, lambda: (gate.quarantined, len(schedule)), context.directory
    )
    return app
