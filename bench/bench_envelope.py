"""Envelope codec rates beside the raw libsodium rates of the same operations, in one run.

Encode = header and payload to Avro, AEAD once, seal the content key for each reader, sign.
Decode = verify, check the signer, open one sealed key, AEAD-decrypt, decode the payload.
The raw bound runs only the PyNaCl primitives (``nacl.bindings``) on inputs of the same sizes:
sign + seal x N + AEAD for encode, verify + unseal + AEAD-decrypt for decode. Each figure is the
best of several rounds, raw and codec rounds interleaved, so both see the same machine noise.

Run: ``.venv/bin/python bench/bench_envelope.py`` (about 50 s; ``--strict`` exits 1 when a ratio
misses its target). All data is synthetic.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import fastavro
import nacl.bindings as sodium

from backbone.domain.events import Event, parse_event
from backbone.envelope.certificates import new_certificate, sign_certificate
from backbone.envelope.codec import BODY_DOMAIN, ENVELOPE_DOMAIN, EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.keys import KeyPair, Keyring, RootKey
from backbone.envelope.schemas import default_registry

PRODUCER = "police.turkestan"
OTHERS = (
    "ngo.shymkent.sana-sezim",
    "guardianship.turkestan",
    "social.shymkent",
    "phc.shymkent.p-3",
)
TARGETS = {"encode": 0.60, "decode": 0.70}
SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def _events() -> dict[str, Event]:
    """The heaviest payload (ChildIdentified) and a typical lifecycle one (ReferralAccepted)."""
    common = {
        "occurred_at": "2026-12-11T16:00:00+05:00",
        "producer": PRODUCER,
        "child_ref": "c-be4c00000001",
        "recipients": [],
        "region": "turkestan",
    }
    child = {
        **common,
        "event_id": str(uuid.uuid4()),
        "event_type": "ChildIdentified",
        "attributes": {"setting": "raid", "accompanied": "false", "age_band": "14-17"},
        "payload": {
            "given_name": "Test-Name-Alpha",
            "family_name": "Test-Family-Beta",
            "patronymic": "Test-Patronymic",
            "iin": "000000000017",
            "birth_date": "2012-01-01",
            "estimated_age_years": None,
            "sex": "female",
            "citizenship": "KZ",
            "languages": ["kk", "ru"],
            "location": {
                "district": "Test-District",
                "settlement": "Test-Village",
                "place_description": "Test livestock holding, north gate",
            },
            "circumstances": "Synthetic text: found working at a test farm during a test raid, "
            "without documents; says the employer keeps the passport.",
            "accompanying_adult": {"relationship": "employer", "name": "Test-Adult-Gamma"},
            "identified_by": "Test-Officer-Delta, anti-trafficking inspector",
        },
    }
    accepted = {
        **common,
        "event_id": str(uuid.uuid4()),
        "event_type": "ReferralAccepted",
        "referral_id": "r-be4c00000001",
        "attributes": {},
        "payload": {
            "responsible_worker": "Test-Worker-Theta, case manager",
            "contact_phone": "+7 700 000 0000",
            "planned_first_contact": "2026-12-12",
            "note": None,
        },
    }
    return {e["event_type"]: parse_event(e) for e in (child, accepted)}


def _world() -> tuple[KeyDirectory, dict[str, KeyPair]]:
    root = RootKey.generate()
    directory = KeyDirectory(root.public_key, default_registry())
    pairs = {}
    for agency in (PRODUCER, *OTHERS):
        pairs[agency] = KeyPair.generate(agency, SINCE)
        certificate = new_certificate(pairs[agency], root, agency, not_before=SINCE)
        signed = sign_certificate(certificate, root)
        directory.add(signed.data, signed.signature)
    return directory, pairs


def _per_second(operation: Callable[[], object], seconds: float) -> float:
    count, began = 0, time.perf_counter()
    deadline = began + seconds
    while True:
        for _ in range(50):
            operation()
        count += 50
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - began)


def _best(
    raw_operation: Callable[[], object],
    codec_operation: Callable[[], object],
    rounds: int,
    seconds: float,
) -> tuple[float, float]:
    raw, codec = 0.0, 0.0
    for _ in range(rounds):
        raw = max(raw, _per_second(raw_operation, seconds))
        codec = max(codec, _per_second(codec_operation, seconds))
    return raw, codec


def _header_end(envelope: bytes) -> int:
    """Where the clear header ends (the AEAD's associated data is everything before it)."""
    definition = default_registry().latest("envelope", "Envelope").definition
    expanded: Any = fastavro.parse_schema(dict(definition), expand=True)
    stream = io.BytesIO(envelope)
    stream.seek(34)  # C3 01, envelope fingerprint, signer key id, payload fingerprint
    fastavro.schemaless_reader(stream, fastavro.parse_schema(expanded["fields"][2]["type"]))
    return stream.tell()


def _pairs(
    event: Event, readers_count: int, directory: KeyDirectory, pairs: dict[str, KeyPair]
) -> list[tuple[str, Callable[[], object], Callable[[], object], int]]:
    """(name, raw operation, codec operation, envelope size) for encode and decode."""
    readers = OTHERS[: readers_count - 1]
    opener = OTHERS[0] if readers else PRODUCER  # an addressed reader decodes
    producer = EnvelopeCodec(directory, Keyring([pairs[PRODUCER]]))
    reader = EnvelopeCodec(directory, Keyring([pairs[opener]]))
    envelope = producer.encode(event, readers)

    registry = default_registry()
    plaintext = registry.soe_encode(registry.payload(event.event_type), event.payload)
    aad = BODY_DOMAIN + envelope[: _header_end(envelope)]
    content_key, nonce = sodium.randombytes(32), sodium.randombytes(24)
    ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, aad, nonce, content_key
    )
    signing, verifying = pairs[PRODUCER].signing_secret_key, pairs[PRODUCER].signing_public_key
    signed_input = ENVELOPE_DOMAIN + envelope[:-64]
    signed_message = envelope[-64:] + signed_input
    public_keys = [pairs[a].encryption_public_key for a in (PRODUCER, *readers)]
    box_public, box_secret = pairs[opener].encryption_public_key, pairs[opener].encryption_secret
    sealed = sodium.crypto_box_seal(content_key, box_public)

    def raw_encode() -> None:
        sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, nonce, content_key)
        for public_key in public_keys:
            sodium.crypto_box_seal(content_key, public_key)
        sodium.crypto_sign(signed_input, signing)

    def raw_decode() -> None:
        sodium.crypto_sign_open(signed_message, verifying)
        key = sodium.crypto_box_seal_open(sealed, box_public, box_secret)
        sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, aad, nonce, key)

    return [
        ("encode", raw_encode, lambda: producer.encode(event, readers), len(envelope)),
        ("decode", raw_decode, lambda: reader.decode(envelope), len(envelope)),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=0.5, help="length of one round")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a ratio misses its target")
    args = parser.parse_args()
    directory, pairs = _world()
    print(
        f"envelope codec vs raw libsodium (PyNaCl bindings), "
        f"best of {args.rounds} rounds x {args.seconds}s"
    )
    print(
        f"{'event':<18}{'operation':<18}{'bytes':>7}{'codec/s':>10}{'raw/s':>10}"
        f"{'ratio':>8}{'target':>8}"
    )
    below = 0
    for event_type, event in _events().items():
        for readers_count in (1, 3, 5):
            operations = _pairs(event, readers_count, directory, pairs)
            for name, raw_operation, codec_operation, size in operations:
                raw, codec = _best(raw_operation, codec_operation, args.rounds, args.seconds)
                ratio, target = codec / raw, TARGETS[name]
                below += ratio < target
                label = f"{name} {readers_count} reader{'s' if readers_count > 1 else ''}"
                print(
                    f"{event_type:<18}{label:<18}{size:>7}{codec:>10.0f}{raw:>10.0f}"
                    f"{ratio:>8.1%}{target:>8.0%}  {'ok' if ratio >= target else 'BELOW TARGET'}"
                )
    print(f"{below} of 12 ratios below target" if below else "every ratio meets its target")
    return 1 if below and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
