"""An agency's service as a faust app, running as the agency's own principal with its own keys.

It consumes ``inbox.<agency>.v1``, verifies and opens each envelope (every envelope in the
inbox must be addressed to the agency), keeps its view of its referrals in a changelog-backed
table, and emits a signed ``ReferralReceived`` for each referral addressed to it (see
``receipts``: at most a couple of seconds after opening it, unless the agency recorded one).
Records it refuses are kept, with their reason and original bytes, in its quarantine table
(agencies do not write the shared quarantine topic; the router already screened the record).

An envelope that verifies but whose body does not open or decode is kept there too, and
answered at once with a signed ``EnvelopeUnreadable`` (``unreadable``), sealed to the agency and
the producer of the event it names, which the router delivers to that producer. The answer is
recorded in the ``unreadable`` table (by the causing event id) once the broker has acknowledged
it, so a record handled again answers nothing more; no receipt is ever sent for that event.

Each record is handed over through a ``Frontier`` (``runtime/frontier.py``), kept in the
``referrals`` table: records faust skipped and committed around a rebalance are read again from
the inbox and handled. A record handled twice changes nothing (the reader's ``seen`` and
``view.apply``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import faust

from backbone.agency import view
from backbone.agency.receipts import ReceiptSchedule, awaiting_receipt, receipt_for
from backbone.agency.unreadable import answer, unreadable
from backbone.broker.admin import partition_count
from backbone.broker.topics import EVENT_LOG, inbox_topic
from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import TableQuarantine
from backbone.consumer.reader import EnvelopeReader, Outcome
from backbone.envelope.authorisation import ByType
from backbone.envelope.codec import EnvelopeCodec
from backbone.envelope.errors import EncodingRefused, EnvelopeRejected
from backbone.logs import get_logger
from backbone.runtime.context import ServiceContext
from backbone.runtime.faust_app import consumer_lag, make_app
from backbone.runtime.frontier import Frontier, own_values
from backbone.runtime.metrics import ServiceMetrics
from backbone.runtime.tables import DeferredSeen, digest_view

RECEIPT_TICK_SECONDS = 0.5
RESCHEDULE_SECONDS = 5.0


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
    # causing event_id -> the EnvelopeUnreadable the agency sent for it (acknowledged).
    answered = app.Table("unreadable", default=None, partitions=partitions)
    verifier = EnvelopeCodec(context.directory)  # verifies without opening
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
        metrics=metrics,
    )

    inbox = inbox_topic(agency)

    async def answer_unreadable(record: Inbound, refused_for: str) -> None:
        found = unreadable(verifier, record, refused_for, agency)
        if found is None or answered.get(found.cause.event_id) is not None:
            return
        cause = found.cause
        event = answer(found, agency, record.received_at or datetime.now(UTC))
        try:
            data = context.codec.encode(event, readers=[cause.producer])
        except (EncodingRefused, EnvelopeRejected) as refused:  # e.g. no key of the producer
            log.error(
                "unreadable_answer_refused",
                causation_id=cause.event_id,
                producer=cause.producer,
                reason=refused.reason,
                detail=refused.detail,
            )
            return
        await (await event_log.send(key=event.child_ref.encode(), value=data))
        answered[cause.event_id] = {
            "event_id": event.event_id,
            "reason": found.reason,
            "producer": cause.producer,
            "referral_id": cause.referral_id,
        }
        metrics.unreadable(cause.producer)
        log.warning(
            "unreadable_answered",
            event_id=event.event_id,
            causation_id=cause.event_id,
            referral_id=cause.referral_id,
            producer=cause.producer,
            reason=found.reason,
        )

    async def handle(record: Inbound) -> None:
        delivery = reader.read(record)
        if delivery.outcome is not Outcome.ACCEPTED or delivery.event is None:
            # Counted, and if refused quarantined and logged, by the reader.
            if delivery.rejection is not None:
                await answer_unreadable(record, delivery.rejection.reason)
            return
        event = delivery.event
        updated = view.apply(referrals.get(event.referral_id or ""), event)
        if updated is not None:
            referrals[updated["referral_id"]] = updated
            schedule.note(updated)
        seen.commit(event.event_id)
        reader.accepted(record)
        log.info(
            "envelope_opened",
            event_id=event.event_id,
            event_type=event.event_type,
            referral_id=event.referral_id,
            producer=event.producer,
        )

    Frontier(app, context.kafka, inbox, referrals, partitions, handle, "agency").consume(source)

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
        for current in own_values(referrals):
            if current is not None:
                schedule.note(current)

    @app.timer(5.0)
    async def measure_lag() -> None:
        metrics.lag({t: n for t, n in (await consumer_lag(app)).items() if t == inbox})

    @app.timer(5.0)
    async def refresh_directory() -> None:
        await context.refresh_directory_async()

    return app
