"""Each rejection reason, shown with a real tampered or forged record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import nacl.bindings as sodium
import pytest

from backbone.consumer.gate import decode_record
from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import MemoryQuarantine, Rejection
from backbone.consumer.reader import Delivery, EnvelopeReader, Outcome
from backbone.domain.events import Event
from backbone.envelope.authorisation import ByLifecycle
from backbone.envelope.errors import (
    REJECTION_REASONS,
    CiphertextDamaged,
    EnvelopeRejected,
    HeaderInvalid,
    KeyNotValidAtEventTime,
    KeyRevoked,
    MalformedEnvelope,
    NotAReader,
    PayloadMalformed,
    ReaderKeyMissing,
    RecordKeyMismatch,
    SchemaMismatch,
    SchemaUnknown,
    SignatureInvalid,
    SignerMismatch,
    UnknownKey,
)
from backbone.envelope.keys import KeyPair, Keyring
from backbone.envelope.schemas import default_registry
from support.envelopes import (
    SECRETS_IN_PAYLOAD,
    TEST_CHILD,
    World,
    forge,
    make_event,
    parse_envelope,
    plain_event,
    reader_keys,
    sign_record,
)

POLICE, NGO, SCHOOL = "police.turkestan", "ngo.shymkent.sana-sezim", "school.turkestan.school-12"
CHILD = TEST_CHILD.encode()  # the record key of make_event's events: their child_ref


def _quarantined(world: World, data: bytes, agency: str = NGO) -> Rejection:
    """Feed ``data`` to an agency's reader; it must quarantine it, unchanged, and carry on."""
    quarantine = MemoryQuarantine()
    reader = EnvelopeReader(world.codec(agency), quarantine, name=agency)
    delivery = reader.read(
        Inbound(data, key=TEST_CHILD.encode(), topic="referral.events.v1", partition=0, offset=7)
    )
    assert delivery.outcome is Outcome.QUARANTINED
    [rejection] = quarantine.rejections
    assert (rejection.key, rejection.value, rejection.source_offset) == (
        TEST_CHILD.encode(),
        data,
        7,
    )
    assert not any(secret in rejection.detail for secret in SECRETS_IN_PAYLOAD)
    follow_up = world.codec("social.turkestan").encode(
        make_event(producer="social.turkestan"), [NGO]
    )
    assert reader.read(Inbound(follow_up, key=CHILD)).outcome is Outcome.ACCEPTED
    return rejection


def _codec_error(world: World, data: bytes, agency: str = NGO) -> EnvelopeRejected:
    with pytest.raises(EnvelopeRejected) as raised:
        world.codec(agency).decode(data)
    return raised.value


def _genuine(world: World) -> bytes:
    return world.codec(POLICE).encode(make_event(), [NGO])


def test_random_bytes_are_quarantined_as_malformed(world: World) -> None:
    for data in (b"", b"not an envelope", bytes(300), b"\xc3"):
        assert _quarantined(world, data).reason == MalformedEnvelope.reason


def test_truncated_envelope_is_rejected(world: World) -> None:
    assert _quarantined(world, _genuine(world)[:-1]).reason == SignatureInvalid.reason


def test_unknown_envelope_schema_is_schema_unknown(world: World) -> None:
    data = bytearray(_genuine(world))
    data[2] ^= 0xFF
    assert _quarantined(world, bytes(data)).reason == SchemaUnknown.reason


def test_unknown_payload_schema_signed_by_a_real_key_is_schema_unknown(world: World) -> None:
    record = parse_envelope(_genuine(world))
    record["payload_schema"] = bytes(8)
    data = sign_record(record, world.pairs[POLICE].signing_secret_key)
    assert _quarantined(world, data).reason == "schema_unknown"
    assert isinstance(_codec_error(world, data), SchemaUnknown)


def test_payload_schema_of_another_event_type_is_schema_mismatch(world: World) -> None:
    record = parse_envelope(_genuine(world))
    record["payload_schema"] = default_registry().payload("CaseClosed").fingerprint
    data = sign_record(record, world.pairs[POLICE].signing_secret_key)
    assert _quarantined(world, data).reason == SchemaMismatch.reason


def test_tampered_body_is_quarantined_with_signature_invalid(world: World) -> None:
    data = bytearray(_genuine(world))
    data[-100] ^= 0x01  # inside the ciphertext
    assert _quarantined(world, bytes(data)).reason == SignatureInvalid.reason


def test_signer_outside_the_directory_is_unknown_key(world: World) -> None:
    stranger = KeyPair.generate(POLICE)
    data = forge(plain_event(), stranger, reader_keys(world, [POLICE, NGO]))
    assert _quarantined(world, data).reason == UnknownKey.reason


def test_revoked_key_stops_new_events(world: World) -> None:
    stale = world.copy_directory()  # the producer has not heard of the revocation
    world.revoke(world.pairs[POLICE], datetime(2026, 6, 1, tzinfo=UTC))
    producer = world.codec(POLICE, directory=stale)
    after = producer.encode(make_event(occurred_at="2026-12-11T16:00:00+05:00"), [NGO])
    before = producer.encode(make_event(occurred_at="2026-05-01T09:00:00+05:00"), [NGO])

    assert _quarantined(world, after).reason == KeyRevoked.reason
    assert world.codec(NGO).decode(before).opened
    with pytest.raises(KeyRevoked):  # backdated, but the broker appended it after revocation
        world.codec(NGO).decode(before, received_at=datetime(2026, 6, 2, tzinfo=UTC))


def test_key_used_outside_its_validity_is_refused(world: World) -> None:
    record = parse_envelope(_genuine(world))
    record["header"]["occurred_at"] = "2025-12-01T10:00:00+05:00"  # before the key's not_before
    data = sign_record(record, world.pairs[POLICE].signing_secret_key)
    assert _quarantined(world, data).reason == KeyNotValidAtEventTime.reason


def test_agency_signing_as_another_producer_is_signer_mismatch(world: World) -> None:
    plain = plain_event(producer=POLICE)
    data = forge(plain, world.pairs[SCHOOL], reader_keys(world, [POLICE, NGO]))
    assert _quarantined(world, data).reason == "signer_mismatch"
    error = _codec_error(world, data)
    assert isinstance(error, SignerMismatch)
    assert SCHOOL in error.detail


def test_damaged_ciphertext_under_a_valid_signature_is_ciphertext_damaged(world: World) -> None:
    record = parse_envelope(_genuine(world))
    ciphertext = bytearray(record["ciphertext"])
    ciphertext[5] ^= 0x01
    record["ciphertext"] = bytes(ciphertext)
    data = sign_record(record, world.pairs[POLICE].signing_secret_key)
    assert _quarantined(world, data).reason == CiphertextDamaged.reason


def test_body_moved_under_another_header_does_not_open(world: World) -> None:
    """The header is the AEAD's associated data: a re-signed header change breaks the body."""
    record = parse_envelope(_genuine(world))
    record["header"]["child_ref"] = "c-7e57c0009999"  # valid, but not what was sealed
    data = sign_record(record, world.pairs[POLICE].signing_secret_key)
    assert _quarantined(world, data).reason == CiphertextDamaged.reason


def test_sealed_key_for_another_agency_does_not_open(world: World) -> None:
    record = parse_envelope(_genuine(world))
    ngo_entry = next(r for r in record["readers"] if r["agency"] == NGO)
    ngo_entry["sealed_key"] = sodium.crypto_box_seal(
        bytes(32), world.pairs[NGO].encryption_public_key
    )
    data = sign_record(record, world.pairs[POLICE].signing_secret_key)
    assert _quarantined(world, data).reason == CiphertextDamaged.reason


def test_body_that_is_not_its_schema_is_payload_malformed(world: World) -> None:
    schema = default_registry().payload("ChildIdentified")
    data = forge(
        plain_event(),
        world.pairs[POLICE],
        reader_keys(world, [POLICE, NGO]),
        plaintext=schema.soe_prefix + b"\xff\xff\xff\xff",
    )
    assert _quarantined(world, data).reason == PayloadMalformed.reason


def test_signed_header_breaking_the_contract_is_header_invalid(world: World) -> None:
    plain = plain_event(
        attributes={
            "setting": "raid",
            "accompanied": "false",
            "age_band": "14-17",
            "Test-Name-Alpha": "x",
        }
    )
    data = forge(plain, world.pairs[POLICE], reader_keys(world, [POLICE, NGO]))
    assert _quarantined(world, data).reason == HeaderInvalid.reason
    assert "Test-Name-Alpha" not in str(_codec_error(world, data))


def test_identity_number_as_child_ref_is_header_invalid(world: World) -> None:
    data = forge(
        plain_event(child_ref="000000000017"),
        world.pairs[POLICE],
        reader_keys(world, [POLICE, NGO]),
    )
    assert _quarantined(world, data).reason == HeaderInvalid.reason
    assert "000000000017" not in str(_codec_error(world, data))


def test_readers_missing_the_producer_are_malformed(world: World) -> None:
    data = forge(plain_event(), world.pairs[POLICE], reader_keys(world, [NGO]))
    assert _quarantined(world, data).reason == MalformedEnvelope.reason


def test_inbox_envelope_not_addressed_to_the_agency_is_not_a_reader(world: World) -> None:
    data = _genuine(world)
    with pytest.raises(NotAReader):
        world.codec("guardianship.turkestan").decode(data, require_body=True)
    assert not world.codec("guardianship.turkestan").decode(data).opened


def test_body_sealed_to_a_key_the_reader_no_longer_holds(world: World) -> None:
    data = _genuine(world)
    successor = KeyPair.generate(NGO, datetime.now(UTC) + timedelta(seconds=1))
    codec = world.codec(NGO)
    codec_without_old_key = type(codec)(world.directory, Keyring([successor]))
    with pytest.raises(ReaderKeyMissing):
        codec_without_old_key.decode(data)


def test_school_claiming_a_victim_status_assessment_is_not_authorised(world: World) -> None:
    plain = plain_event("VictimStatusAssessed", SCHOOL)
    data = forge(plain, world.pairs[SCHOOL], reader_keys(world, [SCHOOL, NGO]))
    rejection = _quarantined(world, data)
    assert rejection.reason == "not_authorised"
    assert "type school may not emit VictimStatusAssessed" in rejection.detail


def test_acceptance_by_an_agency_that_is_not_a_recipient_is_not_authorised(world: World) -> None:
    quarantine = MemoryQuarantine()
    router = EnvelopeReader(world.codec(), quarantine, name="router", authoriser=ByLifecycle())
    issued = world.codec(POLICE).encode(make_event("ReferralIssued", POLICE, recipients=[NGO]))
    stray = world.codec("guardianship.turkestan").encode(
        make_event("ReferralAccepted", "guardianship.turkestan")
    )

    assert router.read(Inbound(issued, key=CHILD)).outcome is Outcome.ACCEPTED
    assert router.read(Inbound(stray, key=CHILD)).outcome is Outcome.QUARANTINED
    [rejection] = quarantine.rejections
    assert rejection.reason == "not_authorised"
    assert rejection.detail.startswith("not_a_recipient:")


def test_same_event_id_with_other_content_is_a_duplicate(world: World) -> None:
    quarantine = MemoryQuarantine()
    reader = EnvelopeReader(world.codec(NGO), quarantine, name=NGO)
    first = make_event()
    changed = make_event(
        event_id=first.event_id,
        attributes={"setting": "school", "accompanied": "false", "age_band": "14-17"},
    )
    producer = world.codec(POLICE)

    def read(event: Event) -> Delivery:
        return reader.read(Inbound(producer.encode(event, [NGO]), key=CHILD))

    assert read(first).outcome is Outcome.ACCEPTED
    again = read(first)
    assert again.outcome is Outcome.REPEATED
    other = read(changed)
    assert other.outcome is Outcome.QUARANTINED
    assert other.rejection is not None and other.rejection.reason == "duplicate_event"
    assert other.rejection.event_id == first.event_id


_FREE_TEXT = {"setting": "a raid at a farm", "accompanied": "false", "age_band": "7-13"}


@pytest.mark.parametrize(
    ("changes", "detail", "refused"),
    [
        (
            {"child_ref": "c-1"},
            "child_ref: is not a minted token (c- and 12-32 lower-case hex digits)",
            "c-1",
        ),
        ({"region": "national"}, "region: unknown region", "national"),
        (
            {"attributes": _FREE_TEXT},
            "attributes.setting: is not one of (hotline, ngo, other, phc, police, raid, school)",
            "a raid at a farm",
        ),
        (
            {"occurred_at": "2026-12-11t16:00:00+05:00"},
            "occurred_at: is not YYYY-MM-DDTHH:MM:SS[.ffffff] with Z or +HH:MM/-HH:MM",
            "2026-12-11t16",
        ),
        (
            {"event_id": "0B7D6A8E-3F1C-4C55-9A51-2F7A1E9C0001"},
            "event_id: is not a canonical lower-case UUID",
            "0B7D6A8E",
        ),
    ],
    ids=["unminted-child-ref", "national-region", "free-text", "lower-case-t", "upper-case-uuid"],
)
def test_signed_header_breaking_the_v1_1_grammar_is_header_invalid_without_the_value(
    world: World, changes: dict[str, Any], detail: str, refused: str
) -> None:
    """The envelope refuses what the plain form refuses, naming the rule but not the value."""
    data = forge(plain_event(**changes), world.pairs[POLICE], reader_keys(world, [POLICE, NGO]))
    error = _codec_error(world, data)
    assert isinstance(error, HeaderInvalid)
    assert detail in str(error) and refused not in str(error)


# The record key (contracts/topics.md): exactly the UTF-8 child_ref of the verified header.

OTHER_CHILD = b"c-7e57c0000002"
NOT_THE_CHILD = (None, b"", OTHER_CHILD, CHILD.upper(), CHILD + b"\x00", b" " + CHILD)
KEY_DETAILS = {
    "record key is not the header's child_ref",
    "record has no key; it must be the header's child_ref",
}


@pytest.mark.parametrize("agency", [None, NGO], ids=["router", "inbox"])
@pytest.mark.parametrize("key", NOT_THE_CHILD)
def test_valid_envelope_under_a_key_other_than_its_child_ref_is_key_mismatch(
    world: World, agency: str | None, key: bytes | None
) -> None:
    event = make_event()
    data = world.codec(POLICE).encode(event, [NGO])
    quarantine = MemoryQuarantine()
    reader = EnvelopeReader(
        world.codec(agency), quarantine, name=agency or "router", require_body=agency is not None
    )

    delivery = reader.read(Inbound(data, key=key, topic="referral.events.v1", partition=2))

    assert delivery.outcome is Outcome.QUARANTINED and delivery.envelope is None
    [rejection] = quarantine.rejections
    assert (rejection.reason, rejection.key, rejection.value) == ("key_mismatch", key, data)
    assert rejection.event_id == event.event_id  # the envelope itself verified
    assert rejection.detail in KEY_DETAILS  # never the key, nor the header's child_ref
    assert reader.read(Inbound(data, key=CHILD)).outcome is Outcome.ACCEPTED


def test_a_copy_under_another_key_is_refused_before_and_after_the_keyed_one(world: World) -> None:
    """Another key would put the copy in another partition, where a partitioned router's duplicate
    check never sees the original: the copy is refused, never taken for a repeat or delivered."""
    quarantine = MemoryQuarantine()
    router = EnvelopeReader(world.codec(), quarantine, name="router", authoriser=ByLifecycle())
    data = world.codec(POLICE).encode(make_event("ReferralIssued", POLICE), [NGO])

    outcomes = [
        router.read(Inbound(data, key=key)).outcome
        for key in (OTHER_CHILD, CHILD, OTHER_CHILD, None, CHILD)
    ]

    assert outcomes == [
        Outcome.QUARANTINED,
        Outcome.ACCEPTED,
        Outcome.QUARANTINED,
        Outcome.QUARANTINED,
        Outcome.REPEATED,
    ]
    assert [r.reason for r in quarantine.rejections] == ["key_mismatch"] * 3


def test_the_record_key_is_judged_only_after_the_envelope(world: World) -> None:
    """A damaged or forged envelope is refused for what is wrong with it, whatever its key: the
    key cannot make a bad envelope pass for a valid one filed under the wrong child."""
    tampered = bytearray(_genuine(world))
    tampered[-80] ^= 0x01
    unknown = forge(plain_event(), KeyPair.generate(POLICE), reader_keys(world, [POLICE, NGO]))
    bad_header = forge(
        plain_event(child_ref="000000000017"), world.pairs[POLICE], reader_keys(world, [POLICE])
    )
    for data, reason in [
        (bytes(tampered), "signature_invalid"),
        (unknown, "unknown_key"),
        (bad_header, "header_invalid"),
        (b"\x00not an envelope", "malformed_envelope"),
    ]:
        for key in (OTHER_CHILD, None):
            quarantine = MemoryQuarantine()
            EnvelopeReader(world.codec(), quarantine, name="router").read(Inbound(data, key=key))
            assert [r.reason for r in quarantine.rejections] == [reason]


def test_decode_record_is_the_one_check_every_consumer_shares(world: World) -> None:
    event = make_event()
    data = world.codec(POLICE).encode(event, [NGO])
    opened = decode_record(world.codec(NGO), Inbound(data, key=CHILD), require_body=True)
    assert opened.event == event
    with pytest.raises(RecordKeyMismatch) as raised:
        decode_record(world.codec(NGO), Inbound(data, key=OTHER_CHILD), require_body=True)
    assert raised.value.reason == "key_mismatch" and raised.value.event_id == event.event_id
    assert "key_mismatch" in REJECTION_REASONS


@pytest.mark.parametrize(
    "occurred_at", ["2026-12-11T16+05:00", "2026-12-11 16:00:00+05:00", "2026-12-11T16:00:00+05"]
)
def test_an_occurred_at_off_the_grammar_is_refused_at_check_6_before_the_signer(
    world: World, occurred_at: str
) -> None:
    """Check 6 reads the claimed time by the exact grammar of contracts/events.md, so a record
    that also signs as another producer (check 7) is refused for its header, as an
    implementation in any language refuses it (Python's fromisoformat would have read it)."""
    plain = plain_event(occurred_at=occurred_at)
    data = forge(plain, world.pairs[SCHOOL], reader_keys(world, [POLICE, NGO]))
    assert _quarantined(world, data).reason == "header_invalid"
