"""The audit's gate on the event log: verify each envelope, admit it once, or quarantine it.

The audit reads no body: its codec holds no keyring, so it checks framing, signature, signer,
key validity, schema and the record key (the header's ``child_ref``: ``decode_record``), and
yields the clear header. It does not judge content (rejected events belong in the pathway, with
their reason), with one exception: ``SlaBreached`` / ``SlaBreachResolved`` never belong on the
event log (the audit writes them to ``audit.sla.v1``), and their ``rule`` is a rule id by grammar,
not a code from a closed list, so such a record is quarantined (``not_authorised``) and its
header is not kept. A record whose ``event_id`` was admitted with other content (``store``) is
quarantined as ``duplicate_event``: the later arrival loses. The live service and ``replay
--from-kafka`` both read the log through this gate: the ``ConsumerGate`` (``consumer/gate.py``)
with the ``EventStore`` as its ledger and ``refuse_audit_outputs`` as its screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backbone.audit.core.store import Stored, table_entry
from backbone.consumer.gate import ConsumerGate, Ledger
from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import Quarantine
from backbone.domain.catalogue import AUDIT_OUTPUTS
from backbone.envelope.codec import EnvelopeCodec, VerifiedEnvelope
from backbone.envelope.errors import EnvelopeRejected, NotAuthorised
from backbone.runtime.metrics import ServiceMetrics


@dataclass(frozen=True)
class Checked:
    """A record whose envelope verified."""

    envelope: VerifiedEnvelope

    @property
    def entry(self) -> bytes:
        """The table entry of its clear header, built when asked (the replay never asks)."""
        return table_entry(self.envelope.clear_header, self.envelope.digest)


Verified = Checked | EnvelopeRejected


def refuse_audit_outputs(envelope: VerifiedEnvelope) -> EnvelopeRejected | None:
    """The gate's screen: the audit's own outputs never belong on the event log."""
    if envelope.event.event_type in AUDIT_OUTPUTS:
        return NotAuthorised(
            f"{envelope.event.event_type} is the audit's output (audit.sla.v1), "
            "never an event of the log",
            event_id=envelope.event.event_id,
        )
    return None


class AuditGate:
    """The ``ConsumerGate`` whose ledger is the store and whose screen refuses the audit's
    outputs; it counts every outcome in ``metrics`` and ``quarantined``."""

    def __init__(
        self,
        codec: EnvelopeCodec,
        quarantine: Quarantine,
        store: Ledger[Stored],
        *,
        name: str,
        log: bool = True,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        if codec.agency is not None:
            raise ValueError("the audit's gate must not hold a keyring: it reads no bodies")
        self._gate = ConsumerGate(
            codec,
            quarantine,
            store,
            name=name,
            screen=refuse_audit_outputs,
            log=log,
            metrics=metrics,
        )

    @property
    def quarantined(self) -> int:
        return self._gate.quarantined

    def verify(self, records: Sequence[Inbound]) -> list[Verified]:
        """Each record's envelope checks (signature, signer, schema, header, record key) or their
        failure.

        It touches no store, so it may run on another thread than ``admit`` (libsodium releases
        the GIL while it checks a signature).
        """
        return [self._check(record) for record in records]

    def _check(self, record: Inbound) -> Verified:
        checked = self._gate.check(record)
        return checked if isinstance(checked, EnvelopeRejected) else Checked(checked)

    def admit(self, record: Inbound, verified: Verified | None = None) -> Stored | None:
        """The record's event as stored if it is new; else ``None`` (repeated or quarantined).

        ``verified`` is the record's outcome of ``verify``, if it was verified already.
        """
        checked = self._check(record) if verified is None else verified
        admitted = self._gate.admit(
            record, checked if isinstance(checked, EnvelopeRejected) else checked.envelope
        )
        return admitted if isinstance(admitted, Stored) else None
