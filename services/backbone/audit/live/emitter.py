"""Plans and signs a child's SLA events: notices at *t*, their events and their envelopes.

Readers of an SLA envelope (besides the audit, its producer): the owing agency, and
``supervisor.<region>`` for the trigger's header region (the region handling the case) when the
directory holds a current key for such an agency. A reader without a current key is left out and
logged; the event is still emitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backbone.audit.core.breach_events import breach_event
from backbone.audit.core.notices import Emitted, Notice, notices
from backbone.audit.core.projection import Projection
from backbone.domain.events import Event
from backbone.envelope.codec import EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.logs import get_logger


@dataclass(frozen=True)
class Plan:
    events: tuple[tuple[Notice, Event], ...]
    next_check: datetime | None


class SlaEmitter:
    def __init__(
        self, projection: Projection, signer: EnvelopeCodec, directory: KeyDirectory
    ) -> None:
        if signer.agency is None:
            raise ValueError("the SLA emitter needs the audit's keyring")
        self._projection, self._signer, self._directory = projection, signer, directory
        self.agency = signer.agency
        self._log = get_logger().bind(service="audit")

    def plan(self, child_ref: str, emitted: Emitted, now: datetime) -> Plan:
        obligations = self._projection.obligations(child_ref, now)
        store = self._projection.store
        planned = []
        for notice in notices(obligations, emitted):
            trigger = store.event(notice.key[1])
            if trigger is None:
                # An emitted breach whose trigger this instance does not hold: written while an
                # instance owned both the child's tick partition and the partition its events
                # were keyed into (a record key other than its child_ref, which v1.1 refuses),
                # or a state that lost the trigger. Nothing is said about what is not seen: no
                # resolution of a breach because its obligation is out of view.
                self._log.warning(
                    "sla_trigger_not_held", trigger_event_id=notice.key[1], rule=notice.key[0]
                )
                continue
            closed_by = None if notice.obligation is None else notice.obligation.closed_by_event_id
            closing = None if closed_by is None else store.event(closed_by)
            event = breach_event(
                notice, producer=self.agency, trigger=trigger, closing=closing, now=now
            )
            planned.append((notice, event))
        return Plan(tuple(planned), self._projection.next_check(child_ref, now))

    def readers(self, event: Event, owed_by: str, now: datetime) -> list[str]:
        wanted = [owed_by, f"supervisor.{event.region}"]
        found = [a for a in wanted if self._directory.current(a, now) is not None]
        if owed_by not in found:
            self._log.warning("sla_reader_without_key", event_id=event.event_id, agency=owed_by)
        return found

    def envelope(self, notice: Notice, event: Event, now: datetime) -> bytes:
        """Sign and encrypt ``event``; raises ``EncodingRefused`` if the audit cannot sign it."""
        return self._signer.encode(event, self.readers(event, notice.key[2], now))
