"""The audit's gate on the event log: verify each envelope, admit it once, or quarantine it.

The audit reads no body: its codec holds no keyring, so it checks framing, signature, signer,
key validity, schema and the record key (the header's ``child_ref``: ``decode_record``), and
yields the clear header. It does not judge content (rejected events belong in the pathway, with
their reason), with one exception: ``SlaBreached`` / ``SlaBreachResolved`` never belong on the
event log (the audit writes them to ``audit.sla.v1``), and their ``rule`` is a rule id by grammar,
not a code from a closed list, so such a record is quarantined (``not_authorised``) and its
header is not kept. A record whose ``event_id`` was admitted with other content (``store``) is
quarantined as ``duplicate_event``: the later arrival loses. The live service and ``replay
--from-kafka`` both read the log through this gate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backbone.audit.store import Admission, EventStore, Stored, table_entry
from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import Quarantine, Rejection
from backbone.consumer.reader import decode_record
from backbone.domain.catalogue import AUDIT_OUTPUTS
from backbone.envelope.codec import EnvelopeCodec, VerifiedEnvelope
from backbone.envelope.errors import DuplicateEvent, EnvelopeRejected, NotAuthorised
from backbone.logs import get_logger
from backbone.runtime.metrics import ServiceMetrics


@dataclass(frozen=True)
class Checked:
    """A record whose envelope verified."""

    envelope: VerifiedEnvelope

    @property
    def entry(self) -> bytes:
        """The table entry of its clear header, built when asked (the replay never asks)."""
        return table_entry(self.envelope.event, self.envelope.digest)


Verified = Checked | EnvelopeRejected


class AuditGate:
    def __init__(
        self,
        codec: EnvelopeCodec,
        quarantine: Quarantine,
        store: EventStore,
        *,
        name: str,
        log: bool = True,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        if codec.agency is not None:
            raise ValueError("the audit's gate must not hold a keyring: it reads no bodies")
        self._codec, self._quarantine, self._store, self._name = codec, quarantine, store, name
        self._log = get_logger().bind(consumer=name) if log else None
        self._metrics = metrics
        self.quarantined = 0

    def verify(self, records: Sequence[Inbound]) -> list[Verified]:
        """Each record's envelope checks (signature, signer, schema, header, record key) or their
        failure.

        It touches no store, so it may run on another thread than ``admit`` (libsodium releases
        the GIL while it checks a signature).
        """
        return [self._check(record) for record in records]

    def _check(self, record: Inbound) -> Verified:
        try:
            envelope = decode_record(self._codec, record)
        except EnvelopeRejected as error:
            return error
        if envelope.event.event_type in AUDIT_OUTPUTS:
            return NotAuthorised(
                f"{envelope.event.event_type} is the audit's output (audit.sla.v1), "
                "never an event of the log",
                event_id=envelope.event.event_id,
            )
        return Checked(envelope)

    def admit(self, record: Inbound, verified: Verified | None = None) -> Stored | None:
        """The record's event as stored if it is new; else ``None`` (repeated or quarantined).

        ``verified`` is the record's outcome of ``verify``, if it was verified already.
        """
        checked = self._check(record) if verified is None else verified
        if isinstance(checked, EnvelopeRejected):
            self._reject(checked, record)
            return None
        envelope = checked.envelope
        event = envelope.event
        admission = self._store.admission(event, envelope.digest)
        if admission is Admission.CONFLICT:
            conflict = DuplicateEvent(
                f"event {event.event_id} was admitted before with other content",
                event_id=event.event_id,
            )
            self._reject(conflict, record)
            return None
        if admission is Admission.REPEATED:
            self._count("repeated", record)
            return None
        self._count("accepted", record)
        return self._store.add(event, envelope.digest)

    def _count(self, outcome: str, record: Inbound, reason: str | None = None) -> None:
        if self._metrics is not None:
            self._metrics.handled(outcome, record.received_at, reason)

    def _reject(self, error: EnvelopeRejected, record: Inbound) -> None:
        rejection = Rejection.of(error, record, self._name)
        self._quarantine.put(rejection)
        self.quarantined += 1
        self._count("quarantined", record, rejection.reason)
        if self._log is None:
            return
        self._log.warning("envelope_quarantined", **rejection.log_fields())
