"""Deterministic identifiers: event ids, pseudonymous ``child_ref``s and referral ids.

Everything is derived from a fixed namespace, a *scope* (one play of the story, or one seed of
the generator) and a step name, so the same inputs give the same ids and two scopes never share
one. A ``child_ref`` looks like ``c-3f9a0c5be21d``: random-looking hex behind a letter prefix,
never all digits (an all-digit token could be mistaken for an IIN), never derived from a name.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Final

# Fixed for ever: changing it would change every scenario and synthetic id.
SCENARIO_NAMESPACE: Final = uuid.UUID("5b0c6c1e-93f2-4c2a-9a43-7d4e1f0b2a61")
_TOKEN_HEX = 12


@dataclass(frozen=True)
class Minter:
    """Mints the ids of one scope, e.g. ``story/2026-02-02T05:30:00+00:00``."""

    scope: str

    def event_id(self, step: str) -> str:
        return str(uuid.uuid5(SCENARIO_NAMESPACE, f"{self.scope}/event/{step}"))

    def child_ref(self, label: str) -> str:
        return "c-" + self._hex("child", label)

    def referral_id(self, label: str) -> str:
        return "r-" + self._hex("referral", label)

    def _hex(self, kind: str, label: str) -> str:
        """Twelve hex digits, never all decimal (that would have the shape of an IIN, which
        ``backbone emit`` refuses as typed): such a digest is hashed again."""
        text = f"{SCENARIO_NAMESPACE}/{self.scope}/{kind}/{label}"
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:_TOKEN_HEX]
        while digest.isdigit():
            digest = hashlib.sha256(digest.encode("utf-8")).hexdigest()[:_TOKEN_HEX]
        return digest
