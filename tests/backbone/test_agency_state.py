"""An agency's referral view, its receipt schedule and deferred "seen" records (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from backbone.agency import view
from backbone.agency.receipts import ReceiptSchedule, awaiting_receipt, receipt_for, receipt_id
from backbone.domain.events import Event, parse_event
from backbone.runtime.tables import DeferredSeen

NGO, POLICE = "ngo.shymkent.test-a", "police.turkestan"


def _event(event_type: str, producer: str, minute: int, **extra: Any) -> Event:
    attributes = {"ReferralIssued": {"kind": "victim_services"}}.get(event_type, {})
    return parse_event(
        {
            "event_id": f"00000000-0000-4000-8000-0000000000{minute:02d}",
            "event_type": event_type,
            "occurred_at": f"2026-12-14T10:{minute:02d}:00+05:00",
            "producer": producer,
            "child_ref": "c-000000000001",
            "recipients": [NGO] if event_type == "ReferralIssued" else [],
            "region": "turkestan",
            "attributes": attributes,
            "referral_id": "r-000000000001",
            **extra,
        }
    )


def test_view_tracks_each_recipients_state_from_clear_headers() -> None:
    issued = view.apply(None, _event("ReferralIssued", POLICE, 1))
    received = view.apply(issued, _event("ReferralReceived", NGO, 2))
    accepted = view.apply(received, _event("ReferralAccepted", NGO, 3))

    assert issued is not None and accepted is not None
    assert issued["recipients"] == {NGO: "issued"}
    assert accepted["recipients"] == {NGO: "accepted"}
    assert accepted["issuer"] == POLICE
    assert [line["event_type"] for line in accepted["history"]] == [
        "ReferralIssued",
        "ReferralReceived",
        "ReferralAccepted",
    ]


def test_view_ignores_events_that_are_not_about_a_referral() -> None:
    identified = parse_event(
        {
            "event_id": "00000000-0000-4000-8000-000000000099",
            "event_type": "ChildIdentified",
            "occurred_at": "2026-12-14T10:00:00+05:00",
            "producer": POLICE,
            "child_ref": "c-000000000001",
            "recipients": [],
            "region": "turkestan",
            "attributes": {"setting": "raid", "accompanied": "false", "age_band": "14-17"},
        }
    )

    assert view.apply(None, identified) is None


def test_receipt_is_due_only_after_the_grace_period() -> None:
    issued = view.apply(None, _event("ReferralIssued", POLICE, 1))
    assert issued is not None
    schedule = ReceiptSchedule(NGO, grace=2.0)

    schedule.note(issued, now=100.0)

    assert schedule.due(now=101.9) == []
    assert schedule.due(now=102.0) == ["r-000000000001"]


def test_a_recorded_receipt_cancels_the_automatic_one() -> None:
    issued = view.apply(None, _event("ReferralIssued", POLICE, 1))
    received = view.apply(issued, _event("ReferralReceived", NGO, 2))
    assert issued is not None and received is not None
    schedule = ReceiptSchedule(NGO, grace=2.0)

    schedule.note(issued, now=100.0)
    schedule.note(received, now=100.5)

    assert not awaiting_receipt(received, NGO)
    assert schedule.due(now=200.0) == []


def test_automatic_receipt_has_a_derived_id_and_never_precedes_the_issue() -> None:
    issued = view.apply(None, _event("ReferralIssued", POLICE, 30))
    assert issued is not None
    clock_behind = datetime(2026, 12, 14, 5, 0, tzinfo=UTC)  # 10:00+05:00, before the issue

    receipt = receipt_for(issued, NGO, clock_behind)

    assert receipt.event_id == receipt_id("r-000000000001", NGO)
    assert receipt.occurred_at == datetime.fromisoformat("2026-12-14T10:30:00+05:00")
    assert receipt.producer == NGO and receipt.causation_id == issued["issue_event_id"]
    assert parse_event(receipt.to_json()) == receipt


def test_deferred_seen_records_nothing_durable_until_commit() -> None:
    durable: dict[str, bytes] = {}
    seen = DeferredSeen(durable)

    seen["e-1"] = b"digest"

    assert seen["e-1"] == b"digest" and durable == {}
    seen.commit("e-1")
    assert durable == {"e-1": b"digest"}


def test_an_event_already_in_the_view_changes_nothing() -> None:
    issued = view.apply(None, _event("ReferralIssued", POLICE, 1))
    received = view.apply(issued, _event("ReferralReceived", NGO, 2))

    assert view.apply(received, _event("ReferralReceived", NGO, 2)) is None
    assert view.apply(received, _event("ReferralIssued", POLICE, 1)) is None
