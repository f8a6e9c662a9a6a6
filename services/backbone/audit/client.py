"""A small HTTP client of the audit's API (standard library only), for the CLI and tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any


class AuditUnreachable(RuntimeError):
    """The audit service did not answer (not running, wrong URL)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


class AuditClient:
    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self._url = url.rstrip("/")
        self._timeout = timeout

    def get(self, path: str, **query: str | None) -> Answer:
        params = {k: v for k, v in query.items() if v is not None}
        address = self._url + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        if not address.startswith(("http://", "https://")):
            raise AuditUnreachable(f"{self._url}: not an http(s) URL")
        try:
            with urllib.request.urlopen(address, timeout=self._timeout) as response:  # noqa: S310
                return Answer(response.status, json.loads(response.read()))
        except urllib.error.HTTPError as error:
            return Answer(error.code, _body(error.read()))
        except (urllib.error.URLError, OSError) as error:
            raise AuditUnreachable(f"{self._url}: {error}") from None

    def pathway(self, child_ref: str, as_of: str | None = None) -> Answer:
        return self.get(f"/pathway/{urllib.parse.quote(child_ref, safe='')}", as_of=as_of)

    def breaches(
        self, *, region: str | None = None, agency: str | None = None, as_of: str | None = None
    ) -> Answer:
        return self.get("/breaches", region=region, agency=agency, as_of=as_of)

    def health(self) -> Answer:
        return self.get("/health")


def _body(data: bytes) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except ValueError:
        return {"error": data.decode("utf-8", "replace")[:200]}
    return body if isinstance(body, dict) else {"error": str(body)[:200]}
