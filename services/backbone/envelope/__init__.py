"""The envelope: signed, end-to-end encrypted events and the agency key directory.

How data flows (contracts/envelope.md has the bytes):

    agency ── EnvelopeCodec.encode ──▶ referral.events.v1 ──▶ consumer gate ──▶ consumer
                     ▲                                         (``backbone.consumer``: decode,
             KeyDirectory ◀── keys.directory.v1                 authorise, de-duplicate, or
             (certificates,  (broker.directory_topic)           quarantine)
              root-signed)

Modules: ``schemas`` (Avro files, single-object encoding), ``keys`` (key pairs, key ids,
keystore), ``certificates`` and ``directory`` (the root-signed directory), ``header`` (Event to
Avro header and back), ``codec`` (the only code that signs, encrypts, verifies and decrypts),
``authorisation`` (section 4 by content), ``errors`` (one class per reason), ``cli``. Nothing
here talks to Kafka: the directory's topic is the edge's (``broker.directory_topic``).
"""

from backbone.envelope.codec import EnvelopeCodec, VerifiedEnvelope, addressed_readers
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.errors import EnvelopeError, EnvelopeRejected
from backbone.envelope.keys import Keyring, Keystore

__all__ = [
    "EnvelopeCodec",
    "EnvelopeError",
    "EnvelopeRejected",
    "KeyDirectory",
    "Keyring",
    "Keystore",
    "VerifiedEnvelope",
    "addressed_readers",
]
