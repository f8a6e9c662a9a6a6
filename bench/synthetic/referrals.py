"""The referral lifecycle written onto a ``Track``: issue, receipt, decision, completion.

The issue's step is the referral's name; the referral id is minted from the child's label and
that name, and each later step is ``<referral id>/<verb>/<agency>``, unique per recipient.

A decline's ``reason`` and a completion's ``outcome`` are codes of the catalogue's closed lists
(contract v1.1); the words a worker would add go into the payload (``explanation``, ``summary``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from backbone.domain.events import Event
from synthetic import payloads
from synthetic.payloads import Payload
from synthetic.track import Track


def issue(
    track: Track,
    name: str,
    at: datetime,
    issuer: str,
    recipients: Sequence[str],
    kind: str,
    payload: Payload,
    cause: Event | None = None,
) -> Event:
    return track.emit(
        name,
        "ReferralIssued",
        at,
        issuer,
        payload,
        attributes={"kind": kind},
        referral_id=track.minter.referral_id(f"{track.label}/{name}"),
        recipients=recipients,
        cause=cause,
    )


def receive(track: Track, issued: Event, at: datetime, agency: str, worker: str) -> Event:
    return _follow(
        track,
        issued,
        "received",
        "ReferralReceived",
        at,
        agency,
        payloads.referral_received(worker),
        {},
        issued,
    )


def accept(
    track: Track, received: Event, at: datetime, worker: str, note: str | None = None
) -> Event:
    payload = payloads.referral_accepted(worker, first_contact=at.date(), note=note)
    return _follow(
        track,
        received,
        "accepted",
        "ReferralAccepted",
        at,
        received.producer,
        payload,
        {},
        received,
    )


def decline(track: Track, received: Event, at: datetime, reason: str, explanation: str) -> Event:
    payload = payloads.referral_declined(explanation)
    return _follow(
        track,
        received,
        "declined",
        "ReferralDeclined",
        at,
        received.producer,
        payload,
        {"reason": reason},
        received,
    )


def complete(
    track: Track,
    accepted: Event,
    at: datetime,
    outcome: str,
    summary: str,
    services: Sequence[str] = (),
) -> Event:
    payload = payloads.referral_completed(summary, services)
    return _follow(
        track,
        accepted,
        "completed",
        "ReferralCompleted",
        at,
        accepted.producer,
        payload,
        {"outcome": outcome},
        accepted,
    )


def unreadable(track: Track, issued: Event, at: datetime, agency: str, reason: str) -> Event:
    """``agency``'s signed answer that it could not read ``issued`` (contract v1.1, section 4):
    its cause is the issue, its referral the issue's, ``reason`` one of the unreadable codes. The
    payload is empty: the header says everything, and nothing of the unread body is repeated."""
    return _follow(
        track,
        issued,
        "unreadable",
        "EnvelopeUnreadable",
        at,
        agency,
        payloads.envelope_unreadable(),
        {"reason": reason},
        issued,
    )


def reissue(track: Track, name: str, at: datetime, issued: Event, answer: Event) -> Event:
    """The issuer's new referral for the one ``answer`` could not read (``referral-reissue``):
    same issuer, recipients, kind and payload, a new referral id, caused by ``answer``."""
    assert issued.payload is not None
    return issue(
        track,
        name,
        at,
        issued.producer,
        issued.recipients,
        issued.attributes["kind"],
        dict(issued.payload),
        cause=answer,
    )


def _follow(
    track: Track,
    previous: Event,
    verb: str,
    event_type: str,
    at: datetime,
    agency: str,
    payload: Payload,
    attributes: dict[str, str],
    cause: Event,
) -> Event:
    assert previous.referral_id is not None
    return track.emit(
        f"{previous.referral_id}/{verb}/{agency}",
        event_type,
        at,
        agency,
        payload,
        attributes=attributes,
        referral_id=previous.referral_id,
        cause=cause,
    )
