"""The consumer side: verify, authorise and de-duplicate each record, or quarantine it.

``EnvelopeReader.read`` never raises for bad input: a record that fails any check is handed to
the quarantine with its reason, and the consumer carries on with the next one. The router and
the agency services pass it every record their ``Frontier`` hands over (``router/service.py``,
``agency/service.py``).

``decode_record`` is the part every consumer of a record shares (the reader here, the audit's
gate, ``backbone inbox``): the envelope's own checks, then the record key against the verified
header's ``child_ref``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from enum import StrEnum

from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import Quarantine, Rejection
from backbone.domain.events import Event
from backbone.envelope.authorisation import Authoriser, ByType
from backbone.envelope.codec import EnvelopeCodec, VerifiedEnvelope
from backbone.envelope.errors import DuplicateEvent, EnvelopeRejected, RecordKeyMismatch
from backbone.logs import get_logger


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REPEATED = "repeated"  # same event_id, same content: already applied, skip it
    QUARANTINED = "quarantined"


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    envelope: VerifiedEnvelope | None = None
    rejection: Rejection | None = None

    @property
    def event(self) -> Event | None:
        return None if self.envelope is None else self.envelope.event


def decode_record(
    codec: EnvelopeCodec, record: Inbound, *, require_body: bool = False
) -> VerifiedEnvelope:
    """The record's envelope, verified (and opened, see ``EnvelopeCodec.decode``), whose record
    key is exactly the UTF-8 ``child_ref`` of its header; else ``EnvelopeRejected``.

    The key is compared only once the signature and the header have checked out, so a record is
    refused for its key only when its envelope is valid: a key cannot make a forged or damaged
    envelope look like a misfiled valid one, and the reason names the real fault. A copy of an
    event under another key (or none) would sit in another partition, out of sight of that
    partition's duplicate check, so it is refused (``key_mismatch``) rather than delivered or
    counted again. The detail does not repeat the key: a producer can put anything there.
    """
    envelope = codec.decode(record.value, received_at=record.received_at, require_body=require_body)
    if record.key != envelope.event.child_ref.encode():
        detail = (
            "record has no key; it must be the header's child_ref"
            if record.key is None
            else "record key is not the header's child_ref"
        )
        raise RecordKeyMismatch(detail, event_id=envelope.event.event_id)
    return envelope


class SeenEvents(MutableMapping[str, bytes]):
    """``event_id`` → content digest of accepted events, forgetting the oldest past ``capacity``."""

    def __init__(self, capacity: int = 1_000_000) -> None:
        self.capacity = capacity
        self._digests: OrderedDict[str, bytes] = OrderedDict()

    def __getitem__(self, event_id: str) -> bytes:
        return self._digests[event_id]

    def __setitem__(self, event_id: str, digest: bytes) -> None:
        self._digests[event_id] = digest
        self._digests.move_to_end(event_id)
        while len(self._digests) > self.capacity:
            self._digests.popitem(last=False)

    def __delitem__(self, event_id: str) -> None:
        del self._digests[event_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._digests)

    def __len__(self) -> int:
        return len(self._digests)


class EnvelopeReader:
    """One consumer's gate. ``name`` says who rejected (e.g. ``router``, an agency id).

    ``seen`` may be any mutable mapping (a durable table in a service); ``require_body`` is for
    an agency reading its own inbox, where every envelope must be addressed to it.
    """

    def __init__(
        self,
        codec: EnvelopeCodec,
        quarantine: Quarantine,
        *,
        name: str,
        authoriser: Authoriser | None = None,
        seen: MutableMapping[str, bytes] | None = None,
        require_body: bool = False,
    ) -> None:
        self._codec = codec
        self._quarantine = quarantine
        self._name = name
        self._authoriser = authoriser or ByType()
        self._seen = SeenEvents() if seen is None else seen
        self._require_body = require_body
        self._log = get_logger().bind(consumer=name)

    def read(self, record: Inbound) -> Delivery:
        try:
            envelope = decode_record(self._codec, record, require_body=self._require_body)
            event = envelope.event
            known = self._seen.get(event.event_id)
            if known is not None:
                if known == envelope.digest:
                    return Delivery(Outcome.REPEATED, envelope)
                raise DuplicateEvent(
                    f"event {event.event_id} was accepted before with other content",
                    event_id=event.event_id,
                )
            self._authoriser.check(event)
        except EnvelopeRejected as error:
            return self._reject(error, record)
        self._seen[event.event_id] = envelope.digest
        self._authoriser.record(event)
        return Delivery(Outcome.ACCEPTED, envelope)

    def _reject(self, error: EnvelopeRejected, record: Inbound) -> Delivery:
        rejection = Rejection.of(error, record, self._name)
        self._quarantine.put(rejection)
        self._log.warning("envelope_quarantined", **rejection.log_fields())
        return Delivery(Outcome.QUARANTINED, rejection=rejection)
