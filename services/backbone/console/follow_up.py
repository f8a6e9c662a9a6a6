"""Acknowledging and assigning breaches: what a supervisor records about a breach of their region.

A supervisor acknowledges a breach (they have seen it) and assigns it to a supervisor of the
same region (who follows it up with the owing agency). Both are stored by the console with who
and when (``models.BreachFollowUp``), shown on the board and the pathway, and never published:
the backbone's log carries only agencies' events, and no free text is taken at all. A breach is
followed up only while the audit lists it for the supervisor's region; a breach that is no longer
listed keeps its record, which is shown again if it comes back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from backbone.console.access import Role, Viewer
from backbone.console.models import Access, BreachFollowUp


class FollowUpRefused(ValueError):
    """A follow-up the console does not record, with the reason (shown to the supervisor)."""


@dataclass(frozen=True)
class FollowUp:
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    assigned_to: str | None
    assigned_by: str | None
    assigned_at: datetime | None

    @property
    def signature(self) -> str:
        """What a board's live update compares: changes when either part changes."""
        return f"{self.acknowledged_by}:{self.assigned_to}"


def follow_ups(keys: Iterable[str]) -> Mapping[str, FollowUp]:
    """The recorded follow-ups of the breaches ``keys``."""
    found = BreachFollowUp.objects.filter(breach_key__in=list(keys)).select_related(
        "acknowledged_by", "assigned_to", "assigned_by"
    )
    return {f.breach_key: _view(f) for f in found}


def assignees(region: str) -> list[str]:
    """The supervisors of ``region``, by user name: whom a breach there can be assigned to."""
    found = Access.objects.filter(role=Role.SUPERVISOR.value, region=region, user__is_active=True)
    return sorted(a.user.get_username() for a in found.select_related("user"))


def acknowledge(viewer: Viewer, key: str, listed: Iterable[str]) -> FollowUp:
    """``viewer`` acknowledges breach ``key``, one of ``listed`` (their region's breaches now);
    acknowledging again keeps the first acknowledgement."""
    record = _record(viewer, key, listed)
    if record.acknowledged_at is None:
        record.acknowledged_by = _user(viewer.username)
        record.acknowledged_at = timezone.now()
        record.save()
    return _view(record)


def assign(viewer: Viewer, key: str, assignee: str, listed: Iterable[str]) -> FollowUp:
    """``viewer`` assigns breach ``key`` to ``assignee``, a supervisor of the same region."""
    assert viewer.region is not None  # a supervisor's
    if assignee not in assignees(viewer.region):
        raise FollowUpRefused(f"{assignee} is not a supervisor of {viewer.region}")
    record = _record(viewer, key, listed)
    record.assigned_to = _user(assignee)
    record.assigned_by = _user(viewer.username)
    record.assigned_at = timezone.now()
    record.save()
    return _view(record)


def _record(viewer: Viewer, key: str, listed: Iterable[str]) -> BreachFollowUp:
    if not viewer.sees_children or viewer.region is None:
        raise FollowUpRefused("only a region's supervisor follows up its breaches")
    if key not in set(listed):
        raise FollowUpRefused(f"no current breach {key} in {viewer.region}")
    with transaction.atomic():
        record, _ = BreachFollowUp.objects.get_or_create(
            breach_key=key, defaults={"region": viewer.region}
        )
    return record


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _view(record: BreachFollowUp) -> FollowUp:
    def name(user: User | None) -> str | None:
        return None if user is None else user.get_username()

    return FollowUp(
        acknowledged_by=name(record.acknowledged_by),
        acknowledged_at=record.acknowledged_at,
        assigned_to=name(record.assigned_to),
        assigned_by=name(record.assigned_by),
        assigned_at=record.assigned_at,
    )
