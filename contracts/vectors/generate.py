"""Writes the envelope test vectors of contracts/envelope.md (section 10).

* ``envelope-v1.json``: the first vectors (one ``ChildIdentified``, framing and signature
  refusals). Its full envelope has random parts (content key, nonce, sealed-box ephemeral keys),
  so it is written only when the file is missing: an existing file is left alone, byte for byte.
* ``envelope-v1.1.json``: the directory (a rotated and a revoked agency, ``DirectoryEntry``
  bytes), positive vectors of contract v1.1 (``ReferralIssued`` with recipients,
  ``EnvelopeUnreadable``, an event under a rotated key's older generation, one under a revoked
  key from before its revocation) and negative vectors for every refusal reason, in check order.
  It is built here from the contract's primitives, independently of ``EnvelopeCodec``, with
  fixed content keys, nonces and sealed-box ephemeral secrets, so regenerating it gives the same
  bytes; every vector is run through the project's reader before the file is written.

TEST-ONLY KEYS. Every seed and secret below is a fixed byte pattern published on purpose (v1:
00..1f, 20..3f, ...; v1.1: the ASCII text ``TEST-ONLY <label>`` padded with dots); they protect
nothing and must never be certified by a real directory root. Every name, identifier and payload
value is an obviously synthetic placeholder.

Run: ``.venv/bin/python contracts/vectors/generate.py``
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastavro
import nacl.bindings as sodium

from backbone.agency.unreadable import answer, unreadable
from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import MemoryQuarantine
from backbone.consumer.reader import EnvelopeReader, Outcome
from backbone.domain.events import parse_event
from backbone.envelope.certificates import (
    CERTIFICATE_DOMAIN,
    Certificate,
    SignedCertificate,
    new_certificate,
    reissue,
    sign_certificate,
)
from backbone.envelope.codec import BODY_DOMAIN, DIGEST_DOMAIN, ENVELOPE_DOMAIN, EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.errors import REJECTION_REASONS
from backbone.envelope.keys import KeyPair, Keyring, RootKey
from backbone.envelope.schemas import default_registry
from backbone.logs import configure

OUT = Path(__file__).with_name("envelope-v1.json")
SINCE = datetime(2026, 1, 1, tzinfo=UTC)
PRODUCER, READER = "police.turkestan", "ngo.shymkent.sana-sezim"

ROOT_SEED = bytes(range(0, 32))
KEYS = {
    PRODUCER: (bytes(range(32, 64)), bytes(range(64, 96))),
    READER: (bytes(range(96, 128)), bytes(range(128, 160))),
}
EVENT: dict[str, Any] = {
    "event_id": "00000000-0000-4000-8000-000000000001",
    "event_type": "ChildIdentified",
    "occurred_at": "2026-12-11T16:00:00+05:00",
    "producer": PRODUCER,
    "child_ref": "c-0123456789ab",
    "recipients": [],
    "region": "turkestan",
    "attributes": {"setting": "raid", "accompanied": "false", "age_band": "14-17"},
    "referral_id": None,
    "causation_id": None,
    "correlation_id": "00000000-0000-4000-8000-0000000000c0",
    "payload": {
        "given_name": "Test-Name-Alpha",
        "family_name": "Test-Family-Beta",
        "patronymic": None,
        "iin": "000000000000",
        "birth_date": "2012-01-01",
        "estimated_age_years": None,
        "sex": "female",
        "citizenship": "KZ",
        "languages": ["kk", "ru"],
        "location": {"district": "Test-District", "settlement": None, "place_description": None},
        "circumstances": "Synthetic test vector text.",
        "accompanying_adult": None,
        "identified_by": "Test-Officer",
    },
}


def write_v1() -> None:
    """``envelope-v1.json``, with a new random envelope: only ever called when it is missing."""
    registry = default_registry()
    root = RootKey(ROOT_SEED)
    directory = KeyDirectory(root.public_key, registry)
    pairs = {a: KeyPair(a, seed, secret, SINCE) for a, (seed, secret) in KEYS.items()}
    certificates = []
    for agency, pair in pairs.items():
        funding = "international" if agency.startswith("ngo.") else None
        certificate = new_certificate(
            pair, root, f"Test {agency}", funding=funding, not_before=SINCE, issued_at=SINCE
        )
        signed = sign_certificate(certificate, root, registry)
        directory.add(signed.data, signed.signature)
        certificates.append(
            {
                "fields": certificate.summary(),
                "certificate_hex": signed.data.hex(),
                "signed_bytes_hex": (CERTIFICATE_DOMAIN + signed.data).hex(),
                "root_signature_hex": signed.signature.hex(),
            }
        )

    event = parse_event(EVENT)
    envelope = EnvelopeCodec(directory, Keyring([pairs[PRODUCER]])).encode(event, [READER])
    opened = EnvelopeCodec(directory, Keyring([pairs[READER]])).decode(envelope)
    schema = registry.payload(event.event_type)
    plaintext = registry.soe_encode(schema, EVENT["payload"])
    header_end, record = _layout(envelope)
    entry = next(r for r in record["readers"] if r["agency"] == READER)
    reader_pair = pairs[READER]
    content_key = sodium.crypto_box_seal_open(
        entry["sealed_key"], reader_pair.encryption_public_key, reader_pair.encryption_secret
    )

    vectors = {
        "warning": "TEST-ONLY KEYS: fixed public byte patterns; never certify them for real use.",
        "domains": {
            "envelope_signature": ENVELOPE_DOMAIN.hex(),
            "body_associated_data": BODY_DOMAIN.hex(),
            "certificate_signature": CERTIFICATE_DOMAIN.hex(),
            "content_digest": DIGEST_DOMAIN.hex(),
        },
        "root": {
            "seed_hex": ROOT_SEED.hex(),
            "public_key_hex": root.public_key.hex(),
            "key_id_hex": root.key_id.hex(),
        },
        "agencies": {
            agency: {
                "signing_seed_hex": pair.signing_seed.hex(),
                "signing_public_key_hex": pair.signing_public_key.hex(),
                "signing_key_id_hex": pair.signing_key_id.hex(),
                "encryption_secret_hex": pair.encryption_secret.hex(),
                "encryption_public_key_hex": pair.encryption_public_key.hex(),
                "encryption_key_id_hex": pair.encryption_key_id.hex(),
            }
            for agency, pair in pairs.items()
        },
        "schemas": {
            f"{v.area}/{v.name}/v{v.version}": {
                "canonical_form": v.canonical_form,
                "fingerprint_hex": v.fingerprint.hex(),
            }
            for v in (
                registry.latest("envelope", "Envelope"),
                registry.latest("directory", "Certificate"),
                registry.latest("directory", "DirectoryEntry"),
                schema,
            )
        },
        "certificates": certificates,
        "event": EVENT,
        "payload_soe_hex": plaintext.hex(),
        "header_avro_hex": envelope[34:header_end].hex(),
        "aead": {
            "content_key_hex": content_key.hex(),
            "nonce_hex": record["nonce"].hex(),
            "associated_data_hex": (BODY_DOMAIN + envelope[:header_end]).hex(),
            "plaintext_hex": plaintext.hex(),
            "ciphertext_hex": record["ciphertext"].hex(),
        },
        "envelope": {
            "hex": envelope.hex(),
            "readers": [r["agency"] for r in record["readers"]],
            "signed_bytes_hex": (ENVELOPE_DOMAIN + envelope[:-64]).hex(),
            "signature_hex": envelope[-64:].hex(),
            "content_digest_hex": opened.digest.hex(),
        },
        "rejections": _rejections(envelope),
    }
    OUT.write_text(json.dumps(vectors, indent=2) + "\n")


def _layout(envelope: bytes) -> tuple[int, dict[str, Any]]:
    """Where the header ends, and every field, read with the whole Envelope schema."""
    schema = default_registry().latest("envelope", "Envelope")
    stream = io.BytesIO(envelope)
    stream.seek(10)
    record: Any = fastavro.schemaless_reader(stream, schema.parsed)
    expanded: Any = fastavro.parse_schema(dict(schema.definition), expand=True)
    header_stream = io.BytesIO(envelope)
    header_stream.seek(34)
    fastavro.schemaless_reader(header_stream, fastavro.parse_schema(expanded["fields"][2]["type"]))
    return header_stream.tell(), record


def _rejections(envelope: bytes) -> list[dict[str, str]]:
    def changed(position: int) -> bytes:
        data = bytearray(envelope)
        data[position] ^= 0x01
        return bytes(data)

    return [
        {
            "case": "first magic byte changed",
            "hex": changed(0).hex(),
            "reason": "malformed_envelope",
        },
        {
            "case": "envelope schema fingerprint changed",
            "hex": changed(2).hex(),
            "reason": "schema_unknown",
        },
        {"case": "signer key id changed", "hex": changed(10).hex(), "reason": "unknown_key"},
        {
            "case": "a ciphertext byte changed",
            "hex": changed(len(envelope) - 70).hex(),
            "reason": "signature_invalid",
        },
        {
            "case": "last signature byte changed",
            "hex": changed(len(envelope) - 1).hex(),
            "reason": "signature_invalid",
        },
        {
            "case": "truncated by one byte",
            "hex": envelope[:-1].hex(),
            "reason": "signature_invalid",
        },
    ]


# envelope-v1.1.json: built from the contract's primitives, deterministic.

OUT_V1_1 = Path(__file__).with_name("envelope-v1.1.json")
POLICE, SHELTER = "police.turkestan", "ngo.shymkent.test-shelter-1"
SOCIAL, GUARDIAN = "social.turkestan", "guardianship.turkestan"
CHILD, OTHER_CHILD, REFERRAL = "c-7e57c0000001", "c-7e57c0000002", "r-7e57e0000001"
JANUARY = datetime(2026, 1, 1, tzinfo=UTC)
ROTATION_ISSUED = datetime(2026, 6, 15, tzinfo=UTC)
SWITCH_OVER = datetime(2026, 7, 1, tzinfo=UTC)
REVOKED_AT = datetime(2026, 9, 1, tzinfo=UTC)
DISPLAY_NAMES = {
    POLICE: ("Test Police Department", None),
    SHELTER: ("Test NGO Shelter 1", "international"),
    SOCIAL: ("Test Social Department", None),
    GUARDIAN: ("Test Guardianship Authority", None),
}
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
# Verification order of contracts/envelope.md, section 6 (the test compares it with the table).
CHECKS = [
    ("1", "malformed_envelope", "at least 10 bytes, bytes 0-1 are C3 01"),
    ("2", "schema_unknown", "bytes 2-9 are the fingerprint of Envelope v1"),
    ("2a", "malformed_envelope", "at least 98 bytes"),
    ("3", "unknown_key", "bytes 10-25 are the signing key id of a certificate in the directory"),
    ("4", "signature_invalid", "the signature verifies over ENVELOPE_DOMAIN + bytes[0:end-64]"),
    ("5", "malformed_envelope", "the signed bytes decode as the Envelope, ending at the signature"),
    ("6", "header_invalid", "event type known, occurred_at a date-time with an offset"),
    ("7", "signer_mismatch", "the key's certificate subject is the header's producer"),
    ("8", "key_revoked", "occurred_at and the broker append time are before revoked_at"),
    ("9", "key_not_valid_at_event_time", "not_before <= occurred_at < not_after"),
    ("10", "schema_unknown", "payload_schema is the fingerprint of a schema under schemas/avro"),
    ("11", "schema_mismatch", "... of a payload schema of this event type"),
    ("12", "malformed_envelope", "readers sorted, unique, agency ids, producer and recipients"),
    ("12a", "not_a_reader", "a consumer that needs the body is a reader"),
    ("13", "reader_key_missing", "a reader holds the secret for its encryption_key_id"),
    ("14", "ciphertext_damaged", "the sealed key opens and the AEAD decrypts"),
    ("15", "payload_malformed", "the plaintext is C3 01 + payload_schema + its Avro, no more"),
    ("16", "header_invalid", "the whole header obeys events.md (v1.1) and the catalogue"),
    ("17", "key_mismatch", "the record key is the UTF-8 child_ref of the header"),
    ("18", "duplicate_event", "an event_id accepted before has the same content digest"),
    ("19", "not_authorised", "the producer's agency type may emit the event type"),
]


def test_only(label: str, size: int = 32) -> bytes:
    """A TEST-ONLY secret: the ASCII text ``TEST-ONLY <label>``, padded with dots."""
    text = f"TEST-ONLY {label}".encode()
    assert len(text) <= size, label
    return text.ljust(size, b".")


def generation(agency: str, label: str, created_at: datetime) -> KeyPair:
    short = agency.split(".")[0]
    return KeyPair(
        agency,
        test_only(f"{short} {label} sign"),
        test_only(f"{short} {label} box"),
        created_at,
    )


GENERATIONS = {
    "police/g1": generation(POLICE, "g1", JANUARY),
    "shelter/g1": generation(SHELTER, "g1", JANUARY),
    "social/g1": generation(SOCIAL, "g1", JANUARY),
    "social/g2": generation(SOCIAL, "g2", SWITCH_OVER),
    "guardianship/g1": generation(GUARDIAN, "g1", JANUARY),
}
# A police key pair the root never certified.
STRANGER = generation(POLICE, "stranger", JANUARY)
V11_ROOT = RootKey(test_only("root"))


def _schemas() -> tuple[Any, Any, Any]:
    envelope = default_registry().latest("envelope", "Envelope")
    expanded: Any = fastavro.parse_schema(dict(envelope.definition), expand=True)
    fields = expanded["fields"]
    header = fastavro.parse_schema(fields[2]["type"], named_schemas={})
    tail = fastavro.parse_schema(
        {"type": "record", "name": "kz.referral.envelope.EnvelopeTail", "fields": fields[3:6]},
        named_schemas={},
    )
    return envelope, header, tail


ENVELOPE_V1, HEADER_SCHEMA, TAIL_SCHEMA = _schemas()


def _avro(schema: Any, datum: Any) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, schema, datum)
    return out.getvalue()


def seal(content_key: bytes, public_key: bytes, ephemeral_secret: bytes) -> bytes:
    """``crypto_box_seal`` with a given ephemeral secret (libsodium draws it at random): the
    ephemeral public key, then ``crypto_box`` under nonce = BLAKE2b-192(epk ‖ pk)."""
    ephemeral_public = sodium.crypto_scalarmult_base(ephemeral_secret)
    nonce = hashlib.blake2b(ephemeral_public + public_key, digest_size=24).digest()
    return ephemeral_public + sodium.crypto_box(content_key, nonce, public_key, ephemeral_secret)


@dataclass
class Parts:
    """The fields of one envelope before its signature (section 2)."""

    signer_key_id: bytes
    payload_schema: bytes
    header: dict[str, Any]
    readers: list[dict[str, Any]]
    nonce: bytes
    ciphertext: bytes = b""

    def prefix(self) -> bytes:
        return (
            ENVELOPE_V1.soe_prefix
            + self.signer_key_id
            + self.payload_schema
            + _avro(HEADER_SCHEMA, self.header)
        )

    def unsigned(self) -> bytes:
        tail = {"readers": self.readers, "nonce": self.nonce, "ciphertext": self.ciphertext}
        return self.prefix() + _avro(TAIL_SCHEMA, tail)

    def encrypt(self, plaintext: bytes, content_key: bytes) -> None:
        self.ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
            plaintext, BODY_DOMAIN + self.prefix(), self.nonce, content_key
        )

    def sign(self, pair: KeyPair, domain: bytes = ENVELOPE_DOMAIN) -> bytes:
        unsigned = self.unsigned()
        return unsigned + sodium.crypto_sign(domain + unsigned, pair.signing_secret_key)[:64]


def header_of(plain: dict[str, Any]) -> dict[str, Any]:
    header = {k: plain.get(k) for k in HEADER_KEYS}
    header["attributes"] = [{"name": k, "value": v} for k, v in sorted(plain["attributes"].items())]
    return header


@dataclass
class Sealed:
    """A positive vector: an event sealed to its readers and signed."""

    case: str
    tag: str  # short label of its TEST-ONLY content key, nonce and ephemeral secrets
    description: str
    plain: dict[str, Any]
    signer: KeyPair
    readers: list[KeyPair]
    received_at: str
    content_key: bytes = b""
    plaintext: bytes = b""
    ephemeral: dict[str, bytes] = field(default_factory=dict)
    parts: Parts | None = None
    value: bytes = b""

    def __post_init__(self) -> None:
        registry = default_registry()
        schema = registry.payload(self.plain["event_type"])
        self.plaintext = registry.soe_encode(schema, self.plain["payload"])
        self.content_key = test_only(f"content {self.tag}")
        parts = Parts(
            self.signer.signing_key_id,
            schema.fingerprint,
            header_of(self.plain),
            [],
            test_only(f"nonce {self.tag}", 24),
        )
        parts.encrypt(self.plaintext, self.content_key)
        for pair in sorted(self.readers, key=lambda p: p.agency):
            secret = test_only(f"eph {self.tag} {pair.agency.split('.')[0]}")
            self.ephemeral[pair.agency] = secret
            parts.readers.append(
                {
                    "agency": pair.agency,
                    "encryption_key_id": pair.encryption_key_id,
                    "sealed_key": seal(self.content_key, pair.encryption_public_key, secret),
                }
            )
        self.parts = parts
        self.value = parts.sign(self.signer)

    def copy(self) -> Parts:
        assert self.parts is not None
        return copy.deepcopy(self.parts)

    def header_end(self) -> int:
        assert self.parts is not None
        return len(self.parts.prefix())


class Nonces:
    """A fresh TEST-ONLY nonce for each re-encrypted variant (a nonce is never reused)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> bytes:
        self.count += 1
        return test_only(f"nonce v{self.count:02d}", 24)


def _directory_v1_1() -> tuple[KeyDirectory, list[dict[str, Any]], list[SignedCertificate]]:
    registry = default_registry()
    issued: list[tuple[str, Certificate, bool, str]] = []

    def first(name: str, *, not_before: datetime, issued_at: datetime) -> Certificate:
        pair = GENERATIONS[name]
        display, funding = DISPLAY_NAMES[pair.agency]
        return new_certificate(
            pair, V11_ROOT, display, funding=funding, not_before=not_before, issued_at=issued_at
        )

    police = first("police/g1", not_before=JANUARY, issued_at=JANUARY)
    shelter = first("shelter/g1", not_before=JANUARY, issued_at=JANUARY)
    social_1 = first("social/g1", not_before=JANUARY, issued_at=JANUARY)
    social_2 = first("social/g2", not_before=SWITCH_OVER, issued_at=ROTATION_ISSUED)
    guardian = first("guardianship/g1", not_before=JANUARY, issued_at=JANUARY)
    issued = [
        ("police/g1", police, False, "current, one generation"),
        ("shelter/g1", shelter, False, "current, one generation (NGO: funding international)"),
        ("social/g1", social_1, True, "first issue of social g1, superseded by its rotation"),
        (
            "social/g1",
            reissue(social_1, not_after=SWITCH_OVER, issued_at=ROTATION_ISSUED),
            False,
            "rotation: social g1 re-issued with not_after = the switch-over time",
        ),
        ("social/g2", social_2, False, "rotation: social g2, certified from the switch-over"),
        (
            "guardianship/g1",
            guardian,
            True,
            "first issue of guardianship g1, superseded by its revocation",
        ),
        (
            "guardianship/g1",
            reissue(
                guardian,
                revoked_at=REVOKED_AT,
                revocation_reason="test: synthetic compromise",
                issued_at=REVOKED_AT,
            ),
            False,
            "revocation: guardianship g1 re-issued with revoked_at",
        ),
    ]
    directory = KeyDirectory(V11_ROOT.public_key, registry)
    listed, signed_all = [], []
    for name, certificate, superseded, role in issued:
        signed = sign_certificate(certificate, V11_ROOT, registry)
        signed_all.append(signed)
        listed.append(
            {
                "generation": name,
                "role": role,
                "superseded": superseded,
                "fields": certificate.summary(),
                "certificate_hex": signed.data.hex(),
                "root_signature_hex": signed.signature.hex(),
            }
        )
    directory.extend((s.data, s.signature) for s in signed_all)
    return directory, listed, signed_all


def _pairs_holding(agency: str, holds: Sequence[str]) -> list[KeyPair]:
    return [
        p for p in GENERATIONS.values() if p.agency == agency and p.encryption_key_id.hex() in holds
    ]


def judge(directory: KeyDirectory, vector: dict[str, Any], positives: dict[str, Any]) -> str:
    """What the project's reader makes of a vector: ``accepted`` or the quarantine reason."""
    agency = vector["reader"]
    keyring = None if agency is None else Keyring(_pairs_holding(agency, vector["reader_holds"]))
    reader = EnvelopeReader(
        EnvelopeCodec(directory, keyring),
        MemoryQuarantine(),
        name=agency or "router",
        require_body=vector["require_body"],
    )

    def inbound(item: dict[str, Any]) -> Inbound:
        key = item["record_key_hex"]
        return Inbound(
            bytes.fromhex(item["value_hex"]),
            key=None if key is None else bytes.fromhex(key),
            received_at=None
            if item["received_at"] is None
            else datetime.fromisoformat(item["received_at"]),
        )

    for name in vector.get("preceded_by", []):
        assert reader.read(inbound(positives[name])).outcome is Outcome.ACCEPTED, name
    delivery = reader.read(inbound(vector))
    if delivery.outcome is Outcome.ACCEPTED:
        return "accepted"
    assert delivery.rejection is not None
    return delivery.rejection.reason


def write_v1_1() -> None:
    registry = default_registry()
    directory, certificates, _ = _directory_v1_1()
    police, shelter = GENERATIONS["police/g1"], GENERATIONS["shelter/g1"]
    social_1, social_2 = GENERATIONS["social/g1"], GENERATIONS["social/g2"]
    guardian = GENERATIONS["guardianship/g1"]
    nonce = Nonces()

    issued = Sealed(
        "referral-issued",
        "P1",
        "ReferralIssued with recipients, referral_id, causation_id and correlation_id: opens for"
        " the recipient (and the producer) and gives back the event.",
        {
            "event_id": "7e570000-0000-4000-8000-000000000101",
            "event_type": "ReferralIssued",
            "occurred_at": "2026-12-11T16:00:00+05:00",
            "producer": POLICE,
            "child_ref": CHILD,
            "recipients": [SHELTER],
            "region": "turkestan",
            "attributes": {"kind": "victim_services"},
            "referral_id": REFERRAL,
            "causation_id": "7e570000-0000-4000-8000-000000000100",
            "correlation_id": "7e570000-0000-4000-8000-0000000000c0",
            "payload": {
                "summary": "Synthetic test referral; it describes no one.",
                "urgency": "urgent",
                "requested_services": ["psychological", "legal"],
                "contact_name": "Test-Worker-Alpha",
                "contact_phone": None,
                "documents": ["Test-Document-1"],
            },
        },
        police,
        [police, shelter],
        "2026-12-11T11:00:01Z",
    )
    rotated = Sealed(
        "rotated-older-generation",
        "P3",
        "Signed with social g1, the older generation of a rotated key, at a time it was valid,"
        " and sealed to social g1's X25519 key: verifies after the rotation, opens for an agency"
        " that keeps the old secret.",
        {
            "event_id": "7e570000-0000-4000-8000-000000000301",
            "event_type": "RiskAssessed",
            "occurred_at": "2026-03-10T10:00:00+05:00",
            "producer": SOCIAL,
            "child_ref": CHILD,
            "recipients": [],
            "region": "turkestan",
            "attributes": {"risk_level": "moderate"},
            "referral_id": None,
            "causation_id": None,
            "correlation_id": "7e570000-0000-4000-8000-0000000000c0",
            "payload": {
                "assessor_role": "social_worker",
                "assessor_name": "Test-Assessor-Beta",
                "risk_factors": ["other"],
                "observations": "Synthetic test vector text.",
                "individual_plan_required": True,
                "next_visit": "2026-04-01",
            },
        },
        social_1,
        [social_1, shelter],
        "2026-03-10T05:00:01Z",
    )
    before_revocation = Sealed(
        "revoked-key-before-revocation",
        "P4",
        "Signed with guardianship g1 before its revocation and appended before it: still verifies"
        " and opens.",
        {
            "event_id": "7e570000-0000-4000-8000-000000000401",
            "event_type": "ChildIdentified",
            "occurred_at": "2026-08-20T10:00:00+05:00",
            "producer": GUARDIAN,
            "child_ref": CHILD,
            "recipients": [],
            "region": "turkestan",
            "attributes": {"accompanied": "false", "age_band": "14-17", "setting": "other"},
            "referral_id": None,
            "causation_id": None,
            "correlation_id": "7e570000-0000-4000-8000-0000000000c0",
            "payload": EVENT["payload"],
        },
        guardian,
        [guardian, shelter],
        "2026-08-20T05:00:01Z",
    )

    # The ciphertext_damaged record that the EnvelopeUnreadable answers.
    damaged_parts = issued.copy()
    damaged_parts.ciphertext = _flip(damaged_parts.ciphertext, 5)
    damaged = damaged_parts.sign(police)
    damaged_at = "2026-12-11T11:00:05Z"
    found = unreadable(
        EnvelopeCodec(directory),
        Inbound(damaged, key=CHILD.encode(), received_at=datetime.fromisoformat(damaged_at)),
        "ciphertext_damaged",
        SHELTER,
    )
    assert found is not None
    reply = answer(found, SHELTER, datetime.fromisoformat(damaged_at))
    answered = Sealed(
        "envelope-unreadable",
        "P2",
        "The recipient's EnvelopeUnreadable for the ciphertext_damaged copy of referral-issued"
        " (negative case ciphertext-byte-changed-re-signed), as the reference service makes it:"
        " event_id UUID v5 of (agency, refused event_id), occurred_at the refused record's"
        " append time in +05:00, the refused event's referral_id, child_ref, region and"
        " correlation_id, the empty payload, sealed to the answering agency and to the"
        " refused event's producer.",
        reply.to_json(),
        shelter,
        [shelter, police],
        "2026-12-11T11:00:06Z",
    )
    positives = [issued, answered, rotated, before_revocation]

    negatives: list[dict[str, Any]] = []

    def refuse(
        case: str,
        check: str,
        reason: str,
        change: str,
        value: bytes,
        *,
        base: Sealed | None = issued,
        resigned_by: KeyPair | None = None,
        reader: str | None = SHELTER,
        holds: Sequence[KeyPair] | None = None,
        require_body: bool | None = None,
        received_at: str | None = None,
        key: str | None = CHILD,
        preceded_by: Sequence[str] = (),
    ) -> None:
        if holds is None:
            holds = [p for p in GENERATIONS.values() if p.agency == reader]
        negatives.append(
            {
                "case": case,
                "check": check,
                "reason": reason,
                "base": None if base is None else base.case,
                "change": change,
                "resigned_by": None if resigned_by is None else resigned_by.signing_key_id.hex(),
                "reader": reader,
                "reader_holds": [p.encryption_key_id.hex() for p in holds],
                "require_body": reader is not None if require_body is None else require_body,
                "received_at": received_at or (base.received_at if base else None),
                "record_key_hex": None if key is None else key.encode().hex(),
                "value_hex": value.hex(),
                "preceded_by": list(preceded_by),
            }
        )

    def variant(
        base: Sealed,
        *,
        header: dict[str, Any] | None = None,
        signer: KeyPair | None = None,
        edit: Callable[[Parts], None] | None = None,
        plaintext: bytes | None = None,
        reencrypt: bool = True,
    ) -> bytes:
        """``base`` with a changed header, signer key id or other field; the body encrypted
        again under the new prefix (same content key, new nonce) unless ``reencrypt`` is off,
        and signed by ``signer`` (else by the base's signer)."""
        parts = base.copy()
        parts.header.update(header or {})
        if signer is not None:
            parts.signer_key_id = signer.signing_key_id
        if edit is not None:
            edit(parts)
        if reencrypt:
            parts.nonce = nonce()
            parts.encrypt(base.plaintext if plaintext is None else plaintext, base.content_key)
        return parts.sign(signer or base.signer)

    p1 = issued.value
    # 1, 2, 2a: framing, in the order the reader applies it.
    refuse(
        "first-magic-byte-changed", "1", "malformed_envelope", "byte 0 C3 -> C2", _flip(p1, 0, 1)
    )
    refuse(
        "nine-bytes",
        "1",
        "malformed_envelope",
        "only the first 9 bytes (C3 01 and 7 bytes of the fingerprint)",
        p1[:9],
    )
    refuse(
        "fifty-bytes-other-fingerprint",
        "2",
        "schema_unknown",
        "the first 50 bytes, byte 2 changed: C3 01 and an unknown fingerprint is schema_unknown"
        " whatever the length (2 comes before 2a)",
        _flip(p1[:50], 2),
    )
    refuse(
        "envelope-fingerprint-is-a-payload-fingerprint",
        "2",
        "schema_unknown",
        "bytes 2-9 replaced by the ReferralIssued v1 payload fingerprint: a known schema, but no"
        " envelope's",
        p1[:2] + registry.payload("ReferralIssued").fingerprint + p1[10:],
    )
    refuse(
        "fifty-bytes",
        "2a",
        "malformed_envelope",
        "only the first 50 bytes: the right prefix, too short to hold a signature",
        p1[:50],
    )
    # 3, 4: the signer's key and the signature.
    refuse(
        "signer-not-in-directory",
        "3",
        "unknown_key",
        "signer key id replaced by an uncertified TEST-ONLY key's, signed with that key",
        variant(issued, signer=STRANGER, reencrypt=False),
        resigned_by=STRANGER,
    )
    refuse(
        "signer-key-id-is-an-encryption-key-id",
        "3",
        "unknown_key",
        "bytes 10-25 replaced by the shelter's X25519 key id (known, but not a signing key id);"
        " not re-signed",
        p1[:10] + shelter.encryption_key_id + p1[26:],
    )
    refuse(
        "last-signature-byte-changed",
        "4",
        "signature_invalid",
        "last byte xor 01",
        _flip(p1, len(p1) - 1),
    )
    refuse(
        "header-byte-changed-not-re-signed",
        "4",
        "signature_invalid",
        "the last byte of the header's child_ref changed (c-7e57c0000001 -> c-7e57c0000000);"
        " not re-signed",
        _flip(p1, p1.index(CHILD.encode()) + len(CHILD) - 1),
    )
    no_domain = issued.copy()
    refuse(
        "signed-without-the-domain-prefix",
        "4",
        "signature_invalid",
        "signed by the producer over bytes[0:end-64] without ENVELOPE_DOMAIN",
        no_domain.sign(police, domain=b""),
        resigned_by=police,
    )
    # 5: structure.
    trailing = issued.copy()
    refuse(
        "byte-between-ciphertext-and-signature",
        "5",
        "malformed_envelope",
        "one 00 byte inserted before the signature, re-signed",
        _resign(trailing.unsigned() + b"\x00", police),
        resigned_by=police,
    )
    # 6: the claims needed before the signer is judged.
    refuse(
        "unknown-event-type",
        "6",
        "header_invalid",
        "event_type ReferralIssued -> ReferralIssue, body re-encrypted, re-signed",
        variant(issued, header={"event_type": "ReferralIssue"}),
        resigned_by=police,
    )
    refuse(
        "occurred-at-without-offset",
        "6",
        "header_invalid",
        "occurred_at 2026-12-11T16:00:00 (no offset), body re-encrypted, re-signed",
        variant(issued, header={"occurred_at": "2026-12-11T16:00:00"}),
        resigned_by=police,
    )
    # 7, 8, 9: the signer's certificate.
    refuse(
        "signed-by-another-agency",
        "7",
        "signer_mismatch",
        "signer key id and signature of social g2 (certified, valid at occurred_at); the header"
        " still names police.turkestan; body re-encrypted",
        variant(issued, signer=social_2),
        resigned_by=social_2,
    )
    refuse(
        "revoked-key-after-revocation",
        "8",
        "key_revoked",
        "occurred_at 2026-12-11T16:00:00+05:00, after guardianship g1's revoked_at"
        " (2026-09-01T00:00:00Z); body re-encrypted, re-signed with guardianship g1",
        variant(before_revocation, header={"occurred_at": "2026-12-11T16:00:00+05:00"}),
        base=before_revocation,
        resigned_by=guardian,
        received_at="2026-12-11T11:00:01Z",
    )
    refuse(
        "revoked-key-appended-after-revocation",
        "8",
        "key_revoked",
        "the bytes of revoked-key-before-revocation unchanged; the broker appended the record"
        " after revoked_at (received_at 2026-09-02T00:00:00Z)",
        before_revocation.value,
        base=before_revocation,
        received_at="2026-09-02T00:00:00Z",
    )
    refuse(
        "rotated-older-generation-after-switch-over",
        "9",
        "key_not_valid_at_event_time",
        "occurred_at 2026-07-15T10:00:00+05:00, after social g1's not_after"
        " (2026-07-01T00:00:00Z); body re-encrypted, re-signed with social g1",
        variant(rotated, header={"occurred_at": "2026-07-15T10:00:00+05:00"}),
        base=rotated,
        resigned_by=social_1,
        received_at="2026-07-15T05:00:01Z",
    )
    refuse(
        "rotated-newer-generation-before-not-before",
        "9",
        "key_not_valid_at_event_time",
        "signer key id and signature of social g2, whose not_before (2026-07-01T00:00:00Z) is"
        " after occurred_at; body re-encrypted",
        variant(rotated, signer=social_2),
        base=rotated,
        resigned_by=social_2,
    )
    # 10, 11: the payload schema.
    refuse(
        "payload-schema-unknown",
        "10",
        "schema_unknown",
        "payload_schema 0000000000000000, body re-encrypted, re-signed",
        variant(issued, edit=lambda p: setattr(p, "payload_schema", bytes(8))),
        resigned_by=police,
    )
    refuse(
        "payload-schema-of-another-event-type",
        "11",
        "schema_mismatch",
        "payload_schema = ChildIdentified v1's fingerprint, body re-encrypted, re-signed",
        variant(
            issued,
            edit=lambda p: setattr(
                p, "payload_schema", registry.payload("ChildIdentified").fingerprint
            ),
        ),
        resigned_by=police,
    )
    refuse(
        "payload-schema-is-the-envelope-fingerprint",
        "11",
        "schema_mismatch",
        "payload_schema = Envelope v1's fingerprint: known (10 passes), not a payload schema of"
        " ReferralIssued; body re-encrypted, re-signed",
        variant(issued, edit=lambda p: setattr(p, "payload_schema", ENVELOPE_V1.fingerprint)),
        resigned_by=police,
    )
    # 12, 12a: readers.
    refuse(
        "readers-without-the-recipient",
        "12",
        "malformed_envelope",
        "the shelter's reader entry removed, re-signed",
        variant(issued, edit=lambda p: p.readers.pop(0), reencrypt=False),
        resigned_by=police,
    )
    refuse(
        "readers-out-of-order",
        "12",
        "malformed_envelope",
        "the two reader entries swapped, re-signed",
        variant(issued, edit=lambda p: p.readers.reverse(), reencrypt=False),
        resigned_by=police,
    )
    refuse(
        "inbox-of-an-agency-that-is-not-a-reader",
        "12a",
        "not_a_reader",
        "bytes unchanged; read by social.turkestan's inbox (a consumer that needs the body)",
        p1,
        reader=SOCIAL,
    )
    # 13, 14, 15: the body, only for a reader.
    refuse(
        "reader-lost-the-older-generation",
        "13",
        "reader_key_missing",
        "bytes of rotated-older-generation unchanged; social.turkestan reads its own event"
        " holding only its g2 secret, the body is sealed to g1",
        rotated.value,
        base=rotated,
        reader=SOCIAL,
        holds=[social_2],
    )

    def unknown_reader_key(parts: Parts) -> None:
        parts.readers[0]["encryption_key_id"] = test_only("nokey", 16)

    refuse(
        "sealed-to-a-key-id-the-reader-never-held",
        "13",
        "reader_key_missing",
        "the shelter's encryption_key_id replaced by 16 TEST-ONLY bytes, re-signed",
        variant(issued, edit=unknown_reader_key, reencrypt=False),
        resigned_by=police,
    )
    refuse(
        "ciphertext-byte-changed-re-signed",
        "14",
        "ciphertext_damaged",
        "ciphertext byte 5 xor 01, re-signed (answered by envelope-unreadable)",
        damaged,
        resigned_by=police,
        received_at=damaged_at,
    )

    def sealed_to_police(parts: Parts) -> None:
        parts.readers[0]["sealed_key"] = parts.readers[1]["sealed_key"]

    refuse(
        "sealed-key-of-another-reader",
        "14",
        "ciphertext_damaged",
        "the shelter's sealed_key replaced by the police's (sealed to another X25519 key),"
        " re-signed",
        variant(issued, edit=sealed_to_police, reencrypt=False),
        resigned_by=police,
    )
    refuse(
        "body-moved-under-another-header",
        "14",
        "ciphertext_damaged",
        "child_ref c-7e57c0000002 (record key too), body NOT re-encrypted, re-signed: the"
        " associated data differs",
        variant(issued, header={"child_ref": OTHER_CHILD}, reencrypt=False),
        resigned_by=police,
        key=OTHER_CHILD,
    )
    refuse(
        "bytes-after-the-payload",
        "15",
        "payload_malformed",
        "one 00 byte appended to the plaintext, encrypted again (same content key, new nonce),"
        " re-signed",
        variant(issued, plaintext=issued.plaintext + b"\x00"),
        resigned_by=police,
    )
    other_schema = (
        issued.plaintext[:2]
        + registry.payload("ChildIdentified").fingerprint
        + issued.plaintext[10:]
    )
    refuse(
        "body-under-another-payload-fingerprint",
        "15",
        "payload_malformed",
        "plaintext bytes 2-9 = ChildIdentified v1's fingerprint, encrypted again, re-signed",
        variant(issued, plaintext=other_schema),
        resigned_by=police,
    )
    # 16: the whole header (contract v1.1 grammar and catalogue); the body opens.
    grammar = [
        ("child-ref-not-minted", {"child_ref": "c-1"}, "child_ref c-1 (record key c-1 too)"),
        ("region-not-a-region-code", {"region": "national"}, "region national"),
        (
            "attribute-not-in-its-code-list",
            {"attributes": [{"name": "kind", "value": "Test free text"}]},
            "attribute kind = free text",
        ),
        (
            "attribute-names-repeated",
            {
                "attributes": [
                    {"name": "kind", "value": "victim_services"},
                    {"name": "kind", "value": "victim_services"},
                ]
            },
            "the attribute kind listed twice",
        ),
        (
            "event-id-upper-case",
            {"event_id": "7E570000-0000-4000-8000-000000000101"},
            "event_id in upper case",
        ),
        ("referral-id-missing", {"referral_id": None}, "referral_id null on a ReferralIssued"),
        (
            "correlation-id-not-a-uuid",
            {"correlation_id": "test-correlation"},
            "correlation_id not a UUID",
        ),
    ]
    for case, changes, what in grammar:
        refuse(
            case,
            "16",
            "header_invalid",
            f"{what}; body encrypted again under the new header, re-signed",
            variant(issued, header=changes),
            resigned_by=police,
            key=changes.get("child_ref", CHILD),
        )
    # 17: the record key.
    refuse(
        "record-key-absent", "17", "key_mismatch", "bytes unchanged, no record key", p1, key=None
    )
    refuse(
        "record-key-of-another-child",
        "17",
        "key_mismatch",
        "bytes unchanged, record key c-7e57c0000002",
        p1,
        key=OTHER_CHILD,
    )
    refuse(
        "record-key-upper-case",
        "17",
        "key_mismatch",
        "bytes unchanged, record key C-7E57C0000001",
        p1,
        key=CHILD.upper(),
    )
    # 18, 19: per consumer, after the record key.
    refuse(
        "same-event-id-other-content",
        "18",
        "duplicate_event",
        "after referral-issued was accepted: attribute kind = other under the same event_id,"
        " body re-encrypted, re-signed",
        variant(issued, header={"attributes": [{"name": "kind", "value": "other"}]}),
        resigned_by=police,
        preceded_by=[issued.case],
    )
    forbidden = Sealed(
        "not-authorised-base",
        "N19",
        "",
        {**rotated.plain, "event_id": "7e570000-0000-4000-8000-000000000191", "producer": POLICE},
        police,
        [police, shelter],
        "2026-03-10T05:00:02Z",
    )
    refuse(
        "type-may-not-emit",
        "19",
        "not_authorised",
        "a complete, valid RiskAssessed (the rotated-older-generation event) produced and"
        " signed by police.turkestan, whose agency type may not emit RiskAssessed",
        forbidden.value,
        base=rotated,
        resigned_by=police,
        received_at=forbidden.received_at,
    )
    # Two faults: the earlier check decides.
    refuse(
        "order-signature-before-record-key",
        "4",
        "signature_invalid",
        "last signature byte changed and no record key",
        _flip(p1, len(p1) - 1),
        key=None,
    )
    refuse(
        "order-signer-before-revocation",
        "7",
        "signer_mismatch",
        "signed with the revoked guardianship g1 key after its revocation, under the police's"
        " header; body re-encrypted",
        variant(issued, signer=guardian),
        resigned_by=guardian,
    )
    bad_region = variant(issued, header={"region": "national"}, reencrypt=False)
    refuse(
        "order-body-before-header-for-a-reader",
        "14",
        "ciphertext_damaged",
        "region national, body NOT re-encrypted, re-signed: a reader fails at 14 before 16",
        bad_region,
        resigned_by=police,
    )
    refuse(
        "order-header-for-a-verifier",
        "16",
        "header_invalid",
        "the same bytes read by a consumer that does not open bodies (router, audit)",
        bad_region,
        resigned_by=police,
        reader=None,
    )
    refuse(
        "order-not-a-reader-before-header",
        "12a",
        "not_a_reader",
        "region national, body re-encrypted, re-signed; read by social.turkestan's inbox",
        variant(issued, header={"region": "national"}),
        resigned_by=police,
        reader=SOCIAL,
    )
    refuse(
        "order-header-before-record-key",
        "16",
        "header_invalid",
        "region national, body re-encrypted, re-signed, and no record key",
        variant(issued, header={"region": "national"}),
        resigned_by=police,
        key=None,
    )

    positive_vectors = [_positive(s, directory) for s in positives]
    by_case = {v["case"]: v for v in positive_vectors}
    for vector in positive_vectors:
        assert judge(directory, vector, by_case) == "accepted", vector["case"]
    for vector in negatives:
        assert judge(directory, vector, by_case) == vector["reason"], vector["case"]
    assert {v["reason"] for v in negatives} == REJECTION_REASONS
    assert len({v["case"] for v in negatives}) == len(negatives)

    entries = []
    for subject in (SOCIAL, GUARDIAN):
        entries.append(
            {
                "subject": subject,
                "record_key_hex": subject.encode().hex(),
                "value_hex": directory.entry(subject).hex(),
                "certificates": [s.certificate.summary() for s in directory.certificates(subject)],
            }
        )
    vectors = {
        "warning": "TEST-ONLY KEYS: every secret is the ASCII text 'TEST-ONLY <label>' padded"
        " with dots; they protect nothing, never certify them for real use. Every name,"
        " identifier and payload value is synthetic.",
        "description": "Envelope v1 wire format with the contract v1.1 header (envelope.md,"
        " section 10): a directory with a rotated and a revoked agency, DirectoryEntry bytes,"
        " positive vectors that verify and open, and negative vectors for every refusal"
        " reason, each with the check (section 6) that refuses it. Written by generate.py,"
        " deterministically.",
        "domains": {
            "envelope_signature": ENVELOPE_DOMAIN.hex(),
            "body_associated_data": BODY_DOMAIN.hex(),
            "certificate_signature": CERTIFICATE_DOMAIN.hex(),
            "content_digest": DIGEST_DOMAIN.hex(),
        },
        "schemas": {
            f"{v.area}/{v.name}/v{v.version}": v.fingerprint.hex()
            for v in (
                ENVELOPE_V1,
                registry.latest("directory", "Certificate"),
                registry.latest("directory", "DirectoryEntry"),
                *(
                    registry.payload(t)
                    for t in ("ChildIdentified", "EnvelopeUnreadable", "ReferralIssued")
                ),
                registry.payload("RiskAssessed"),
            )
        },
        "checks": [{"check": c, "reason": r, "rule": rule} for c, r, rule in CHECKS],
        "root": {
            "seed_hex": V11_ROOT.seed.hex(),
            "public_key_hex": V11_ROOT.public_key.hex(),
            "key_id_hex": V11_ROOT.key_id.hex(),
        },
        "keys": [_key(name, pair, certified=True) for name, pair in GENERATIONS.items()]
        + [_key("police/stranger", STRANGER, certified=False)],
        "directory": {"certificates": certificates, "entries": entries},
        "positive": positive_vectors,
        "negative": negatives,
    }
    OUT_V1_1.write_text(json.dumps(vectors, indent=2, ensure_ascii=False) + "\n")


def _flip(data: bytes, position: int, mask: int = 0x01) -> bytes:
    changed = bytearray(data)
    changed[position] ^= mask
    return bytes(changed)


def _resign(unsigned: bytes, pair: KeyPair) -> bytes:
    return unsigned + sodium.crypto_sign(ENVELOPE_DOMAIN + unsigned, pair.signing_secret_key)[:64]


def _key(name: str, pair: KeyPair, *, certified: bool) -> dict[str, Any]:
    return {
        "name": name,
        "agency": pair.agency,
        "certified": certified,
        "signing_seed_hex": pair.signing_seed.hex(),
        "signing_public_key_hex": pair.signing_public_key.hex(),
        "signing_key_id_hex": pair.signing_key_id.hex(),
        "encryption_secret_hex": pair.encryption_secret.hex(),
        "encryption_public_key_hex": pair.encryption_public_key.hex(),
        "encryption_key_id_hex": pair.encryption_key_id.hex(),
    }


def _positive(sealed: Sealed, directory: KeyDirectory) -> dict[str, Any]:
    assert sealed.parts is not None
    reader = sealed.plain["recipients"][0] if sealed.plain["recipients"] else None
    reader = reader or next(p.agency for p in sealed.readers if p.agency != sealed.signer.agency)
    pair = next(p for p in sealed.readers if p.agency == reader)
    opened = EnvelopeCodec(directory, Keyring([pair])).decode(sealed.value)
    return {
        "case": sealed.case,
        "description": sealed.description,
        "event": sealed.plain,
        "reader": reader,
        "reader_holds": [pair.encryption_key_id.hex()],
        "require_body": True,
        "received_at": sealed.received_at,
        "record_key_hex": sealed.plain["child_ref"].encode().hex(),
        "value_hex": sealed.value.hex(),
        "signer_key_id_hex": sealed.signer.signing_key_id.hex(),
        "payload_schema_hex": sealed.parts.payload_schema.hex(),
        "header_avro_hex": sealed.value[34 : sealed.header_end()].hex(),
        "payload_soe_hex": sealed.plaintext.hex(),
        "content_key_hex": sealed.content_key.hex(),
        "nonce_hex": sealed.parts.nonce.hex(),
        "readers": [
            {
                "agency": entry["agency"],
                "encryption_key_id_hex": entry["encryption_key_id"].hex(),
                "ephemeral_secret_hex": sealed.ephemeral[entry["agency"]].hex(),
                "sealed_key_hex": entry["sealed_key"].hex(),
            }
            for entry in sealed.parts.readers
        ],
        "content_digest_hex": opened.digest.hex(),
    }


def main() -> None:
    configure("vectors", level="ERROR")  # the reader logs every refusal it checks
    if OUT.exists():
        print(f"{OUT.name}: exists, left as it is (its envelope has random parts)")
    else:
        write_v1()
        print(f"{OUT.name}: written")
    write_v1_1()
    print(f"{OUT_V1_1.name}: written (deterministic)")


if __name__ == "__main__":
    main()
