"""Synthetic pathways: deterministic per seed, streamed, valid, and shaped by their profile."""

from __future__ import annotations

import inspect
import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import timedelta
from functools import cache

import pytest
from scenario_checks import check_payload, replay
from synthetic.generator import INVALID_KINDS, synthetic_events
from synthetic.profile import DEFAULT_PROFILE, Profile, shares
from synthetic.steps import MAX_FOLLOW_UPS

from backbone.audit.core.replay import Replay
from backbone.domain.events import Event
from backbone.domain.lifecycle import judge
from backbone.scenario.jsonl import dumps

SAMPLE_CHILDREN = 3000
DUTIES = (
    "guardianship-notification",
    "identification-assessment",
    "police-referral-to-services",
    "service-permission-request",
    "police-notification",
    "status-determination",
)


@cache
def _sample() -> tuple[tuple[Event, ...], Replay]:
    events = tuple(synthetic_events(SAMPLE_CHILDREN, seed=2024))
    at = max(e.occurred_at for e in events) + timedelta(days=1)
    return events, replay(events, at)


def _identified() -> list[Event]:
    return [e for e in _sample()[0] if e.event_type == "ChildIdentified"]


def _assert_shares(observed: Iterable[str], expected: Mapping[str, float]) -> None:
    """Each observed share is within four standard errors (plus half a point) of the figure."""
    counts = Counter(observed)
    total = sum(counts.values())
    assert total > 0 and set(counts) <= set(expected), counts
    for key, share in expected.items():
        tolerance = 4 * math.sqrt(share * (1 - share) / total) + 0.005
        assert abs(counts[key] / total - share) <= tolerance, (key, counts[key] / total, share)


def _lines(events: Iterable[Event]) -> list[str]:
    return [dumps(e) for e in events]


def test_same_seed_gives_the_same_events_and_another_seed_others() -> None:
    first = _lines(synthetic_events(200, seed=5))

    assert first == _lines(synthetic_events(200, seed=5))
    assert first != _lines(synthetic_events(200, seed=6))
    assert not {e.event_id for e in synthetic_events(50, seed=5)} & {
        e.event_id for e in synthetic_events(50, seed=6)
    }


def test_a_smaller_run_is_a_prefix_of_a_larger_one() -> None:
    small = _lines(synthetic_events(40, seed=9))

    assert _lines(synthetic_events(80, seed=9))[: len(small)] == small


def test_events_are_streamed_one_child_at_a_time() -> None:
    stream = synthetic_events(10**9, seed=1)

    assert inspect.isgenerator(stream)
    assert len(list(itertools.islice(stream, 20))) == 20


def test_every_synthetic_event_is_valid_and_fits_its_schema() -> None:
    events, report = _sample()

    assert report.rejected == ()
    for event in events[:5000]:
        check_payload(event)


def test_invalid_fraction_adds_exactly_the_rejected_events_and_changes_no_verdict() -> None:
    clean = list(synthetic_events(400, seed=3))
    dirty = list(synthetic_events(400, seed=3, invalid_fraction=0.25))
    extra = {e.event_id for e in dirty} - {e.event_id for e in clean}
    at = max(e.occurred_at for e in dirty) + timedelta(days=1)
    judgement = judge(dirty)
    rejected = {
        event_id: verdict.reason.value
        for event_id, verdict in judgement.verdicts.items()
        if verdict is not None
    }

    assert {e.event_id for e in clean} <= {e.event_id for e in dirty}
    assert set(rejected) == extra
    assert set(rejected.values()) == set(INVALID_KINDS)
    assert abs(len(extra) / 400 - 0.25) < 0.09
    assert replay(dirty, at).obligations == replay(clean, at).obligations


def test_settings_regions_ages_and_accompaniment_follow_the_profile() -> None:
    p = DEFAULT_PROFILE
    settings = shares(p.settings)
    ages: dict[str, float] = {}
    for setting, share in settings.items():
        for band, band_share in shares(p.age_bands[setting]).items():
            ages[band] = ages.get(band, 0.0) + share * band_share
    accompanied = sum(share * p.accompanied[s] for s, share in settings.items())
    identified = _identified()

    assert len(identified) == SAMPLE_CHILDREN
    _assert_shares((e.attributes["setting"] for e in identified), settings)
    _assert_shares((e.region for e in identified), shares(p.regions))
    _assert_shares((e.attributes["age_band"] for e in identified), ages)
    _assert_shares(
        (e.attributes["accompanied"] for e in identified),
        {"true": accompanied, "false": 1 - accompanied},
    )


def test_risk_levels_and_recognition_follow_the_profile() -> None:
    events = _sample()[0]
    risks = [e.attributes["risk_level"] for e in events if e.event_type == "RiskAssessed"]
    outcomes = [e.attributes["outcome"] for e in events if e.event_type == "VictimStatusAssessed"]
    recognition = DEFAULT_PROFILE.recognition

    _assert_shares(risks, shares(DEFAULT_PROFILE.risk_levels))
    _assert_shares(outcomes, {"recognized": recognition, "not_recognized": 1 - recognition})


def test_stalled_and_late_handoffs_follow_the_profile() -> None:
    p, obligations = DEFAULT_PROFILE, _sample()[1].obligations
    receipts = [o.status.value for o in obligations if o.rule.endswith("receipt")]
    decisions = [o.status.value for o in obligations if o.rule == "referral-decision"]
    duties = [o.status.value for o in obligations if o.rule in DUTIES]
    on_time = 1 - p.no_receipt - p.late_receipt

    _assert_shares(receipts, {"open": p.no_receipt, "late": p.late_receipt, "met": on_time})
    _assert_shares(decisions, {"open": p.no_decision, "met": 1 - p.no_decision})
    _assert_shares(duties, {"late": p.late_duty, "met": 1 - p.late_duty})


def test_contracts_end_once_after_any_extension_and_terms_follow_the_profile() -> None:
    p, (events, report) = DEFAULT_PROFILE, _sample()
    by_type = Counter((e.event_type, e.child_ref, e.producer) for e in events)
    signed = [key for key in by_type if key[0] == "ServiceContractSigned"]
    extended = [e for e in events if e.event_type == "ServiceContractExtended"]
    terms = [
        o.status.value
        for o in report.obligations
        if o.rule in ("contract-term", "contract-extension-term")
    ]

    assert signed and all(by_type[("ServiceContractEnded", *key[1:])] == 1 for key in signed)
    assert all(by_type[key] == 1 for key in signed)
    _assert_shares(
        ("true" if ("ServiceContractExtended", *key[1:]) in by_type else "false" for key in signed),
        {
            "true": (1 - p.late_duty) * p.contract_extension,
            "false": 1 - (1 - p.late_duty) * p.contract_extension,
        },
    )
    assert {e.attributes["months"] for e in extended} == {"1", "2", "3"}
    _assert_shares(terms, {"late": p.late_duty, "met": 1 - p.late_duty})


def test_children_returned_from_the_centre_are_followed_up_as_the_profile_says() -> None:
    p, (events, report) = DEFAULT_PROFILE, _sample()
    returned = [e for e in events if e.event_type == "ChildReturnedHome"]
    follow_ups = [e for e in events if e.event_type == "FollowUpRecorded"]
    first = [o.status.value for o in report.obligations if o.rule == "return-follow-up"]
    repeats = Counter(o.status.value for o in report.obligations if o.rule == "follow-up-repeat")
    visits: dict[str, list[str]] = {}
    for event in sorted(follow_ups, key=lambda e: e.sort_key):
        visits.setdefault(event.child_ref, []).append(event.attributes["status"])

    assert returned and len(first) == len(returned) == len(visits)
    assert {(e.producer, e.child_ref) for e in follow_ups} == {
        (e.producer, e.child_ref) for e in returned
    }
    _assert_shares(first, {"late": p.late_duty, "met": 1 - p.late_duty})
    _assert_shares((e.attributes["status"] for e in follow_ups), shares(p.follow_up_status))
    # Visits go on while the child is at risk or not found, up to MAX_FOLLOW_UPS; a last visit
    # that still finds the child so leaves its repeat owed (open, or pending near the end).
    for statuses in visits.values():
        assert "safe" not in statuses[:-1] and len(statuses) <= MAX_FOLLOW_UPS
        assert statuses[-1] == "safe" or len(statuses) == MAX_FOLLOW_UPS
    assert repeats.total() == sum(1 for e in follow_ups if e.attributes["status"] != "safe")
    assert repeats["open"] + repeats["pending"] == sum(
        1 for statuses in visits.values() if statuses[-1] != "safe"
    )


def test_an_unreadable_referral_is_answered_at_once_and_reissued_by_its_issuer() -> None:
    p, (events, report) = DEFAULT_PROFILE, _sample()
    by_id = {e.event_id: e for e in events}
    issued = [e for e in events if e.event_type == "ReferralIssued"]
    answers = [e for e in events if e.event_type == "EnvelopeUnreadable"]
    reissues = {
        e.causation_id: e for e in issued if e.causation_id in {a.event_id for a in answers}
    }
    reissue = [o.status.value for o in report.obligations if o.rule == "referral-reissue"]

    assert answers and judge(events).transitions == {a.event_id for a in answers}
    for answer in answers:
        cause, again = by_id[answer.causation_id], reissues[answer.event_id]
        assert cause.event_type == "ReferralIssued" and cause.referral_id == answer.referral_id
        assert (answer.producer,) == cause.recipients == again.recipients
        assert timedelta(0) < answer.occurred_at - cause.occurred_at <= timedelta(minutes=5)
        assert (again.producer, again.attributes) == (cause.producer, cause.attributes)
        assert again.referral_id != cause.referral_id and again.payload == cause.payload
        check_payload(answer)
    _assert_shares(
        ("true" if e.event_id in {a.causation_id for a in answers} else "false" for e in issued),
        {"true": p.unreadable, "false": 1 - p.unreadable},
    )
    _assert_shares(reissue, {"late": p.late_duty, "met": 1 - p.late_duty})


def test_a_profile_shapes_the_pathways() -> None:
    nurses_only = Profile(settings={"phc": 1.0}, risk_levels={"high": 1.0})
    events = list(synthetic_events(30, seed=4, profile=nurses_only))
    kinds = Counter(e.attributes["kind"] for e in events if e.event_type == "ReferralIssued")

    assert {e.attributes["setting"] for e in events if e.event_type == "ChildIdentified"} == {"phc"}
    assert {e.attributes["risk_level"] for e in events if e.event_type == "RiskAssessed"} == {
        "high"
    }
    assert set(kinds) == {"other", "police_notification"}


def test_an_inconsistent_profile_is_refused_with_its_fields() -> None:
    with pytest.raises(ValueError, match=r"no_receipt \+ late_receipt.*settings\.street"):
        Profile(no_receipt=0.7, late_receipt=0.5, settings={"street": 1.0})


def test_a_profile_names_regions_by_their_contract_codes() -> None:
    with pytest.raises(ValueError, match=r"regions\.almaty-oblast: not a region code"):
        Profile(regions={"almaty-oblast": 1.0, "turkestan": 1.0})
