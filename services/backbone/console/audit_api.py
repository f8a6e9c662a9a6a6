"""The console's client of the live audit's HTTP API: the one module that knows its URLs.

The audit serves (``backbone.audit.core.api``): ``GET /breaches?region=&agency=&as_of=`` (the
board),
``GET /obligations?region=&agency=&as_of=`` (every obligation, any status: the compliance chart
and the children behind it),
``GET /children?region=&as_of=`` (the funnel), ``GET /pathway/{child_ref}?as_of=`` with the
child's ``regions`` (the timeline and a supervisor's region check), ``GET /health`` and
``GET /agencies`` (the key directory's display names).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from backbone.audit.live.client import Answer, AuditClient, AuditUnreachable
from backbone.console.audit_model import Agency, ChildSummary, Obligation, Pathway, instant
from backbone.console.metrics import MEASUREMENTS

T = TypeVar("T")


class AuditUnavailable(RuntimeError):
    """The audit did not answer usefully (down, recovering, or an answer of another shape)."""


@dataclass(frozen=True)
class PathwayAnswer:
    as_of: datetime
    pathway: Pathway
    regions: tuple[str, ...]  # the header regions of the child's own events


@dataclass(frozen=True)
class HealthAnswer:
    ready: bool
    body: dict[str, Any]


class AuditApi:
    def __init__(self, client: AuditClient) -> None:
        self._client = client

    def breaches(
        self, *, region: str | None = None, as_of: datetime | None = None
    ) -> tuple[datetime, list[Obligation]]:
        body = self._ask("/breaches", lambda c: c.breaches(region=region, as_of=_text(as_of)))
        return _obligations(body, "breaches")

    def obligations(
        self,
        *,
        region: str | None = None,
        agency: str | None = None,
        as_of: datetime | None = None,
    ) -> tuple[datetime, list[Obligation]]:
        body = self._ask(
            "/obligations",
            lambda c: c.obligations(region=region, agency=agency, as_of=_text(as_of)),
        )
        return _obligations(body, "obligations")

    def children(
        self, *, region: str | None = None, as_of: datetime | None = None
    ) -> tuple[datetime, list[ChildSummary]]:
        body = self._ask("/children", lambda c: c.children(region=region, as_of=_text(as_of)))
        return _parsed(
            lambda: (instant(body["as_of"]), [ChildSummary.from_json(c) for c in body["children"]])
        )

    def pathway(self, child_ref: str, as_of: datetime | None = None) -> PathwayAnswer | None:
        """The child's pathway, or ``None`` if the audit knows no such child."""
        answer = self._call("/pathway", lambda c: c.pathway(child_ref, _text(as_of)))
        if answer.status == 404:
            return None
        body = _ok(answer, "/pathway")
        return _parsed(
            lambda: PathwayAnswer(
                instant(body["as_of"]),
                Pathway.from_json(body["pathway"]),
                tuple(str(r) for r in body["regions"]),
            )
        )

    def agencies(self) -> list[Agency]:
        body = self._ask("/agencies", lambda c: c.agencies())
        return _parsed(lambda: [Agency.from_json(a) for a in body["agencies"]])

    def health(self) -> HealthAnswer:
        answer = self._call("/health", lambda c: c.health())
        if answer.status not in (200, 503):
            raise AuditUnavailable(f"/health answered {answer.status}")
        return HealthAnswer(
            answer.status == 200 and answer.body.get("status") == "ready", answer.body
        )

    def _ask(self, name: str, call: Callable[[AuditClient], Answer]) -> dict[str, Any]:
        return _ok(self._call(name, call), name)

    def _call(self, name: str, call: Callable[[AuditClient], Answer]) -> Answer:
        began, ok = time.perf_counter(), False
        try:
            answer = call(self._client)
            ok = answer.status < 500
            return answer
        except AuditUnreachable as error:
            raise AuditUnavailable(str(error)) from None
        finally:
            MEASUREMENTS.record(f"audit{name}", time.perf_counter() - began, ok)


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _ok(answer: Answer, name: str) -> dict[str, Any]:
    if answer.status == 503 and answer.body.get("error") == "incomplete":
        missing = answer.body.get("missing_partitions", "?")
        raise AuditUnavailable(f"the audit instances do not cover partitions {missing}")
    if answer.status == 503:
        raise AuditUnavailable("the audit service is recovering its tables")
    if answer.status != 200:
        raise AuditUnavailable(f"{name} answered {answer.status}: {answer.body.get('error', '')}")
    return answer.body


def _obligations(body: dict[str, Any], key: str) -> tuple[datetime, list[Obligation]]:
    return _parsed(lambda: (instant(body["as_of"]), [Obligation.from_json(o) for o in body[key]]))


def _parsed(build: Callable[[], T]) -> T:
    try:
        return build()
    except (KeyError, TypeError, ValueError) as error:
        raise AuditUnavailable(f"an answer of an unexpected shape: {error!r}") from None
