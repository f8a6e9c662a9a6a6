"""The clear header: an ``Event`` to its Avro record and back, with the contract's checks.

The header is validated by the domain's checks of section 3 and the catalogue (``checked_event``,
which ``parse_event`` runs too), so the envelope accepts exactly what the plain JSON form accepts.
Messages name fields, never values (``MalformedEvent.safe``): an attribute name the catalogue does
not know is not repeated either, since a buggy or hostile producer could put anything there.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from backbone.domain.catalogue import CATALOGUE
from backbone.domain.events import OCCURRED_AT, Event, MalformedEvent, checked_event, parse_event
from backbone.domain.events import kept_event as domain_kept_event
from backbone.envelope.errors import EncodingRefused, HeaderInvalid

_CANONICAL_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def header_datum(event: Event) -> dict[str, Any]:
    """The Avro header of ``event``, after the checks every decoder will make."""
    plain = event.header()
    try:
        parse_event(plain)
    except MalformedEvent as error:
        raise EncodingRefused(f"event header: {'; '.join(error.safe)}") from None
    plain["attributes"] = [{"name": k, "value": v} for k, v in plain["attributes"].items()]
    return plain


def claims(header: dict[str, Any]) -> tuple[str, datetime]:
    """The producer and event time the header claims, before the whole header is judged."""
    if header["event_type"] not in CATALOGUE:
        raise HeaderInvalid("event_type: unknown event type")
    text = header["occurred_at"]
    occurred_at = None
    if OCCURRED_AT.fullmatch(text):
        try:
            occurred_at = datetime.fromisoformat(text)
        except ValueError:
            occurred_at = None
    if occurred_at is None:  # the exact grammar of contracts/events.md, as at check 16
        raise HeaderInvalid(
            "occurred_at: is not YYYY-MM-DDTHH:MM:SS[.ffffff] with Z or +HH:MM/-HH:MM"
        )
    return header["producer"], occurred_at


def event_from_header(header: dict[str, Any], payload: dict[str, Any] | None) -> Event:
    """The ``Event`` of a decoded Avro header (and opened payload), or ``HeaderInvalid``.

    The schema gives every key its JSON type, so the values go to the domain's checks as they are.
    """
    records = header["attributes"]
    attributes = {a["name"]: a["value"] for a in records}
    names = list(attributes)
    if len(names) != len(records) or names != sorted(names):
        raise HeaderInvalid("attributes: names must be sorted and unique")
    try:
        event = checked_event(header, attributes=attributes, payload=payload)
    except MalformedEvent as error:
        raise HeaderInvalid("; ".join(error.safe)) from None
    if event.event_id != header["event_id"]:
        raise HeaderInvalid("event_id: not in canonical lower-case UUID form")
    return event


def kept_event(header: dict[str, Any]) -> Event:
    """The ``Event`` (without payload) of a decoded Avro header that passed ``event_from_header``
    before, built without checking it again (``domain.events.kept_event``)."""
    attributes = {a["name"]: a["value"] for a in header["attributes"]}
    return domain_kept_event({**header, "attributes": attributes})


def authenticated_event_id(header: dict[str, Any]) -> str | None:
    """The header's event id if it is a canonical UUID (anything else is not repeated)."""
    value = header["event_id"]
    return value if _CANONICAL_UUID.fullmatch(value) else None
