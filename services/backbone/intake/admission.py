"""The intake's rules for one submitted envelope, without HTTP (``app`` maps answers to it).

Checks, in order: the codec's (framing, signer key known, signature, signer certified for the
producer and usable when the event happened and now, header, payload schema; an unknown key is
looked up again in a directory loaded after the envelope arrived), then the device
rule (the signer's certificate names a device: agencies publish with their own principal, not
through the intake), then section 4's "who may emit". Then, one submission per event id at a
time: an event id already accepted with the same content is answered as such; with other
content it is quarantined as a conflict; a new one is published unchanged, keyed by
``child_ref``, and remembered only after the broker's acknowledgement.

Every refusal is stored in the quarantine before it is answered. If the broker does not
acknowledge (the record or the quarantine entry), the answer is "try later" and nothing is
remembered, so the device keeps the envelope and sends the same bytes again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import Quarantine, Rejection
from backbone.envelope.authorisation import ByType
from backbone.envelope.codec import VerifiedEnvelope
from backbone.envelope.errors import DuplicateEvent, EnvelopeRejected, NotAuthorised, UnknownKey
from backbone.intake.accepted import AcceptedEvents
from backbone.intake.inflight import InFlight
from backbone.intake.live_directory import LiveDirectory
from backbone.intake.publisher import Publisher, PublishFailed
from backbone.logs import get_logger

REJECTED_BY = "intake"
RETRY_AFTER_SECONDS = 30


class DirectoryUnavailable(Exception):
    """An unknown signer key, and the key directory cannot be read to look again."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def _unavailable(cause: str) -> Answer:
    return Answer(503, {"reason": cause}, {"Retry-After": str(RETRY_AFTER_SECONDS)})


class Admission:
    def __init__(
        self,
        keys: LiveDirectory,
        publisher: Publisher,
        quarantine: Quarantine,
        accepted: AcceptedEvents,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._keys = keys
        self._publisher = publisher
        self._quarantine = quarantine
        self._accepted = accepted
        self._clock = clock
        self._authoriser = ByType()
        self._inflight = InFlight()
        self._quarantine_thread = ThreadPoolExecutor(1, thread_name_prefix="intake-quarantine")
        self._log = get_logger().bind(service="intake")

    async def submit(self, body: bytes) -> Answer:
        try:
            envelope = await self._verify(body)
        except EnvelopeRejected as error:
            return await self._refuse(error, body, None, 422)
        except DirectoryUnavailable:
            return _unavailable("directory_unavailable")
        event = envelope.event
        async with self._inflight.hold(event.event_id):
            known = self._accepted.digest(event.event_id)
            if known == envelope.digest:
                self._log.info("envelope_repeated", event_id=event.event_id)
                return Answer(200, {"event_id": event.event_id, "status": "already accepted"})
            if known is not None:
                conflict = DuplicateEvent(
                    f"event {event.event_id} was accepted before with other content",
                    event_id=event.event_id,
                )
                return await self._refuse(conflict, body, event.child_ref.encode(), 409)
            try:
                await self._publisher.publish(event.child_ref.encode(), body)
            except PublishFailed as error:
                self._log.warning("publish_failed", event_id=event.event_id, error=str(error))
                return _unavailable("broker_unavailable")
            self._accepted.add(event.event_id, envelope.digest)
        self._log.info("envelope_accepted", event_id=event.event_id)
        return Answer(201, {"event_id": event.event_id, "status": "accepted"})

    async def _verify(self, body: bytes) -> VerifiedEnvelope:
        arrived = self._keys.now()
        try:
            envelope = self._keys.codec.decode(body, received_at=self._clock())
        except UnknownKey:  # perhaps a device enrolled since the last reload
            if not await self._keys.refresh_after(arrived):
                raise DirectoryUnavailable from None
            envelope = self._keys.codec.decode(body, received_at=self._clock())
        event = envelope.event
        signer = self._keys.signer(envelope.signer_key_id)
        if signer is None or signer.device is None:
            raise NotAuthorised(
                "the intake accepts envelopes signed by enrolled devices only",
                code="not_a_device",
                event_id=event.event_id,
            )
        self._authoriser.check(event)
        return envelope

    async def _refuse(
        self, error: EnvelopeRejected, body: bytes, key: bytes | None, status: int
    ) -> Answer:
        rejection = Rejection.of(error, Inbound(value=body, key=key), REJECTED_BY)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._quarantine_thread, self._quarantine.put, rejection)
        except Exception as failure:  # the quarantine topic is unreachable: try again later
            self._log.warning(
                "quarantine_failed", event_id=error.event_id, error=type(failure).__name__
            )
            return _unavailable("quarantine_unavailable")
        self._log.warning("envelope_refused", event_id=error.event_id, reason=error.reason)
        answer = {"reason": error.reason, "detail": error.detail, "event_id": error.event_id}
        if isinstance(error, NotAuthorised):
            answer["code"] = error.code
        return Answer(status, answer)

    def close(self) -> None:
        self._quarantine_thread.shutdown(wait=True)
