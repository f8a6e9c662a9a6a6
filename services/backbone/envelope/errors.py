"""Why an envelope was refused: one class per reason, each with its quarantine reason code.

::

    EnvelopeError                              (never raised itself)
    ├── EnvelopeRejected                       a record a consumer refuses: it goes to quarantine
    │   ├── MalformedEnvelope                  malformed_envelope     not a v1 envelope, truncated
    │   │   ├── HeaderInvalid                  header_invalid         signed header breaks section 3
    │   │   └── PayloadMalformed               payload_malformed      opened body is not its schema
    │   ├── SchemaUnknown                      schema_unknown         fingerprint of no known schema
    │   │   └── SchemaMismatch                 schema_mismatch        known, but another event's
    │   ├── SignatureInvalid                   signature_invalid      Ed25519 check failed
    │   ├── KeyRejected                        (the signer's key is unusable for this event)
    │   │   ├── UnknownKey                     unknown_key            key id not in the directory
    │   │   ├── KeyRevoked                     key_revoked            revoked before the event
    │   │   ├── KeyNotValidAtEventTime         key_not_valid_at_event_time
    │   │   └── SignerMismatch                 signer_mismatch        key of another agency
    │   ├── BodyUnreadable                     (the encrypted body cannot be read here)
    │   │   ├── CiphertextDamaged              ciphertext_damaged     AEAD or sealed key fails
    │   │   ├── NotAReader                     not_a_reader           not addressed to this agency
    │   │   └── ReaderKeyMissing               reader_key_missing     sealed to a key we lack
    │   ├── RecordKeyMismatch                  key_mismatch           record key is not child_ref
    │   ├── NotAuthorised                      not_authorised         section 4 forbids it
    │   └── DuplicateEvent                     duplicate_event        same event_id, other content
    ├── EncodingRefused                        the producer's own event cannot be enveloped
    └── DirectoryError                         a certificate or key-directory record is unusable
        └── CertificateInvalid                 bad root signature, bad fields, unrevocation

Messages name fields, key ids, agency ids and event ids, never payload values or header values
that could identify a child; where a library's exception might quote data it is translated with
``raise ... from None``.
"""

from __future__ import annotations

from typing import ClassVar


class EnvelopeError(Exception):
    """Base of every envelope, codec and key-directory error."""

    reason: ClassVar[str] = "envelope_error"

    def __init__(self, detail: str, *, event_id: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        # Set once the event's header has been authenticated, so quarantine can name it.
        self.event_id = event_id


class EnvelopeRejected(EnvelopeError):
    """A record a consumer must not apply; it is quarantined with ``reason`` and ``detail``."""

    reason: ClassVar[str] = "rejected"


class MalformedEnvelope(EnvelopeRejected):
    reason = "malformed_envelope"


class HeaderInvalid(MalformedEnvelope):
    reason = "header_invalid"


class PayloadMalformed(MalformedEnvelope):
    reason = "payload_malformed"


class SchemaUnknown(EnvelopeRejected):
    reason = "schema_unknown"


class SchemaMismatch(SchemaUnknown):
    reason = "schema_mismatch"


class SignatureInvalid(EnvelopeRejected):
    reason = "signature_invalid"


class KeyRejected(EnvelopeRejected):
    reason = "key_rejected"


class UnknownKey(KeyRejected):
    reason = "unknown_key"


class KeyRevoked(KeyRejected):
    reason = "key_revoked"


class KeyNotValidAtEventTime(KeyRejected):
    reason = "key_not_valid_at_event_time"


class SignerMismatch(KeyRejected):
    reason = "signer_mismatch"


class BodyUnreadable(EnvelopeRejected):
    reason = "body_unreadable"


class CiphertextDamaged(BodyUnreadable):
    reason = "ciphertext_damaged"


class NotAReader(BodyUnreadable):
    reason = "not_a_reader"


class ReaderKeyMissing(BodyUnreadable):
    reason = "reader_key_missing"


class RecordKeyMismatch(EnvelopeRejected):
    """The Kafka record's key is absent or not the UTF-8 ``child_ref`` of its verified header.

    The detail never repeats the key: a producer can put anything there.
    """

    reason = "key_mismatch"


class NotAuthorised(EnvelopeRejected):
    """``code`` is the finer reason: ``not_authorised`` (by type) or a lifecycle reason."""

    reason = "not_authorised"

    def __init__(
        self, detail: str, *, code: str = "not_authorised", event_id: str | None = None
    ) -> None:
        super().__init__(f"{code}: {detail}", event_id=event_id)
        self.code = code


class DuplicateEvent(EnvelopeRejected):
    reason = "duplicate_event"


class EncodingRefused(EnvelopeError):
    """The producer's event cannot be enveloped (bad payload, unknown reader, wrong signer)."""

    reason = "encoding_refused"


class DirectoryError(EnvelopeError):
    reason = "directory_error"


class CertificateInvalid(DirectoryError):
    reason = "certificate_invalid"


REJECTION_REASONS: frozenset[str] = frozenset(
    cls.reason
    for cls in (
        MalformedEnvelope,
        HeaderInvalid,
        PayloadMalformed,
        SchemaUnknown,
        SchemaMismatch,
        SignatureInvalid,
        UnknownKey,
        KeyRevoked,
        KeyNotValidAtEventTime,
        SignerMismatch,
        CiphertextDamaged,
        NotAReader,
        ReaderKeyMissing,
        RecordKeyMismatch,
        NotAuthorised,
        DuplicateEvent,
    )
)
