"""Recording on the device: plain events become complete envelopes in the queue, offline.

Each event is signed with the device's key and encrypted on the device for its producer (the
group), its recipients and any extra readers, using the readers' keys from the device's copy of
the directory. All or nothing: every event is enveloped before the first file is written. An
event already waiting in the queue is not queued twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from backbone.device.folder import DeviceFolder
from backbone.device.queue import EnvelopeQueue
from backbone.domain.events import Event
from backbone.envelope.errors import EncodingRefused, EnvelopeRejected
from backbone.intake.settings import DEFAULT_MAX_ENVELOPE_BYTES


class RecordRefused(ValueError):
    """An event the device cannot envelope as given; nothing was queued."""


@dataclass(frozen=True)
class Recorded:
    event_id: str
    queued: bool  # False: an envelope of this event was already waiting in the queue


def record(
    folder: DeviceFolder,
    events: Sequence[Event],
    readers: Iterable[str] = (),
    max_bytes: int = DEFAULT_MAX_ENVELOPE_BYTES,
) -> list[Recorded]:
    codec = folder.codec()
    queue = EnvelopeQueue(folder.path)
    extra = sorted(set(readers))
    envelopes = []
    for event in events:
        if event.producer != folder.group:
            raise RecordRefused(
                f"event {event.event_id}: producer {event.producer} is not {folder.group}"
            )
        try:
            envelope = codec.encode(event, extra)
        except (EncodingRefused, EnvelopeRejected) as refused:
            raise RecordRefused(f"event {event.event_id}: {refused}") from None
        if len(envelope) > max_bytes:
            raise RecordRefused(
                f"event {event.event_id}: envelope of {len(envelope)} bytes exceeds {max_bytes}"
            )
        envelopes.append((event.event_id, envelope))
    if len({event_id for event_id, _ in envelopes}) != len(envelopes):
        raise RecordRefused("the file lists an event_id twice")
    recorded = []
    for event_id, envelope in envelopes:
        fresh = not queue.holds(event_id)
        if fresh:
            queue.add(event_id, envelope)
        recorded.append(Recorded(event_id, fresh))
    return recorded
