"""A console user's role and, for a supervisor, region; everything else is Django's own user
(``django.contrib.auth.models.User``: the console has no custom user model; a supervisor's
e-mail address, if any, is the user's ``email``). ``Notified`` remembers which breach, at which
level, each user has been e-mailed about (``notifier``)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import models

from backbone.console.i18n import LANGUAGES


class Access(models.Model):
    """One per console user: a user without one may sign in but sees nothing."""

    user: models.OneToOneField[User, User] = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="console_access"
    )
    role: models.CharField[str, str] = models.CharField(
        max_length=20, choices=[("supervisor", "supervisor"), ("operations", "operations")]
    )
    region: models.CharField[str, str] = models.CharField(max_length=40, blank=True, default="")
    # The language of the e-mails the console sends the user (pages follow the browser).
    language: models.CharField[str, str] = models.CharField(
        max_length=8, choices=LANGUAGES, default="en"
    )

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


class Notified(models.Model):
    """A breach (``audit_model.Obligation.key``) at a level that a user was sent an e-mail
    about, written after the SMTP server accepted it."""

    user: models.ForeignKey[User, User] = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="console_notified"
    )
    breach: models.CharField[str, str] = models.CharField(max_length=255)
    level: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField()
    at: models.DateTimeField[object, object] = models.DateTimeField()

    class Meta:
        constraints = [  # noqa: RUF012 (Django reads it as a list)
            models.UniqueConstraint(fields=["user", "breach", "level"], name="notified_once")
        ]

    def __str__(self) -> str:
        return f"{self.breach}@{self.level}"
