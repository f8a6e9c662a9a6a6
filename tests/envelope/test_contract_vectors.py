"""contracts/vectors/envelope-v1.json, recomputed from the primitives the contract names."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime
from typing import Any

import fastavro
import nacl.bindings as sodium
import pytest
from fastavro.schema import fingerprint

from backbone.domain.events import parse_event
from backbone.envelope.certificates import verify_certificate
from backbone.envelope.codec import EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.errors import EnvelopeRejected
from backbone.envelope.keys import KeyPair, Keyring
from backbone.envelope.schemas import default_registry
from backbone.paths import PROJECT_ROOT

VECTORS: dict[str, Any] = json.loads(
    (PROJECT_ROOT / "contracts" / "vectors" / "envelope-v1.json").read_text()
)
READER = "ngo.shymkent.sana-sezim"


def _hex(value: str) -> bytes:
    return bytes.fromhex(value)


def _directory() -> KeyDirectory:
    directory = KeyDirectory(_hex(VECTORS["root"]["public_key_hex"]))
    for item in VECTORS["certificates"]:
        directory.add(_hex(item["certificate_hex"]), _hex(item["root_signature_hex"]))
    return directory


def _pair(agency: str) -> KeyPair:
    keys = VECTORS["agencies"][agency]
    return KeyPair(
        agency,
        _hex(keys["signing_seed_hex"]),
        _hex(keys["encryption_secret_hex"]),
        datetime(2026, 1, 1, tzinfo=UTC),
    )


def _key_id(public_key: bytes) -> str:
    return hashlib.blake2b(public_key, digest_size=16).hexdigest()


def test_domain_prefixes_are_the_documented_strings() -> None:
    assert {k: _hex(v) for k, v in VECTORS["domains"].items()} == {
        "envelope_signature": b"kz-referral-envelope/v1\x00",
        "body_associated_data": b"kz-referral-envelope-body/v1\x00",
        "certificate_signature": b"kz-referral-certificate/v1\x00",
        "content_digest": b"kz-referral-event-content/v1\x00",
    }


def test_public_keys_and_key_ids_follow_from_the_seeds() -> None:
    root = VECTORS["root"]
    public, _ = sodium.crypto_sign_seed_keypair(_hex(root["seed_hex"]))
    assert public.hex() == root["public_key_hex"]
    assert _key_id(public) == root["key_id_hex"]
    for keys in VECTORS["agencies"].values():
        signing, _ = sodium.crypto_sign_seed_keypair(_hex(keys["signing_seed_hex"]))
        encryption = sodium.crypto_scalarmult_base(_hex(keys["encryption_secret_hex"]))
        assert signing.hex() == keys["signing_public_key_hex"]
        assert encryption.hex() == keys["encryption_public_key_hex"]
        assert _key_id(signing) == keys["signing_key_id_hex"]
        assert _key_id(encryption) == keys["encryption_key_id_hex"]


def test_schema_fingerprints_are_crc64_of_the_canonical_forms() -> None:
    registry = default_registry()
    for name, schema in VECTORS["schemas"].items():
        area, record, version = name.split("/")
        assert fingerprint(schema["canonical_form"], "CRC-64-AVRO") == schema["fingerprint_hex"]
        current = registry.history(area, record)[int(version[1:]) - 1]
        assert current.canonical_form == schema["canonical_form"]


def test_certificates_are_root_signed_bytes() -> None:
    root_public = _hex(VECTORS["root"]["public_key_hex"])
    _, root_secret = sodium.crypto_sign_seed_keypair(_hex(VECTORS["root"]["seed_hex"]))
    for item in VECTORS["certificates"]:
        data = _hex(item["certificate_hex"])
        signed_bytes = _hex(item["signed_bytes_hex"])
        assert signed_bytes == _hex(VECTORS["domains"]["certificate_signature"]) + data
        signature = sodium.crypto_sign(signed_bytes, root_secret)[:64]
        assert signature.hex() == item["root_signature_hex"]
        certificate = verify_certificate(data, signature, root_public).certificate
        assert certificate.summary() == item["fields"]


def test_payload_single_object_encoding() -> None:
    registry = default_registry()
    event = VECTORS["event"]
    schema = registry.payload(event["event_type"])
    expected = _hex(VECTORS["payload_soe_hex"])
    assert expected[:2] == b"\xc3\x01" and expected[2:10] == schema.fingerprint
    assert registry.soe_encode(schema, event["payload"]) == expected


def test_header_bytes_are_the_avro_header_record() -> None:
    definition = default_registry().latest("envelope", "Envelope").definition
    expanded: Any = fastavro.parse_schema(dict(definition), expand=True)
    header_schema = fastavro.parse_schema(expanded["fields"][2]["type"])
    event = VECTORS["event"]
    header = {
        k: event[k]
        for k in (
            "event_id",
            "event_type",
            "occurred_at",
            "producer",
            "child_ref",
            "referral_id",
            "recipients",
            "region",
            "causation_id",
            "correlation_id",
        )
    }
    header["attributes"] = [{"name": k, "value": v} for k, v in sorted(event["attributes"].items())]
    out = io.BytesIO()
    fastavro.schemaless_writer(out, header_schema, header)
    expected = _hex(VECTORS["header_avro_hex"])
    assert out.getvalue() == expected
    assert _hex(VECTORS["envelope"]["hex"])[34 : 34 + len(expected)] == expected


def test_body_is_the_aead_of_the_payload_under_the_header() -> None:
    aead = VECTORS["aead"]
    envelope = _hex(VECTORS["envelope"]["hex"])
    header_end = 34 + len(_hex(VECTORS["header_avro_hex"]))
    associated = _hex(aead["associated_data_hex"])
    assert associated == _hex(VECTORS["domains"]["body_associated_data"]) + envelope[:header_end]
    ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        _hex(aead["plaintext_hex"]),
        associated,
        _hex(aead["nonce_hex"]),
        _hex(aead["content_key_hex"]),
    )
    assert ciphertext.hex() == aead["ciphertext_hex"]


def test_sealed_content_key_opens_with_the_readers_secret() -> None:
    pair = _pair(READER)
    envelope = _hex(VECTORS["envelope"]["hex"])
    schema = default_registry().latest("envelope", "Envelope")
    record: Any = fastavro.schemaless_reader(io.BytesIO(envelope[10:]), schema.parsed)
    [entry] = [r for r in record["readers"] if r["agency"] == READER]
    assert entry["encryption_key_id"] == pair.encryption_key_id
    opened = sodium.crypto_box_seal_open(
        entry["sealed_key"], pair.encryption_public_key, pair.encryption_secret
    )
    assert opened.hex() == VECTORS["aead"]["content_key_hex"]


def test_signature_covers_every_byte_before_it() -> None:
    envelope = _hex(VECTORS["envelope"]["hex"])
    signed = _hex(VECTORS["envelope"]["signed_bytes_hex"])
    assert signed == _hex(VECTORS["domains"]["envelope_signature"]) + envelope[:-64]
    signature = sodium.crypto_sign(signed, _pair("police.turkestan").signing_secret_key)[:64]
    assert signature == envelope[-64:] == _hex(VECTORS["envelope"]["signature_hex"])


def test_full_envelope_verifies_and_opens_for_its_readers() -> None:
    envelope = _hex(VECTORS["envelope"]["hex"])
    expected = parse_event(VECTORS["event"])
    for agency in VECTORS["envelope"]["readers"]:
        opened = EnvelopeCodec(_directory(), Keyring([_pair(agency)])).decode(envelope)
        assert opened.event == expected
        assert opened.digest.hex() == VECTORS["envelope"]["content_digest_hex"]
    assert EnvelopeCodec(_directory()).decode(envelope).event == expected.without_payload()


@pytest.mark.parametrize("case", VECTORS["rejections"], ids=lambda c: c["case"])
def test_rejection_vectors(case: dict[str, str]) -> None:
    with pytest.raises(EnvelopeRejected) as raised:
        EnvelopeCodec(_directory(), Keyring([_pair(READER)])).decode(_hex(case["hex"]))
    assert raised.value.reason == case["reason"]
