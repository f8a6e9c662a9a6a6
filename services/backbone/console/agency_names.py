"""Agencies' display names for the pages, from the audit's key directory (``GET /agencies``).

The names are what each agency's certificate says (``display_name``), the root having signed
it; the console keeps them for ``TTL`` seconds and asks again after. An audit that does not
answer breaks no page: the names known before are kept (or none: a page then shows ids alone)
and the audit is asked again after ``RETRY`` seconds, not at every page.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from django.utils.html import format_html
from django.utils.safestring import SafeString

from backbone.console.audit_api import AuditUnavailable
from backbone.console.audit_model import Agency

TTL = 120.0
RETRY = 15.0


class AgencyNames:
    def __init__(
        self,
        fetch: Callable[[], Iterable[Agency]],
        *,
        ttl: float = TTL,
        retry: float = RETRY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch, self._ttl, self._retry, self._clock = fetch, ttl, retry, clock
        self._lock = threading.Lock()
        self._names: dict[str, str] = {}
        self._next: float | None = None  # when to ask again (None: never asked)

    def name(self, agency_id: str) -> str | None:
        """The agency's display name, or ``None`` when the directory has none to give."""
        return self.names().get(agency_id)

    def names(self) -> dict[str, str]:
        with self._lock:
            now = self._clock()
            if self._next is None or now >= self._next:
                self._refresh(now)
            return self._names

    def _refresh(self, now: float) -> None:
        try:
            found = {a.agency_id: a.display_name for a in self._fetch()}
        except AuditUnavailable:
            self._next = now + self._retry
            return
        self._names, self._next = found, now + self._ttl


def shown(agency_id: str, name: str | None) -> SafeString:
    """ "Display name (``agency.id``)": the id stays beside the name and is its tooltip; the id
    alone without a name. Both are escaped (a display name is whatever the root certified)."""
    if name is None:
        return format_html('<code class="agency">{}</code>', agency_id)
    return format_html(
        '<span class="agency" title="{}">{} (<code>{}</code>)</span>', agency_id, name, agency_id
    )


def shown_text(agency_id: str, name: str | None) -> str:
    """The same as plain text (an ``<option>``, a chart's tooltip)."""
    return agency_id if name is None else f"{name} ({agency_id})"
