"""Per-child pathways: a pure fold of judged clear headers and the child's obligations.

A pathway is what a supervisor reads for one ``child_ref``: the timeline in time order (rejected
events included, with their reason), each referral's per-recipient state and who holds it now,
the agencies holding the child, the latest valid ``CaseClosed`` and the child's obligations.
Fold a judgement made as of the evaluation time (``judge(events, until=t)``) with the
obligations ``sla.evaluate`` gives for the same *t*. Payloads are never read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from backbone.audit.core.sla import Obligation
from backbone.domain.events import Event
from backbone.domain.lifecycle import Judgement, Referral, Rejection


@dataclass(frozen=True)
class Step:
    event: Event
    rejection: Rejection | None

    def to_json(self) -> dict[str, Any]:
        event = self.event
        return {
            "event_id": event.event_id,
            "event_type": event.event_type,
            "occurred_at": event.occurred_at.isoformat(),
            "producer": event.producer,
            "referral_id": event.referral_id,
            "attributes": dict(sorted(event.attributes.items())),
            "causation_id": event.causation_id,
            "rejected": None
            if self.rejection is None
            else {"reason": self.rejection.reason.value, "message": self.rejection.message},
        }


@dataclass(frozen=True)
class Pathway:
    child_ref: str
    timeline: tuple[Step, ...]
    referrals: tuple[Referral, ...]
    responsible: tuple[str, ...]
    case_closed_by_event_id: str | None
    obligations: tuple[Obligation, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "child_ref": self.child_ref,
            "timeline": [step.to_json() for step in self.timeline],
            "referrals": [_referral_json(r) for r in self.referrals],
            "responsible": list(self.responsible),
            "case_closed_by_event_id": self.case_closed_by_event_id,
            "obligations": [o.to_json() for o in self.obligations],
        }

    def to_api_json(self) -> dict[str, Any]:
        """``to_json`` with each obligation's ``to_api_json`` (the audit's HTTP API form)."""
        return {**self.to_json(), "obligations": [o.to_api_json() for o in self.obligations]}


def fold(judgement: Judgement, obligations: Iterable[Obligation]) -> tuple[Pathway, ...]:
    """One pathway per child in the judgement, sorted by ``child_ref``."""
    steps: dict[str, list[Step]] = defaultdict(list)
    for event in judgement.events:  # already in time order
        steps[event.child_ref].append(Step(event, judgement.verdicts[event.event_id]))
    owed: dict[str, list[Obligation]] = defaultdict(list)
    for obligation in sorted(obligations, key=lambda o: o.sort_key):
        owed[obligation.child_ref].append(obligation)
    position = {event.event_id: index for index, event in enumerate(judgement.events)}
    referrals: dict[str, list[Referral]] = defaultdict(list)
    for referral in sorted(judgement.referrals.values(), key=lambda r: position[r.issued_event_id]):
        referrals[referral.child_ref].append(referral)
    return tuple(
        Pathway(
            child_ref=child_ref,
            timeline=tuple(steps[child_ref]),
            referrals=tuple(referrals[child_ref]),
            responsible=judgement.responsible(child_ref),
            case_closed_by_event_id=_last_closure(steps[child_ref]),
            obligations=tuple(owed[child_ref]),
        )
        for child_ref in sorted(steps)
    )


def _last_closure(steps: list[Step]) -> str | None:
    closures = [
        s.event.event_id
        for s in steps
        if s.event.event_type == "CaseClosed" and s.rejection is None
    ]
    return closures[-1] if closures else None


def _referral_json(referral: Referral) -> dict[str, Any]:
    return {
        "referral_id": referral.referral_id,
        "kind": referral.kind,
        "issuer": referral.issuer,
        "issued_event_id": referral.issued_event_id,
        "withdrawn_by_event_id": referral.withdrawn_event_id,
        "recipients": [
            {"agency": agency, "state": state.value}
            for agency, state in referral.recipients.items()
        ],
        "responsible": list(referral.holders),
    }
