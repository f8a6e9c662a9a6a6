"""contracts/vectors/envelope-v1.1.json: the directory, the positive and the negative vectors.

The positive envelopes are rebuilt here byte for byte from the contract (section 2 written out by
hand, the stated TEST-ONLY keys, content keys, nonces and sealed-box ephemeral secrets) and must
verify and open in the project's reader; every negative vector must be refused by the project's
reader with exactly its reason, and there is one for every reason of ``REJECTION_REASONS``.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import fastavro
import nacl.bindings as sodium
import pytest
from nacl.exceptions import BadSignatureError

from backbone.agency.unreadable import answer, unreadable
from backbone.consumer.gate import decode_record
from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import MemoryQuarantine
from backbone.consumer.reader import Delivery, EnvelopeReader, Outcome
from backbone.domain.events import parse_event
from backbone.envelope.certificates import verify_certificate
from backbone.envelope.codec import EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.errors import REJECTION_REASONS, EnvelopeRejected
from backbone.envelope.keys import KeyPair, Keyring
from backbone.envelope.schemas import default_registry
from backbone.paths import PROJECT_ROOT

VECTORS: dict[str, Any] = json.loads(
    (PROJECT_ROOT / "contracts" / "vectors" / "envelope-v1.1.json").read_text()
)
ENVELOPE_MD = (PROJECT_ROOT / "contracts" / "envelope.md").read_text()
POSITIVE: dict[str, dict[str, Any]] = {v["case"]: v for v in VECTORS["positive"]}
NEGATIVE: list[dict[str, Any]] = VECTORS["negative"]
CHECK_ORDER = [c["check"] for c in VECTORS["checks"]]
BODY_CHECKS = {"12a", "13", "14", "15"}  # made only by a consumer that opens the body
ENVELOPE_DOMAIN = b"kz-referral-envelope/v1\x00"
BODY_DOMAIN = b"kz-referral-envelope-body/v1\x00"
CERTIFICATE_DOMAIN = b"kz-referral-certificate/v1\x00"
HEADER_KEYS = (
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


def _hex(value: str) -> bytes:
    return bytes.fromhex(value)


def _keys(**match: Any) -> list[dict[str, Any]]:
    return [k for k in VECTORS["keys"] if all(k[f] == v for f, v in match.items())]


def _pairs(agency: str, holds: list[str] | None = None) -> list[KeyPair]:
    """The agency's certified generations (those whose X25519 key id is in ``holds``)."""
    return [
        KeyPair(
            agency,
            _hex(k["signing_seed_hex"]),
            _hex(k["encryption_secret_hex"]),
            datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=index),
        )
        for index, k in enumerate(_keys(agency=agency, certified=True))
        if holds is None or k["encryption_key_id_hex"] in holds
    ]


def _directory(reverse: bool = False) -> KeyDirectory:
    directory = KeyDirectory(_hex(VECTORS["root"]["public_key_hex"]))
    listed = VECTORS["directory"]["certificates"]
    for item in reversed(listed) if reverse else listed:
        directory.extend([(_hex(item["certificate_hex"]), _hex(item["root_signature_hex"]))])
    return directory


def _inbound(item: dict[str, Any]) -> Inbound:
    key, at = item["record_key_hex"], item["received_at"]
    return Inbound(
        _hex(item["value_hex"]),
        key=None if key is None else _hex(key),
        topic="referral.events.v1",
        partition=0,
        offset=1,
        received_at=None if at is None else datetime.fromisoformat(at),
    )


def _codec(agency: str | None, holds: list[str] | None = None) -> EnvelopeCodec:
    keyring = None if agency is None else Keyring(_pairs(agency, holds))
    return EnvelopeCodec(_directory(), keyring)


def _read(vector: dict[str, Any], *, verifier: bool = False) -> tuple[Delivery, MemoryQuarantine]:
    """The vector through the reader it names (or a consumer that opens nothing), after the
    records it must follow."""
    agency = None if verifier else vector["reader"]
    quarantine = MemoryQuarantine()
    reader = EnvelopeReader(
        _codec(agency, vector["reader_holds"]),
        quarantine,
        name=agency or "router",
        require_body=vector["require_body"] and not verifier,
    )
    for name in vector.get("preceded_by", []):
        assert reader.read(_inbound(POSITIVE[name])).outcome is Outcome.ACCEPTED
    return reader.read(_inbound(vector)), quarantine


# The table, the keys and the directory.


def test_every_rejection_reason_has_a_negative_vector() -> None:
    assert {v["reason"] for v in NEGATIVE} == REJECTION_REASONS
    assert len({v["case"] for v in NEGATIVE}) == len(NEGATIVE)


def test_the_check_order_is_the_table_of_envelope_md() -> None:
    section = ENVELOPE_MD.split("## 6. ")[1].split("\n## ")[0]
    rows = re.findall(r"^\| (\d+a?) \| .+ \| `([a-z_]+)` \|$", section, re.MULTILINE)
    assert rows == [(c["check"], c["reason"]) for c in VECTORS["checks"]]
    for vector in NEGATIVE:
        assert (vector["check"], vector["reason"]) in rows, vector["case"]


def test_every_secret_is_a_marked_test_only_pattern() -> None:
    secrets = [VECTORS["root"]["seed_hex"]]
    for key in VECTORS["keys"]:
        secrets += [key["signing_seed_hex"], key["encryption_secret_hex"]]
    for vector in VECTORS["positive"]:
        secrets += [vector["content_key_hex"], vector["nonce_hex"]]
        secrets += [r["ephemeral_secret_hex"] for r in vector["readers"]]
    for secret in secrets:
        assert _hex(secret).startswith(b"TEST-ONLY ")
    assert "TEST-ONLY" in VECTORS["warning"]


def test_public_keys_and_key_ids_follow_from_the_secrets() -> None:
    def key_id(public: bytes) -> str:
        return hashlib.blake2b(public, digest_size=16).hexdigest()

    root = VECTORS["root"]
    public, _ = sodium.crypto_sign_seed_keypair(_hex(root["seed_hex"]))
    assert (public.hex(), key_id(public)) == (root["public_key_hex"], root["key_id_hex"])
    for key in VECTORS["keys"]:
        signing, _ = sodium.crypto_sign_seed_keypair(_hex(key["signing_seed_hex"]))
        encryption = sodium.crypto_scalarmult_base(_hex(key["encryption_secret_hex"]))
        assert signing.hex() == key["signing_public_key_hex"]
        assert encryption.hex() == key["encryption_public_key_hex"]
        assert key_id(signing) == key["signing_key_id_hex"]
        assert key_id(encryption) == key["encryption_key_id_hex"]


def test_schema_fingerprints_are_the_registrys() -> None:
    registry = default_registry()
    for name, fingerprint in VECTORS["schemas"].items():
        area, record, version = name.split("/")
        assert registry.history(area, record)[int(version[1:]) - 1].fingerprint.hex() == (
            fingerprint
        )


def test_certificates_are_root_signed_and_state_their_fields() -> None:
    root_public = _hex(VECTORS["root"]["public_key_hex"])
    _, root_secret = sodium.crypto_sign_seed_keypair(_hex(VECTORS["root"]["seed_hex"]))
    for item in VECTORS["directory"]["certificates"]:
        data = _hex(item["certificate_hex"])
        signature = sodium.crypto_sign(CERTIFICATE_DOMAIN + data, root_secret)[:64]
        assert signature.hex() == item["root_signature_hex"]
        certificate = verify_certificate(data, signature, root_public).certificate
        assert certificate.summary() == item["fields"]
        [key] = _keys(name=item["generation"])
        assert item["fields"]["signing_key_id"] == key["signing_key_id_hex"]
        assert item["fields"]["encryption_key_id"] == key["encryption_key_id_hex"]
    assert all(not k["certified"] for k in _keys(name="police/stranger"))


def test_the_directory_keeps_a_rotation_and_a_revocation_in_any_order() -> None:
    directory, backwards = _directory(), _directory(reverse=True)
    current = [c for c in VECTORS["directory"]["certificates"] if not c["superseded"]]
    assert {s.data.hex() for s in directory.certificates()} == {
        c["certificate_hex"] for c in current
    }
    assert {s.data for s in backwards.certificates()} == {s.data for s in directory.certificates()}

    older, newer = (s.certificate for s in directory.certificates("social.turkestan"))
    assert older.not_after is not None and older.not_after == newer.not_before
    assert older.revoked_at is None and newer.not_after is None
    [revoked] = (s.certificate for s in directory.certificates("guardianship.turkestan"))
    assert revoked.revoked_at is not None and revoked.revocation_reason


@pytest.mark.parametrize("entry", VECTORS["directory"]["entries"], ids=lambda e: str(e["subject"]))
def test_directory_entry_bytes_decode_to_the_stated_certificates(entry: dict[str, Any]) -> None:
    registry = default_registry()
    schema = registry.latest("directory", "DirectoryEntry")
    data = _hex(entry["value_hex"])
    assert data[:10] == b"\xc3\x01" + schema.fingerprint
    assert _hex(entry["record_key_hex"]) == entry["subject"].encode()
    _, decoded = registry.soe_decode(data, schema)
    assert decoded["subject"] == entry["subject"]
    root_public = _hex(VECTORS["root"]["public_key_hex"])
    summaries = [
        verify_certificate(
            item["certificate"], item["signature"], root_public
        ).certificate.summary()
        for item in decoded["certificates"]
    ]
    assert summaries == entry["certificates"]
    stated = {
        (c["certificate_hex"], c["root_signature_hex"])
        for c in VECTORS["directory"]["certificates"]
        if c["fields"]["subject"] == entry["subject"] and not c["superseded"]
    }
    assert {(i["certificate"].hex(), i["signature"].hex()) for i in decoded["certificates"]} == (
        stated
    )

    fresh = KeyDirectory(root_public)
    assert fresh.add_entry(data) == len(summaries)
    assert [s.certificate.summary() for s in fresh.certificates(entry["subject"])] == summaries
    assert _directory().entry(entry["subject"]) == data


# Positive vectors.


@pytest.mark.parametrize("vector", VECTORS["positive"], ids=lambda v: str(v["case"]))
def test_positive_vector_is_accepted_by_its_reader(vector: dict[str, Any]) -> None:
    delivery, quarantine = _read(vector)
    assert delivery.outcome is Outcome.ACCEPTED and not quarantine.rejections
    assert delivery.envelope is not None
    assert delivery.envelope.event == parse_event(vector["event"])
    assert delivery.envelope.digest.hex() == vector["content_digest_hex"]


@pytest.mark.parametrize("vector", VECTORS["positive"], ids=lambda v: str(v["case"]))
def test_positive_vector_opens_for_each_of_its_readers(vector: dict[str, Any]) -> None:
    expected = parse_event(vector["event"])
    readers = [r["agency"] for r in vector["readers"]]
    assert readers == sorted(set(readers))
    assert {expected.producer, *expected.recipients} <= set(readers)
    for agency in readers:
        opened = decode_record(_codec(agency), _inbound(vector), require_body=True)
        assert opened.event == expected
    verified = decode_record(_codec(None), _inbound(vector))
    assert verified.event == expected.without_payload()


def _zigzag(value: int) -> bytes:
    number, out = (value << 1) ^ (value >> 63), bytearray()
    while number & ~0x7F:
        out.append((number & 0x7F) | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def _avro_bytes(data: bytes) -> bytes:
    return _zigzag(len(data)) + data


@pytest.mark.parametrize("vector", VECTORS["positive"], ids=lambda v: str(v["case"]))
def test_positive_vector_follows_the_construction_byte_for_byte(vector: dict[str, Any]) -> None:
    """Section 2 and 5 by hand (fastavro only for the header record), with the stated randomness."""
    registry = default_registry()
    envelope = registry.latest("envelope", "Envelope")
    expanded: Any = fastavro.parse_schema(dict(envelope.definition), expand=True)
    event = vector["event"]
    header = {k: event.get(k) for k in HEADER_KEYS}
    header["attributes"] = [{"name": k, "value": v} for k, v in sorted(event["attributes"].items())]
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(expanded["fields"][2]["type"]), header)
    assert out.getvalue().hex() == vector["header_avro_hex"]
    payload_schema = registry.payload(event["event_type"])
    plaintext = registry.soe_encode(payload_schema, event["payload"])
    assert plaintext.hex() == vector["payload_soe_hex"]
    assert payload_schema.fingerprint.hex() == vector["payload_schema_hex"]

    prefix = (
        b"\xc3\x01"
        + envelope.fingerprint
        + _hex(vector["signer_key_id_hex"])
        + payload_schema.fingerprint
        + out.getvalue()
    )
    content_key, nonce = _hex(vector["content_key_hex"]), _hex(vector["nonce_hex"])
    ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, BODY_DOMAIN + prefix, nonce, content_key
    )
    readers = _zigzag(len(vector["readers"]))
    for reader in vector["readers"]:
        [key] = _keys(encryption_key_id_hex=reader["encryption_key_id_hex"])
        public, secret = _hex(key["encryption_public_key_hex"]), _hex(key["encryption_secret_hex"])
        ephemeral_secret = _hex(reader["ephemeral_secret_hex"])
        ephemeral = sodium.crypto_scalarmult_base(ephemeral_secret)
        box_nonce = hashlib.blake2b(ephemeral + public, digest_size=24).digest()
        sealed = ephemeral + sodium.crypto_box(content_key, box_nonce, public, ephemeral_secret)
        assert sealed.hex() == reader["sealed_key_hex"]
        assert sodium.crypto_box_seal_open(sealed, public, secret) == content_key
        readers += _avro_bytes(reader["agency"].encode()) + _hex(key["encryption_key_id_hex"])
        readers += sealed
    unsigned = prefix + readers + b"\x00" + nonce + _avro_bytes(ciphertext)
    [signer] = _keys(signing_key_id_hex=vector["signer_key_id_hex"])
    _, signing_secret = sodium.crypto_sign_seed_keypair(_hex(signer["signing_seed_hex"]))
    signature = sodium.crypto_sign(ENVELOPE_DOMAIN + unsigned, signing_secret)[:64]
    assert (unsigned + signature).hex() == vector["value_hex"]


def test_unreadable_answer_is_the_reference_services_answer() -> None:
    """envelope-unreadable answers the ciphertext_damaged copy of referral-issued."""
    [refused] = [v for v in NEGATIVE if v["case"] == "ciphertext-byte-changed-re-signed"]
    vector = POSITIVE["envelope-unreadable"]
    agency = vector["event"]["producer"]
    record = _inbound(refused)
    found = unreadable(_codec(None), record, refused["reason"], agency)
    assert found is not None and record.received_at is not None
    assert answer(found, agency, record.received_at) == parse_event(vector["event"])
    assert refused["reader"] == agency


# Negative vectors.


@pytest.mark.parametrize("vector", NEGATIVE, ids=lambda v: str(v["case"]))
def test_negative_vector_is_refused_with_its_reason(vector: dict[str, Any]) -> None:
    delivery, quarantine = _read(vector)
    assert delivery.outcome is Outcome.QUARANTINED
    [rejection] = quarantine.rejections
    assert rejection.reason == vector["reason"]
    inbound = _inbound(vector)
    assert (rejection.value, rejection.key) == (inbound.value, inbound.key)
    if CHECK_ORDER.index(vector["check"]) <= CHECK_ORDER.index("17"):
        codec = _codec(vector["reader"], vector["reader_holds"])
        with pytest.raises(EnvelopeRejected) as raised:
            decode_record(codec, inbound, require_body=vector["require_body"])
        assert raised.value.reason == vector["reason"]


@pytest.mark.parametrize(
    "vector",
    [v for v in NEGATIVE if v["check"] not in BODY_CHECKS],
    ids=lambda v: str(v["case"]),
)
def test_a_consumer_that_opens_nothing_refuses_for_the_same_reason(vector: dict[str, Any]) -> None:
    delivery, quarantine = _read(vector, verifier=True)
    assert delivery.outcome is Outcome.QUARANTINED
    assert [r.reason for r in quarantine.rejections] == [vector["reason"]]


@pytest.mark.parametrize(
    "vector",
    [v for v in NEGATIVE if CHECK_ORDER.index(v["check"]) > CHECK_ORDER.index("4")],
    ids=lambda v: str(v["case"]),
)
def test_negative_vector_past_the_signature_check_is_validly_signed(
    vector: dict[str, Any],
) -> None:
    """Refused by a later check, so signed by the key its bytes 10-25 name."""
    data = _hex(vector["value_hex"])
    [signer] = _keys(signing_key_id_hex=data[10:26].hex(), certified=True)
    if vector["resigned_by"] is not None:
        assert vector["resigned_by"] == signer["signing_key_id_hex"]
    public = _hex(signer["signing_public_key_hex"])
    try:
        sodium.crypto_sign_open(data[-64:] + ENVELOPE_DOMAIN + data[:-64], public)
    except BadSignatureError:  # pragma: no cover - the assertion below reports it
        pytest.fail(f"{vector['case']}: the signature does not verify")
