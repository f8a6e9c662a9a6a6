"""Writes ``envelope-v1.json``: test vectors for contracts/envelope.md.

TEST-ONLY KEYS. Every seed and secret below is a fixed byte pattern published on purpose; they
protect nothing and must never be certified by a real directory root.

Deterministic parts (key ids, payload and header bytes, certificates, root signatures, the AEAD
for a given key and nonce, the envelope signature for given bytes) can be recomputed exactly. The
full envelope contains random parts (content key, nonce, sealed-box ephemeral keys), so it is
stored once and must verify and open; regenerating this file gives a new, equally valid one.

Run: ``.venv/bin/python contracts/vectors/generate.py``
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastavro
import nacl.bindings as sodium

from backbone.domain.events import parse_event
from backbone.envelope.certificates import CERTIFICATE_DOMAIN, new_certificate, sign_certificate
from backbone.envelope.codec import BODY_DOMAIN, DIGEST_DOMAIN, ENVELOPE_DOMAIN, EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.keys import KeyPair, Keyring, RootKey
from backbone.envelope.schemas import default_registry

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


def main() -> None:
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


if __name__ == "__main__":
    main()
