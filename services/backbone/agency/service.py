"""An agency's service as a faust app, running as the agency's own principal with its own keys.

It consumes ``inbox.<agency>.v1``, verifies and opens each envelope (every envelope in the
inbox must be addressed to the agency), keeps its view of its referrals in a changelog-backed
table, and emits a signed ``ReferralReceived`` for each referral addressed to it (see
``receipts``: at most a couple of seconds after opening it, unless the agency recorded one).
Records it refuses are kept, with their reason and original bytes, in its quarantine table
(agencies do not write the shared quarantine topic; the router already screened the record).

It keeps its own frontier per inbox partition (``runtime/continuity``), in the ``referrals``
table under ``next:<partition>`` after the views it changed, so that the changelog's order makes
a recorded frontier imply the views before it. Records faust skipped and committed around a
rebalance are holes below the offsets the agent is handed: they are read again from the inbox
and handled first. A frontier that stays below its partition's end for two looks (every 10 s)
is refilled up to it, through a ``refill`` record of that partition on an internal topic (so the
table writes land in the partition). A record handled twice changes nothing (``view.apply``).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
from faust.types import TP

from backbone.agency import view
from backbone.agency.receipts import ReceiptSchedule, awaiting_receipt, receipt_for
from backbone.broker.admin import partition_count
from backbone.broker.reader import read_range
from backbone.broker.topology import inbox_topic
from backbone.envelope.authorisation import ByType
from backbone.envelope.quarantine import Inbound, Rejection
from backbone.envelope.reader import EnvelopeReader, Outcome
from backbone.logs import get_logger
from backbone.runtime.context import ServiceContext
from backbone.runtime.continuity import Continuity, cursor_key, parse_cursor
from backbone.runtime.faust_app import consumer_lag, exit_on_failure, make_app
from backbone.runtime.metrics import ServiceMetrics
from backbone.runtime.tables import DeferredSeen, digest_view

EVENT_LOG = "referral.events.v1"
RECEIPT_TICK_SECONDS = 0.5
RESCHEDULE_SECONDS = 5.0
# How often each owned inbox partition's frontier is compared with the partition's end.
CONTINUITY_SECONDS = 10.0
# Refill requests are only wake-up calls; a lost one is made again by the next look.
REFILL_RETENTION = timedelta(hours=1)


class TableQuarantine:
    """The agency's own quarantine: rejections kept in a changelog-backed table."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def put(self, rejection: Rejection) -> None:
        key = f"{rejection.source_topic}/{rejection.source_partition}/{rejection.source_offset}"
        self._table[key] = {
            "reason": rejection.reason,
            "detail": rejection.detail,
            "event_id": rejection.event_id,
            "rejected_at": rejection.rejected_at.isoformat(),
            "value": rejection.value.hex(),
            "key": None if rejection.key is None else rejection.key.hex(),
        }


def build(context: ServiceContext, **options: Any) -> faust.App:
    agency = context.principal
    app = make_app(agency, context.kafka, **options)
    log = get_logger().bind(service="agency", agency=agency)
    source = app.topic(inbox_topic(agency), key_serializer="raw", value_serializer="raw")
    event_log = app.topic(EVENT_LOG, key_serializer="raw", value_serializer="raw")
    # Tables are co-partitioned with the inbox: more inbox partitions, more service instances.
    partitions = partition_count(context.kafka, inbox_topic(agency))
    seen_table = app.Table("seen", default=None, partitions=partitions)
    referrals = app.Table("referrals", default=None, partitions=partitions)
    quarantined = app.Table("quarantine", default=None, partitions=partitions)
    schedule = ReceiptSchedule(agency)
    metrics = ServiceMetrics("agency", agency)
    seen = DeferredSeen(digest_view(seen_table))
    reader = EnvelopeReader(
        context.codec,
        TableQuarantine(quarantined),
        name=agency,
        authoriser=ByType(),
        seen=seen,
        require_body=True,
    )

    inbox = inbox_topic(agency)
    refills = app.topic(
        f"{app.conf.id}-refill",
        partitions=partitions,
        internal=True,
        retention=REFILL_RETENTION,
        key_serializer="raw",
        value_serializer="raw",
    )
    continuity = Continuity()
    # One hand-over or refill at a time moves a frontier.
    handling = asyncio.Lock()

    @referrals.on_recover
    async def reload() -> None:
        continuity.clear()
        for key, value in referrals.items():
            cursor = parse_cursor(key, value)
            if cursor is not None:
                continuity.load(*cursor)

    @app.on_partitions_revoked.connect
    async def revoked(sender: Any, /, *partitions: Any, signal: Any, **_: Any) -> None:
        continuity.forget(tp.partition for tp in partitions[0] if tp.topic == inbox)

    def handle(record: Inbound) -> None:
        delivery = reader.read(record)
        if delivery.outcome is not Outcome.ACCEPTED or delivery.event is None:
            reason = delivery.rejection.reason if delivery.rejection else None
            metrics.handled(delivery.outcome.value, record.received_at, reason)
            return
        event = delivery.event
        updated = view.apply(referrals.get(event.referral_id or ""), event)
        if updated is not None:
            referrals[updated["referral_id"]] = updated
            schedule.note(updated)
        seen.commit(event.event_id)
        metrics.handled(delivery.outcome.value, record.received_at)
        log.info(
            "envelope_opened",
            event_id=event.event_id,
            event_type=event.event_type,
            referral_id=event.referral_id,
            producer=event.producer,
        )

    async def refill(partition: int, holes: list[range]) -> None:
        """Read the records at ``holes`` of the inbox's ``partition`` again and handle them."""
        loop = asyncio.get_running_loop()
        for hole in holes:
            read = await loop.run_in_executor(
                None, read_range, context.kafka, inbox, partition, hole
            )
            for record in read:
                handle(Inbound.from_record(record))
            log.warning(
                "agency_hole_refilled",
                partition=partition,
                offsets=f"{hole.start}-{hole.stop - 1}",
                records=len(read),
            )

    @app.agent(source)
    @exit_on_failure("agency")
    async def receive(stream: faust.StreamT[bytes]) -> None:
        async for message in stream.events():
            partition, offset = message.message.partition, message.message.offset
            async with handling:
                holes = continuity.see(partition, [offset])
                if holes:
                    await refill(partition, holes)
                handle(Inbound.from_record(message.message))
                referrals[cursor_key(partition)] = continuity.next(partition)

    @app.agent(refills)
    @exit_on_failure("agency")
    async def refill_end(stream: faust.StreamT[bytes]) -> None:
        async for message in stream.events():
            partition = message.message.partition
            tp = TP(inbox, partition)
            async with handling:
                end = app.consumer.highwater(tp) if tp in app.consumer.assignment() else None
                hole = range(continuity.next(partition), end or 0)
                if hole:
                    await refill(partition, [hole])
                    continuity.refilled(partition, hole.stop)
                    referrals[cursor_key(partition)] = continuity.next(partition)

    @app.timer(CONTINUITY_SECONDS)
    async def watch_ends() -> None:
        """Ask for a refill of each owned inbox partition whose frontier stays below its end."""
        for tp in app.consumer.assignment():
            if tp.topic != inbox:
                continue
            end = app.consumer.highwater(tp)
            if end and continuity.stalled(tp.partition, end):
                await refills.send(key=b"refill", value=b"", partition=tp.partition)

    @app.timer(RECEIPT_TICK_SECONDS)
    async def send_due_receipts() -> None:
        for referral_id in schedule.due():
            current = referrals.get(referral_id)
            if current is None or not awaiting_receipt(current, agency):
                schedule.sent(referral_id)
                continue
            receipt = receipt_for(current, agency, datetime.now(UTC))
            data = context.codec.encode(receipt, readers=[current["issuer"]])
            await (await event_log.send(key=receipt.child_ref.encode(), value=data))
            schedule.sent(referral_id)
            log.info("receipt_sent", event_id=receipt.event_id, referral_id=referral_id)

    @app.timer(RESCHEDULE_SECONDS)
    async def reschedule_from_views() -> None:
        # After a restart the schedule is empty: the recovered views say what is still owed.
        for current in list(referrals.values()):
            if isinstance(current, dict):  # not a frontier
                schedule.note(current)

    @app.timer(5.0)
    async def measure_lag() -> None:
        metrics.lag({t: n for t, n in (await consumer_lag(app)).items() if t == inbox})

    @app.timer(5.0)
    async def refresh_directory() -> None:
        await context.refresh_directory_async()

    return app
