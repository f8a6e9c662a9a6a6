"""The rules contract v1.1 adds, and the receipt closed by an unreadable answer: what opens each,
what closes it, its deadline, status and level.

Every deadline here was worked out by hand from the contract ("N months: the end of the same day
of the month N months later (the month's last day if it is shorter); if that day is not a working
day, the end of the next working day"; "N working days: the end of the N-th working day after the
calendar day of the trigger") and Kazakhstan's calendar (``holidays`` 0.109, KZ, and the empty
corrections file): 2027-02-28 is a Sunday; Nauryz 2027 is 21-23 March (Sun-Tue) with Wednesday 24
off in place of the Sunday; 8 March 2027 (Mon) is Women's Day; Victory Day is Saturday 9 May 2026
(Monday 11 off in its place) and Tuesday 9 May 2028; 16 December 2026 (Wed) is Independence Day.
"""

from __future__ import annotations

from audit_events import (
    CENTRE,
    GUARDIANSHIP,
    HOTLINE,
    NGO,
    OTHER_REFERRAL,
    POLICE,
    REFERRAL,
    SOCIAL,
    event,
    obligations,
    only,
)

from backbone.audit.core.sla import Obligation
from backbone.domain.events import Event

ISSUED_AT = "2026-12-11T16:00:00+05:00"  # a Friday
LATER = "2028-12-31T00:00:00+05:00"


def _summary(obligation: Obligation) -> tuple[str, str, str, int, str | None]:
    found = obligation.to_json()
    return (
        found["owed_by"],
        found["deadline"],
        found["status"],
        found["level"],
        found["closed_by_event_id"],
    )


def _of(found: tuple[Obligation, ...], rule: str, trigger: Event) -> list[Obligation]:
    return [o for o in found if o.rule == rule and o.trigger_event_id == trigger.event_id]


# Receipt rules: closed by the recipient's ReferralReceived or EnvelopeUnreadable.


def _issue(
    at: str = ISSUED_AT,
    producer: str = POLICE,
    recipients: tuple[str, ...] = (NGO, CENTRE),
    kind: str = "victim_services",
    referral: str = REFERRAL,
    **fields: str,
) -> Event:
    return event(
        "ReferralIssued",
        at,
        producer,
        referral=referral,
        recipients=list(recipients),
        kind=kind,
        **fields,
    )


def _unreadable(at: str, producer: str, answers: Event) -> Event:
    """``producer``'s answer that it could not open ``answers`` (of the same referral)."""
    return event(
        "EnvelopeUnreadable",
        at,
        producer,
        referral=answers.referral_id,
        causation=answers.event_id,
        reason="ciphertext_damaged",
    )


def test_referral_receipt_is_met_by_the_recipients_unreadable_answer() -> None:
    issue = _issue()
    unreadable = _unreadable("2026-12-11T16:05:00+05:00", NGO, issue)
    found = obligations([issue, unreadable], "2026-12-15T00:00:01+05:00")

    receipts = {o.owed_by: _summary(o) for o in found if o.rule == "referral-receipt"}
    assert receipts == {
        NGO: (NGO, "2026-12-15T00:00:00+05:00", "met", 0, unreadable.event_id),
        CENTRE: (CENTRE, "2026-12-15T00:00:00+05:00", "open", 1, None),
    }
    # An unreadable recipient never received, so it owes no decision.
    assert [o.rule for o in found if o.owed_by == NGO] == ["referral-receipt"]


def test_hotline_alert_receipt_is_met_by_an_unreadable_answer_within_the_hour() -> None:
    alert = _issue("2026-12-11T23:59:00+05:00", HOTLINE, (POLICE,), "hotline_alert")
    unreadable = _unreadable("2026-12-12T00:30:00+05:00", POLICE, alert)
    found = obligations([alert, unreadable], "2026-12-12T02:00:00+05:00")

    assert _summary(only(found, "hotline-alert-receipt")) == (
        POLICE,
        "2026-12-12T00:59:00+05:00",
        "met",
        0,
        unreadable.event_id,
    )
    # The hotline owes a reissue by the end of the first working day after Saturday the 12th.
    assert _summary(only(found, "referral-reissue")) == (
        HOTLINE,
        "2026-12-15T00:00:00+05:00",
        "pending",
        0,
        None,
    )


def test_an_unreadable_answer_from_another_agency_does_not_close_the_receipt() -> None:
    issue = _issue(recipients=(NGO,))
    stray = _unreadable("2026-12-11T16:05:00+05:00", GUARDIANSHIP, issue)  # not a recipient
    found = obligations([issue, stray], "2026-12-14T12:00:00+05:00")

    assert [(o.rule, o.owed_by, o.status.value) for o in found] == [
        ("referral-receipt", NGO, "pending")
    ]


# referral-reissue: the issuer owes a ReferralIssued naming the unreadable answer.


def test_referral_reissue_is_owed_by_the_issuer_and_met_by_a_referral_naming_the_answer() -> None:
    issue = _issue()
    unreadable = _unreadable("2026-12-11T16:05:00+05:00", NGO, issue)
    unrelated = _issue("2026-12-14T09:00:00+05:00", recipients=(NGO,), referral=OTHER_REFERRAL)
    by_another = _issue(
        "2026-12-14T09:30:00+05:00",
        NGO,
        (SOCIAL,),
        referral="r-7e57e0000003",
        causation=unreadable.event_id,
    )
    reissue = _issue(
        "2026-12-14T10:00:00+05:00",
        recipients=(NGO,),
        referral="r-7e57e0000004",
        causation=unreadable.event_id,
    )
    found = obligations([issue, unreadable, unrelated, by_another, reissue], LATER)

    reissues = [o for o in found if o.rule == "referral-reissue"]
    assert [_summary(o) for o in reissues] == [
        (POLICE, "2026-12-15T00:00:00+05:00", "met", 0, reissue.event_id)
    ]
    (obligation,) = reissues
    assert (obligation.trigger_event_id, obligation.referral_id) == (
        unreadable.event_id,
        REFERRAL,
    )
    # The reissue is a new referral: its recipient owes its receipt (Monday → end of Tuesday).
    assert _summary(_of(found, "referral-receipt", reissue)[0]) == (
        NGO,
        "2026-12-16T00:00:00+05:00",
        "open",
        2,
        None,
    )


def test_referral_reissue_unanswered_escalates_after_one_more_period() -> None:
    """T = Fri 16:05, D = Tue 00:00: D - T is 3 days 7 h 55 min, so level 1 lasts until
    2026-12-18T07:55:00+05:00 and level 2 starts after it."""
    issue = _issue()
    unreadable = _unreadable("2026-12-11T16:05:00+05:00", NGO, issue)
    story = [issue, unreadable]

    def reissue_at(at: str) -> tuple[str, str, str, int, str | None]:
        return _summary(only(obligations(story, at), "referral-reissue"))

    deadline = "2026-12-15T00:00:00+05:00"
    assert reissue_at(deadline) == (POLICE, deadline, "pending", 0, None)
    assert reissue_at("2026-12-15T00:00:01+05:00") == (POLICE, deadline, "open", 1, None)
    assert reissue_at("2026-12-18T07:55:00+05:00") == (POLICE, deadline, "open", 1, None)
    assert reissue_at("2026-12-18T07:55:01+05:00") == (POLICE, deadline, "open", 2, None)


def test_withdrawing_the_unreadable_referral_cancels_the_reissue() -> None:
    issue = _issue()
    unreadable = _unreadable("2026-12-11T16:05:00+05:00", NGO, issue)
    withdrawn = event(
        "ReferralWithdrawn",
        "2026-12-14T09:00:00+05:00",
        POLICE,
        referral=REFERRAL,
        reason="unreadable",
    )
    found = obligations([issue, unreadable, withdrawn], LATER)

    assert _summary(only(found, "referral-reissue")) == (
        POLICE,
        "2026-12-15T00:00:00+05:00",
        "cancelled",
        0,
        withdrawn.event_id,
    )


def test_only_an_unreadable_answer_that_moved_a_recipient_opens_a_reissue() -> None:
    issue = _issue()
    received = event("ReferralReceived", "2026-12-11T17:00:00+05:00", CENTRE, referral=REFERRAL)
    answers = [
        _unreadable("2026-12-11T16:05:00+05:00", GUARDIANSHIP, issue),  # rejected: not a recipient
        _unreadable("2026-12-11T17:05:00+05:00", NGO, received),  # names the centre's receipt
        _unreadable("2026-12-11T18:00:00+05:00", CENTRE, issue),  # rejected: already received
    ]
    found = obligations([issue, received, *answers], LATER)

    assert [o for o in found if o.rule == "referral-reissue"] == []


# further-residence: 3 months after an adaptation centre, a further placement or a return.


def test_further_residence_due_in_nauryz_ends_after_its_holidays() -> None:
    """2026-12-22 + 3 months = Monday 22 March 2027 (Nauryz); 23 is Nauryz, 24 is the day off
    for Sunday the 21st: the first working day is Thursday 25 March."""
    placement = event(
        "PlacementMade", "2026-12-22T10:00:00+05:00", CENTRE, facility="adaptation_centre"
    )
    again = event(
        "PlacementMade", "2027-01-15T10:00:00+05:00", CENTRE, facility="adaptation_centre"
    )
    family = event("PlacementMade", "2027-03-25T15:00:00+05:00", GUARDIANSHIP, facility="family")
    found = obligations([placement, again, family], LATER)

    assert _summary(_of(found, "further-residence", placement)[0]) == (
        CENTRE,
        "2027-03-26T00:00:00+05:00",
        "met",
        0,
        family.event_id,
    )
    # The second stay (15 January + 3 months = Thursday 15 April) is closed by the same family.
    assert _summary(_of(found, "further-residence", again)[0]) == (
        CENTRE,
        "2027-04-16T00:00:00+05:00",
        "met",
        0,
        family.event_id,
    )


def test_further_residence_is_closed_by_a_return_home_from_any_agency() -> None:
    placement = event(
        "PlacementMade", "2026-12-22T10:00:00+05:00", CENTRE, facility="adaptation_centre"
    )
    returned = event(
        "ChildReturnedHome", "2027-03-27T11:00:00+05:00", SOCIAL, destination="in_country"
    )
    found = obligations([placement, returned], LATER)

    # A day after the deadline, within one more period: late at level 1.
    assert _summary(only(found, "further-residence")) == (
        CENTRE,
        "2027-03-26T00:00:00+05:00",
        "late",
        1,
        returned.event_id,
    )


def test_further_residence_is_not_closed_by_another_adaptation_centre_and_escalates() -> None:
    """D - T = 2026-12-22T10:00 → 2027-03-26T00:00 = 93 days 14 h: level 2 after
    2027-06-27T14:00:00+05:00."""
    placement = event(
        "PlacementMade", "2026-12-22T10:00:00+05:00", CENTRE, facility="adaptation_centre"
    )
    moved = event(
        "PlacementMade",
        "2027-02-01T10:00:00+05:00",
        "centre.turkestan.can-7",
        facility="adaptation_centre",
    )
    story = [placement, moved]

    def first_stay(at: str) -> tuple[str, str, str, int, str | None]:
        return _summary(_of(obligations(story, at), "further-residence", placement)[0])

    deadline = "2027-03-26T00:00:00+05:00"
    assert first_stay("2027-06-27T14:00:00+05:00") == (CENTRE, deadline, "open", 1, None)
    assert first_stay("2027-06-27T14:00:01+05:00") == (CENTRE, deadline, "open", 2, None)


def test_a_placement_in_a_family_opens_no_further_residence() -> None:
    placement = event("PlacementMade", ISSUED_AT, GUARDIANSHIP, facility="foster_family")
    assert obligations([placement], LATER) == ()


# contract-term and contract-extension-term.


def test_contract_term_from_31_august_ends_after_the_february_weekend() -> None:
    """2026-08-31 + 6 months = 28 February 2027 (the month is shorter), a Sunday: the end of
    Monday 1 March."""
    signed = event("ServiceContractSigned", "2026-08-31T11:00:00+05:00", NGO)
    ended_elsewhere = event(
        "ServiceContractEnded", "2027-01-10T11:00:00+05:00", CENTRE, reason="goals_achieved"
    )
    extended = event(
        "ServiceContractExtended",
        "2027-03-01T16:00:00+05:00",
        NGO,
        months="3",
        reason="inpatient_treatment",
    )
    found = obligations([signed, ended_elsewhere, extended], "2027-03-02T00:00:00+05:00")

    assert _summary(only(found, "contract-term")) == (
        NGO,
        "2027-03-02T00:00:00+05:00",
        "met",
        0,
        extended.event_id,
    )
    # The extension owes the end within 3 months: 1 June 2027 is a Tuesday.
    assert _summary(only(found, "contract-extension-term")) == (
        NGO,
        "2027-06-02T00:00:00+05:00",
        "pending",
        0,
        None,
    )


def test_contract_term_is_closed_by_the_end_of_the_contract() -> None:
    signed = event("ServiceContractSigned", "2026-08-31T11:00:00+05:00", NGO)
    ended = event("ServiceContractEnded", "2027-02-27T10:00:00+05:00", NGO, reason="term_expired")
    found = obligations([signed, ended], LATER)

    assert _summary(only(found, "contract-term")) == (
        NGO,
        "2027-03-02T00:00:00+05:00",
        "met",
        0,
        ended.event_id,
    )


def test_contract_extension_term_is_three_months_whatever_months_says() -> None:
    """2026-12-08 + 3 months = Monday 8 March 2027, Women's Day: the end of Tuesday 9 March. An
    end on Thursday 11 March 09:00 is a day and 9 hours late: level 1."""
    extended = event(
        "ServiceContractExtended",
        "2026-12-08T12:00:00+05:00",
        CENTRE,
        months="1",
        reason="criminal_case_open",
    )
    ended_elsewhere = event(
        "ServiceContractEnded", "2027-03-01T10:00:00+05:00", NGO, reason="term_expired"
    )
    ended = event(
        "ServiceContractEnded", "2027-03-11T09:00:00+05:00", CENTRE, reason="term_expired"
    )
    found = obligations([extended, ended_elsewhere, ended], LATER)

    assert _summary(only(found, "contract-extension-term")) == (
        CENTRE,
        "2027-03-10T00:00:00+05:00",
        "late",
        1,
        ended.event_id,
    )


# return-follow-up and follow-up-repeat.


def test_return_follow_up_due_on_victory_day_ends_the_next_day() -> None:
    """2028-04-09 + 1 month = Tuesday 9 May 2028, Victory Day: the end of Wednesday 10 May."""
    returned = event(
        "ChildReturnedHome", "2028-04-09T10:00:00+05:00", SOCIAL, destination="in_country"
    )
    by_another = event("FollowUpRecorded", "2028-04-20T10:00:00+05:00", NGO, status="safe")
    followed = event("FollowUpRecorded", "2028-05-10T17:00:00+05:00", SOCIAL, status="safe")
    found = obligations([returned, by_another, followed], LATER)

    assert _summary(only(found, "return-follow-up")) == (
        SOCIAL,
        "2028-05-11T00:00:00+05:00",
        "met",
        0,
        followed.event_id,
    )
    assert [o for o in found if o.rule == "follow-up-repeat"] == []  # both were safe


def test_return_follow_up_from_31_january_of_a_leap_year_is_due_on_29_february() -> None:
    returned = event("ChildReturnedHome", "2028-01-31T10:00:00+05:00", NGO, destination="abroad")
    found = obligations([returned], "2028-03-01T00:00:01+05:00")

    assert _summary(only(found, "return-follow-up")) == (
        NGO,
        "2028-03-01T00:00:00+05:00",
        "open",
        1,
        None,
    )


def test_follow_up_repeat_over_the_victory_day_weekend_and_its_chain() -> None:
    """2026-04-09 + 1 month = Saturday 9 May 2026 (Victory Day); Sunday 10; Monday 11 is the day
    off for it: the end of Tuesday 12 May. A repeat found ``not_found`` on the 12th meets it and
    opens the next one: 12 June 2026 is a Friday."""
    at_risk = event("FollowUpRecorded", "2026-04-09T10:00:00+05:00", NGO, status="at_risk")
    by_another = event("FollowUpRecorded", "2026-05-05T10:00:00+05:00", SOCIAL, status="safe")
    not_found = event("FollowUpRecorded", "2026-05-12T10:00:00+05:00", NGO, status="not_found")

    deadline = "2026-05-13T00:00:00+05:00"
    for at, status, level in ((deadline, "pending", 0), ("2026-05-13T00:00:01+05:00", "open", 1)):
        repeat = only(obligations([at_risk], at), "follow-up-repeat")
        assert _summary(repeat) == (NGO, deadline, status, level, None)
    found = obligations([at_risk, by_another, not_found], "2026-06-01T00:00:00+05:00")
    assert _summary(_of(found, "follow-up-repeat", at_risk)[0]) == (
        NGO,
        "2026-05-13T00:00:00+05:00",
        "met",
        0,
        not_found.event_id,
    )
    assert _summary(_of(found, "follow-up-repeat", not_found)[0]) == (
        NGO,
        "2026-06-13T00:00:00+05:00",
        "pending",
        0,
        None,
    )
    assert _of(found, "follow-up-repeat", by_another) == []  # safe: no repeat owed


def test_a_follow_up_at_risk_meets_the_return_follow_up_and_opens_a_repeat() -> None:
    returned = event(
        "ChildReturnedHome", "2027-02-22T12:00:00+05:00", GUARDIANSHIP, destination="in_country"
    )
    at_risk = event("FollowUpRecorded", "2027-03-20T09:00:00+05:00", GUARDIANSHIP, status="at_risk")
    found = obligations([returned, at_risk], "2027-04-21T00:00:00+05:00")

    # 22 February + 1 month = Monday 22 March 2027 (Nauryz): the end of Thursday 25 March.
    assert _summary(only(found, "return-follow-up")) == (
        GUARDIANSHIP,
        "2027-03-26T00:00:00+05:00",
        "met",
        0,
        at_risk.event_id,
    )
    # 20 March + 1 month = Tuesday 20 April 2027.
    assert _summary(only(found, "follow-up-repeat")) == (
        GUARDIANSHIP,
        "2027-04-21T00:00:00+05:00",
        "pending",
        0,
        None,
    )
