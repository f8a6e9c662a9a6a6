"""When the live audit emits SlaBreached / SlaBreachResolved, and what they say (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta

from audit_events import NGO, POLICE, REFERRAL, event, obligations, only

from backbone.audit.core.breach_events import breach_event
from backbone.audit.core.notices import Emitted, Kind, Notice, breach_moment, next_check, notices
from backbone.audit.core.sla import Obligation, breach_event_id, resolution_event_id
from backbone.domain.events import Event

ISSUED_AT = "2026-12-11T16:00:00+05:00"  # Friday; 1 working day → Tue 15 Dec 00:00
DEADLINE = datetime.fromisoformat("2026-12-15T00:00:00+05:00")
LEVEL_2 = datetime.fromisoformat("2026-12-18T08:00:00+05:00")  # D + (D - T)
RULE = "referral-receipt"


def _issue() -> Event:
    return event(
        "ReferralIssued",
        ISSUED_AT,
        POLICE,
        referral=REFERRAL,
        recipients=[NGO],
        kind="victim_services",
    )


def _receipt(at: str) -> Event:
    return event("ReferralReceived", at, NGO, referral=REFERRAL)


def _receipt_rule(events: list[Event], at: str) -> Obligation:
    return only(obligations(events, at), RULE)


def _key(level: int) -> tuple[str, str, str, int]:
    return (RULE, _issue().event_id, NGO, level)


def _kinds(found: list[Notice]) -> list[tuple[Kind, int]]:
    return [(n.kind, n.key[3]) for n in found]


def test_nothing_is_emitted_while_the_deadline_has_not_passed() -> None:
    at_deadline = obligations([_issue()], DEADLINE.isoformat())
    assert notices(at_deadline, Emitted()) == []


def test_level_1_breach_when_the_obligation_becomes_open() -> None:
    found = notices(obligations([_issue()], "2026-12-15T00:00:01+05:00"), Emitted())
    assert _kinds(found) == [(Kind.BREACHED, 1)]
    assert found[0].event_id == breach_event_id(RULE, _issue().event_id, NGO, 1)


def test_an_emitted_breach_is_not_emitted_again() -> None:
    emitted = Emitted(breached=frozenset({_key(1)}))
    assert notices(obligations([_issue()], "2026-12-16T12:00:00+05:00"), emitted) == []


def test_level_2_breach_when_the_open_obligation_escalates() -> None:
    emitted = Emitted(breached=frozenset({_key(1)}))
    found = notices(obligations([_issue()], "2026-12-18T08:00:01+05:00"), emitted)
    assert _kinds(found) == [(Kind.BREACHED, 2)]


def test_an_obligation_first_seen_at_level_2_gets_both_levels() -> None:
    found = notices(obligations([_issue()], "2026-12-20T00:00:00+05:00"), Emitted())
    assert _kinds(found) == [(Kind.BREACHED, 1), (Kind.BREACHED, 2)]


def test_late_receipt_resolves_each_emitted_level() -> None:
    emitted = Emitted(breached=frozenset({_key(1), _key(2)}))
    late = [_issue(), _receipt("2026-12-19T10:00:00+05:00")]
    found = notices(obligations(late, "2026-12-19T11:00:00+05:00"), emitted)
    assert _kinds(found) == [(Kind.RESOLVED, 1), (Kind.RESOLVED, 2)]
    assert found[0].event_id == resolution_event_id(RULE, _issue().event_id, NGO, 1)


def test_obligation_seen_only_after_its_late_closure_is_breached_and_resolved() -> None:
    late = [_issue(), _receipt("2026-12-16T10:00:00+05:00")]
    found = notices(obligations(late, "2026-12-17T00:00:00+05:00"), Emitted())
    assert _kinds(found) == [(Kind.BREACHED, 1), (Kind.RESOLVED, 1)]


def test_receipt_arriving_late_but_stamped_in_time_resolves_the_breach() -> None:
    emitted = Emitted(breached=frozenset({_key(1)}))
    in_time = [_issue(), _receipt("2026-12-14T10:00:00+05:00")]
    [resolved] = notices(obligations(in_time, "2026-12-16T00:00:00+05:00"), emitted)
    assert resolved.kind is Kind.RESOLVED and resolved.obligation is not None
    assert resolved.obligation.status.value == "met"


def test_breach_of_an_obligation_that_no_longer_exists_is_resolved_without_closer() -> None:
    emitted = Emitted(breached=frozenset({_key(1)}))
    [resolved] = notices((), emitted)
    assert (resolved.kind, resolved.obligation) == (Kind.RESOLVED, None)


def test_a_resolution_is_emitted_once() -> None:
    emitted = Emitted(breached=frozenset({_key(1)}), resolved=frozenset({_key(1)}))
    late = [_issue(), _receipt("2026-12-16T10:00:00+05:00")]
    assert notices(obligations(late, "2026-12-17T00:00:00+05:00"), emitted) == []


def test_emitted_record_round_trips_through_json() -> None:
    emitted = Emitted(breached=frozenset({_key(1), _key(2)}), resolved=frozenset({_key(1)}))
    assert Emitted.from_json(emitted.to_json()) == emitted
    assert Emitted.from_json(None) == Emitted()


def test_next_check_is_the_deadline_then_the_escalation_then_nothing() -> None:
    now = datetime.fromisoformat("2026-12-14T09:00:00+05:00")
    pending = obligations([_issue()], now.isoformat())
    first = next_check(pending, [_issue()], now)
    assert first is not None and DEADLINE < first < DEADLINE + timedelta(milliseconds=1)
    later = datetime.fromisoformat("2026-12-16T09:00:00+05:00")
    second = next_check(obligations([_issue()], later.isoformat()), [_issue()], later)
    assert second is not None and LEVEL_2 < second < LEVEL_2 + timedelta(milliseconds=1)
    done = datetime.fromisoformat("2026-12-20T00:00:00+05:00")
    assert next_check(obligations([_issue()], done.isoformat()), [_issue()], done) is None


def test_next_check_includes_events_stamped_in_the_future() -> None:
    now = datetime.fromisoformat("2026-12-11T12:00:00+05:00")
    assert next_check((), [_issue()], now) == datetime.fromisoformat(ISSUED_AT)


def _breach(level: int, at: str, events: list[Event]) -> Event:
    obligation = _receipt_rule(events, at)
    notice = Notice(Kind.BREACHED, _key(level), obligation)
    return breach_event(
        notice,
        producer="audit.national",
        trigger=_issue(),
        closing=None,
        now=datetime.fromisoformat(at),
    )


def test_breach_event_is_stamped_at_its_breach_moment_with_status_open() -> None:
    first = _breach(1, "2026-12-15T09:00:00+05:00", [_issue()])
    assert first.occurred_at == DEADLINE and first.event_type == "SlaBreached"
    assert dict(first.attributes) == {"rule": RULE, "level": "1"}
    assert (first.causation_id, first.region, first.referral_id) == (
        _issue().event_id,
        "turkestan",
        REFERRAL,
    )
    assert first.payload == {
        "trigger_event_id": _issue().event_id,
        "owed_by": NGO,
        "deadline": "2026-12-15T00:00:00+05:00",
        "status": "open",
    }
    assert _breach(2, "2026-12-20T00:00:00+05:00", [_issue()]).occurred_at == LEVEL_2


def test_breach_event_content_does_not_depend_on_when_it_is_computed() -> None:
    live = _breach(1, "2026-12-15T00:00:01+05:00", [_issue()])
    rebuild = _breach(
        1, "2026-12-30T00:00:00+05:00", [_issue(), _receipt("2026-12-16T10:00:00+05:00")]
    )
    assert live.to_json() == rebuild.to_json()


def _resolution(receipt: Event, at: str) -> Event:
    obligation = _receipt_rule([_issue(), receipt], at)
    notice = Notice(Kind.RESOLVED, _key(1), obligation)
    return breach_event(
        notice,
        producer="audit.national",
        trigger=_issue(),
        closing=receipt,
        now=datetime.fromisoformat(at),
    )


def test_resolution_is_stamped_at_the_closing_event_but_never_before_the_breach() -> None:
    late = _receipt("2026-12-16T10:00:00+05:00")
    resolved = _resolution(late, "2026-12-17T00:00:00+05:00")
    assert resolved.occurred_at == late.occurred_at
    assert (resolved.causation_id, resolved.event_type) == (late.event_id, "SlaBreachResolved")
    assert resolved.payload == {
        "trigger_event_id": _issue().event_id,
        "owed_by": NGO,
        "closed_by_event_id": late.event_id,
    }
    in_time = _receipt("2026-12-14T10:00:00+05:00")
    assert _resolution(in_time, "2026-12-17T00:00:00+05:00").occurred_at == DEADLINE


def test_resolution_of_a_vanished_obligation_is_stamped_now() -> None:
    now = datetime.fromisoformat("2026-12-17T00:00:00+05:00")
    notice = Notice(Kind.RESOLVED, _key(1), None)
    resolved = breach_event(
        notice, producer="audit.national", trigger=_issue(), closing=None, now=now
    )
    assert resolved.occurred_at == now
    assert resolved.payload is not None and resolved.payload["closed_by_event_id"] is None
    assert breach_moment(_receipt_rule([_issue()], now.isoformat()), 1) == DEADLINE


def test_open_levels_are_one_per_unresolved_breached_obligation_at_its_highest_level() -> None:
    first = ("referral-receipt", "e-1", NGO)
    second = ("referral-decision", "e-2", NGO)
    emitted = Emitted(
        frozenset({(*first, 1), (*first, 2), (*second, 1)}), frozenset({(*second, 1)})
    )
    assert emitted.open_levels() == [2]
    assert Emitted().open_levels() == []
