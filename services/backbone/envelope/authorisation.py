"""Authorisation by content (referral-model.md, section 4), as every consumer enforces it.

Two authorisers share one small protocol:

* ``ByType``: the producer's agency type may emit the event type (``catalogue.may_emit``). Any
  consumer can apply it to any single event; an agency's inbox service uses this one, because it
  sees only part of a referral's history.
* ``ByLifecycle``: the full judgement of ``domain.lifecycle.judge`` (type, then referral
  lifecycle: only recipients receive, accept, decline and complete; only the issuer withdraws;
  ``CaseClosed`` only by a responsible agency). It keeps, per child, the header-only events it
  accepted and judges a new one among them in time order. It is for consumers of the whole
  event log (router, audit), which see every event of a child.

A verdict is given when the event arrives. An event that arrives late but happened earlier is
judged in its time-order place; events accepted before it are not re-judged here (the audit
projection, which replays in time order, is the arbiter of record).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Protocol

from backbone.domain.agencies import agency_type
from backbone.domain.catalogue import may_emit
from backbone.domain.events import Event
from backbone.domain.lifecycle import ConflictingEvents, judge
from backbone.envelope.errors import DuplicateEvent, NotAuthorised


class Authoriser(Protocol):
    def check(self, event: Event) -> None:
        """Raise ``NotAuthorised`` if ``event`` may not be applied."""

    def record(self, event: Event) -> None:
        """Remember an event the consumer has accepted."""


class ByType:
    """Section 4's "who may emit" column, by agency type alone."""

    def check(self, event: Event) -> None:
        producer_type = agency_type(event.producer)
        if not may_emit(producer_type, event.event_type):
            raise NotAuthorised(
                f"an agency of type {producer_type} may not emit {event.event_type}",
                event_id=event.event_id,
            )

    def record(self, event: Event) -> None:
        return None


class ByLifecycle:
    """The lifecycle judge over each child's accepted events (headers only, no payloads).

    ``history`` may be any mutable mapping from ``child_ref`` to that child's events, e.g. a
    durable table; by default an in-memory dict.
    """

    def __init__(self, history: MutableMapping[str, list[Event]] | None = None) -> None:
        self._history: MutableMapping[str, list[Event]] = {} if history is None else history

    def check(self, event: Event) -> None:
        known = self._history.get(event.child_ref, [])
        try:
            judgement = judge([*known, event.without_payload()])
        except ConflictingEvents:
            raise DuplicateEvent(
                f"event {event.event_id} differs from the accepted event with that id",
                event_id=event.event_id,
            ) from None
        rejection = judgement.rejection(event.event_id)
        if rejection is not None:
            raise NotAuthorised(
                rejection.message, code=str(rejection.reason), event_id=event.event_id
            )

    def record(self, event: Event) -> None:
        # Reassign rather than mutate, so that a durable table sees the change.
        known = self._history.get(event.child_ref, [])
        self._history[event.child_ref] = [*known, event.without_payload()]
