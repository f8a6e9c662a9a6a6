"""A small HTTP client of the audit's API (standard library only), for the CLI and tests.

``url`` may name several audit instances, comma-separated: each is asked and their answers are
merged (``merge``); if some partition of the event log is covered by none of them, the answer is
503 ``incomplete`` with the ``missing_partitions`` (also with one URL, if that instance owns only
some partitions; its ``/health`` is then its own). A question without ``as_of`` is asked of every
instance at the same instant.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from backbone.audit.core import merge


class AuditUnreachable(RuntimeError):
    """The audit service did not answer (not running, wrong URL)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


class AuditClient:
    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self._urls = [u.strip().rstrip("/") for u in url.split(",") if u.strip()]
        self._url = ",".join(self._urls)
        self._timeout = timeout

    @property
    def urls(self) -> list[str]:
        return list(self._urls)

    def get(self, path: str, kind: str | None = None, **query: str | None) -> Answer:
        """``GET path`` of every instance; ``kind`` says how to merge (``merge.merge``)."""
        if len(self._urls) == 1 and kind is None:
            return self._get(self._urls[0], path, query)
        with ThreadPoolExecutor(len(self._urls)) as pool:
            replies = list(pool.map(lambda url: self._reply(url, path, query), self._urls))
        if all(reply is None for reply in replies):
            raise AuditUnreachable(f"{self._url}: no audit instance answered")
        if kind is None:
            answered = [reply for reply in replies if reply is not None]
            return Answer(*answered[0])
        return Answer(*merge.merge(replies, kind))

    def _reply(self, url: str, path: str, query: dict[str, str | None]) -> merge.Reply:
        try:
            answer = self._get(url, path, query)
        except AuditUnreachable:
            return None
        return answer.status, answer.body

    def _get(self, url: str, path: str, query: dict[str, str | None]) -> Answer:
        params = {k: v for k, v in query.items() if v is not None}
        address = url + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        if not address.startswith(("http://", "https://")):
            raise AuditUnreachable(f"{url}: not an http(s) URL")
        try:
            with urllib.request.urlopen(address, timeout=self._timeout) as response:  # noqa: S310
                return Answer(response.status, json.loads(response.read()))
        except urllib.error.HTTPError as error:
            return Answer(error.code, _body(error.read()))
        except (urllib.error.URLError, OSError) as error:
            raise AuditUnreachable(f"{url}: {error}") from None

    def _at(self, as_of: str | None) -> str | None:
        """One evaluation time for every instance."""
        if as_of is None and len(self._urls) > 1:
            return datetime.now(UTC).isoformat()
        return as_of

    def pathway(self, child_ref: str, as_of: str | None = None) -> Answer:
        path = f"/pathway/{urllib.parse.quote(child_ref, safe='')}"
        return self.get(path, "pathway", as_of=self._at(as_of))

    def breaches(
        self, *, region: str | None = None, agency: str | None = None, as_of: str | None = None
    ) -> Answer:
        at = self._at(as_of)
        return self.get("/breaches", "breaches", region=region, agency=agency, as_of=at)

    def obligations(
        self, *, region: str | None = None, agency: str | None = None, as_of: str | None = None
    ) -> Answer:
        at = self._at(as_of)
        return self.get("/obligations", "obligations", region=region, agency=agency, as_of=at)

    def children(self, *, region: str | None = None, as_of: str | None = None) -> Answer:
        return self.get("/children", "children", region=region, as_of=self._at(as_of))

    def health(self) -> Answer:
        return self.get("/health", "health")

    def agencies(self) -> Answer:
        """The directory's agencies: the same on every instance, so the first answer."""
        return self.get("/agencies")


def _body(data: bytes) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except ValueError:
        return {"error": data.decode("utf-8", "replace")[:200]}
    return body if isinstance(body, dict) else {"error": str(body)[:200]}
