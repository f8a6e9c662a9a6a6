"""Console users: Django users (salted password hashes) with a role and, for supervisors, a region.

Import after ``framework.configure`` (it imports the models). The password must pass Django's
password validators; ``cli`` reads it, never from the command line. An e-mail address (optional:
where the console's notifications go, ``notifier``) must pass Django's ``validate_email``; the
language is that of the user's e-mails.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.validators import validate_email
from django.db import transaction

from backbone.console import throttle
from backbone.console.access import Role, check_region
from backbone.console.models import Access


class UserExists(ValueError):
    """A console user of that name exists already."""


def add_user(
    username: str,
    role: Role,
    region: str | None,
    password: str,
    *,
    replace: bool = False,
    email: str | None = None,
    language: str | None = None,
) -> None:
    """Create the user and its role (with ``replace``, or give an existing user this role,
    region and password); ``email`` and ``language``, when given, are set too (``""``: no
    address), else a new user has none and English and an existing one keeps theirs. Clears the
    name's failed sign-ins (a new password lifts a lock). Raises
    ``UserExists``, ``InvalidAccess`` or Django's ``ValidationError`` (a weak password, an
    invalid address), changing nothing in those cases."""
    check_region(role, region)
    if email:
        validate_email(email)
    existing = User.objects.filter(username=username).first()
    if existing is not None and not replace:
        raise UserExists(f"{username}: exists already")
    validate_password(password, user=existing or User(username=username, email=email or ""))
    with transaction.atomic():
        if existing is None:
            user = User.objects.create_user(username=username, password=password)
        else:
            user = existing
            user.set_password(password)
        if email is not None:
            user.email = email
        user.save()
        access, _ = Access.objects.update_or_create(
            user=user, defaults={"role": role.value, "region": region or ""}
        )
        throttle.unlock(username)
        if language is not None:
            access.language = language
            access.save(update_fields=["language"])
