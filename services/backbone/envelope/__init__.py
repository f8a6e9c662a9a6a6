"""The envelope: signed, end-to-end encrypted events, the agency key directory, quarantine.

How data flows (contracts/envelope.md has the bytes):

    agency ── EnvelopeCodec.encode ──▶ referral.events.v1 ──▶ EnvelopeReader.read ──▶ consumer
                     ▲                                           │  (decode, authorise,
             KeyDirectory ◀── keys.directory.v1                  │   de-duplicate)
             (certificates,  (directory_topic)                   └──▶ referral.rejected.v1
              root-signed)                                             (quarantine)

Modules: ``schemas`` (Avro files, single-object encoding), ``keys`` (key pairs, key ids,
keystore), ``certificates`` and ``directory`` (the root-signed directory), ``header`` (Event to
Avro header and back), ``codec`` (the only code that signs, encrypts, verifies and decrypts),
``authorisation`` (section 4 by content), ``reader`` and ``quarantine`` (the consumer side),
``directory_topic`` (the directory on Kafka), ``errors`` (one class per reason), ``cli``.
"""

from backbone.envelope.codec import EnvelopeCodec, VerifiedEnvelope, addressed_readers
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.errors import EnvelopeError, EnvelopeRejected
from backbone.envelope.keys import Keyring, Keystore
from backbone.envelope.quarantine import Inbound, KafkaQuarantine, MemoryQuarantine, Rejection
from backbone.envelope.reader import Delivery, EnvelopeReader, Outcome

__all__ = [
    "Delivery",
    "EnvelopeCodec",
    "EnvelopeError",
    "EnvelopeReader",
    "EnvelopeRejected",
    "Inbound",
    "KafkaQuarantine",
    "KeyDirectory",
    "Keyring",
    "Keystore",
    "MemoryQuarantine",
    "Outcome",
    "Rejection",
    "VerifiedEnvelope",
    "addressed_readers",
]
