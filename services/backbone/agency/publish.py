"""Publishing an agency's events and reading its inbox, outside the long-running service.

``publish`` signs and encrypts plain events as the agency and writes them to the event log,
waiting for the broker's acknowledgement; ``read_inbox`` verifies and opens what the router
delivered to the agency. Both run as the agency's own principal with its own keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from kafka import KafkaProducer
from kafka.errors import KafkaError
from kafka.producer.future import FutureRecordMetadata

from backbone.broker.reader import read_to_end
from backbone.broker.topics import EVENT_LOG, inbox_topic
from backbone.consumer.gate import decode_record
from backbone.consumer.inbound import Inbound
from backbone.domain.events import Event
from backbone.envelope.codec import VerifiedEnvelope
from backbone.envelope.errors import EncodingRefused, EnvelopeRejected
from backbone.runtime.context import ServiceContext

# How long the brokers have to acknowledge a batch: past it, what was not acknowledged is
# reported as not published (the producer gives up on it too, so nothing arrives later unknown).
ACK_TIMEOUT_SECONDS = 30.0


class PublishRefused(ValueError):
    """An event the agency may not publish as given; nothing was sent."""


class PublishFailed(RuntimeError):
    """The brokers did not acknowledge every event in time (too few brokers in sync, none
    reachable): ``acknowledged`` are published, ``unacknowledged`` must be published again (the
    audit and the agency services drop a second copy of an event id they already have)."""

    def __init__(self, acknowledged: list[str], unacknowledged: list[str], reason: str) -> None:
        total = len(acknowledged) + len(unacknowledged)
        super().__init__(
            f"the brokers acknowledged {len(acknowledged)} of {total} events ({reason})"
        )
        self.acknowledged, self.unacknowledged, self.reason = acknowledged, unacknowledged, reason


def read_inbox(context: ServiceContext) -> Iterator[VerifiedEnvelope | EnvelopeRejected]:
    """Every record of the agency's inbox from the start, opened, or the reason it is refused
    (as the agency's service would refuse it, a record key other than ``child_ref`` included)."""
    topic = inbox_topic(context.principal)
    for record in read_to_end(context.kafka, topic):
        try:
            yield decode_record(
                context.codec, Inbound(value=record.value, key=record.key), require_body=True
            )
        except EnvelopeRejected as refused:
            yield refused


def referral_parties(context: ServiceContext) -> dict[str, set[str]]:
    """referral_id → the agencies of that referral the agency knows of (issuer and recipients)."""
    parties: dict[str, set[str]] = {}
    for item in read_inbox(context):
        if isinstance(item, VerifiedEnvelope) and item.event.event_type == "ReferralIssued":
            event = item.event
            assert event.referral_id is not None
            parties[event.referral_id] = {event.producer, *event.recipients}
    return parties


def publish(
    context: ServiceContext,
    events: Iterable[Event],
    readers: Iterable[str] = (),
    parties: Mapping[str, set[str]] | None = None,
) -> list[str]:
    """Sign, encrypt and publish ``events``; return their ids once the broker has them all.

    Readers of each envelope: the producer, the recipients of a ``ReferralIssued``, the parties
    of the referral for its lifecycle events (``parties``, else those the agency's inbox shows)
    and ``readers``.
    """
    events = list(events)
    for event in events:
        if event.producer != context.principal:
            raise PublishRefused(
                f"event {event.event_id}: producer {event.producer} is not {context.principal}"
            )
    if parties is None:  # a ReferralIssued names its readers: only later events need the inbox
        later = any(e.referral_id and e.event_type != "ReferralIssued" for e in events)
        parties = referral_parties(context) if later else {}
    envelopes = []  # all or nothing: every event is enveloped before the first is sent
    for event in events:
        extra = {*readers, *parties.get(event.referral_id or "", set())}
        try:
            envelopes.append((event.child_ref.encode(), context.codec.encode(event, sorted(extra))))
        except (EncodingRefused, EnvelopeRejected) as refused:
            raise PublishRefused(f"event {event.event_id}: {refused}") from None
    timeout_ms = int(ACK_TIMEOUT_SECONDS * 1000)
    producer = KafkaProducer(
        **context.kafka.kafka_python(),
        acks="all",
        enable_idempotence=True,
        delivery_timeout_ms=timeout_ms,
        request_timeout_ms=min(timeout_ms, 10_000),
        max_block_ms=timeout_ms,
    )
    futures: list[FutureRecordMetadata] = []
    stopped = ""
    try:
        for key, data in envelopes:
            futures.append(producer.send(EVENT_LOG, key=key, value=data))
        producer.flush(timeout=ACK_TIMEOUT_SECONDS + 5)
    except KafkaError as failed:  # no metadata in time, or no answer in time: see each future
        stopped = type(failed).__name__
    finally:
        producer.close(timeout=5)
    acknowledged, unacknowledged, reasons = [], [], set()
    for n, event in enumerate(events):
        future = futures[n] if n < len(futures) else None
        if future is not None and future.succeeded():
            acknowledged.append(event.event_id)
            continue
        unacknowledged.append(event.event_id)
        if future is not None and future.failed():
            reasons.add(type(future.exception).__name__)
        else:
            reasons.add(stopped or "no answer")
    if unacknowledged:
        raise PublishFailed(acknowledged, unacknowledged, ", ".join(sorted(reasons)))
    return acknowledged
