"""The router as a faust app (principal ``router``).

For each record of ``referral.events.v1`` it verifies the envelope (signature, signer, schema,
authorisation by content over the child's history), then writes the record's bytes unchanged to
``inbox.<agency>.v1`` of every reader the envelope lists, waits for the broker's acknowledgements,
and only then records the event id as delivered. A redelivered event (same id, same content) is
recognised and not delivered again; one with the same id and other content is quarantined.
Records are handed over through a ``Frontier`` (``runtime/frontier.py``, kept in the
``delivered`` table), so records faust skipped around a rebalance are read again and delivered.

An ``EnvelopeUnreadable`` goes to the producer of the event it answers as well as to its
readers: that event is found by its ``causation_id`` in the child's history (the ``histories``
table; the log is keyed by ``child_ref``, so the router has seen it, in the same partition). One
whose cause the router never accepted is quarantined (``not_authorised``, ``cause_unknown``).
"""

from __future__ import annotations

from typing import Any

import faust

from backbone.broker.admin import partition_count
from backbone.broker.quarantine import KafkaQuarantine
from backbone.broker.topics import EVENT_LOG, inbox_topic
from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import Quarantine
from backbone.consumer.reader import EnvelopeReader, Outcome
from backbone.envelope.authorisation import ByLifecycle
from backbone.logs import get_logger
from backbone.runtime.context import ServiceContext
from backbone.runtime.faust_app import consumer_lag, make_app
from backbone.runtime.frontier import Frontier
from backbone.runtime.metrics import ServiceMetrics
from backbone.runtime.tables import DeferredSeen, digest_view, history_view

DIRECTORY_REFRESH_SECONDS = 5.0
METRICS_SECONDS = 5.0


def build(
    context: ServiceContext, quarantine: Quarantine | None = None, **options: Any
) -> faust.App:
    app = make_app("router", context.kafka, **options)
    log = get_logger().bind(service="router")
    source = app.topic(EVENT_LOG, key_serializer="raw", value_serializer="raw")
    partitions = partition_count(context.kafka, EVENT_LOG)
    delivered = app.Table("delivered", default=None, partitions=partitions)
    histories = app.Table("histories", default=None, partitions=partitions)
    seen = DeferredSeen(digest_view(delivered))
    lifecycle = ByLifecycle(history_view(histories))
    metrics = ServiceMetrics("router")
    reader = EnvelopeReader(
        context.codec,
        quarantine or KafkaQuarantine(context.kafka),
        name="router",
        authoriser=lifecycle,
        seen=seen,
        metrics=metrics,
    )
    inboxes: dict[str, faust.types.TopicT] = {}

    def inbox(agency: str) -> faust.types.TopicT:
        if agency not in inboxes:
            inboxes[agency] = app.topic(
                inbox_topic(agency), key_serializer="raw", value_serializer="raw"
            )
        return inboxes[agency]

    async def route(record: Inbound) -> None:
        delivery = reader.read(record)
        if delivery.outcome is not Outcome.ACCEPTED or delivery.envelope is None:
            return  # counted, and if refused quarantined and logged, by the reader
        envelope = delivery.envelope
        targets = set(envelope.readers)
        if envelope.event.event_type == "EnvelopeUnreadable":
            cause = lifecycle.cause(envelope.event)  # the reader checked that there is one
            if cause is not None:
                targets.add(cause.producer)
                if cause.producer not in envelope.readers:  # its service will refuse the body
                    log.warning(
                        "unreadable_not_sealed_to_producer",
                        event_id=envelope.event.event_id,
                        producer=cause.producer,
                    )
        pending = [
            await inbox(agency).send(key=record.key, value=record.value)
            for agency in sorted(targets)
        ]
        for future in pending:
            await future
        seen.commit(envelope.event.event_id)
        reader.accepted(record)
        log.info(
            "envelope_delivered",
            event_id=envelope.event.event_id,
            referral_id=envelope.event.referral_id,
            producer=envelope.event.producer,
            readers=sorted(targets),
        )

    Frontier(app, context.kafka, EVENT_LOG, delivered, partitions, route, "router").consume(source)

    @app.timer(METRICS_SECONDS)
    async def measure_lag() -> None:
        metrics.lag({t: n for t, n in (await consumer_lag(app)).items() if t == EVENT_LOG})

    @app.timer(DIRECTORY_REFRESH_SECONDS)
    async def refresh_directory() -> None:
        await context.refresh_directory_async()

    return app
