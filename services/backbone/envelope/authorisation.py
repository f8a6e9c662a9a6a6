"""Authorisation by content (contracts/events.md, section 3), as every consumer enforces it.

Two authorisers share one small protocol:

* ``ByType``: the producer's agency type may emit the event type (``catalogue.may_emit``). Any
  consumer can apply it to any single event; an agency's inbox service uses this one, because it
  sees only part of a referral's history.
* ``ByLifecycle``: the full judgement of ``domain.lifecycle.judge`` (type, then referral
  lifecycle: only recipients receive, accept, decline and complete; only the issuer withdraws;
  ``CaseClosed`` only by a responsible agency). It keeps, per child, the header-only events it
  accepted and judges a new one among them in time order. It is for consumers of the whole
  event log (router, audit), which see every event of a child. An ``EnvelopeUnreadable`` must
  also name (``causation_id``) an event of its child that was accepted before it, with the same
  ``referral_id`` (``cause_unknown``, ``cause_mismatch``): ``cause`` finds that event, whose
  producer the answer is delivered to.

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
        if event.event_type == "EnvelopeUnreadable":
            self._check_cause(event, known)

    def cause(self, event: Event) -> Event | None:
        """The accepted event of the same child that ``event`` names as its ``causation_id``."""
        if event.causation_id is None:
            return None
        known = self._history.get(event.child_ref, [])
        return next((e for e in known if e.event_id == event.causation_id), None)

    def _check_cause(self, event: Event, known: list[Event]) -> None:
        cause = next((e for e in known if e.event_id == event.causation_id), None)
        if cause is None:
            raise NotAuthorised(
                f"{event.event_id} answers {event.causation_id}, not an accepted event of its"
                " child",
                code="cause_unknown",
                event_id=event.event_id,
            )
        if cause.referral_id != event.referral_id:
            raise NotAuthorised(
                f"{event.event_id} names another referral than {event.causation_id}",
                code="cause_mismatch",
                event_id=event.event_id,
            )

    def record(self, event: Event) -> None:
        # Reassign rather than mutate, so that a durable table sees the change.
        known = self._history.get(event.child_ref, [])
        self._history[event.child_ref] = [*known, event.without_payload()]
