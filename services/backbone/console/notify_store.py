"""What the notifier reads and writes in the console's database: the supervisors to e-mail, and
which breach, at which level, each was sent (``models.Notified``)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from backbone.console.models import Access, Notified
from backbone.console.notices import Notice, Recipient


def recipients() -> list[Recipient]:
    """Active supervisors with an e-mail address (operations users are never e-mailed)."""
    supervisors = (
        Access.objects.filter(role="supervisor", user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("user__username")
    )
    return [
        Recipient(a.user.pk, a.user.username, a.user.email, a.region, a.language)
        for a in supervisors
    ]


def notified(user_ids: Iterable[int]) -> set[tuple[int, str, int]]:
    """(user id, breach key, level) of what these users were sent."""
    rows = Notified.objects.filter(user_id__in=list(user_ids))
    return set(rows.values_list("user_id", "breach", "level"))


def remember(notice: Notice) -> None:
    """After the server accepted ``notice``'s e-mail (a repeat is ignored)."""
    at = timezone.now()
    Notified.objects.bulk_create(
        [
            Notified(user_id=user_id, breach=key, level=level, at=at)
            for user_id, key, level in notice.marks
        ],
        ignore_conflicts=True,
    )
