"""Console users: Django users (salted password hashes) with a role and, for supervisors, a region.

Import after ``framework.configure`` (it imports the models). The password must pass Django's
password validators; ``cli`` reads it, never from the command line.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from backbone.console.access import Role, check_region
from backbone.console.models import Access


class UserExists(ValueError):
    """A console user of that name exists already."""


def add_user(username: str, role: Role, region: str | None, password: str) -> None:
    """Create the user and its role; raises ``UserExists``, ``InvalidAccess`` or Django's
    ``ValidationError`` (a weak password), creating nothing in those cases."""
    check_region(role, region)
    if User.objects.filter(username=username).exists():
        raise UserExists(f"{username}: exists already")
    validate_password(password, user=User(username=username))
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password)
        Access.objects.create(user=user, role=role.value, region=region or "")
