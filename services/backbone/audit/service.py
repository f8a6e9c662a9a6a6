"""The live audit as a faust app (principal and signer ``audit.national`` by default).

* ``project`` reads the event log (raw bytes) in batches through the ``AuditGate`` and writes
  the new clear headers of each partition's share of a batch as one chunk to the ``headers``
  table (changelog-backed RocksDB, co-partitioned with the log), then asks for their children
  to be evaluated now. The batch's records are acknowledged only after that, and faust flushes
  the changelog before it commits their offsets, so a crash re-reads what was not recorded.
  (One table write per event capped a bare faust agent at ~3.5k events/s on the reference
  host; one per partition and batch, at ~15k.)
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
import gc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
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
from backbone.audit.settings import EVENT_LOG_PARTITIONS, AuditSettings
from backbone.audit.store import EventStore, chunk
from backbone.envelope.quarantine import Inbound, KafkaQuarantine, Quarantine
from backbone.logs import get_logger
from backbone.runtime.faust_app import consumer_lag, exit_on_failure, make_app
from backbone.runtime.lean import QuietMonitor, RawSchema
from backbone.runtime.metrics import OpenBreaches, ServiceMetrics

# Ticks are only wake-up calls; a lost one is re-made from the schedule after a restart.
TICKS_RETENTION = timedelta(hours=1)
# How often the consumer lag is measured for the metrics.
LAG_SECONDS = 5.0
# Records per projection batch, and the longest a record waits for its batch to fill.
BATCH_MAX, BATCH_WITHIN = 1000, 0.05
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


@contextmanager
def partition_of(stream: faust.Stream[bytes], event: faust.types.EventT[bytes]) -> Iterator[None]:
    """Table writes inside go to ``event``'s partition (faust writes a table's changelog to the
    partition of the current event). The stream's own notion of its current event, which
    ``take_events`` reads while it buffers the next batch, is restored on the way out."""
    buffering = stream.current_event
    stream._set_current_event(event)
    try:
        yield
    finally:
        stream.current_event = buffering


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
    projection = Projection(store, load_rules(), kazakhstan_calendar())
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
    # Envelopes are checked on two threads (libsodium releases the GIL while it checks a
    # signature), while the event loop keeps fetching records.
    verifier = ThreadPoolExecutor(2, thread_name_prefix="audit-verify")
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

    @headers.on_recover
    async def reload() -> None:
        store.clear()
        schedule.clear()
        store.load(headers.values())
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

    @app.on_partitions_assigned.connect
    async def assigned(sender: Any, /, *partitions: Any, signal: Any, **_: Any) -> None:
        assigned: set[TP] = partitions[0]
        owned = frozenset(tp.partition for tp in assigned if tp.topic == settings.events_topic)
        health.partitions = owned
        log.info("audit_partitions_assigned", partitions=sorted(owned))

    @app.agent(source)
    @exit_on_failure("audit")
    async def project(stream: faust.Stream[bytes]) -> None:
        loop = asyncio.get_running_loop()
        async for batch in stream.take_events(BATCH_MAX, BATCH_WITHIN):
            records = [Inbound.from_record(event.message) for event in batch]
            halves = (records[: len(records) // 2], records[len(records) // 2 :])
            checked = [loop.run_in_executor(verifier, gate.verify, half) for half in halves]
            outcomes = [o for part in await asyncio.gather(*checked) for o in part]
            chunks: dict[int, tuple[faust.types.EventT[bytes], list[bytes]]] = {}
            children = set()
            for event, record, outcome in zip(batch, records, outcomes, strict=True):
                backlog.read(event.message.tp, event.message.offset)
                stored = gate.admit(record, outcome)
                if stored is not None and isinstance(outcome, Checked):
                    chunks.setdefault(event.message.partition, (event, []))[1].append(outcome.entry)
                    children.add(stored.event.child_ref)
            for first, entries in chunks.values():
                position = f"{first.message.partition}:{first.message.offset}"
                with partition_of(stream, first):
                    headers[position.encode()] = chunk(entries)
            now = datetime.now(UTC)
            for child_ref in children:
                schedule.sooner(child_ref, now)

    async def send_sla(key: bytes, value: bytes) -> None:
        await (await sla.send(key=key, value=value))

    emit_due = Emission(emitter, emitted, send_sla, schedule, health, OpenBreaches(LEVELS))

    @app.agent(ticks)
    @exit_on_failure("audit")
    async def check(stream: faust.StreamT[bytes]) -> None:
        async for message in stream.events():
            await emit_due(message.key)

    @app.timer(settings.wake_seconds)
    async def wake() -> None:
        # Only the partitions owned now: asking for another's high watermark fails.
        if not health.ready or backlog.behind(app.consumer.highwater, app.consumer.assignment()):
            return
        for child_ref in schedule.pop_due(datetime.now(UTC)):
            await ticks.send(key=child_ref.encode(), value=b"")

    @app.timer(settings.directory_refresh_seconds)
    async def refresh_directory() -> None:
        await context.refresh_directory_async()

    @app.timer(LAG_SECONDS)
    async def measure_lag() -> None:
        lag = await consumer_lag(app)
        metrics.lag({t: n for t, n in lag.items() if t == settings.events_topic})

    web.register(app, projection, health, lambda: (gate.quarantined, len(schedule)))
    return app
