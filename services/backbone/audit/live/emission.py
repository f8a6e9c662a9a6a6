"""One evaluation of a child: plan its SLA events, sign and send them, record what was sent.

What was emitted for each child is read from ``emitted`` and recorded through ``remember`` (the
live service keeps it and writes it to its ``emitted`` changelog, in the child's partition). Each
event is sent and acknowledged before it counts as emitted; the record is written after the
child's events, so a crash in between makes the next evaluation send the same ids (with the same
content) again, never new ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from backbone.audit.core.api import Health
from backbone.audit.core.notices import Emitted
from backbone.audit.core.schedule import Schedule
from backbone.audit.live.emitter import SlaEmitter
from backbone.envelope.errors import EncodingRefused
from backbone.logs import get_logger
from backbone.runtime.metrics import OpenBreaches

# An event the audit cannot sign (e.g. its key is not valid at the breach moment) is retried.
RETRY = timedelta(seconds=60)

Send = Callable[[bytes, bytes], Awaitable[None]]  # key, value; returns once acknowledged
Remember = Callable[[bytes, Any], Awaitable[None]]  # key, what was emitted (JSON)


class Emission:
    def __init__(
        self,
        emitter: SlaEmitter,
        emitted: Mapping[bytes, Any],
        remember: Remember,
        send: Send,
        schedule: Schedule,
        health: Health,
        breaches: OpenBreaches | None = None,
    ) -> None:
        self._emitter, self._emitted, self._send = emitter, emitted, send
        self._remember = remember
        self._schedule, self._health, self._breaches = schedule, health, breaches
        self._log = get_logger().bind(service="audit")

    async def __call__(self, key: bytes) -> None:
        """Emit what is due for the child keyed ``key`` now, and schedule its next check."""
        child_ref, now = key.decode(), datetime.now(UTC)
        before = Emitted.from_json(self._emitted.get(key))
        plan = self._emitter.plan(child_ref, before, now)
        done, retry = before, False
        for notice, event in plan.events:
            try:
                data = self._emitter.envelope(notice, event, now)
            except EncodingRefused as refused:
                self._log.error("sla_event_refused", event_id=event.event_id, detail=refused.detail)
                retry = True
                continue
            await self._send(key, data)
            done = done.with_notice(notice)
            self._health.emitted += 1
            self._log.info(
                "sla_event_emitted",
                event_id=event.event_id,
                event_type=event.event_type,
                referral_id=event.referral_id,
                owed_by=notice.key[2],
                rule=notice.key[0],
                sla_level=notice.key[3],
            )
        if done != before:
            await self._remember(key, done.to_json())
        if self._breaches is not None:
            self._breaches.set(child_ref, done.open_levels())
        self._health.evaluated.add(child_ref)
        upcoming = plan.next_check
        if retry:
            upcoming = min(filter(None, (upcoming, now + RETRY)))
        self._schedule.set(child_ref, upcoming)
