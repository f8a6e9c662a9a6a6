"""An ``EnvelopeUnreadable`` on the console's pathway (pure: the audit's own fold and evaluator,
the console's model and timeline; no Django, no broker)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backbone.audit.core.calendar import kazakhstan_calendar
from backbone.audit.core.pathway import fold
from backbone.audit.core.rules import load_rules
from backbone.audit.core.sla import evaluate
from backbone.console.audit_model import Pathway
from backbone.console.i18n import LABELS
from backbone.console.timeline import timeline
from backbone.domain.catalogue import CATALOGUE
from backbone.domain.events import Event, parse_event
from backbone.domain.lifecycle import RecipientState, judge

POLICE, NGO = "police.turkestan", "ngo.shymkent.sana-sezim"
ISSUE, ANSWER = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"


def _events() -> list[Event]:
    common = {"child_ref": "c-0123456789ab", "region": "turkestan", "referral_id": "r-0123456789ab"}
    return [
        parse_event(
            {
                **common,
                "event_id": ISSUE,
                "event_type": "ReferralIssued",
                "occurred_at": "2026-12-14T10:00:00+05:00",
                "producer": POLICE,
                "recipients": [NGO],
                "attributes": {"kind": "victim_services"},
            }
        ),
        parse_event(
            {
                **common,
                "event_id": ANSWER,
                "event_type": "EnvelopeUnreadable",
                "occurred_at": "2026-12-14T10:00:02+05:00",
                "producer": NGO,
                "recipients": [],
                "attributes": {"reason": "ciphertext_damaged"},
                "causation_id": ISSUE,
            }
        ),
    ]


def test_every_event_type_and_recipient_state_has_a_label_and_so_has_the_reissue_rule() -> None:
    assert set(CATALOGUE) <= set(LABELS["event"])
    assert {state.value for state in RecipientState} <= set(LABELS["state"])
    assert "referral-reissue" in LABELS["rule"]


def test_the_answer_is_a_step_in_the_readers_lane_naming_the_step_it_answers() -> None:
    events = _events()
    at = datetime(2026, 12, 14, 5, 0, 3, tzinfo=UTC) + timedelta(days=3)
    judgement = judge(events)
    obligations = evaluate(judgement, at, load_rules([]), kazakhstan_calendar())
    [served] = fold(judgement, obligations)

    view = timeline(Pathway.from_json(served.to_api_json()))

    answer = next(row for row in view.rows if row.step.event_id == ANSWER)
    assert answer.step.causation_id == ISSUE and answer.step.rejected is None
    assert view.lanes[answer.lane] == NGO
    assert [o.rule for o in answer.closes] == ["referral-receipt"]
    assert [o.rule for o in answer.opens] == ["referral-reissue"]
    [stall] = view.stalls
    assert (stall.obligation.rule, stall.obligation.owed_by) == ("referral-reissue", POLICE)
    assert stall.recipient_state is None  # the issuer is no recipient: no state is shown
    [referral] = Pathway.from_json(served.to_api_json()).referrals
    assert referral.recipients == ((NGO, "unreadable"),)
