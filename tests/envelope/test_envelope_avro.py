"""The envelope's Avro (contracts/envelope.md, 2): every block layout the contract allows decodes;
signed bytes that do not decode, and bodies that do not, are refused with their reasons."""

from __future__ import annotations

from typing import Any

import fastavro
import nacl.bindings as sodium
import pytest

from backbone.envelope.codec import ENVELOPE_DOMAIN, read_clear_header
from backbone.envelope.errors import EnvelopeRejected, MalformedEnvelope, PayloadMalformed
from backbone.envelope.schemas import default_registry, write_body
from support.envelopes import (
    CHILD_PAYLOAD,
    World,
    envelope_schema,
    forge,
    make_event,
    parse_envelope,
    plain_event,
    reader_keys,
)

POLICE, NGO = "police.turkestan", "ngo.shymkent.sana-sezim"
HEADER_AT = 34  # C3 01, envelope fingerprint, signer key id, payload fingerprint


def _signed(world: World, unsigned: bytes) -> bytes:
    """``unsigned`` under the police's valid signature: bytes its key really signed."""
    key = world.pairs[POLICE].signing_secret_key
    return unsigned + sodium.crypto_sign(ENVELOPE_DOMAIN + unsigned, key)[:64]


def _refusal(world: World, data: bytes, agency: str | None = NGO) -> type[EnvelopeRejected]:
    with pytest.raises(EnvelopeRejected) as raised:
        world.codec(agency).decode(data)
    return type(raised.value)


def _zigzag(value: int) -> bytes:
    number, out = (value << 1) ^ (value >> 63), bytearray()
    while number > 0x7F:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def test_an_envelope_whose_readers_come_in_a_counted_block_decodes_as_usual(world: World) -> None:
    event = make_event("ReferralIssued", recipients=["guardianship.turkestan"])
    data = world.codec(event.producer).encode(event)
    record = parse_envelope(data)
    fields = envelope_schema().definition["fields"]
    header = write_body(fastavro.parse_schema(fields[2]["type"]), record["header"])
    reader = fastavro.parse_schema(fields[3]["type"]["items"])
    entries = b"".join(write_body(reader, entry) for entry in record["readers"])
    count, size = -len(record["readers"]), len(entries)  # a negative count, then the byte size
    tail = (
        _zigzag(count)
        + _zigzag(size)
        + entries
        + b"\x00"
        + record["nonce"]
        + _zigzag(len(record["ciphertext"]))
        + record["ciphertext"]
    )
    unsigned = data[:HEADER_AT] + header + tail
    pair = world.pairs[event.producer]
    blocked = (
        unsigned + sodium.crypto_sign(ENVELOPE_DOMAIN + unsigned, pair.signing_secret_key)[:64]
    )

    for agency in (None, event.producer, "guardianship.turkestan"):
        assert blocked != data
        assert world.codec(agency).decode(blocked) == world.codec(agency).decode(data)


def _header_damage(unsigned: bytes, plain: dict[str, Any], change: str) -> bytes:
    # The header's first five fields are strings of fewer than 64 bytes: one length byte each.
    first = ("event_id", "event_type", "occurred_at", "producer", "child_ref")
    referral_branch = HEADER_AT + sum(1 + len(plain[name].encode()) for name in first)
    assert unsigned[HEADER_AT] == 2 * len(plain["event_id"])
    assert unsigned[referral_branch] in (0, 2)
    at = {"cut": None, "utf8": HEADER_AT + 1, "length": HEADER_AT, "branch": referral_branch}[
        change
    ]
    if at is None:
        return unsigned[: HEADER_AT + 20]
    value = {"utf8": 0xFF, "length": 0x01, "branch": 0x04}[change]  # 0x01: length -1
    return unsigned[:at] + bytes([value]) + unsigned[at + 1 :]


@pytest.mark.parametrize(
    "change",
    ["cut", "utf8", "length", "branch", "trailing"],
    ids=[
        "header-cut-short",
        "event-id-not-utf8",
        "negative-string-length",
        "union-branch-past-its-two",
        "byte-after-the-ciphertext",
    ],
)
def test_signed_bytes_that_do_not_decode_as_an_envelope_are_malformed(
    world: World, change: str
) -> None:
    plain = plain_event()
    unsigned = forge(plain, world.pairs[POLICE], reader_keys(world, [POLICE, NGO]))[:-64]
    damaged = (
        unsigned + b"\x00" if change == "trailing" else _header_damage(unsigned, plain, change)
    )

    assert world.codec(NGO).decode(_signed(world, unsigned)).opened
    for agency in (None, POLICE, NGO):
        assert _refusal(world, _signed(world, damaged), agency) is MalformedEnvelope


def _body_damage(change: str) -> bytes:
    registry = default_registry()
    schema = registry.payload("ChildIdentified")
    female = registry.soe_encode(schema, {**CHILD_PAYLOAD, "sex": "female"})
    male = registry.soe_encode(schema, {**CHILD_PAYLOAD, "sex": "male"})
    [sex_index] = [at for at, (a, b) in enumerate(zip(female, male, strict=True)) if a != b]
    family_branch = 11 + len(CHILD_PAYLOAD["given_name"].encode())  # given_name: one length byte
    assert female[10] == 2 * len(CHILD_PAYLOAD["given_name"])
    assert female[family_branch] in (0, 2)
    if change == "cut":
        return female[:-1]
    if change == "trailing":
        return female + b"\x00"
    at, value = {
        "utf8": (11, 0xFF),
        "length": (10, 0x01),  # -1
        "branch": (family_branch, 0x04),
        "enum": (sex_index, 0x04),  # index 2 of two symbols
    }[change]
    return female[:at] + bytes([value]) + female[at + 1 :]


@pytest.mark.parametrize(
    "change",
    ["cut", "trailing", "utf8", "length", "branch", "enum"],
    ids=[
        "body-cut-short",
        "byte-after-the-body",
        "given-name-not-utf8",
        "negative-string-length",
        "union-branch-past-its-two",
        "enum-index-past-its-symbols",
    ],
)
def test_a_body_that_does_not_decode_as_its_schema_is_payload_malformed(
    world: World, change: str
) -> None:
    def sealed(plaintext: bytes) -> bytes:
        return forge(
            plain_event(),
            world.pairs[POLICE],
            reader_keys(world, [POLICE, NGO]),
            plaintext=plaintext,
        )

    female = default_registry().soe_encode(
        default_registry().payload("ChildIdentified"), {**CHILD_PAYLOAD, "sex": "female"}
    )
    assert world.codec(NGO).decode(sealed(female)).event.payload == {
        **CHILD_PAYLOAD,
        "sex": "female",
    }
    damaged = sealed(_body_damage(change))
    assert _refusal(world, damaged, NGO) is PayloadMalformed
    assert not world.codec(None).decode(damaged).opened  # a verifier never sees the body


def test_the_clear_header_kept_of_an_envelope_reads_back_as_its_event(world: World) -> None:
    """What the audit keeps of an envelope (``clear_header``: the envelope's prefix and the
    header's Avro bytes as signed) gives back the event without payload, or a refusal."""
    event = make_event("ReferralIssued", recipients=["guardianship.turkestan"])
    data = world.codec(event.producer).encode(event)
    verified = world.codec(None).decode(data)
    registry = default_registry()
    assert read_clear_header(verified.clear_header, registry) == event.without_payload()
    assert verified.clear_header.startswith(data[:10])
    with pytest.raises(MalformedEnvelope, match="do not decode"):
        read_clear_header(verified.clear_header[:-3], registry)
    with pytest.raises(MalformedEnvelope, match="do not end"):
        read_clear_header(verified.clear_header + b"\x00", registry)
    with pytest.raises(MalformedEnvelope, match="known envelope schema"):
        read_clear_header(b"\xc3\x01" + bytes(8) + verified.clear_header[10:], registry)
    payload_prefix = registry.payload("ReferralIssued").soe_prefix
    with pytest.raises(MalformedEnvelope, match="known envelope schema"):
        read_clear_header(payload_prefix + verified.clear_header[10:], registry)
