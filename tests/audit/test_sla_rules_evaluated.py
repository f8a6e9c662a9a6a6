"""Each of the nine national rules: what opens it, what closes it, and its deadline."""

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

from backbone.domain.events import Event

FRIDAY_1600 = "2026-12-11T16:00:00+05:00"


def _issue(
    at: str, producer: str, recipients: list[str], kind: str, referral: str = REFERRAL
) -> Event:
    return event(
        "ReferralIssued", at, producer, referral=referral, recipients=recipients, kind=kind
    )


def test_referral_receipt_opens_one_obligation_per_recipient_due_next_working_day() -> None:
    issue = _issue(FRIDAY_1600, POLICE, [NGO, CENTRE], "victim_services")
    receipt = event("ReferralReceived", "2026-12-14T10:00:00+05:00", NGO, referral=REFERRAL)
    found = obligations([issue, receipt], "2026-12-15T00:00:01+05:00")
    by_agency = {o.owed_by: o for o in found if o.rule == "referral-receipt"}
    assert {a: o.to_json()["deadline"] for a, o in by_agency.items()} == {
        NGO: "2026-12-15T00:00:00+05:00",
        CENTRE: "2026-12-15T00:00:00+05:00",
    }
    assert (by_agency[NGO].status, by_agency[NGO].closed_by_event_id) == ("met", receipt.event_id)
    assert (by_agency[CENTRE].status, by_agency[CENTRE].level) == ("open", 1)


def test_referral_receipt_is_closed_only_by_that_recipient() -> None:
    issue = _issue(FRIDAY_1600, POLICE, [NGO, CENTRE], "victim_services")
    receipt = event("ReferralReceived", "2026-12-14T10:00:00+05:00", CENTRE, referral=REFERRAL)
    found = obligations([issue, receipt], "2026-12-14T12:00:00+05:00")
    statuses = {o.owed_by: o.status for o in found if o.rule == "referral-receipt"}
    assert statuses == {NGO: "pending", CENTRE: "met"}


def test_hotline_alert_is_owed_within_one_hour_and_not_by_the_working_day_rule() -> None:
    alert = _issue("2026-12-11T23:59:00+05:00", HOTLINE, [POLICE], "hotline_alert")
    receipt = event("ReferralReceived", "2026-12-12T01:30:00+05:00", POLICE, referral=REFERRAL)
    found = obligations([alert, receipt], "2026-12-12T02:00:00+05:00")
    assert {o.rule for o in found} == {"hotline-alert-receipt", "referral-decision"}
    obligation = only(found, "hotline-alert-receipt")
    assert obligation.to_json()["deadline"] == "2026-12-12T00:59:00+05:00"
    # 31 minutes late is within one more period of one hour: the regional supervisor.
    assert (obligation.status, obligation.level) == ("late", 1)


def test_hotline_alert_unanswered_for_a_day_escalates_to_the_commission() -> None:
    alert = _issue("2026-12-11T23:59:00+05:00", HOTLINE, [POLICE], "hotline_alert")
    obligation = only(obligations([alert], "2026-12-13T00:00:00+05:00"), "hotline-alert-receipt")
    assert (obligation.status, obligation.level) == ("open", 2)


def test_referral_decision_before_independence_day_is_due_at_the_end_of_thursday() -> None:
    issue = _issue("2026-12-15T09:00:00+05:00", POLICE, [NGO], "victim_services")
    receipt = event("ReferralReceived", "2026-12-15T11:00:00+05:00", NGO, referral=REFERRAL)
    accepted = event("ReferralAccepted", "2026-12-17T17:00:00+05:00", NGO, referral=REFERRAL)
    found = obligations([issue, receipt, accepted], "2026-12-18T16:00:00+05:00")
    obligation = only(found, "referral-decision")
    assert obligation.owed_by == NGO
    assert obligation.trigger_event_id == receipt.event_id
    assert obligation.to_json()["deadline"] == "2026-12-18T00:00:00+05:00"
    assert (obligation.status, obligation.closed_by_event_id) == ("met", accepted.event_id)


def test_referral_decision_is_closed_only_by_the_receiving_agency() -> None:
    issue = _issue(FRIDAY_1600, POLICE, [NGO, CENTRE], "victim_services")
    events = [
        issue,
        event("ReferralReceived", "2026-12-11T17:00:00+05:00", NGO, referral=REFERRAL),
        event("ReferralReceived", "2026-12-11T17:00:00+05:00", CENTRE, referral=REFERRAL),
        event(
            "ReferralDeclined",
            "2026-12-14T09:00:00+05:00",
            NGO,
            referral=REFERRAL,
            reason="no_capacity",
        ),
    ]
    found = obligations(events, "2026-12-14T12:00:00+05:00")
    decisions = {o.owed_by: o.status for o in found if o.rule == "referral-decision"}
    assert decisions == {NGO: "met", CENTRE: "pending"}


def test_identification_assessment_on_a_transferred_working_saturday() -> None:
    application = event(
        "ServiceApplicationReceived",
        "2024-05-04T10:00:00+05:00",
        NGO,
        funding="international",
        via="self",
    )
    assessed = event(
        "VictimStatusAssessed",
        "2024-05-06T15:00:00+05:00",
        POLICE,
        outcome="not_recognized",
        path="police",
    )
    found = obligations([application, assessed], "2024-05-10T00:00:00+05:00")
    obligation = only(found, "identification-assessment")
    assert obligation.owed_by == NGO
    assert obligation.to_json()["deadline"] == "2024-05-07T00:00:00+05:00"
    assert obligation.status == "met"


def test_application_handed_over_by_police_opens_no_identification_assessment() -> None:
    application = event(
        "ServiceApplicationReceived", FRIDAY_1600, NGO, funding="international", via="police"
    )
    assert obligations([application], "2027-01-01T00:00:00+05:00") == ()


def test_police_referral_to_services_counts_the_transferred_saturday() -> None:
    assessed = event(
        "VictimStatusAssessed",
        "2024-05-03T15:00:00+05:00",
        POLICE,
        outcome="recognized",
        path="police",
    )
    other_kind = _issue(
        "2024-05-04T09:00:00+05:00", POLICE, [NGO], "other", referral=OTHER_REFERRAL
    )
    found = obligations([assessed, other_kind], "2024-05-05T00:00:01+05:00")
    obligation = only(found, "police-referral-to-services")
    assert obligation.to_json()["deadline"] == "2024-05-05T00:00:00+05:00"
    assert (obligation.owed_by, obligation.status, obligation.level) == (POLICE, "open", 1)


def test_police_referral_to_services_is_met_by_a_victim_services_referral() -> None:
    assessed = event(
        "VictimStatusAssessed",
        "2024-05-03T15:00:00+05:00",
        POLICE,
        outcome="recognized",
        path="police",
    )
    referral = _issue("2024-05-04T09:00:00+05:00", POLICE, [NGO], "victim_services")
    found = obligations([assessed, referral], "2024-05-05T00:00:01+05:00")
    obligation = only(found, "police-referral-to-services")
    assert (obligation.status, obligation.closed_by_event_id) == ("met", referral.event_id)


def test_service_permission_request_at_2359_before_a_transferred_working_sunday() -> None:
    assessed = event(
        "VictimStatusAssessed",
        "2025-01-02T23:59:00+05:00",
        NGO,
        outcome="recognized",
        path="provider",
    )
    request = _issue("2025-01-05T12:00:00+05:00", NGO, [SOCIAL], "service_permission")
    found = obligations([assessed, request], "2025-01-07T00:00:00+05:00")
    obligation = only(found, "service-permission-request")
    assert obligation.to_json()["deadline"] == "2025-01-06T00:00:00+05:00"
    assert (obligation.owed_by, obligation.status) == (NGO, "met")


def test_unrecognised_victim_opens_no_permission_or_referral_obligation() -> None:
    assessed = event(
        "VictimStatusAssessed", FRIDAY_1600, NGO, outcome="not_recognized", path="provider"
    )
    assert obligations([assessed], "2027-01-01T00:00:00+05:00") == ()


def test_police_notification_is_due_in_three_working_days_skipping_the_holiday() -> None:
    application = event(
        "ServiceApplicationReceived", FRIDAY_1600, NGO, funding="state", via="social"
    )
    notice = _issue("2026-12-17T23:59:00+05:00", NGO, [POLICE], "police_notification")
    found = obligations([application, notice], "2026-12-18T12:00:00+05:00")
    obligation = only(found, "police-notification")
    assert obligation.to_json()["deadline"] == "2026-12-18T00:00:00+05:00"
    assert (obligation.status, obligation.closed_by_event_id) == ("met", notice.event_id)
    assert only(found, "identification-assessment").status == "open"


def test_internationally_funded_provider_owes_no_police_notification() -> None:
    application = event(
        "ServiceApplicationReceived", FRIDAY_1600, NGO, funding="international", via="self"
    )
    found = obligations([application], "2027-01-01T00:00:00+05:00")
    assert [o.rule for o in found] == ["identification-assessment"]


def test_guardianship_notification_for_an_unaccompanied_child_skips_nowruz() -> None:
    identified = event(
        "ChildIdentified",
        "2026-03-20T18:00:00+05:00",
        "mobile.turkestan.q1-raid",
        setting="raid",
        accompanied="false",
        age_band="7-13",
    )
    obligation = only(
        obligations([identified], "2026-03-26T12:00:00+05:00"), "guardianship-notification"
    )
    assert obligation.owed_by == "mobile.turkestan.q1-raid"
    assert obligation.to_json()["deadline"] == "2026-03-27T00:00:00+05:00"
    assert (obligation.status, obligation.referral_id) == ("pending", None)


def test_guardianship_notification_is_met_by_a_referral_from_any_agency() -> None:
    identified = event(
        "ChildIdentified",
        FRIDAY_1600,
        POLICE,
        setting="police",
        accompanied="false",
        age_band="14-17",
    )
    notice = _issue("2026-12-14T09:00:00+05:00", NGO, [GUARDIANSHIP], "guardianship_notification")
    obligation = only(
        obligations([identified, notice], "2026-12-20T00:00:00+05:00"), "guardianship-notification"
    )
    assert (obligation.owed_by, obligation.status) == (POLICE, "met")


def test_accompanied_child_opens_no_guardianship_notification() -> None:
    identified = event(
        "ChildIdentified",
        FRIDAY_1600,
        POLICE,
        setting="police",
        accompanied="true",
        age_band="4-6",
    )
    assert obligations([identified], "2027-01-01T00:00:00+05:00") == ()


def test_status_determination_six_months_from_31_august_ends_after_the_february_weekend() -> None:
    placement = event(
        "PlacementMade", "2026-08-31T11:00:00+05:00", CENTRE, facility="support_centre"
    )
    determined = event("ChildStatusDetermined", "2027-03-01T16:00:00+05:00", GUARDIANSHIP)
    obligation = only(
        obligations([placement, determined], "2027-06-01T00:00:00+05:00"), "status-determination"
    )
    assert obligation.to_json()["deadline"] == "2027-03-02T00:00:00+05:00"
    assert (obligation.owed_by, obligation.status) == (CENTRE, "met")


def test_placement_in_a_family_opens_no_status_determination() -> None:
    placement = event("PlacementMade", FRIDAY_1600, GUARDIANSHIP, facility="family")
    assert obligations([placement], "2028-01-01T00:00:00+05:00") == ()
