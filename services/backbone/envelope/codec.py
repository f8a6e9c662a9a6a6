"""The envelope codec: the one object that signs, encrypts, verifies and opens events.

Wire bytes (contracts/envelope.md): the single-object encoding of ``kz.referral.envelope.Envelope``
whose fields, in order, are signer key id, payload schema fingerprint, clear header, readers
(each with its sealed content key), nonce, ciphertext and signature. So::

    prefix    = C3 01 | envelope fingerprint | signer key id | payload fingerprint | header
    plaintext = single-object encoding of the payload
    ciphertext = XChaCha20-Poly1305-IETF(plaintext, aad = BODY_DOMAIN + prefix, nonce, content key)
    signature = Ed25519(ENVELOPE_DOMAIN + every wire byte before the signature)

Decoding checks, in order: framing, signer key known, signature, envelope structure, event type
and time, signer owns the producer, key not revoked, key valid at ``occurred_at``, payload
schema known and the event type's, readers; then, only for a reader, the sealed key, the AEAD
and the payload; last, the whole header against the contract (contracts/envelope.md, 6).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import fastavro
import nacl.bindings as sodium
from nacl.exceptions import CryptoError

from backbone.domain.agencies import agency_type, is_agency_id
from backbone.domain.catalogue import may_emit
from backbone.domain.events import Event
from backbone.envelope.certificates import Certificate
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.errors import (
    CiphertextDamaged,
    EncodingRefused,
    EnvelopeRejected,
    KeyNotValidAtEventTime,
    KeyRevoked,
    MalformedEnvelope,
    NotAReader,
    NotAuthorised,
    PayloadMalformed,
    ReaderKeyMissing,
    SchemaMismatch,
    SchemaUnknown,
    SignatureInvalid,
    SignerMismatch,
    UnknownKey,
)
from backbone.envelope.header import (
    authenticated_event_id,
    claims,
    event_from_header,
    header_datum,
    kept_event,
)
from backbone.envelope.keys import KeyPair, Keyring
from backbone.envelope.schemas import (
    SOE_MAGIC,
    SchemaRegistry,
    SchemaVersion,
    read_body,
    write_body,
)

ENVELOPE_DOMAIN = b"kz-referral-envelope/v1\x00"
BODY_DOMAIN = b"kz-referral-envelope-body/v1\x00"
DIGEST_DOMAIN = b"kz-referral-event-content/v1\x00"

_FIELDS = (
    "signer_key_id",
    "payload_schema",
    "header",
    "readers",
    "nonce",
    "ciphertext",
    "signature",
)
_KEY_AT, _SCHEMA_AT, _HEADER_AT = 10, 26, 34
_SIGNATURE = sodium.crypto_sign_BYTES
_CONTENT_KEY = sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES
_NONCE = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
_AGENCY_ID_MEMORY = 100_000


@dataclass(frozen=True)
class VerifiedEnvelope:
    """A decoded envelope whose signature and signer checked out.

    ``event.payload`` is the decoded body when this codec's agency is a reader, else ``None``.
    ``digest`` identifies the content (header, payload schema and, when opened, the payload) for
    duplicate detection; it does not depend on the random parts of the envelope.
    ``clear_header`` is the envelope's own prefix (its schema) and the clear header's Avro bytes
    as they were signed: what ``read_clear_header`` turns back into the event without payload.
    """

    event: Event
    signer_key_id: bytes
    payload_schema: bytes
    readers: tuple[str, ...]
    digest: bytes
    clear_header: bytes

    @property
    def opened(self) -> bool:
        return self.event.payload is not None


def addressed_readers(event: Event, readers: Iterable[str] = ()) -> tuple[str, ...]:
    """The readers of ``event``: the producer, every recipient, and ``readers``; sorted."""
    return tuple(sorted({event.producer, *event.recipients, *readers}))


class EnvelopeCodec:
    """Turns an ``Event`` into envelope bytes and back.

    ``keyring`` is this process's agency: it signs what ``encode`` makes and opens bodies
    addressed to it. Without a keyring the codec only verifies (router, audit).
    """

    def __init__(
        self,
        directory: KeyDirectory,
        keyring: Keyring | None = None,
        *,
        registry: SchemaRegistry | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._directory = directory
        self._keyring = keyring
        self._registry = registry or directory.registry
        self._clock = clock or (lambda: datetime.now(UTC))
        envelope = self._registry.latest("envelope", "Envelope")
        self._prefix = envelope.soe_prefix
        self._header_schema, self._tail_schema = _sub_schemas(envelope)
        self._reader_keys: dict[str, tuple[Certificate, bytes, bytes]] = {}
        self._reader_keys_version = -1
        self._agency_ids: set[str] = set()  # reader ids already found well-formed

    @property
    def agency(self) -> str | None:
        return None if self._keyring is None else self._keyring.agency

    # Encoding: the producer's side.

    def encode(self, event: Event, readers: Iterable[str] = ()) -> bytes:
        """Sign and encrypt ``event`` for ``addressed_readers(event, readers)``."""
        signing = self._own_key(event)
        header = header_datum(event)
        schema = self._registry.payload(event.event_type)
        try:
            plaintext = schema.soe_prefix + write_body(schema.parsed, event.payload)
        except Exception:  # fastavro's messages may quote payload values
            raise EncodingRefused(
                f"payload of {event.event_id} does not fit {schema.full_name} v{schema.version}"
            ) from None
        prefix = (
            self._prefix
            + signing.signing_key_id
            + schema.fingerprint
            + write_body(self._header_schema, header)
        )
        content_key = sodium.randombytes(_CONTENT_KEY)
        nonce = sodium.randombytes(_NONCE)
        ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
            plaintext, BODY_DOMAIN + prefix, nonce, content_key
        )
        now = self._clock()
        entries = []
        for agency in addressed_readers(event, readers):
            key_id, public_key = self._reader_key(agency, now)
            entries.append(
                {
                    "agency": agency,
                    "encryption_key_id": key_id,
                    "sealed_key": sodium.crypto_box_seal(content_key, public_key),
                }
            )
        unsigned = prefix + write_body(
            self._tail_schema, {"readers": entries, "nonce": nonce, "ciphertext": ciphertext}
        )
        signed = sodium.crypto_sign(ENVELOPE_DOMAIN + unsigned, signing.signing_secret_key)
        return unsigned + signed[:_SIGNATURE]

    def _own_key(self, event: Event) -> KeyPair:
        """The key pair that signs ``event``, after the checks its readers will make."""
        keyring = self._keyring
        if keyring is None:
            raise EncodingRefused("this codec holds no signing key")
        if event.producer != keyring.agency:
            raise EncodingRefused(f"{keyring.agency} cannot sign another producer's event")
        producer_type = agency_type(event.producer)
        if not may_emit(producer_type, event.event_type):
            raise NotAuthorised(
                f"an agency of type {producer_type} may not emit {event.event_type}"
            )
        if event.payload is None:
            raise EncodingRefused(f"event {event.event_id} has no payload")
        pair = keyring.signing
        certificate = self._directory.signer(pair.signing_key_id)
        if certificate is None or certificate.subject != event.producer:
            raise EncodingRefused(f"signing key {pair.signing_key_id.hex()} is not certified")
        if not certificate.usable_at(event.occurred_at):
            raise EncodingRefused(
                f"signing key {pair.signing_key_id.hex()} is not usable at the event's time"
            )
        return pair

    def _reader_key(self, agency: str, now: datetime) -> tuple[bytes, bytes]:
        if self._reader_keys_version != self._directory.version:
            self._reader_keys.clear()
            self._reader_keys_version = self._directory.version
        cached = self._reader_keys.get(agency)
        if cached is None or not cached[0].usable_at(now):
            certificate = self._directory.current(agency, now)
            if certificate is None:
                raise EncodingRefused(f"no current encryption key for reader {agency}")
            cached = (certificate, certificate.encryption_key_id, certificate.encryption_public_key)
            self._reader_keys[agency] = cached
        return cached[1], cached[2]

    # Decoding: every consumer's side.

    def decode(
        self, data: bytes, *, received_at: datetime | None = None, require_body: bool = False
    ) -> VerifiedEnvelope:
        """Verify ``data`` and open it if this codec's agency is a reader.

        ``received_at`` is when the broker appended the record (log-append time): a key revoked
        before then is refused even if the event claims an earlier ``occurred_at``. With
        ``require_body`` an envelope this agency cannot read is refused (``NotAReader``).
        """
        certificate = self._verify_signature(data)
        header, tail, header_end = self._parse(data)
        payload_schema = data[_SCHEMA_AT:_HEADER_AT]
        try:
            producer, occurred_at = claims(header)
            self._check_signer(certificate, producer, occurred_at, received_at)
            schema = self._payload_schema(payload_schema, header["event_type"])
            readers = self._readers(tail["readers"], producer, header["recipients"])
            plaintext, payload = self._open(data, header_end, tail, readers, schema, require_body)
            event = event_from_header(header, payload)
        except EnvelopeRejected as error:
            error.event_id = authenticated_event_id(header)
            raise
        content = hashlib.blake2b(DIGEST_DOMAIN, digest_size=32)
        content.update(memoryview(data)[_SCHEMA_AT:header_end])
        content.update(plaintext)
        return VerifiedEnvelope(
            event,
            data[_KEY_AT:_SCHEMA_AT],
            payload_schema,
            readers,
            content.digest(),
            data[:_KEY_AT] + data[_HEADER_AT:header_end],
        )

    def _verify_signature(self, data: bytes) -> Certificate:
        if data[:_KEY_AT] != self._prefix or len(data) < _HEADER_AT + _SIGNATURE:
            if data[:2] == SOE_MAGIC and len(data) >= _KEY_AT and data[:_KEY_AT] != self._prefix:
                raise SchemaUnknown(f"envelope schema {data[2:_KEY_AT].hex()} is not known")
            raise MalformedEnvelope("not an envelope: bad prefix or too short")
        signer_key_id = data[_KEY_AT:_SCHEMA_AT]
        certificate = self._directory.signer(signer_key_id)
        if certificate is None:
            raise UnknownKey(f"signer key {signer_key_id.hex()} is not in the directory")
        try:
            sodium.crypto_sign_open(
                data[-_SIGNATURE:] + ENVELOPE_DOMAIN + data[:-_SIGNATURE],
                certificate.signing_public_key,
            )
        except CryptoError:
            raise SignatureInvalid(
                f"signature by key {signer_key_id.hex()} does not verify"
            ) from None
        return certificate

    def _parse(self, data: bytes) -> tuple[dict[str, Any], dict[str, Any], int]:
        """The header, the fields after it and where the header ends."""
        stream = io.BytesIO(data)
        stream.seek(_HEADER_AT)
        try:
            header = fastavro.schemaless_reader(stream, self._header_schema)
            header_end = stream.tell()
            tail = fastavro.schemaless_reader(stream, self._tail_schema)
        except Exception:  # a signed but broken record: truncated, bad varint, bad UTF-8 ...
            raise MalformedEnvelope("signed bytes do not decode as an envelope") from None
        if stream.tell() != len(data) - _SIGNATURE:
            raise MalformedEnvelope("the signature is not where the envelope ends")
        return header, tail, header_end  # type: ignore[return-value]

    def _check_signer(
        self,
        certificate: Certificate,
        producer: str,
        occurred_at: datetime,
        received_at: datetime | None,
    ) -> None:
        if certificate.subject != producer:
            raise SignerMismatch(
                f"key {certificate.signing_key_id.hex()} belongs to {certificate.subject},"
                " not to the producer named in the header"
            )
        revoked = certificate.revoked_at
        if revoked is not None and (
            occurred_at >= revoked or (received_at is not None and received_at >= revoked)
        ):
            raise KeyRevoked(
                f"key {certificate.signing_key_id.hex()} of {producer} was revoked"
                " before this event"
            )
        if not certificate.valid_at(occurred_at):
            raise KeyNotValidAtEventTime(
                f"key {certificate.signing_key_id.hex()} of {producer} is not valid at occurred_at"
            )

    def _readers(
        self, entries: list[dict[str, Any]], producer: str, recipients: list[str]
    ) -> tuple[str, ...]:
        agencies = [entry["agency"] for entry in entries]
        if agencies != sorted(set(agencies)):
            raise MalformedEnvelope("readers: must be sorted and unique")
        if not self._agency_ids.issuperset(agencies):
            if not all(map(is_agency_id, agencies)):
                raise MalformedEnvelope("readers: must be agency ids")
            if len(self._agency_ids) > _AGENCY_ID_MEMORY:
                self._agency_ids.clear()
            self._agency_ids.update(agencies)
        readers = tuple(agencies)
        if producer not in readers or not set(recipients).issubset(readers):
            raise MalformedEnvelope("readers: must include the producer and every recipient")
        return readers

    def _payload_schema(self, fingerprint: bytes, event_type: str) -> SchemaVersion:
        schema = self._registry.by_fingerprint(fingerprint)
        if schema is None:
            raise SchemaUnknown(f"payload schema {fingerprint.hex()} is not known")
        if schema.area != "payloads" or schema.name != event_type:
            raise SchemaMismatch(
                f"payload schema {schema.area}/{schema.name} is not that of {event_type}"
            )
        return schema

    def _open(
        self,
        data: bytes,
        header_end: int,
        tail: Mapping[str, Any],
        readers: tuple[str, ...],
        schema: SchemaVersion,
        require_body: bool,
    ) -> tuple[bytes, dict[str, Any] | None]:
        keyring = self._keyring
        if keyring is None or keyring.agency not in readers:
            if require_body:
                raise NotAReader(f"the body is not addressed to {self.agency}")
            return b"", None
        entry = tail["readers"][readers.index(keyring.agency)]
        keys = keyring.encryption_keys.get(entry["encryption_key_id"])
        if keys is None:
            raise ReaderKeyMissing(
                f"{keyring.agency} holds no key {entry['encryption_key_id'].hex()}"
            )
        try:
            content_key = sodium.crypto_box_seal_open(entry["sealed_key"], keys[0], keys[1])
            plaintext = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
                tail["ciphertext"], BODY_DOMAIN + data[:header_end], tail["nonce"], content_key
            )
        except CryptoError:
            raise CiphertextDamaged("the sealed key or the body does not open") from None
        if plaintext[:_KEY_AT] != schema.soe_prefix:
            raise PayloadMalformed("the body's schema differs from the envelope's")
        reader = self._registry.payload(schema.name)
        try:
            payload, end = read_body(
                plaintext, schema.parsed, None if reader is schema else reader.parsed, _KEY_AT
            )
        except Exception:  # decoding errors may quote the data
            raise PayloadMalformed(f"the body does not decode as {schema.full_name}") from None
        if end != len(plaintext):
            raise PayloadMalformed("bytes after the payload")
        return plaintext, payload


def read_clear_header(data: bytes, registry: SchemaRegistry, *, checked: bool = True) -> Event:
    """The event (without payload) of a ``VerifiedEnvelope.clear_header``, checked again against
    the contract; ``MalformedEnvelope`` if the bytes are not one clear header of a known
    envelope schema, ``HeaderInvalid`` if its values break the contract. ``checked=False``
    skips the contract's checks, for bytes this process checked itself and kept where only it
    can read them (the audit's store reading back what it admitted)."""
    schema = registry.by_fingerprint(data[2:_KEY_AT]) if data[:2] == SOE_MAGIC else None
    if schema is None or (schema.area, schema.name) != ("envelope", "Envelope"):
        raise MalformedEnvelope("not a clear header of a known envelope schema")
    header_schema = _HEADER_SCHEMAS.get(schema.fingerprint)
    if header_schema is None:
        header_schema = _HEADER_SCHEMAS[schema.fingerprint] = _sub_schemas(schema)[0]
    stream = io.BytesIO(data)
    stream.seek(_KEY_AT)
    try:
        header = fastavro.schemaless_reader(stream, header_schema)
    except Exception:
        raise MalformedEnvelope("clear header bytes do not decode") from None
    if stream.tell() != len(data):
        raise MalformedEnvelope("clear header bytes do not end where the header does")
    if not checked:
        return kept_event(header)  # type: ignore[arg-type]
    return event_from_header(header, None)  # type: ignore[arg-type]


_HEADER_SCHEMAS: dict[bytes, Any] = {}  # envelope fingerprint -> its header's fastavro schema


def _sub_schemas(envelope: SchemaVersion) -> tuple[Any, Any]:
    """fastavro schemas for the header and for the fields between header and signature."""
    expanded: Any = fastavro.parse_schema(dict(envelope.definition), expand=True)
    fields = expanded["fields"]
    if tuple(f["name"] for f in fields) != _FIELDS:
        raise ValueError(f"{envelope.path}: the codec expects the fields {_FIELDS}")
    header = fastavro.parse_schema(fields[2]["type"], named_schemas={})
    tail = fastavro.parse_schema(
        {"type": "record", "name": "kz.referral.envelope.EnvelopeTail", "fields": fields[3:6]},
        named_schemas={},
    )
    return header, tail
