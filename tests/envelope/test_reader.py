"""The consumer gate: idempotent, authorising, and silent about payloads."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import MemoryQuarantine, Rejection
from backbone.consumer.reader import EnvelopeReader, Outcome, SeenEvents
from backbone.envelope.authorisation import ByLifecycle
from support.envelopes import SECRETS_IN_PAYLOAD, TEST_CHILD, World, make_event

POLICE, NGO = "police.turkestan", "ngo.shymkent.sana-sezim"
CHILD = TEST_CHILD.encode()  # the record key of make_event's events: their child_ref


def test_redelivered_envelope_is_recognised_not_applied_twice(world: World) -> None:
    reader = EnvelopeReader(world.codec(NGO), MemoryQuarantine(), name=NGO)
    data = world.codec(POLICE).encode(make_event(), [NGO])
    assert reader.read(Inbound(data, key=CHILD)).outcome is Outcome.ACCEPTED
    assert reader.read(Inbound(data, key=CHILD)).outcome is Outcome.REPEATED


def test_referral_lifecycle_is_judged_for_every_event(world: World) -> None:
    quarantine = MemoryQuarantine()
    router = EnvelopeReader(world.codec(), quarantine, name="router", authoriser=ByLifecycle())
    police, ngo = world.codec(POLICE), world.codec(NGO)
    steps = [
        (
            police,
            make_event(
                "ReferralIssued", POLICE, recipients=[NGO], occurred_at="2026-12-11T10:00:00+05:00"
            ),
        ),
        (ngo, make_event("ReferralReceived", NGO, occurred_at="2026-12-11T10:05:00+05:00")),
        (ngo, make_event("ReferralAccepted", NGO, occurred_at="2026-12-11T11:00:00+05:00")),
        (ngo, make_event("ReferralWithdrawn", NGO, occurred_at="2026-12-11T12:00:00+05:00")),
        (police, make_event("ReferralWithdrawn", POLICE, occurred_at="2026-12-11T12:00:00+05:00")),
        (ngo, make_event("ReferralCompleted", NGO, occurred_at="2026-12-11T13:00:00+05:00")),
    ]

    outcomes = [
        router.read(Inbound(codec.encode(event), key=CHILD)).outcome for codec, event in steps
    ]

    assert outcomes == [Outcome.ACCEPTED] * 3 + [
        Outcome.QUARANTINED,
        Outcome.ACCEPTED,
        Outcome.QUARANTINED,
    ]
    assert [r.detail.split(":")[0] for r in quarantine.rejections] == [
        "not_issuer",
        "after_withdrawal",
    ]


def test_an_agency_inbox_refuses_envelopes_not_addressed_to_it(world: World) -> None:
    quarantine = MemoryQuarantine()
    inbox = EnvelopeReader(
        world.codec("guardianship.turkestan"),
        quarantine,
        name="guardianship.turkestan",
        require_body=True,
    )
    data = world.codec(POLICE).encode(make_event(), [NGO])
    assert inbox.read(Inbound(data, key=CHILD)).outcome is Outcome.QUARANTINED
    assert quarantine.rejections[0].reason == "not_a_reader"


def test_quarantine_log_names_the_reason_but_no_payload(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    reader = EnvelopeReader(world.codec(NGO), MemoryQuarantine(), name=NGO)
    data = bytearray(world.codec(POLICE).encode(make_event(), [NGO]))
    data[-90] ^= 0x04
    reader.read(Inbound(bytes(data), key=CHILD, topic="referral.events.v1", partition=0, offset=3))
    output = capsys.readouterr()
    logged = output.out + output.err
    assert "envelope_quarantined" in logged and "signature_invalid" in logged
    assert not any(secret in logged for secret in SECRETS_IN_PAYLOAD)


def test_only_a_log_append_time_counts_as_received_at() -> None:
    def record(timestamp_type: int) -> SimpleNamespace:
        return SimpleNamespace(
            value=b"x",
            key=None,
            topic="t",
            partition=0,
            offset=1,
            timestamp=1_790_000_000_000,
            timestamp_type=timestamp_type,
        )

    assert Inbound.from_record(record(0)).received_at is None  # CreateTime: producer's claim
    faust_message = SimpleNamespace(
        value=b"x",
        key=None,
        topic="t",
        partition=0,
        offset=1,
        timestamp=1_790_000_000.0,
        timestamp_type=1,
    )
    assert Inbound.from_record(faust_message).received_at == datetime.fromtimestamp(
        1_790_000_000, UTC
    )
    assert Inbound.from_record(record(1)).received_at == datetime.fromtimestamp(1_790_000_000, UTC)


def test_rejection_survives_the_kafka_headers(world: World) -> None:
    rejection = Rejection(
        "signature_invalid",
        "signature by key 00 does not verify",
        b"\x01",
        key=TEST_CHILD.encode(),
        source_topic="referral.events.v1",
        source_partition=2,
        source_offset=40,
        event_id=None,
        rejected_by="router",
    )
    again = Rejection.from_kafka(rejection.key, rejection.value, rejection.headers())
    assert again == rejection


def test_seen_events_forget_the_oldest_beyond_capacity() -> None:
    seen = SeenEvents(capacity=2)
    for n in range(3):
        seen[f"e{n}"] = bytes([n])
    assert list(seen) == ["e1", "e2"]
