"""Envelope test helpers: a world of test agencies, synthetic events, and a forger.

The forger builds and re-signs envelopes from ``contracts/envelope.md`` alone (fastavro with the
whole Envelope schema, PyNaCl bindings), independently of ``EnvelopeCodec``: it makes the tampered
and forged records of the rejection tests and shows that the contract is implementable.

Every value here is an obviously synthetic placeholder ("Test-Name-Alpha", IIN "000000000017").
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import nacl.bindings as sodium
from hypothesis import strategies as st

from backbone.domain.agencies import REGIONS
from backbone.domain.catalogue import CATALOGUE
from backbone.domain.events import Event, parse_event
from backbone.envelope.certificates import (
    Certificate,
    new_certificate,
    reissue,
    sign_certificate,
)
from backbone.envelope.codec import BODY_DOMAIN, ENVELOPE_DOMAIN, EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.keys import KeyPair, Keyring, RootKey
from backbone.envelope.schemas import default_registry, read_body, write_body

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
# Minted-looking test pseudonyms ("7e57" for test).
TEST_CHILD, TEST_REFERRAL = "c-7e57c0000001", "r-7e57e0000001"
OCCURRED = "2026-12-11T16:00:00+05:00"
AGENCIES: Mapping[str, tuple[str, str | None]] = {
    "police.turkestan": ("Test Police Department", None),
    "ngo.shymkent.sana-sezim": ("Test NGO Shelter", "international"),
    "guardianship.turkestan": ("Test Guardianship Authority", None),
    "school.turkestan.school-12": ("Test School 12", None),
    "social.turkestan": ("Test Social Programmes Department", None),
    "centre.shymkent.support-centre": ("Test Child Support Centre", None),
    "phc.turkestan.polyclinic-3": ("Test Polyclinic 3", None),
    "hotline.national.116-16": ("Test Hotline", None),
    "audit.national": ("Test Audit Projection", None),
}
CHILD_PAYLOAD: Mapping[str, Any] = {
    "given_name": "Test-Name-Alpha",
    "family_name": "Test-Family-Beta",
    "patronymic": None,
    "iin": "000000000017",
    "birth_date": "2012-01-01",
    "estimated_age_years": None,
    "sex": "female",
    "citizenship": "KZ",
    "languages": ["kk", "ru"],
    "location": {
        "district": "Test-District-Gamma",
        "settlement": "Test-Village-Delta",
        "place_description": "Test-Farm-Epsilon",
    },
    "circumstances": "Synthetic: found at a test farm during a test raid.",
    "accompanying_adult": {"relationship": "employer", "name": "Test-Adult-Zeta"},
    "identified_by": "Test-Officer-Eta",
}
# Strings that must never appear outside a ciphertext.
SECRETS_IN_PAYLOAD = (
    "Test-Name-Alpha",
    "Test-Family-Beta",
    "000000000017",
    "Test-District-Gamma",
    "Test-Village-Delta",
    "Test-Farm-Epsilon",
    "Test-Adult-Zeta",
    "Test-Officer-Eta",
)


@dataclass
class World:
    """A root, a directory and one key pair per test agency (certified from ``SINCE``)."""

    root: RootKey
    directory: KeyDirectory
    pairs: dict[str, KeyPair] = field(default_factory=dict)

    def certify(self, certificate: Certificate) -> Certificate:
        signed = sign_certificate(certificate, self.root)
        self.directory.add(signed.data, signed.signature)
        return signed.certificate

    def add_agency(self, agency: str, created_at: datetime = SINCE) -> KeyPair:
        pair = KeyPair.generate(agency, created_at)
        name, funding = AGENCIES.get(agency, (f"Test {agency}", None))
        self.certify(new_certificate(pair, self.root, name, funding=funding, not_before=created_at))
        self.pairs[agency] = pair
        return pair

    def certificate(self, pair: KeyPair) -> Certificate:
        found = self.directory.signer(pair.signing_key_id)
        assert found is not None
        return found

    def revoke(self, pair: KeyPair, at: datetime) -> None:
        self.certify(reissue(self.certificate(pair), revoked_at=at, revocation_reason="test"))

    def codec(
        self, agency: str | None = None, directory: KeyDirectory | None = None
    ) -> EnvelopeCodec:
        keyring = None if agency is None else Keyring([self.pairs[agency]])
        return EnvelopeCodec(directory or self.directory, keyring)

    def copy_directory(self) -> KeyDirectory:
        """A snapshot (e.g. a producer's stale view from before a revocation)."""
        snapshot = KeyDirectory(self.root.public_key, self.directory.registry)
        snapshot.extend((s.data, s.signature) for s in self.directory.certificates())
        return snapshot


def make_world() -> World:
    root = RootKey.generate()
    world = World(root, KeyDirectory(root.public_key))
    for agency in AGENCIES:
        world.add_agency(agency)
    return world


def minimal_payload(event_type: str) -> dict[str, Any]:
    """A valid payload with every field filled by a synthetic placeholder."""
    return _fill(default_registry().payload(event_type).definition, "Test")


def _fill(schema: Any, name: str) -> Any:
    if isinstance(schema, list):
        return _fill(next(s for s in schema if s != "null"), name)
    if isinstance(schema, str):
        return {"string": f"{name}-value", "int": 1, "long": 1, "boolean": False}[schema]
    kind = schema["type"]
    if kind == "record":
        return {f["name"]: _fill(f["type"], f"Test-{f['name']}") for f in schema["fields"]}
    if kind == "enum":
        return schema["symbols"][0]
    if kind == "array":
        return [_fill(schema["items"], name)]
    return _fill(kind, name)


def attributes_for(event_type: str) -> dict[str, str]:
    """The first code of each attribute's closed list (a rule id for the audit's events)."""
    return {
        key: sorted(allowed)[0] if isinstance(allowed, frozenset) else "referral-receipt"
        for key, allowed in CATALOGUE[event_type].attributes.items()
    }


def region_of(agency: str) -> str:
    """The header region an agency's events carry: its own, or Turkestan for a national one."""
    region = agency.split(".")[1]
    return region if region in REGIONS else "turkestan"


def plain_event(
    event_type: str = "ChildIdentified",
    producer: str = "police.turkestan",
    *,
    recipients: Sequence[str] | None = None,
    payload: Mapping[str, Any] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    if recipients is None:
        recipients = ["ngo.shymkent.sana-sezim"] if event_type == "ReferralIssued" else []
    plain: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "occurred_at": OCCURRED,
        "producer": producer,
        "child_ref": TEST_CHILD,
        "recipients": list(recipients),
        "region": region_of(producer),
        "attributes": attributes_for(event_type),
        "referral_id": TEST_REFERRAL if event_type.startswith("Referral") else None,
        "causation_id": str(uuid.uuid4()) if event_type == "EnvelopeUnreadable" else None,
        "payload": dict(payload)
        if payload is not None
        else (
            dict(CHILD_PAYLOAD) if event_type == "ChildIdentified" else minimal_payload(event_type)
        ),
    }
    plain.update(overrides)
    return plain


def make_event(
    event_type: str = "ChildIdentified", producer: str = "police.turkestan", **kwargs: Any
) -> Event:
    return parse_event(plain_event(event_type, producer, **kwargs))


# The forger: contracts/envelope.md, implemented again with the whole Envelope schema.

_EMPTY_TAIL = 1 + 24 + 1 + 64  # empty readers array, nonce, empty ciphertext, signature


def envelope_schema() -> Any:
    return default_registry().latest("envelope", "Envelope")


def parse_envelope(data: bytes) -> dict[str, Any]:
    """Every field of an envelope (no checks at all)."""
    schema = envelope_schema()
    assert data[:10] == schema.soe_prefix
    record, end = read_body(data, schema.parsed, None, 10)
    assert end == len(data)
    return dict(record)


def sign_record(record: Mapping[str, Any], signing_secret_key: bytes) -> bytes:
    """Encode ``record`` as an envelope and sign it (whatever its fields say)."""
    schema = envelope_schema()
    unsigned = schema.soe_prefix + write_body(schema.parsed, {**record, "signature": bytes(64)})
    unsigned = unsigned[:-64]
    signature = sodium.crypto_sign(ENVELOPE_DOMAIN + unsigned, signing_secret_key)[:64]
    return unsigned + signature


def header_datum(plain: Mapping[str, Any]) -> dict[str, Any]:
    header = {
        k: plain.get(k)
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
    header["attributes"] = [{"name": k, "value": v} for k, v in sorted(plain["attributes"].items())]
    return header


def forge(
    plain: Mapping[str, Any],
    signer: KeyPair,
    readers: Iterable[tuple[str, bytes, bytes]],
    *,
    plaintext: bytes | None = None,
    payload_schema: bytes | None = None,
    signer_key_id: bytes | None = None,
    content_key: bytes | None = None,
    nonce: bytes | None = None,
) -> bytes:
    """A complete envelope built from the contract: AEAD, sealed keys, signature.

    ``readers`` are (agency, encryption key id, X25519 public key); ``plaintext`` defaults to the
    SOE of ``plain["payload"]`` under its event type's schema.
    """
    registry = default_registry()
    schema = registry.payload(plain["event_type"]) if plain["event_type"] in CATALOGUE else None
    if plaintext is None:
        assert schema is not None
        plaintext = registry.soe_encode(schema, plain["payload"])
    if payload_schema is None:
        assert schema is not None
        payload_schema = schema.fingerprint
    content_key = content_key or sodium.randombytes(32)
    nonce = nonce or sodium.randombytes(24)
    record: dict[str, Any] = {
        "signer_key_id": signer_key_id or signer.signing_key_id,
        "payload_schema": payload_schema,
        "header": header_datum(plain),
        "readers": [],
        "nonce": nonce,
        "ciphertext": b"",
        "signature": bytes(64),
    }
    bare = envelope_schema().soe_prefix + write_body(envelope_schema().parsed, record)
    associated = BODY_DOMAIN + bare[:-_EMPTY_TAIL]
    record["ciphertext"] = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, associated, nonce, content_key
    )
    record["readers"] = [
        {
            "agency": agency,
            "encryption_key_id": key_id,
            "sealed_key": sodium.crypto_box_seal(content_key, public_key),
        }
        for agency, key_id, public_key in sorted(readers)
    ]
    return sign_record(record, signer.signing_secret_key)


def reader_keys(world: World, agencies: Iterable[str]) -> list[tuple[str, bytes, bytes]]:
    return [
        (a, world.pairs[a].encryption_key_id, world.pairs[a].encryption_public_key)
        for a in agencies
    ]


# Hypothesis strategies for payloads and headers.

_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), max_size=40
)


def payloads(event_type: str) -> st.SearchStrategy[dict[str, Any]]:
    return _strategy(default_registry().payload(event_type).definition)  # type: ignore[no-any-return]


def _strategy(schema: Any) -> st.SearchStrategy[Any]:
    if isinstance(schema, list):
        return st.one_of([_strategy(s) for s in schema])
    if isinstance(schema, str):
        return {
            "null": st.none(),
            "string": _TEXT,
            "int": st.integers(-(2**31), 2**31 - 1),
            "long": st.integers(-(2**63), 2**63 - 1),
            "boolean": st.booleans(),
        }[schema]
    kind = schema["type"]
    if kind == "record":
        return st.fixed_dictionaries({f["name"]: _strategy(f["type"]) for f in schema["fields"]})
    if kind == "enum":
        return st.sampled_from(schema["symbols"])
    if kind == "array":
        return st.lists(_strategy(schema["items"]), max_size=3)
    return _strategy(kind)
