"""The audit's answers as typed values: obligations, pathways, children, agencies (no payload
anywhere).

Each ``from_json`` reads the shape the audit serves (``audit.core.sla.Obligation.to_json``,
``audit.core.pathway.Pathway.to_json``) and raises ``ValueError`` on anything else, so a page never
renders half of a changed answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


def instant(text: Any) -> datetime:
    if not isinstance(text, str):
        raise ValueError(f"not a time: {text!r}")
    moment = datetime.fromisoformat(text)
    if moment.utcoffset() is None:
        raise ValueError(f"time without offset: {text}")
    return moment


@dataclass(frozen=True)
class Obligation:
    rule: str
    child_ref: str
    referral_id: str | None
    owed_by: str
    trigger_event_id: str
    deadline: datetime
    status: str  # met, late, cancelled, open, pending
    level: int
    closed_by_event_id: str | None
    triggered_at: datetime  # the trigger's occurred_at: the handoff waits since then
    closed_at: datetime | None  # the closing event's occurred_at

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Obligation:
        closed_at = item["closed_at"]
        return cls(
            rule=str(item["rule"]),
            child_ref=str(item["child_ref"]),
            referral_id=item.get("referral_id"),
            owed_by=str(item["owed_by"]),
            trigger_event_id=str(item["trigger_event_id"]),
            deadline=instant(item["deadline"]),
            status=str(item["status"]),
            level=int(item["level"]),
            closed_by_event_id=item.get("closed_by_event_id"),
            triggered_at=instant(item["triggered_at"]),
            closed_at=None if closed_at is None else instant(closed_at),
        )

    def overdue_by(self, at: datetime) -> timedelta | None:
        """How far past its deadline: at ``at`` while open, by its closing when done late;
        ``None`` when it is not breached."""
        if self.status == "open":
            return at - self.deadline
        if self.status == "late" and self.closed_at is not None:
            return self.closed_at - self.deadline
        return None

    @property
    def key(self) -> str:
        return f"{self.rule}/{self.trigger_event_id}/{self.owed_by}"


@dataclass(frozen=True)
class Step:
    event_id: str
    event_type: str
    occurred_at: datetime
    producer: str
    referral_id: str | None
    attributes: dict[str, str]
    rejected: str | None  # the reason code of an invalid event
    causation_id: str | None = None  # the event this one answers (an EnvelopeUnreadable's)

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Step:
        rejected = item.get("rejected")
        return cls(
            event_id=str(item["event_id"]),
            event_type=str(item["event_type"]),
            occurred_at=instant(item["occurred_at"]),
            producer=str(item["producer"]),
            referral_id=item.get("referral_id"),
            attributes={str(k): str(v) for k, v in dict(item.get("attributes") or {}).items()},
            rejected=None if rejected is None else str(rejected["reason"]),
            causation_id=None if item.get("causation_id") is None else str(item["causation_id"]),
        )


@dataclass(frozen=True)
class Referral:
    referral_id: str
    kind: str
    issuer: str
    recipients: tuple[tuple[str, str], ...]  # (agency, state)
    withdrawn: bool

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Referral:
        return cls(
            referral_id=str(item["referral_id"]),
            kind=str(item["kind"]),
            issuer=str(item["issuer"]),
            recipients=tuple((str(r["agency"]), str(r["state"])) for r in item["recipients"]),
            withdrawn=item.get("withdrawn_by_event_id") is not None,
        )


@dataclass(frozen=True)
class Pathway:
    child_ref: str
    steps: tuple[Step, ...]
    referrals: tuple[Referral, ...]
    responsible: tuple[str, ...]
    closed_by_event_id: str | None
    obligations: tuple[Obligation, ...]

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Pathway:
        return cls(
            child_ref=str(item["child_ref"]),
            steps=tuple(Step.from_json(s) for s in item["timeline"]),
            referrals=tuple(Referral.from_json(r) for r in item["referrals"]),
            responsible=tuple(str(a) for a in item["responsible"]),
            closed_by_event_id=item.get("case_closed_by_event_id"),
            obligations=tuple(Obligation.from_json(o) for o in item["obligations"]),
        )


@dataclass(frozen=True)
class Agency:
    """An agency of the key directory (``GET /agencies``): its certified display name."""

    agency_id: str
    display_name: str
    kind: str
    region: str

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Agency:
        return cls(
            agency_id=str(item["agency_id"]),
            display_name=str(item["display_name"]),
            kind=str(item["kind"]),
            region=str(item["region"]),
        )


@dataclass(frozen=True)
class ChildSummary:
    """One child for the funnel and the children list: its region, its valid events' types and
    attributes (in time order), when it was first and last seen and its referral ids."""

    child_ref: str
    region: str
    events: tuple[tuple[str, dict[str, str]], ...]
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    referral_ids: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> ChildSummary:
        raw = list(item["events"])
        times = [instant(e["occurred_at"]) for e in raw]
        referrals = dict.fromkeys(str(e["referral_id"]) for e in raw if e.get("referral_id"))
        return cls(
            child_ref=str(item["child_ref"]),
            region=str(item["region"]),
            events=tuple(
                (str(e["event_type"]), {str(k): str(v) for k, v in e["attributes"].items()})
                for e in raw
            ),
            first_seen=min(times, default=None),
            last_seen=max(times, default=None),
            referral_ids=tuple(referrals),
        )

    @property
    def last_event(self) -> str | None:
        return self.events[-1][0] if self.events else None
