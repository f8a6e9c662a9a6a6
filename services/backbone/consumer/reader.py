"""The router's and the agency services' gate: verify, de-duplicate, authorise, or quarantine.

``EnvelopeReader.read`` passes a record through the ``ConsumerGate`` (``gate``) and says what
became of it; it never raises for bad input: a record that fails any check is handed to the
quarantine with its reason, and the consumer carries on with the next one. The router and the
agency services pass it every record their ``Frontier`` hands over (``router/service.py``,
``agency/service.py``). Their ledger (``SeenLedger``) is a ``seen`` table and an authoriser:
the authorisation by content is judged only for a new event, before it is recorded.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from enum import StrEnum

from backbone.consumer.gate import REPEATED, ConsumerGate, Metrics
from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import Quarantine, Rejection
from backbone.domain.events import Event
from backbone.envelope.authorisation import Authoriser, ByType
from backbone.envelope.codec import EnvelopeCodec, VerifiedEnvelope


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


class SeenLedger:
    """The router's and the agencies' ledger: ``seen`` (``event_id`` → digest) and the
    authoriser, which judges a new event before it is recorded in both."""

    def __init__(self, seen: MutableMapping[str, bytes], authoriser: Authoriser) -> None:
        self._seen, self._authoriser = seen, authoriser

    def digest(self, event_id: str) -> bytes | None:
        return self._seen.get(event_id)

    def add(self, event: Event, digest: bytes, clear_header: bytes) -> Event:
        self._authoriser.check(event)
        self._seen[event.event_id] = digest
        self._authoriser.record(event)
        return event


class EnvelopeReader:
    """The router's and an agency's face of the ``ConsumerGate``: one ``Delivery`` per record.

    ``seen`` may be any mutable mapping (a durable table in a service); ``require_body`` is for
    an agency reading its own inbox, where every envelope must be addressed to it. With
    ``metrics``, repeated and quarantined records are counted here, accepted ones when the
    consumer calls ``accepted`` after its effect.
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
        metrics: Metrics | None = None,
    ) -> None:
        ledger = SeenLedger(SeenEvents() if seen is None else seen, authoriser or ByType())
        self._gate = ConsumerGate(
            codec,
            quarantine,
            ledger,
            name=name,
            require_body=require_body,
            metrics=metrics,
            count_accepted=False,
        )

    def read(self, record: Inbound) -> Delivery:
        checked = self._gate.check(record)
        outcome = self._gate.admit(record, checked)
        if isinstance(outcome, Rejection):
            return Delivery(Outcome.QUARANTINED, rejection=outcome)
        assert isinstance(checked, VerifiedEnvelope)  # admitted or repeated: it verified
        if outcome == REPEATED:
            return Delivery(Outcome.REPEATED, checked)
        return Delivery(Outcome.ACCEPTED, checked)

    def accepted(self, record: Inbound) -> None:
        """Count an accepted record once the consumer's effect is done."""
        self._gate.accepted(record)
