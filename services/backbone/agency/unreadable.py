"""The signed answer an agency service gives to an envelope it verified but could not read.

An inbox record the service refuses for its body (``ciphertext_damaged``: the sealed key or the
AEAD fails, as after a flipped ciphertext byte or a body moved under another header;
``reader_key_missing``: sealed to a key of this agency it does not hold; ``payload_malformed``:
the opened body does not decode as its schema) is verified again without opening it. Only if
that succeeds (signature, signer, key validity, schema, readers, the whole header, the record key)
does the agency answer with an ``EnvelopeUnreadable`` (contract v1.1): ``causation_id`` = the
event it could not read, ``referral_id`` = that event's, same ``child_ref`` and ``region``,
``reason`` ``ciphertext_damaged``, ``reader_key_missing`` or ``payload_invalid``. A record that
does not verify is only quarantined: an unsigned or forged record must not make anyone answer.

The agency does not answer its own events (the issuer reading back a copy it damaged itself
would blame no one) nor another ``EnvelopeUnreadable`` (two agencies that cannot read each
other would answer each other for ever); those stay in its quarantine table only.

The answer's id is derived from (agency, causing event), and its time from the inbox record's
broker append time (never before the cause): a record handled again after a restart gives the
same event, byte for byte in its header, which every consumer recognises as a repeat.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from backbone.audit.core.calendar import ALMATY
from backbone.consumer.gate import decode_record
from backbone.consumer.inbound import Inbound
from backbone.domain.events import Event
from backbone.envelope.codec import EnvelopeCodec, VerifiedEnvelope
from backbone.envelope.errors import EnvelopeRejected

UNREADABLE_NAMESPACE = uuid.UUID("3f6d2b1e-8c47-4e0a-9b15-7a2c6e9d4f08")  # fixed for ever
# Quarantine reason of the agency's reader -> the EnvelopeUnreadable reason code.
ANSWERED_REASONS = {
    "ciphertext_damaged": "ciphertext_damaged",
    "reader_key_missing": "reader_key_missing",
    "payload_malformed": "payload_invalid",
}


@dataclass(frozen=True)
class Unreadable:
    """An envelope that verified but whose body this agency could not read."""

    cause: Event  # its verified clear header (no payload)
    reason: str  # an EnvelopeUnreadable reason code


def unreadable_id(agency: str, cause_event_id: str) -> str:
    return str(uuid.uuid5(UNREADABLE_NAMESPACE, f"EnvelopeUnreadable/{cause_event_id}/{agency}"))


def unreadable(
    verifier: EnvelopeCodec, record: Inbound, refused_for: str, agency: str
) -> Unreadable | None:
    """What ``agency`` answers as unreadable: the record was refused for its body
    (``refused_for``, the quarantine reason) and verifies without being opened; else ``None``.

    ``verifier`` is a codec without a keyring (it verifies, never opens)."""
    reason = ANSWERED_REASONS.get(refused_for)
    if reason is None:
        return None
    try:
        envelope: VerifiedEnvelope = decode_record(verifier, record)  # the record key included
    except EnvelopeRejected:
        return None  # not verified: plain quarantine
    cause = envelope.event
    if (
        agency not in envelope.readers
        or cause.producer == agency
        or cause.event_type == "EnvelopeUnreadable"
    ):
        return None
    return Unreadable(cause, reason)


def answer(found: Unreadable, agency: str, at: datetime) -> Event:
    """``agency``'s ``EnvelopeUnreadable`` for ``found``, at ``at`` (never before the cause)."""
    cause = found.cause
    return Event(
        event_id=unreadable_id(agency, cause.event_id),
        event_type="EnvelopeUnreadable",
        occurred_at=max(at, cause.occurred_at).astimezone(ALMATY),
        producer=agency,
        child_ref=cause.child_ref,
        recipients=(),
        region=cause.region,
        attributes={"reason": found.reason},
        referral_id=cause.referral_id,
        causation_id=cause.event_id,
        correlation_id=cause.correlation_id,
        payload={},
    )
