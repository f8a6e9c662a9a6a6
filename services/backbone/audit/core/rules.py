"""The SLA rules of section 6 as data: loading, validation and matching.

The national rules ship in ``backbone/audit/data/sla-rules.v1.json``. Extra files (a region's
additions or retunings) are the caller's ``extra_files``: the live audit and the console pass
those ``BACKBONE_SLA_RULES`` names (``settings.rules_files``), ``backbone audit replay`` its
``--rules`` or else those; this module reads no environment. Files are read in order; a rule
whose ``id`` is already defined overrides the earlier definition for the regions it lists (for
every region if it lists none). For a trigger, the last definition of each id covering the
trigger's ``region`` applies. The file format is described in docs/audit.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from backbone.audit.core.calendar import Period, Unit
from backbone.domain.agencies import REGIONS
from backbone.domain.catalogue import AUDIT_OUTPUTS, CATALOGUE, RULE_ID, allows, describe
from backbone.domain.events import Event

RULES_FORMAT = "backbone/sla-rules"
_RULE_ID = RULE_ID
_MAX_AMOUNT = 10_000
_FILE_KEYS = frozenset({"format", "version", "description", "rules"})
_RULE_KEYS = frozenset(
    {"id", "scope", "trigger", "expected", "owed_by", "within", "basis", "regions"}
)
_E = TypeVar("_E", bound=StrEnum)


class Scope(StrEnum):
    """What trigger and expected event must share: the ``referral_id`` or the ``child_ref``."""

    REFERRAL = "referral"
    CHILD = "child"


class OwedBy(StrEnum):
    TRIGGER_PRODUCER = "trigger_producer"
    TRIGGER_RECIPIENTS = "trigger_recipients"  # one obligation per recipient
    REFERRAL_ISSUER = "referral_issuer"  # the issuer of the trigger's referral


class ExpectedFrom(StrEnum):
    ANY = "any"
    OWING_AGENCY = "owing_agency"  # "from that recipient" / "from the same agency"


class Match(StrEnum):
    """How an expected event is tied to its trigger: by the rule's scope (the same
    ``referral_id`` or ``child_ref``), or by naming the trigger (its ``causation_id`` is the
    trigger's ``event_id``, an event of the same child)."""

    SCOPE = "scope"
    CAUSATION = "causation"


class RulesError(ValueError):
    """A rules file is unreadable or invalid; ``problems`` lists every defect."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class AttributeTest:
    name: str
    values: frozenset[str]
    negated: bool = False

    def holds(self, attributes: Mapping[str, str]) -> bool:
        return (attributes.get(self.name) in self.values) != self.negated


@dataclass(frozen=True)
class Pattern:
    event_types: frozenset[str]
    attributes: tuple[AttributeTest, ...] = ()
    # A trigger only: the event must be a valid lifecycle transition of its referral (an
    # EnvelopeUnreadable that answers its referral's ReferralIssued; ``Judgement.transitions``).
    referral_transition: bool = False
    # An expected pattern only: any one of these matches (``"any_of"``); then ``event_types``
    # is their union and ``attributes`` is empty.
    alternatives: tuple[Pattern, ...] = ()

    def matches(self, event: Event) -> bool:
        if self.alternatives:
            return any(p.matches(event) for p in self.alternatives)
        return event.event_type in self.event_types and all(
            test.holds(event.attributes) for test in self.attributes
        )


@dataclass(frozen=True)
class Rule:
    id: str
    scope: Scope
    trigger: Pattern
    expected: Pattern
    expected_from: ExpectedFrom
    owed_by: OwedBy
    within: Period
    basis: str
    regions: frozenset[str] | None = None
    source: str = ""
    match: Match = Match.SCOPE

    def covers(self, region: str) -> bool:
        return self.regions is None or region in self.regions

    def owing_agencies(self, trigger: Event, issuer: str | None = None) -> tuple[str, ...]:
        """The owing agencies; ``issuer`` is the issuer of the trigger's referral, if any."""
        if self.owed_by is OwedBy.TRIGGER_RECIPIENTS:
            return trigger.recipients
        if self.owed_by is OwedBy.REFERRAL_ISSUER:
            return () if issuer is None else (issuer,)
        return (trigger.producer,)

    def closes(self, trigger: Event, owed_by: str, candidate: Event) -> bool:
        """Whether ``candidate`` is an expected event for the obligation (time aside)."""
        if candidate.event_id == trigger.event_id or not self.expected.matches(candidate):
            return False
        if self.expected_from is ExpectedFrom.OWING_AGENCY and candidate.producer != owed_by:
            return False
        if self.match is Match.CAUSATION:
            return (
                candidate.causation_id == trigger.event_id
                and candidate.child_ref == trigger.child_ref
            )
        if self.scope is Scope.REFERRAL:
            return candidate.referral_id == trigger.referral_id
        return candidate.child_ref == trigger.child_ref


@dataclass(frozen=True)
class RuleSet:
    """Rule definitions in load order; see the module docstring for overrides."""

    rules: tuple[Rule, ...]

    def triggered_by(self, event: Event) -> tuple[Rule, ...]:
        """The rules whose applicable definition for the event's region it triggers."""
        applicable: dict[str, Rule] = {}
        for rule in self.rules:
            if rule.covers(event.region):
                applicable[rule.id] = rule
        return tuple(r for r in applicable.values() if r.trigger.matches(event))


def load_rules(extra_files: Sequence[Path | str]) -> RuleSet:
    """The national rules plus ``extra_files``, read in order."""
    national = resources.files("backbone.audit.data") / "sla-rules.v1.json"
    rules = list(
        parse_rules(_decode(national.read_text(encoding="utf-8"), national.name), national.name)
    )
    problems: list[str] = []
    for path in map(Path, extra_files):
        try:
            rules.extend(
                parse_rules(_decode(path.read_text(encoding="utf-8"), str(path)), str(path))
            )
        except RulesError as error:
            problems.extend(error.problems)
        except (OSError, UnicodeDecodeError) as error:
            problems.append(f"{path}: cannot read: {error.__class__.__name__}")
    if problems:
        raise RulesError(problems)
    return RuleSet(tuple(rules))


def _decode(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RulesError([f"{source}: not JSON: {error}"]) from None


def parse_rules(document: Any, source: str) -> tuple[Rule, ...]:
    """Validate one decoded rules document from ``source``; raise ``RulesError``."""
    problems: list[str] = []
    rules: list[Rule] = []
    if not isinstance(document, dict):
        raise RulesError([f"{source}: must be a JSON object"])
    problems.extend(f"{key}: unknown key" for key in sorted(set(document) - _FILE_KEYS))
    if document.get("format") != RULES_FORMAT:
        problems.append(f"format: must be {RULES_FORMAT!r}")
    if document.get("version") != 1:
        problems.append("version: must be 1")
    entries = document.get("rules")
    if not isinstance(entries, list) or not entries:
        problems.append("rules: must be a non-empty array")
        entries = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        rule = _rule(entry, f"rules[{index}]", source, problems)
        if rule is not None and rule.id in seen:
            problems.append(f"rules[{index}].id: {rule.id} is defined twice in this file")
        elif rule is not None:
            seen.add(rule.id)
            rules.append(rule)
    if problems:
        raise RulesError([f"{source}: {p}" for p in problems])
    return tuple(rules)


def _rule(entry: Any, where: str, source: str, problems: list[str]) -> Rule | None:
    if not isinstance(entry, dict):
        problems.append(f"{where}: must be an object")
        return None
    before = len(problems)
    problems.extend(f"{where}.{k}: unknown key" for k in sorted(set(entry) - _RULE_KEYS))
    problems.extend(f"{where}.{k}: missing" for k in sorted(_RULE_KEYS - {"regions"} - set(entry)))
    if len(problems) > before:
        return None
    rule_id = entry["id"]
    if not isinstance(rule_id, str) or not _RULE_ID.fullmatch(rule_id):
        problems.append(f"{where}.id: must be 1-64 characters [a-z0-9-]")
    else:
        where = f"{where} ({rule_id})"
    scope = _choice(Scope, entry["scope"], f"{where}.scope", problems)
    owed_by = _choice(OwedBy, entry["owed_by"], f"{where}.owed_by", problems)
    trigger = _pattern(entry["trigger"], f"{where}.trigger", problems, allow_from=False)
    expected = _pattern(entry["expected"], f"{where}.expected", problems, allow_from=True)
    expected_from, match = ExpectedFrom.ANY, Match.SCOPE
    if isinstance(entry["expected"], dict) and "from" in entry["expected"]:
        expected_from = (
            _choice(ExpectedFrom, entry["expected"]["from"], f"{where}.expected.from", problems)
            or ExpectedFrom.ANY
        )
    if isinstance(entry["expected"], dict) and "match" in entry["expected"]:
        match = (
            _choice(Match, entry["expected"]["match"], f"{where}.expected.match", problems)
            or Match.SCOPE
        )
    within = _period(entry["within"], f"{where}.within", problems)
    basis = entry["basis"]
    if not isinstance(basis, str) or not basis.strip():
        problems.append(f"{where}.basis: must be a non-empty string naming the source")
    regions = _regions(entry.get("regions"), f"{where}.regions", problems)
    if trigger is not None and expected is not None:
        _check_consistency(scope, owed_by, trigger, expected, where, problems)
    if len(problems) > before:
        return None
    assert scope and owed_by and trigger and expected and within
    return Rule(
        rule_id,
        scope,
        trigger,
        expected,
        expected_from,
        owed_by,
        within,
        basis,
        regions,
        source,
        match,
    )


def _check_consistency(
    scope: Scope | None,
    owed_by: OwedBy | None,
    trigger: Pattern,
    expected: Pattern,
    where: str,
    problems: list[str],
) -> None:
    if trigger.event_types & AUDIT_OUTPUTS:
        problems.append(f"{where}.trigger.event_types: audit outputs cannot trigger a rule")
    if scope is Scope.REFERRAL:
        for part, pattern in (("trigger", trigger), ("expected", expected)):
            if not all(_has_referral(t, pattern) for t in pattern.event_types):
                problems.append(
                    f"{where}.{part}.event_types: a referral-scope rule needs Referral* types "
                    "(or a trigger with referral_transition)"
                )
    if owed_by is OwedBy.TRIGGER_RECIPIENTS and trigger.event_types != {"ReferralIssued"}:
        problems.append(f"{where}.owed_by: only a ReferralIssued trigger has recipients")
    if (
        scope is Scope.REFERRAL
        and not trigger.referral_transition
        and ("EnvelopeUnreadable" in trigger.event_types)
    ):
        problems.append(
            f"{where}.trigger: an EnvelopeUnreadable trigger of a referral-scope rule needs "
            '"referral_transition": true (only then does it carry its referral)'
        )
    if trigger.referral_transition and trigger.event_types != {"EnvelopeUnreadable"}:
        problems.append(
            f"{where}.trigger.referral_transition: only an EnvelopeUnreadable trigger can be one"
        )
    if owed_by is OwedBy.REFERRAL_ISSUER and scope is not Scope.REFERRAL:
        problems.append(f"{where}.owed_by: referral_issuer needs a referral-scope rule")


def _has_referral(event_type: str, pattern: Pattern) -> bool:
    """Whether the matching events carry the referral_id a referral-scope rule needs (an
    ``EnvelopeUnreadable`` that answers a referral carries that referral's id)."""
    return CATALOGUE[event_type].needs_referral_id or event_type == "EnvelopeUnreadable"


def _choice(kind: type[_E], value: Any, where: str, problems: list[str]) -> _E | None:
    if isinstance(value, str) and value in {member.value for member in kind}:
        return kind(value)
    problems.append(f"{where}: must be one of {', '.join(m.value for m in kind)}")
    return None


def _pattern(value: Any, where: str, problems: list[str], *, allow_from: bool) -> Pattern | None:
    if allow_from and isinstance(value, dict) and "any_of" in value:
        return _any_of(value, where, problems)
    allowed = {"event_types", "attributes"} | (
        {"from", "match"} if allow_from else {"referral_transition"}
    )
    if not isinstance(value, dict) or "event_types" not in value:
        problems.append(f"{where}: must be an object with event_types")
        return None
    problems.extend(f"{where}.{k}: unknown key" for k in sorted(set(value) - allowed))
    types = value["event_types"]
    if (
        not isinstance(types, list)
        or not types
        or not all(isinstance(t, str) and t in CATALOGUE for t in types)
        or len(set(types)) != len(types)
    ):
        problems.append(f"{where}.event_types: must be a non-empty array of known event types")
        return None
    attributes = value.get("attributes", {})
    if not isinstance(attributes, dict):
        problems.append(f"{where}.attributes: must be an object")
        return None
    tests = [
        _test(name, spec, types, f"{where}.attributes.{name}", problems)
        for name, spec in sorted(attributes.items())
    ]
    if any(test is None for test in tests):
        return None
    transition = value.get("referral_transition", False)
    if not isinstance(transition, bool):
        problems.append(f"{where}.referral_transition: must be true or false")
        return None
    return Pattern(frozenset(types), tuple(t for t in tests if t is not None), transition)


def _any_of(value: dict[str, Any], where: str, problems: list[str]) -> Pattern | None:
    """``{"any_of": [{"event_types": ..., "attributes": ...}, ...], "from": ..., "match": ...}``."""
    problems.extend(
        f"{where}.{k}: unknown key (with any_of)"
        for k in sorted(set(value) - {"any_of", "from", "match"})
    )
    options = value["any_of"]
    if not isinstance(options, list) or not options:
        problems.append(f"{where}.any_of: must be a non-empty array of patterns")
        return None
    found = [
        _pattern(option, f"{where}.any_of[{index}]", problems, allow_from=False)
        for index, option in enumerate(options)
    ]
    patterns = [p for p in found if p is not None]
    if len(patterns) != len(found):
        return None
    if any(p.referral_transition for p in patterns):
        problems.append(f"{where}.any_of: referral_transition is for triggers")
        return None
    types = frozenset(t for p in patterns for t in p.event_types)
    return Pattern(types, (), False, tuple(patterns))


def _test(
    name: str, spec: Any, types: list[str], where: str, problems: list[str]
) -> AttributeTest | None:
    missing = [t for t in types if name not in CATALOGUE[t].attributes]
    if missing:
        problems.append(f"{where}: not an attribute of {', '.join(missing)}")
        return None
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in ("in", "not_in"):
        problems.append(f'{where}: must be {{"in": [...]}} or {{"not_in": [...]}}')
        return None
    ((operator, values),) = spec.items()
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        problems.append(f"{where}.{operator}: must be a non-empty array of strings")
        return None
    for event_type in types:
        allowed = CATALOGUE[event_type].attributes[name]
        if not all(allows(allowed, v) for v in values):
            problems.append(f"{where}.{operator}: {event_type} allows {describe(allowed)}")
            return None
    return AttributeTest(name, frozenset(values), negated=operator == "not_in")


def _period(value: Any, where: str, problems: list[str]) -> Period | None:
    if not isinstance(value, dict) or set(value) != {"amount", "unit"}:
        problems.append(f"{where}: must be an object with exactly amount and unit")
        return None
    amount = value["amount"]
    unit = _choice(Unit, value["unit"], f"{where}.unit", problems)
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= _MAX_AMOUNT:
        problems.append(f"{where}.amount: must be a whole number from 1 to {_MAX_AMOUNT}")
        return None
    return None if unit is None else Period(amount, unit)


def _regions(value: Any, where: str, problems: list[str]) -> frozenset[str] | None:
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(r, str) and r in REGIONS for r in value)
    ):
        problems.append(f"{where}: must be a non-empty array of region codes")
        return None
    return frozenset(value)
