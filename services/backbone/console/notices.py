"""Who is told of which breach: the notifier's rule, a pure function of what it knows.

A supervisor with an e-mail address is told once of each breach of their region (the audit's
``/breaches``: ``open`` or ``late``) at each level it reaches: a breach at level 1 is told at
level 1, and again when it rises to level 2; one first seen at level 2 is told once, at level 2.
What a supervisor was told (``notified``: user id, breach key, level) is never told again, and
all that is new for them in a round goes in one notice. There is no cut-off: breaches that exist
when a supervisor is first notified, or when the notifier first runs, are in their first notice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass

from backbone.console.audit_model import Obligation


@dataclass(frozen=True)
class Recipient:
    user_id: int
    username: str
    email: str
    region: str
    language: str


@dataclass(frozen=True)
class Notice:
    recipient: Recipient
    breaches: tuple[Obligation, ...]  # in the audit's order

    @property
    def marks(self) -> list[tuple[int, str, int]]:
        """What to remember once the notice was sent: (user id, breach key, level)."""
        return [(self.recipient.user_id, b.key, b.level) for b in self.breaches]


def notices(
    recipients: Iterable[Recipient],
    breaches: Mapping[str, Sequence[Obligation]],
    notified: Set[tuple[int, str, int]],
) -> list[Notice]:
    """One notice per recipient who has a breach (at its level) of their region not yet told;
    a region missing from ``breaches`` (the audit did not answer) gives none."""
    found = []
    for recipient in recipients:
        new = tuple(
            breach
            for breach in breaches.get(recipient.region, ())
            if breach.level >= 1 and (recipient.user_id, breach.key, breach.level) not in notified
        )
        if new:
            found.append(Notice(recipient, new))
    return found
