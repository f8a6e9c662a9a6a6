"""Plain events (contract v1.1, section 3): the unsigned JSON form and its validation.

``parse_event`` turns one decoded JSON object into a frozen ``Event`` or raises
``MalformedEvent`` listing every problem of the object; ``checked_event`` makes the same checks
on the values of an event already taken apart (the envelope's Avro header).

The grammar is exact (contract v1.1): canonical lower-case UUIDs; ``occurred_at`` as
``YYYY-MM-DDTHH:MM:SS[.1-6 digits](Z|+HH:MM|-HH:MM)``; minted ``child_ref`` (``c-`` and 12-32
lower-case hex digits) and ``referral_id`` (``r-`` and 12-32); a ``region`` from the closed list;
every attribute a code from its closed list; distinct recipients, none of them the producer.

Each problem names the key and the value it refused (``event_type: unknown event type
'ReferalIssued'``): that is what a person fixing a file needs. Services that answer a producer or
keep a rejection (the envelope's header checks, quarantine, logs) use ``MalformedEvent.safe``,
the same problems without the values, since a refused value could be anything a person typed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from sys import intern
from typing import Any

from backbone.domain.agencies import REGIONS, is_agency_id
from backbone.domain.catalogue import CATALOGUE, LIFECYCLE_RANK, allows, describe

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
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CHILD_REF = re.compile(r"^c-[0-9a-f]{12,32}$")
REFERRAL_ID = re.compile(r"^r-[0-9a-f]{12,32}$")
OCCURRED_AT = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})$"
)
# A refused value is shown up to this many characters.
_SHOWN = 60
# Per event type: its attribute names, and (name, allowed values) in name order, the order in
# which problems are reported.
_ATTRIBUTE_SPECS = {
    event_type: (spec.attributes.keys(), sorted(spec.attributes.items()))
    for event_type, spec in CATALOGUE.items()
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One defect: the key, what is wrong, and (for a person) the refused value."""

    key: str
    message: str
    value: Any = None
    shown: bool = False

    def __str__(self) -> str:
        return f"{self.key}: {self.message}" + (f" {_show(self.value)}" if self.shown else "")

    @property
    def safe(self) -> str:
        """The problem without the refused value."""
        return f"{self.key}: {self.message}"


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


class MalformedEvent(ValueError):
    """The JSON object is not a well-formed event.

    ``problems`` names each defect with the refused value (for the person who wrote it);
    ``safe`` names the same defects without values (for what a service keeps or answers)."""

    def __init__(self, problems: list[Problem] | list[str]) -> None:
        found = [p if isinstance(p, Problem) else Problem("event", p) for p in problems]
        self.problems = [str(p) for p in found]
        self.safe = [p.safe for p in found]
        super().__init__("; ".join(self.problems))


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

    def same_content(self, other: Event) -> bool:
        """Whether two events are the same event: equal plain JSON forms, compared as JSON text
        (so ``true`` is not ``1`` and ``1.0`` is not ``1``, as in any other language)."""
        return _canonical(self.to_json()) == _canonical(other.to_json())

    def without_payload(self) -> Event:
        return replace(self, payload=None)


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _time(value: Any, problems: list[Problem]) -> datetime | None:
    if not isinstance(value, str):
        problems.append(Problem("occurred_at", "must be a string, got", value, shown=True))
        return None
    parsed = None
    if OCCURRED_AT.fullmatch(value):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None:
        problems.append(
            Problem(
                "occurred_at",
                "is not YYYY-MM-DDTHH:MM:SS[.ffffff] with Z or +HH:MM/-HH:MM",
                value,
                shown=True,
            )
        )
    return parsed


def _token(key: str, pattern: re.Pattern[str], value: Any, problems: list[Problem]) -> str | None:
    if isinstance(value, str) and pattern.fullmatch(value):
        return value
    prefix = "c" if key == "child_ref" else "r"
    problems.append(
        Problem(
            key,
            f"is not a minted token ({prefix}- and 12-32 lower-case hex digits)",
            value,
            shown=True,
        )
    )
    return None


def _attributes(event_type: str, value: Any, problems: list[Problem]) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.append(
            Problem("attributes", "must be an object whose values are strings, got", value, True)
        )
        return {}
    names, spec = _ATTRIBUTE_SPECS[event_type]
    if value.keys() != names:
        problems.extend(
            Problem(
                "attributes", f"has a name that is not an attribute of {event_type}:", key, True
            )
            for key in sorted(value.keys() - names, key=str)
        )
        problems.extend(
            Problem(f"attributes.{key}", f"required for {event_type}")
            for key in sorted(names - value.keys())
        )
    for key, allowed in spec:
        if key not in value:
            continue
        given = value[key]
        if not isinstance(given, str):
            problems.append(Problem(f"attributes.{key}", "must be a string, got", given, True))
        elif not allows(allowed, given):
            problems.append(
                Problem(f"attributes.{key}", f"is not one of ({describe(allowed)})", given, True)
            )
    return dict(value)  # only used when no problem was found: then every value is a string


def _uuid(key: str, value: Any, problems: list[Problem]) -> str | None:
    if isinstance(value, str) and UUID.fullmatch(value):
        return value
    problems.append(Problem(key, "is not a canonical lower-case UUID", value, shown=True))
    return None


def parse_event(obj: Any) -> Event:
    """Validate one plain-JSON event (section 3) and return it; raise ``MalformedEvent``."""
    if not isinstance(obj, dict):
        raise MalformedEvent([Problem("event", "must be a JSON object")])
    problems: list[Problem] = []
    if not _ALLOWED_KEYS.issuperset(obj):
        problems.extend(
            Problem("event", "has a key the contract does not define:", key, shown=True)
            for key in sorted(set(obj) - _ALLOWED_KEYS, key=str)
        )
    missing = [Problem(key, "missing") for key in REQUIRED_KEYS if obj.get(key) is None]
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
    problems: list[Problem] | None = None,
) -> Event:
    """The ``Event`` of one event's values in their JSON types, after every check of section 3:
    the header keys from ``fields``, the attributes as a JSON object and the payload.

    The required keys' presence is the caller's to check (``parse_event`` does it for a JSON
    object; an Avro header has every key by its schema); an optional key may be absent.
    ``problems`` already found come first in the ``MalformedEvent`` raised if any check fails.
    """
    problems = [] if problems is None else problems
    event_id = _uuid("event_id", fields["event_id"], problems)
    event_type = fields["event_type"]
    if not isinstance(event_type, str) or event_type not in CATALOGUE:
        problems.append(Problem("event_type", "unknown event type", event_type, shown=True))
        event_type = None
    occurred = _time(fields["occurred_at"], problems)
    producer, region = fields["producer"], fields["region"]
    if not is_agency_id(producer):
        problems.append(
            Problem(
                "producer",
                "is not an agency id <type>.<region>[.<name>] of a known type and region",
                producer,
                shown=True,
            )
        )
    child_ref = _token("child_ref", CHILD_REF, fields["child_ref"], problems)
    if not isinstance(region, str) or region not in REGIONS:
        problems.append(Problem("region", "unknown region", region, shown=True))
    recipients = fields["recipients"]
    if not isinstance(recipients, list):
        problems.append(
            Problem("recipients", "must be an array of agency ids, got", recipients, True)
        )
        recipients = []
    else:
        problems.extend(
            Problem("recipients", "is not an agency id", r, shown=True)
            for r in recipients
            if not is_agency_id(r)
        )
        twice = sorted({str(r) for r in recipients if recipients.count(r) > 1})
        problems.extend(Problem("recipients", "lists an agency twice:", r, True) for r in twice)
        if producer in recipients:
            problems.append(Problem("recipients", "must not list the producer", producer, True))
    referral_id = fields.get("referral_id")
    if referral_id is not None:
        referral_id = _token("referral_id", REFERRAL_ID, referral_id, problems)
    causation = fields.get("causation_id")
    if causation is not None:
        causation = _uuid("causation_id", causation, problems)
    correlation = fields.get("correlation_id")
    if correlation is not None:
        correlation = _uuid("correlation_id", correlation, problems)
    if payload is not None and not isinstance(payload, dict):
        problems.append(Problem("payload", "must be an object, got", payload, True))

    checked_attributes: dict[str, str] = {}
    if event_type is not None:
        checked_attributes = _attributes(event_type, attributes, problems)
        if CATALOGUE[event_type].needs_referral_id and fields.get("referral_id") is None:
            problems.append(Problem("referral_id", f"required for {event_type}"))
        if event_type == "EnvelopeUnreadable" and fields.get("causation_id") is None:
            problems.append(
                Problem("causation_id", "required for EnvelopeUnreadable (the event it answers)")
            )
        if event_type == "ReferralIssued" and not recipients:
            problems.append(Problem("recipients", "required and non-empty for ReferralIssued"))
        if event_type != "ReferralIssued" and recipients:
            problems.append(Problem("recipients", f"must be empty for {event_type}"))
    if problems:
        raise MalformedEvent(problems)
    assert event_id is not None and event_type is not None and occurred is not None
    assert child_ref is not None
    return Event(
        event_id=intern(event_id),
        event_type=intern(event_type),
        occurred_at=occurred,
        producer=intern(producer),
        child_ref=intern(child_ref),
        recipients=tuple(map(intern, recipients)),
        region=intern(region),
        attributes=_shared(checked_attributes),
        referral_id=None if referral_id is None else intern(referral_id),
        causation_id=None if causation is None else intern(causation),
        correlation_id=None if correlation is None else intern(correlation),
        payload=payload,
    )


def kept_event(header: Mapping[str, Any]) -> Event:
    """The ``Event`` (without payload) of a plain JSON header (``Event.header``) whose values
    passed ``checked_event`` before, built without checking them again: for what a process
    admitted and kept where only it can read it (the audit's store). Equal to the checked
    event."""
    return Event(
        event_id=header["event_id"],
        event_type=header["event_type"],
        occurred_at=datetime.fromisoformat(header["occurred_at"]),
        producer=header["producer"],
        child_ref=header["child_ref"],
        recipients=tuple(header["recipients"]),
        region=header["region"],
        attributes=dict(header["attributes"]),
        referral_id=header.get("referral_id"),
        causation_id=header.get("causation_id"),
        correlation_id=header.get("correlation_id"),
    )


_SHARED_ATTRIBUTES: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
_SHARED_LIMIT = 50_000  # distinct attribute sets shared (codes make few of them)


def _shared(attributes: dict[str, str]) -> dict[str, str]:
    """One object per distinct set of attributes, so that a million events do not each hold
    their own copy of the same few; an event's attributes are never changed after it is made.
    Agency ids, types, regions, refs and event ids are interned (``sys.intern``) for the same
    reason: most events name an earlier one as cause, and a child's events share a correlation
    id (an interned string is freed with its last reference)."""
    key = tuple(attributes.items())
    shared = _SHARED_ATTRIBUTES.get(key)
    if shared is not None:
        return shared
    if len(_SHARED_ATTRIBUTES) < _SHARED_LIMIT:
        _SHARED_ATTRIBUTES[key] = attributes
    return attributes


# A token whose hex part is twelve decimal digits has the shape of an IIN (a person's identity
# number): the grammar admits it, but software that mints tokens never makes one (see
# ``scenario.ids``), so where people write events it is refused as typed, not minted.
_IIN_SHAPED = re.compile(r"[cr]-[0-9]{12}")


def typed_identity_numbers(event: Event) -> list[Problem]:
    """Problems for ``child_ref`` / ``referral_id`` that look like a typed identity number."""
    return [
        Problem(key, "looks like an identity number (12 decimal digits), not a minted token")
        for key, value in (("child_ref", event.child_ref), ("referral_id", event.referral_id))
        if value is not None and _IIN_SHAPED.fullmatch(value)
    ]


def read_events_file(path: Path) -> tuple[list[Event], list[str]]:
    """Events of a JSON Lines file people wrote (``backbone emit``, ``device record``), and
    ``LINE: reason`` for every malformed line: the contract's checks, and no token shaped like
    an identity number (``typed_identity_numbers``)."""
    events, problems = [], []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            event = parse_event(json.loads(line))
        except json.JSONDecodeError as error:
            problems.append(f"{number}: not JSON ({error.msg})")
            continue
        except MalformedEvent as error:
            problems.append(f"{number}: {error}")
            continue
        typed = typed_identity_numbers(event)
        if typed:
            problems.append(f"{number}: {MalformedEvent(typed)}")
        else:
            events.append(event)
    return events, problems
