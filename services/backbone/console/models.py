"""A console user's role and, for a supervisor, region; everything else is Django's own user
(``django.contrib.auth.models.User``: the console has no custom user model)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import models


class Access(models.Model):
    """One per console user: a user without one may sign in but sees nothing."""

    user: models.OneToOneField[User, User] = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="console_access"
    )
    role: models.CharField[str, str] = models.CharField(
        max_length=20, choices=[("supervisor", "supervisor"), ("operations", "operations")]
    )
    region: models.CharField[str, str] = models.CharField(max_length=40, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.role}:{self.region or '*'}"


class BreachFollowUp(models.Model):
    """A supervisor's follow-up of one breach: who acknowledged it and when, and whom it is
    assigned to. Kept by the console only: never published to Kafka, and no free text at all.

    ``breach_key`` is the obligation's identity (``rule/trigger_event_id/owed_by``); ``region``
    the supervisors' region it was followed up in."""

    breach_key: models.CharField[str, str] = models.CharField(max_length=200, unique=True)
    region: models.CharField[str, str] = models.CharField(max_length=40)
    acknowledged_by: models.ForeignKey[User | None, User | None] = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True
    )
    assigned_to: models.ForeignKey[User | None, User | None] = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_by: models.ForeignKey[User | None, User | None] = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True
    )

    def __str__(self) -> str:
        return self.breach_key
