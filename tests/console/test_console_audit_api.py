"""The console's audit client against today's audit API and with what it asks the audit for.

Both fakes answer with the audit's own ``backbone.audit.api`` functions over the real
evaluator (``fake_audit``); ``proposed=False`` serves exactly today's routes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fake_audit import FakeAudit

from backbone.audit.client import AuditClient
from backbone.console.audit_api import AuditApi, AuditUnavailable, NotOffered
from backbone.console.timeline import timeline
from backbone.scenario import expected_breaches, scenario_events, scenario_start_before

START = scenario_start_before(datetime.now(UTC))


@pytest.fixture(scope="module", params=[False, True], ids=["today", "proposed"])
def audit(request: pytest.FixtureRequest) -> Iterator[tuple[AuditApi, bool]]:
    fake = FakeAudit(scenario_events(START), proposed=request.param).start()
    try:
        yield AuditApi(AuditClient(fake.url, timeout=5)), request.param
    finally:
        fake.stop()


def _stalled() -> dict[str, object]:
    [stalled] = [b for b in expected_breaches(START) if b["status"] == "open"]
    return dict(stalled)


def test_breaches_of_a_region_are_the_scenarios(audit: tuple[AuditApi, bool]) -> None:
    api, _ = audit
    _, found = api.breaches(region="turkestan")
    expected = {(b["rule"], b["owed_by"], b["status"]) for b in expected_breaches(START)}
    assert {(b.rule, b.owed_by, b.status) for b in found} == expected
    assert api.breaches(region="almaty")[1] == []


def test_child_regions_come_from_the_audit_or_else_from_the_regions_breaches(
    audit: tuple[AuditApi, bool],
) -> None:
    api, proposed = audit
    answer = api.pathway(str(_stalled()["child_ref"]))
    assert answer is not None
    assert (answer.regions is not None) is proposed
    assert api.child_regions(answer, "turkestan") == ("turkestan",)
    assert api.child_regions(answer, "almaty") == (() if answer.regions is None else ("turkestan",))


def test_the_stalled_handoff_is_the_social_bodys_undecided_referral(
    audit: tuple[AuditApi, bool],
) -> None:
    api, _ = audit
    stalled = _stalled()
    answer = api.pathway(str(stalled["child_ref"]))
    assert answer is not None
    [stall] = timeline(answer.pathway).stalls
    assert stall.obligation.rule == "referral-decision"
    assert stall.obligation.owed_by == "social.turkestan"
    assert stall.recipient_state == "received"
    assert stall.referral is not None and stall.referral.issuer == "phc.turkestan.polyclinic-3"


def test_an_unknown_child_is_none(audit: tuple[AuditApi, bool]) -> None:
    api, _ = audit
    assert api.pathway("c-ffffffffffff") is None


def test_obligations_and_children_are_offered_or_said_to_be_missing(
    audit: tuple[AuditApi, bool],
) -> None:
    api, proposed = audit
    if not proposed:
        with pytest.raises(NotOffered):
            api.obligations(region="turkestan")
        with pytest.raises(NotOffered):
            api.children(region="turkestan")
        return
    _, obligations = api.obligations(region="turkestan")
    assert len(obligations) == 29  # docs/scenario.md: the story's obligations
    _, children = api.children(region="turkestan")
    assert len(children) == 4
    assert api.children(region="almaty")[1] == []


def test_health_reports_ready_and_counts(audit: tuple[AuditApi, bool]) -> None:
    api, _ = audit
    health = api.health()
    assert health.ready
    assert health.body["events"] == len(scenario_events(START))


def test_an_audit_that_does_not_answer_is_unavailable() -> None:
    api = AuditApi(AuditClient("http://127.0.0.1:9", timeout=2))
    with pytest.raises(AuditUnavailable):
        api.breaches()
    with pytest.raises(AuditUnavailable):
        api.health()
