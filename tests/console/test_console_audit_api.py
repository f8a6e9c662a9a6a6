"""The console's audit client against the audit's API: the fake answers with the audit's own
``backbone.audit.core.api`` functions over the real evaluator (``fake_audit``); the live service
serves the same functions (tests/console/test_console_live_audit.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fake_audit import FakeAudit

from backbone.audit.live.client import AuditClient
from backbone.console.agency_names import AgencyNames
from backbone.console.audit_api import AuditApi, AuditUnavailable
from backbone.console.timeline import timeline
from backbone.scenario import expected_breaches, scenario_events, scenario_start_before

START = scenario_start_before(datetime.now(UTC))


@pytest.fixture(scope="module")
def audit() -> Iterator[AuditApi]:
    fake = FakeAudit(scenario_events(START)).start()
    try:
        yield AuditApi(AuditClient(fake.url, timeout=5))
    finally:
        fake.stop()


def _stalled() -> dict[str, object]:
    [stalled] = [b for b in expected_breaches(START) if b["status"] == "open"]
    return dict(stalled)


def test_breaches_of_a_region_are_the_scenarios(audit: AuditApi) -> None:
    api = audit
    _, found = api.breaches(region="turkestan")
    expected = {(b["rule"], b["owed_by"], b["status"]) for b in expected_breaches(START)}
    assert {(b.rule, b.owed_by, b.status) for b in found} == expected
    assert api.breaches(region="almaty")[1] == []


def test_a_childs_regions_come_with_its_pathway(audit: AuditApi) -> None:
    answer = audit.pathway(str(_stalled()["child_ref"]))
    assert answer is not None
    assert answer.regions == ("turkestan",)


def test_the_stalled_handoff_is_the_social_bodys_undecided_referral(audit: AuditApi) -> None:
    api = audit
    stalled = _stalled()
    answer = api.pathway(str(stalled["child_ref"]))
    assert answer is not None
    [stall] = timeline(answer.pathway).stalls
    assert stall.obligation.rule == "referral-decision"
    assert stall.obligation.owed_by == "social.turkestan"
    assert stall.recipient_state == "received"
    assert stall.referral is not None and stall.referral.issuer == "phc.turkestan.polyclinic-3"


def test_an_unknown_child_is_none(audit: AuditApi) -> None:
    assert audit.pathway("c-ffffffffffff") is None


def test_obligations_and_children_of_a_region(audit: AuditApi) -> None:
    api = audit
    _, obligations = api.obligations(region="turkestan")
    assert len(obligations) == 32  # docs/scenario.md: the story's obligations
    _, children = api.children(region="turkestan")
    assert len(children) == 4
    assert api.children(region="almaty")[1] == []


def test_agencies_are_named_as_the_directory_names_them(audit: AuditApi) -> None:
    named = {a.agency_id: a for a in audit.agencies()}
    assert named["social.turkestan"].display_name == "Test Social Programmes Department"
    assert (named["social.turkestan"].kind, named["social.turkestan"].region) == (
        "social",
        "turkestan",
    )


def test_health_reports_ready_and_counts(audit: AuditApi) -> None:
    health = audit.health()
    assert health.ready
    assert health.body["events"] == len(scenario_events(START))


def test_an_audit_that_does_not_answer_is_unavailable() -> None:
    api = AuditApi(AuditClient("http://127.0.0.1:9", timeout=2))
    with pytest.raises(AuditUnavailable):
        api.breaches()
    with pytest.raises(AuditUnavailable):
        api.health()
    with pytest.raises(AuditUnavailable):
        api.agencies()
    # The pages' names: no name, the id alone, and no error (AgencyNames keeps it out).
    assert AgencyNames(api.agencies).name("social.turkestan") is None
