"""Plain events (referral-model.md, section 3): the unsigned JSON form and its validation.

``parse_event`` turns one decoded JSON object into a frozen ``Event`` or raises
``MalformedEvent`` listing every problem; ``checked_event`` makes the same checks on the values
of an event already taken apart (the envelope's Avro header). Messages name keys and expected
forms, never the values of free fields, so an error message cannot carry a child's data.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from sys import intern
from typing import Any

from backbone.domain.agencies import REGION, is_agency_id
from backbone.domain.catalogue import CATALOGUE, FREE, LIFECYCLE_RANK, MAX_FREE_LENGTH

REQUIRED_KEYS = (
    "event_id",
    "event_type",
    "occurred_at",
    "producer",
    "child_ref",
    "recipients",
    "region",
    "attributes",
)
OPTIONAL_KEYS = ("referral_id", "causation_id", "correlation_id", "payload")
_ALLOWED_KEYS = frozenset(REQUIRED_KEYS + OPTIONAL_KEYS)
# The canonical text form is accepted as it is; any other form is parsed (and normalised).
_CANONICAL_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Pseudonyms: short opaque tokens. All-digit tokens are refused because a 12-digit one could be
# an IIN, which must never reach a clear header.
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_DIGITS = re.compile(r"^[0-9]+$")
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})?$"
)
# Per event type: its attribute names, and (name, allowed values) in name order, the order in
# which problems are reported.
_ATTRIBUTE_SPECS = {
    event_type: (spec.attributes.keys(), sorted(spec.attributes.items()))
    for event_type, spec in CATALOGUE.items()
}


class MalformedEvent(ValueError):
    """The JSON object is not a well-formed event; ``problems`` lists each defect."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str
    event_type: str
    occurred_at: datetime
    producer: str
    child_ref: str
    recipients: tuple[str, ...]
    region: str
    attributes: Mapping[str, str]
    referral_id: str | None = None
    causation_id: str | None = None
    correlation_id: str | None = None
    payload: Mapping[str, Any] | None = field(default=None, compare=True, repr=False)

    @property
    def sort_key(self) -> tuple[datetime, int, str]:
        """Time order of section 4: instant, lifecycle rank, then event id."""
        return (self.occurred_at, LIFECYCLE_RANK.get(self.event_type, 0), self.event_id)

    def header(self) -> dict[str, Any]:
        """The clear header as JSON values (no payload)."""
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "occurred_at": self.occurred_at.isoformat(),
            "producer": self.producer,
            "child_ref": self.child_ref,
            "referral_id": self.referral_id,
            "recipients": list(self.recipients),
            "region": self.region,
            "attributes": dict(sorted(self.attributes.items())),
            "causation_id": self.causation_id,
            "correlation_id": self.correlation_id,
        }

    def to_json(self, include_payload: bool = True) -> dict[str, Any]:
        """The plain JSON form; the payload is left out for a reader who is not a recipient."""
        obj = self.header()
        if include_payload and self.payload is not None:
            obj["payload"] = dict(self.payload)
        return obj

    def without_payload(self) -> Event:
        return replace(self, payload=None)


def _uuid(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if _CANONICAL_UUID.match(value):
        return value
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _time(value: Any) -> datetime | str:
    if not isinstance(value, str):
        return "must be an RFC 3339 string"
    if not _RFC3339.match(value):
        return "is not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.frac] with offset)"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return "is not an RFC 3339 date-time"
    if parsed.utcoffset() is None:
        return "has no UTC offset"
    return parsed


def _token(name: str, value: Any, problems: list[str]) -> str | None:
    if not isinstance(value, str) or not _TOKEN.match(value):
        problems.append(f"{name}: must be an opaque token of 1-64 characters [A-Za-z0-9_.:-]")
        return None
    if _DIGITS.match(value):
        problems.append(f"{name}: must not be all digits (it could be an identity number)")
        return None
    return value


def _attributes(event_type: str, value: Any, problems: list[str]) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.append("attributes: must be an object whose values are strings")
        return {}
    names, spec = _ATTRIBUTE_SPECS[event_type]
    if value.keys() != names:
        problems.extend(
            f"attributes.{key}: not an attribute of {event_type}"
            for key in sorted(value.keys() - names)
        )
        problems.extend(
            f"attributes.{key}: required for {event_type}" for key in sorted(names - value.keys())
        )
    for key, allowed in spec:
        if key not in value:
            continue
        given = value[key]
        if not isinstance(given, str):
            problems.append(f"attributes.{key}: must be a string")
        elif allowed is FREE:
            if not given.strip() or len(given) > MAX_FREE_LENGTH:
                problems.append(f"attributes.{key}: must be 1-{MAX_FREE_LENGTH} characters")
        elif given not in allowed:
            problems.append(f"attributes.{key}: must be one of {', '.join(sorted(allowed))}")
    return dict(value)  # only used when no problem was found: then every value is a string


def _optional_uuid(name: str, value: Any, problems: list[str]) -> str | None:
    if value is None:
        return None
    canonical = _uuid(value)
    if canonical is None:
        problems.append(f"{name}: must be a UUID")
    return canonical


def parse_event(obj: Any) -> Event:
    """Validate one plain-JSON event (section 3) and return it; raise ``MalformedEvent``."""
    if not isinstance(obj, dict):
        raise MalformedEvent(["an event must be a JSON object"])
    problems: list[str] = []
    if not _ALLOWED_KEYS.issuperset(obj):
        problems.extend(
            f"{key}: unknown key (the clear header carries only the contract's keys)"
            for key in sorted(set(obj) - _ALLOWED_KEYS)
        )
    missing = [f"{key}: missing" for key in REQUIRED_KEYS if obj.get(key) is None]
    if missing:
        raise MalformedEvent(problems + missing)
    return checked_event(
        obj, attributes=obj["attributes"], payload=obj.get("payload"), problems=problems
    )


def checked_event(
    fields: Mapping[str, Any],
    *,
    attributes: Any,
    payload: Any = None,
    problems: list[str] | None = None,
) -> Event:
    """The ``Event`` of one event's values in their JSON types, after every check of section 3:
    the header keys from ``fields``, the attributes as a JSON object and the payload.

    The required keys' presence is the caller's to check (``parse_event`` does it for a JSON
    object; an Avro header has every key by its schema); an optional key may be absent.
    ``problems`` already found come first in the ``MalformedEvent`` raised if any check fails.
    """
    problems = [] if problems is None else problems
    canonical_id = _uuid(fields["event_id"])
    if canonical_id is None:
        problems.append("event_id: must be a UUID")
    event_type = fields["event_type"]
    if not isinstance(event_type, str) or event_type not in CATALOGUE:
        problems.append("event_type: unknown event type")
        event_type = None
    occurred = _time(fields["occurred_at"])
    if isinstance(occurred, str):
        problems.append(f"occurred_at: {occurred}")
    producer, region = fields["producer"], fields["region"]
    if not is_agency_id(producer):
        problems.append("producer: not an agency id <type>.<region>[.<name>]")
    child_token = _token("child_ref", fields["child_ref"], problems)
    if not isinstance(region, str) or not REGION.match(region):
        problems.append("region: must be a region id in [a-z0-9-]")
    recipients = fields["recipients"]
    if not isinstance(recipients, list) or not all(map(is_agency_id, recipients)):
        problems.append("recipients: must be an array of agency ids")
        recipients = []
    elif len(set(recipients)) != len(recipients):
        problems.append("recipients: lists an agency twice")
    referral_id, referral_token = fields.get("referral_id"), None
    if referral_id is not None:
        referral_token = _token("referral_id", referral_id, problems)
    causation = _optional_uuid("causation_id", fields.get("causation_id"), problems)
    correlation = _optional_uuid("correlation_id", fields.get("correlation_id"), problems)
    if payload is not None and not isinstance(payload, dict):
        problems.append("payload: must be an object")

    checked_attributes: dict[str, str] = {}
    if event_type is not None:
        checked_attributes = _attributes(event_type, attributes, problems)
        if CATALOGUE[event_type].needs_referral_id and referral_id is None:
            problems.append(f"referral_id: required for {event_type}")
        if event_type == "ReferralIssued" and not recipients:
            problems.append("recipients: required and non-empty for ReferralIssued")
        if event_type != "ReferralIssued" and recipients:
            problems.append(f"recipients: must be empty for {event_type}")
    if problems:
        raise MalformedEvent(problems)
    assert canonical_id is not None and event_type is not None and isinstance(occurred, datetime)
    assert child_token is not None
    return Event(
        event_id=canonical_id,
        event_type=intern(event_type),
        occurred_at=occurred,
        producer=intern(producer),
        child_ref=intern(child_token),
        recipients=tuple(map(intern, recipients)),
        region=intern(region),
        attributes=_shared(checked_attributes),
        referral_id=None if referral_token is None else intern(referral_token),
        causation_id=causation,
        correlation_id=correlation,
        payload=payload,
    )


_SHARED_ATTRIBUTES: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
_SHARED_LIMIT = 50_000  # distinct attribute sets shared; free-text values make more of them


def _shared(attributes: dict[str, str]) -> dict[str, str]:
    """One object per distinct set of attributes, so that a million events do not each hold
    their own copy of the same few; an event's attributes are never changed after it is made.
    Agency ids, types, regions and refs are interned (``sys.intern``) for the same reason."""
    key = tuple(attributes.items())
    shared = _SHARED_ATTRIBUTES.get(key)
    if shared is not None:
        return shared
    if len(_SHARED_ATTRIBUTES) < _SHARED_LIMIT:
        _SHARED_ATTRIBUTES[key] = attributes
    return attributes


def read_events_file(path: Path) -> tuple[list[Event], list[str]]:
    """Events of a JSON Lines file, and ``LINE: reason`` for every malformed line."""
    events, problems = [], []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events.append(parse_event(json.loads(line)))
        except json.JSONDecodeError as error:
            problems.append(f"{number}: not JSON ({error.msg})")
        except MalformedEvent as error:
            problems.append(f"{number}: {error}")
    return events, problems
