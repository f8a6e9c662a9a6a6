"""Properties: every valid event round-trips; every single changed byte is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import MemoryQuarantine
from backbone.consumer.reader import EnvelopeReader, Outcome
from backbone.domain.agencies import REGIONS, agency_type
from backbone.domain.catalogue import CATALOGUE, may_emit
from backbone.domain.events import Event, parse_event
from backbone.envelope.errors import EnvelopeRejected
from support.envelopes import (
    AGENCIES,
    SECRETS_IN_PAYLOAD,
    TEST_CHILD,
    make_event,
    make_world,
    payloads,
)

WORLD = make_world()  # key generation is not what is under test; share one world
PRODUCERS = sorted(AGENCIES)
# Contract v1.1: minted refs, and every attribute a code (a rule id for the audit's events).
CHILD_REF = st.from_regex(r"\Ac-[0-9a-f]{12,32}\Z")
REFERRAL_ID = st.from_regex(r"\Ar-[0-9a-f]{12,32}\Z")
RULE_ID = st.from_regex(r"\A[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\Z")


@st.composite
def events(draw: st.DrawFn) -> Event:
    event_type = draw(st.sampled_from(sorted(CATALOGUE)))
    emitters = [a for a in PRODUCERS if may_emit(agency_type(a), event_type)]
    producer = draw(st.sampled_from(emitters))
    others = [a for a in PRODUCERS if a != producer]
    recipients = (
        draw(st.lists(st.sampled_from(others), min_size=1, max_size=3, unique=True))
        if event_type == "ReferralIssued"
        else []
    )
    attributes = {
        key: draw(st.sampled_from(sorted(allowed)) if isinstance(allowed, frozenset) else RULE_ID)
        for key, allowed in CATALOGUE[event_type].attributes.items()
    }
    offset = timezone(timedelta(minutes=draw(st.integers(-12 * 60, 14 * 60))))
    instant = draw(st.datetimes(datetime(2026, 1, 2), datetime(2030, 1, 1)))
    occurred = instant.replace(tzinfo=UTC).astimezone(offset)
    optional_id = st.none() | st.uuids().map(str)
    plain: dict[str, Any] = {
        "event_id": str(draw(st.uuids())),
        "event_type": event_type,
        "occurred_at": occurred.isoformat(),
        "producer": producer,
        "child_ref": draw(CHILD_REF),
        "recipients": recipients,
        "region": draw(st.sampled_from(sorted(REGIONS))),
        "attributes": attributes,
        "referral_id": draw(REFERRAL_ID) if event_type.startswith("Referral") else None,
        "causation_id": draw(
            st.uuids().map(str) if event_type == "EnvelopeUnreadable" else optional_id
        ),
        "correlation_id": draw(optional_id),
        "payload": draw(payloads(event_type)),
    }
    return parse_event(plain)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=events(), extra=st.lists(st.sampled_from(PRODUCERS), max_size=2))
def test_any_valid_event_round_trips_for_every_reader(event: Event, extra: list[str]) -> None:
    data = WORLD.codec(event.producer).encode(event, extra)
    readers = sorted({event.producer, *event.recipients, *extra})

    for agency in readers:
        opened = WORLD.codec(agency).decode(data)
        assert opened.event == event
        assert opened.readers == tuple(readers)
    outsider = next((a for a in PRODUCERS if a not in readers), None)
    if outsider is not None:
        assert WORLD.codec(outsider).decode(data).event == event.without_payload()
    assert WORLD.codec().decode(data).event == event.without_payload()


ONE_ENVELOPE = WORLD.codec("police.turkestan").encode(
    make_event(), ["ngo.shymkent.sana-sezim", "guardianship.turkestan"]
)


@settings(max_examples=400, deadline=None)
@given(
    position=st.integers(0, len(ONE_ENVELOPE) - 1),
    mask=st.integers(1, 255),
    reader=st.sampled_from([None, "ngo.shymkent.sana-sezim", "social.turkestan"]),
)
def test_any_single_changed_byte_is_rejected(position: int, mask: int, reader: str | None) -> None:
    changed = bytearray(ONE_ENVELOPE)
    changed[position] ^= mask
    quarantine = MemoryQuarantine()
    gate = EnvelopeReader(WORLD.codec(reader), quarantine, name="property")

    delivery = gate.read(Inbound(bytes(changed), key=TEST_CHILD.encode()))  # the right key

    assert delivery.outcome is Outcome.QUARANTINED
    [rejection] = quarantine.rejections
    assert rejection.value == bytes(changed)
    assert not any(secret in rejection.detail for secret in SECRETS_IN_PAYLOAD)


def test_every_byte_position_is_covered_by_the_signature() -> None:
    """Exhaustively, one flipped bit at each position (the property samples masks too)."""
    codec = WORLD.codec("ngo.shymkent.sana-sezim")
    for position in range(len(ONE_ENVELOPE)):
        changed = bytearray(ONE_ENVELOPE)
        changed[position] ^= 0x01
        try:
            codec.decode(bytes(changed))
        except EnvelopeRejected:
            continue
        raise AssertionError(f"a flipped bit at byte {position} was accepted")


def test_encoding_twice_gives_different_bytes_with_the_same_content_digest() -> None:
    event = make_event(event_id=str(uuid.uuid4()))
    producer = WORLD.codec("police.turkestan")
    first, second = producer.encode(event), producer.encode(event)
    assert first != second  # fresh content key, nonce and ephemeral sealing keys
    reader = WORLD.codec("police.turkestan")
    assert reader.decode(first).digest == reader.decode(second).digest


@settings(max_examples=300, deadline=None)
@given(tail=st.binary(max_size=1500), keep=st.integers(0, 34))
def test_arbitrary_bytes_after_a_plausible_prefix_are_rejected_not_crashing(
    tail: bytes, keep: int
) -> None:
    """Garbage that starts like an envelope (marker, fingerprint, a real key id) is refused."""
    data = ONE_ENVELOPE[:keep] + tail
    try:
        WORLD.codec("ngo.shymkent.sana-sezim").decode(data)
    except EnvelopeRejected:
        return
    raise AssertionError("arbitrary bytes were accepted")
