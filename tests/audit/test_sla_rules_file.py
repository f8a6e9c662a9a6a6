"""The SLA rules as data: the national file, regional files, and validation errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from audit_events import NGO, POLICE, event, obligations

from backbone.audit.core.calendar import Period, Unit
from backbone.audit.core.rules import RulesError, load_rules
from backbone.audit.live.settings import RULES_ENV, rules_files

WORKING_DAYS, HOURS, MONTHS = Unit.WORKING_DAYS, Unit.HOURS, Unit.MONTHS


def _rule(**overrides: Any) -> dict[str, Any]:
    rule = {
        "id": "high-risk-service",
        "scope": "child",
        "trigger": {
            "event_types": ["RiskAssessed"],
            "attributes": {"risk_level": {"in": ["high"]}},
        },
        "expected": {"event_types": ["ServiceDelivered"]},
        "owed_by": "trigger_producer",
        "within": {"amount": 2, "unit": "working_days"},
        "basis": "regional commission decision (test)",
    }
    rule.update(overrides)
    return rule


def _rules_file(tmp_path: Path, *rules: dict[str, Any], name: str = "region.json") -> Path:
    path = tmp_path / name
    document = {"format": "backbone/sla-rules", "version": 1, "rules": list(rules)}
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _problems(tmp_path: Path, *rules: dict[str, Any]) -> list[str]:
    path = _rules_file(tmp_path, *rules)
    with pytest.raises(RulesError) as raised:
        load_rules([path])
    prefix = f"{path}: "
    assert all(p.startswith(prefix) for p in raised.value.problems)
    return [p.removeprefix(prefix) for p in raised.value.problems]


def _issue(at: str, region: str, referral: str) -> Any:
    return event(
        "ReferralIssued",
        at,
        POLICE,
        referral=referral,
        recipients=[NGO],
        region=region,
        kind="victim_services",
    )


def test_national_file_holds_the_fifteen_rules_of_the_contract_v1_1() -> None:
    periods = {rule.id: rule.within for rule in load_rules([]).rules}
    assert periods == {
        "referral-receipt": Period(1, WORKING_DAYS),
        "hotline-alert-receipt": Period(1, HOURS),
        "referral-decision": Period(1, WORKING_DAYS),
        "identification-assessment": Period(1, WORKING_DAYS),
        "police-referral-to-services": Period(1, WORKING_DAYS),
        "service-permission-request": Period(1, WORKING_DAYS),
        "police-notification": Period(3, WORKING_DAYS),
        "guardianship-notification": Period(1, WORKING_DAYS),
        "status-determination": Period(6, MONTHS),
        "referral-reissue": Period(1, WORKING_DAYS),
        "further-residence": Period(3, MONTHS),
        "contract-term": Period(6, MONTHS),
        "contract-extension-term": Period(3, MONTHS),
        "return-follow-up": Period(1, MONTHS),
        "follow-up-repeat": Period(1, MONTHS),
    }
    assert all(rule.basis for rule in load_rules([]).rules)


def test_region_file_from_the_environment_adds_a_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RULES_ENV, str(_rules_file(tmp_path, _rule())))
    rules = load_rules(rules_files())
    risk = event("RiskAssessed", "2026-12-11T16:00:00+05:00", NGO, risk_level="high")
    found = obligations([risk], "2026-12-20T00:00:00+05:00", rules)
    assert [(o.rule, o.owed_by, o.status.value) for o in found] == [
        ("high-risk-service", NGO, "open")
    ]
    assert found[0].to_json()["deadline"] == "2026-12-16T00:00:00+05:00"


def test_explicit_files_replace_the_environment_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RULES_ENV, str(tmp_path / "missing.json"))
    with pytest.raises(RulesError, match=r"missing\.json: cannot read"):
        load_rules(rules_files())
    assert len(load_rules([]).rules) == 15
    assert len(load_rules([_rules_file(tmp_path, _rule())]).rules) == 16


def test_region_override_tunes_a_rule_for_that_region_only(tmp_path: Path) -> None:
    tuned = {
        "id": "referral-receipt",
        "scope": "referral",
        "trigger": {
            "event_types": ["ReferralIssued"],
            "attributes": {"kind": {"not_in": ["hotline_alert"]}},
        },
        "expected": {"event_types": ["ReferralReceived"], "from": "owing_agency"},
        "owed_by": "trigger_recipients",
        "within": {"amount": 2, "unit": "working_days"},
        "basis": "regional tuning (test)",
        "regions": ["shymkent"],
    }
    rules = load_rules([_rules_file(tmp_path, tuned)])
    at = "2026-12-11T16:00:00+05:00"
    in_shymkent, in_turkestan = "r-7e57e0000001", "r-7e57e0000002"
    issues = [_issue(at, "shymkent", in_shymkent), _issue(at, "turkestan", in_turkestan)]
    found = obligations(issues, at, rules)
    deadlines = {o.referral_id: o.to_json()["deadline"] for o in found}
    assert deadlines == {
        in_shymkent: "2026-12-16T00:00:00+05:00",
        in_turkestan: "2026-12-15T00:00:00+05:00",
    }


def test_later_definition_without_regions_replaces_a_rule_everywhere(tmp_path: Path) -> None:
    retuned = {
        "id": "status-determination",
        "scope": "child",
        "trigger": {
            "event_types": ["PlacementMade"],
            "attributes": {"facility": {"in": ["support_centre", "adaptation_centre"]}},
        },
        "expected": {"event_types": ["ChildStatusDetermined"]},
        "owed_by": "trigger_producer",
        "within": {"amount": 3, "unit": "months"},
        "basis": "regional tuning (test)",
    }
    rules = load_rules([_rules_file(tmp_path, retuned)])
    placement = event(
        "PlacementMade",
        "2026-08-31T11:00:00+05:00",
        "centre.almaty.can-1",
        facility="adaptation_centre",
    )
    found = obligations([placement], "2026-09-01T00:00:00+05:00", rules)
    assert {o.rule: o.to_json()["deadline"] for o in found} == {
        "status-determination": "2026-12-01T00:00:00+05:00",  # 6 months, retuned to 3
        "further-residence": "2026-12-01T00:00:00+05:00",  # untouched: 3 months
    }


def test_every_problem_of_a_rule_is_reported_with_its_place(tmp_path: Path) -> None:
    bad = _rule(
        scope="region",
        owed_by="someone",
        trigger={"event_types": ["RiskAssessed"], "attributes": {"kind": {"in": ["x"]}}},
        expected={"event_types": ["NoSuchEvent"]},
        within={"amount": 0, "unit": "weeks"},
        basis="",
        regions=["Turkestan"],
        note="typo",
    )
    assert _problems(tmp_path, bad) == ["rules[0].note: unknown key"]
    del bad["note"]
    assert _problems(tmp_path, bad) == [
        "rules[0] (high-risk-service).scope: must be one of referral, child",
        "rules[0] (high-risk-service).owed_by: must be one of trigger_producer, "
        "trigger_recipients, referral_issuer",
        "rules[0] (high-risk-service).trigger.attributes.kind: not an attribute of RiskAssessed",
        "rules[0] (high-risk-service).expected.event_types: must be a non-empty array of known "
        "event types",
        "rules[0] (high-risk-service).within.unit: must be one of working_days, hours, months",
        "rules[0] (high-risk-service).within.amount: must be a whole number from 1 to 10000",
        "rules[0] (high-risk-service).basis: must be a non-empty string naming the source",
        "rules[0] (high-risk-service).regions: must be a non-empty array of region codes",
    ]


def test_attribute_value_outside_the_catalogue_is_refused(tmp_path: Path) -> None:
    bad = _rule(
        trigger={"event_types": ["RiskAssessed"], "attributes": {"risk_level": {"in": ["dire"]}}}
    )
    assert _problems(tmp_path, bad) == [
        "rules[0] (high-risk-service).trigger.attributes.risk_level.in: RiskAssessed allows "
        "high, low, moderate"
    ]


def test_referral_scope_needs_referral_events_and_recipients_need_an_issue(
    tmp_path: Path,
) -> None:
    bad = _rule(scope="referral", owed_by="trigger_recipients")
    assert _problems(tmp_path, bad) == [
        "rules[0] (high-risk-service).trigger.event_types: a referral-scope rule needs "
        "Referral* types (or a trigger with referral_transition)",
        "rules[0] (high-risk-service).expected.event_types: a referral-scope rule needs "
        "Referral* types (or a trigger with referral_transition)",
        "rules[0] (high-risk-service).owed_by: only a ReferralIssued trigger has recipients",
    ]


def test_audit_outputs_cannot_trigger_a_rule(tmp_path: Path) -> None:
    bad = _rule(trigger={"event_types": ["SlaBreached"]})
    assert _problems(tmp_path, bad) == [
        "rules[0] (high-risk-service).trigger.event_types: audit outputs cannot trigger a rule"
    ]


def test_same_id_twice_in_one_file_is_refused(tmp_path: Path) -> None:
    assert _problems(tmp_path, _rule(), _rule()) == [
        "rules[1].id: high-risk-service is defined twice in this file"
    ]


def test_wrong_format_or_empty_rules_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text(json.dumps({"format": "other", "version": 2, "rules": []}), encoding="utf-8")
    with pytest.raises(RulesError) as raised:
        load_rules([path])
    assert raised.value.problems == [
        f"{path}: format: must be 'backbone/sla-rules'",
        f"{path}: version: must be 1",
        f"{path}: rules: must be a non-empty array",
    ]


def test_missing_and_non_json_files_are_reported_together(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    missing = tmp_path / "missing.json"
    with pytest.raises(RulesError) as raised:
        load_rules([missing, broken])
    first, second = raised.value.problems
    assert first == f"{missing}: cannot read: FileNotFoundError"
    assert second.startswith(f"{broken}: not JSON:")


def test_v1_1_forms_are_checked_with_their_place(tmp_path: Path) -> None:
    """``referral_issuer`` needs a referral-scope rule; ``any_of`` takes patterns of expected
    events only (no ``referral_transition``, no other key beside ``from`` and ``match``)."""
    issuer_of_a_child_rule = _rule(owed_by="referral_issuer")
    assert _problems(tmp_path, issuer_of_a_child_rule) == [
        "rules[0] (high-risk-service).owed_by: referral_issuer needs a referral-scope rule"
    ]
    transition_in_any_of = _rule(
        expected={
            "any_of": [
                {"event_types": ["ServiceDelivered"]},
                {"event_types": ["RiskAssessed"], "referral_transition": True},
            ],
            "within": "typo",
        }
    )
    assert _problems(tmp_path, transition_in_any_of) == [
        "rules[0] (high-risk-service).expected.within: unknown key (with any_of)",
        "rules[0] (high-risk-service).expected.any_of: referral_transition is for triggers",
    ]
    bad_match = _rule(expected={"event_types": ["ServiceDelivered"], "match": "referral"})
    assert _problems(tmp_path, bad_match) == [
        "rules[0] (high-risk-service).expected.match: must be one of scope, causation"
    ]


def test_a_region_rule_may_use_any_of_and_match_by_causation(tmp_path: Path) -> None:
    """A high risk is answered by a service or a referral that names the assessment."""
    answered = _rule(
        expected={
            "any_of": [
                {
                    "event_types": ["ServiceDelivered"],
                    "attributes": {"service_type": {"in": ["medical"]}},
                },
                {
                    "event_types": ["ReferralIssued"],
                    "attributes": {"kind": {"in": ["health_services"]}},
                },
            ],
            "from": "owing_agency",
            "match": "causation",
        }
    )
    rules = load_rules([_rules_file(tmp_path, answered)])
    risk = event("RiskAssessed", "2026-12-11T16:00:00+05:00", NGO, risk_level="high")
    unnamed = event("ServiceDelivered", "2026-12-14T10:00:00+05:00", NGO, service_type="medical")
    referral = event(
        "ReferralIssued",
        "2026-12-15T10:00:00+05:00",
        NGO,
        referral="r-7e57e0000001",
        recipients=[POLICE],
        causation=risk.event_id,
        kind="health_services",
    )
    found = obligations([risk, unnamed, referral], "2026-12-20T00:00:00+05:00", rules)
    (obligation,) = [o for o in found if o.rule == "high-risk-service"]
    # 2 working days from Friday 11 December: Monday 14 and Tuesday 15.
    assert (obligation.to_json()["deadline"], obligation.status.value) == (
        "2026-12-16T00:00:00+05:00",
        "met",
    )
    assert obligation.closed_by_event_id == referral.event_id


def test_an_unreadable_trigger_of_a_referral_rule_must_be_a_transition(tmp_path: Path) -> None:
    """Only a transition carries its referral; any other EnvelopeUnreadable may have no
    ``referral_id``, and a referral-scope rule could not find its referral's events."""
    plain_unreadable = _rule(
        scope="referral",
        trigger={"event_types": ["EnvelopeUnreadable"]},
        expected={"event_types": ["ReferralIssued"], "match": "causation"},
    )
    assert _problems(tmp_path, plain_unreadable) == [
        "rules[0] (high-risk-service).trigger: an EnvelopeUnreadable trigger of a referral-scope "
        'rule needs "referral_transition": true (only then does it carry its referral)'
    ]
    transition_of_another_type = _rule(
        trigger={"event_types": ["RiskAssessed"], "referral_transition": True}
    )
    assert _problems(tmp_path, transition_of_another_type) == [
        "rules[0] (high-risk-service).trigger.referral_transition: only an EnvelopeUnreadable "
        "trigger can be one"
    ]
