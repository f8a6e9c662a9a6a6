"""The consumer gate: every consumer's records pass through one ``ConsumerGate``.

For each record: decode it (the envelope's checks and the record key, ``decode_record``), screen
the verified envelope, de-duplicate its ``event_id``, admit it, or else quarantine it with its
reason, log that (never a payload) and count the outcome. It never raises for bad input. The
router and the agency services use it through ``EnvelopeReader`` (``reader``), the audit through
``AuditGate`` (``audit/live/gate.py``); what differs between them is injected:

* ``ledger``, the de-duplication policy and what admitting does: ``digest`` is the content
  digest admitted under an ``event_id`` (the same again is a repeat, skipped; another is a
  conflict, quarantined as ``duplicate_event``: the later arrival loses); ``add`` admits a new
  event and may refuse it (``EnvelopeRejected``: the authorisation by lifecycle). The router's
  and agencies' ledger is a ``seen`` table and an authoriser (``reader.SeenLedger``); the audit's
  is its ``EventStore``, which admits by adding the header.
* ``screen``, a check of a verified envelope that needs no state (the audit refuses its own
  outputs on the log); ``require_body``, for an agency's own inbox.

``check`` (decode and screen) touches no state, so a consumer may check a batch first, on
another thread (libsodium releases the GIL), and ``admit`` the outcomes in order. The outcome of
``admit`` is what the ledger's ``add`` returned, ``REPEATED``, or the ``Rejection``: no object
is built per record beyond what decoding and admitting make (the audit admits thousands a
second).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final, Generic, Literal, Protocol, TypeVar

from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import Quarantine, Rejection
from backbone.domain.events import Event
from backbone.envelope.codec import EnvelopeCodec, VerifiedEnvelope
from backbone.envelope.errors import DuplicateEvent, EnvelopeRejected, RecordKeyMismatch
from backbone.logs import get_logger

T = TypeVar("T", covariant=True)

Repeated = Literal["repeated"]
REPEATED: Final[Repeated] = "repeated"

Screen = Callable[[VerifiedEnvelope], EnvelopeRejected | None]


class Ledger(Protocol[T]):
    def digest(self, event_id: str) -> bytes | None:
        """The content digest admitted under ``event_id``, if any."""

    def add(self, event: Event, digest: bytes, clear_header: bytes) -> T:
        """Admit a new event (``clear_header``: its header as signed); raise
        ``EnvelopeRejected`` to refuse it."""


class Metrics(Protocol):
    def handled(
        self, outcome: str, received_at: datetime | None, reason: str | None = None
    ) -> None:
        """Count one record by outcome (``accepted``, ``repeated``, ``quarantined``)."""


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


class ConsumerGate(Generic[T]):
    """One consumer's gate. ``name`` says who rejected (``router``, an agency id, the audit).

    ``metrics`` counts every outcome; a consumer whose effect of an accepted record follows the
    gate (the router's delivery, an agency's view) passes ``count_accepted=False`` and counts it
    once done (``accepted``), so the end-to-end delay covers the effect. ``log=False`` keeps the
    gate silent (the offline replay reports its rejections itself)."""

    def __init__(
        self,
        codec: EnvelopeCodec,
        quarantine: Quarantine,
        ledger: Ledger[T],
        *,
        name: str,
        require_body: bool = False,
        screen: Screen | None = None,
        log: bool = True,
        metrics: Metrics | None = None,
        count_accepted: bool = True,
    ) -> None:
        self._codec, self._quarantine, self._ledger, self.name = codec, quarantine, ledger, name
        self._require_body, self._screen = require_body, screen
        self._log = get_logger().bind(consumer=name) if log else None
        self._metrics = metrics
        self._count_accepted = count_accepted
        self.quarantined = 0

    def check(self, record: Inbound) -> VerifiedEnvelope | EnvelopeRejected:
        """The record's verified envelope, or why it is refused; touches no state."""
        try:
            envelope = decode_record(self._codec, record, require_body=self._require_body)
        except EnvelopeRejected as error:
            return error
        if self._screen is not None:
            refused = self._screen(envelope)
            if refused is not None:
                return refused
        return envelope

    def admit(
        self, record: Inbound, checked: VerifiedEnvelope | EnvelopeRejected | None = None
    ) -> T | Repeated | Rejection:
        """What the ledger's ``add`` returned for a new event, ``REPEATED`` for a repeat, or the
        rejection put in the quarantine. ``checked`` is the record's ``check``, if done already."""
        if checked is None:
            checked = self.check(record)
        if isinstance(checked, EnvelopeRejected):
            return self._reject(checked, record)
        event = checked.event
        known = self._ledger.digest(event.event_id)
        if known is not None:
            if known == checked.digest:
                if self._metrics is not None:
                    self._metrics.handled("repeated", record.received_at)
                return REPEATED
            conflict = DuplicateEvent(
                f"event {event.event_id} was accepted before with other content",
                event_id=event.event_id,
            )
            return self._reject(conflict, record)
        try:
            added = self._ledger.add(event, checked.digest, checked.clear_header)
        except EnvelopeRejected as error:
            return self._reject(error, record)
        if self._count_accepted and self._metrics is not None:
            self._metrics.handled("accepted", record.received_at)
        return added

    def accepted(self, record: Inbound) -> None:
        """Count an accepted record whose effect is done (with ``count_accepted=False``)."""
        if self._metrics is not None:
            self._metrics.handled("accepted", record.received_at)

    def _reject(self, error: EnvelopeRejected, record: Inbound) -> Rejection:
        rejection = Rejection.of(error, record, self.name)
        self._quarantine.put(rejection)
        self.quarantined += 1
        if self._metrics is not None:
            self._metrics.handled("quarantined", record.received_at, rejection.reason)
        if self._log is not None:
            self._log.warning("envelope_quarantined", **rejection.log_fields())
        return rejection
