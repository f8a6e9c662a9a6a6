"""The console's pure rules: access, the board's filters, compliance periods, the funnel, stalls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from console_support import obligation

from backbone.audit.core.calendar import ALMATY, kazakhstan_calendar
from backbone.audit.core.replay import replay_events
from backbone.audit.core.rules import load_rules
from backbone.console.access import InvalidAccess, Role, Viewer
from backbone.console.agency_names import AgencyNames, shown, shown_text
from backbone.console.audit_api import AuditUnavailable
from backbone.console.audit_model import Agency, ChildSummary, Pathway
from backbone.console.board import BoardFilter, board, counts, signature
from backbone.console.charts import compliance_chart, funnel_chart
from backbone.console.child_filter import ChildFilter, compliance_query, stage_query
from backbone.console.children import SearchTooShort, children_list
from backbone.console.compliance import Period, PeriodInvalid, QueryInvalid, Tally, tally
from backbone.console.exports import cell
from backbone.console.funnel import depth, funnels
from backbone.console.timeline import timeline
from backbone.scenario import expected_breaches, scenario_as_of, scenario_events

AT = datetime(2026, 2, 16, 18, 0, tzinfo=ALMATY)


def _trigger(n: int) -> str:
    """The canonical UUID of the ``n``-th trigger event."""
    return f"00000000-0000-5000-8000-{n:012d}"


def test_supervisor_is_held_to_their_region_whatever_the_query_asks() -> None:
    supervisor = Viewer("s", Role.SUPERVISOR, "turkestan")
    assert supervisor.region_scope("almaty") == "turkestan"
    assert supervisor.region_scope(None) == "turkestan"
    assert Viewer("o", Role.OPERATIONS).region_scope("almaty") == "almaty"
    assert Viewer("o", Role.OPERATIONS).region_scope("") is None


def test_only_a_supervisor_of_the_childs_region_may_open_its_pathway() -> None:
    assert Viewer("s", Role.SUPERVISOR, "turkestan").may_open_pathway(["turkestan"])
    assert not Viewer("s", Role.SUPERVISOR, "almaty").may_open_pathway(["turkestan"])
    assert not Viewer("o", Role.OPERATIONS).may_open_pathway(["turkestan"])
    assert not Viewer("o", Role.OPERATIONS).sees_children


@pytest.mark.parametrize(
    ("role", "region"),
    [
        (Role.SUPERVISOR, None),
        (Role.SUPERVISOR, "Turkestan!"),
        (Role.SUPERVISOR, "south-kazakhstan"),  # no region code (v1.1)
        (Role.OPERATIONS, "almaty"),
    ],
)
def test_role_and_region_must_go_together(role: Role, region: str | None) -> None:
    with pytest.raises(InvalidAccess):
        Viewer("x", role, region)


def test_board_filters_by_rule_agency_level_and_age_and_ignores_bad_values() -> None:
    old = obligation()  # 9 days 18 hours past its deadline
    fresh = obligation(
        rule="guardianship-notification",
        owed_by="police.turkestan",
        trigger_event_id="00000000-0000-5000-8000-000000000002",
        deadline=AT - timedelta(hours=5),
        status="late",
        level=1,
    )
    both = [old, fresh]
    keys = lambda query: [r.obligation for r in board(both, BoardFilter.from_query(query), AT)]  # noqa: E731
    assert keys({}) == [old, fresh]  # level 2 first
    assert keys({"age": "7"}) == [old]
    assert keys({"age": "1"}) == [old]
    assert keys({"level": "1"}) == [fresh]
    assert keys({"rule": "referral-decision"}) == [old]
    assert keys({"agency": "police.turkestan"}) == [fresh]
    assert keys({"level": "9", "age": "2", "rule": ""}) == [old, fresh]
    row = board([old], BoardFilter(), AT)[0]
    assert (row.overdue_days, row.overdue_hours, row.done_late) == (9, 18, False)


def test_board_signature_changes_when_a_breach_appears_or_its_level_rises() -> None:
    first = board([obligation(level=1)], BoardFilter(), AT)
    assert signature(first) == signature(board([obligation(level=1)], BoardFilter(), AT))
    assert signature(first) != signature(board([obligation(level=2)], BoardFilter(), AT))
    second = obligation(trigger_event_id="00000000-0000-5000-8000-000000000009")
    assert signature(first) != signature(board([obligation(level=1), second], BoardFilter(), AT))


def test_operations_counts_name_no_child() -> None:
    rows = board([obligation(), obligation(trigger_event_id=_trigger(2))], BoardFilter(), AT)
    [count] = counts(rows)
    assert (count.owed_by, count.breaches, count.children) == ("social.turkestan", 2, 1)
    assert "c-0000000000b1" not in repr(count)


def test_compliance_period_takes_deadlines_that_end_its_days() -> None:
    period = Period.from_query({"since": "2026-02-02", "until": "2026-02-06"}, AT.date())
    assert not period.contains(datetime(2026, 2, 2, tzinfo=ALMATY))  # end of 1 February
    assert period.contains(datetime(2026, 2, 3, tzinfo=ALMATY))
    assert period.contains(datetime(2026, 2, 7, tzinfo=ALMATY))  # end of 6 February
    assert not period.contains(datetime(2026, 2, 7, 0, 0, 1, tzinfo=ALMATY))
    default = Period.from_query({}, AT.date())
    assert (default.until - default.since).days == 29 and default.until == AT.date()


@pytest.mark.parametrize(
    ("query", "params"),
    [
        ({"since": "not a date"}, {"field": "since", "value": "not a date"}),
        ({"until": "2026-W07-1"}, {"field": "until", "value": "2026-W07-1"}),
        ({"until": "2026-02-30"}, {"field": "until", "value": "2026-02-30"}),
        ({"until": "9999-12-31"}, {"field": "until", "value": "9999-12-31"}),
        ({"until": "0001-01-01"}, {"field": "until", "value": "0001-01-01"}),
        ({"since": "2026-02-10", "until": "2026-02-01"}, {"since": "2026-02-10"}),
    ],
)
def test_a_period_it_cannot_use_is_refused_never_replaced(
    query: dict[str, str], params: dict[str, str]
) -> None:
    with pytest.raises(PeriodInvalid) as refused:
        Period.from_query(query, AT.date())
    assert params.items() <= refused.value.params.items()


def test_compliance_counts_met_late_and_open_per_owing_agency_only() -> None:
    period = Period.from_query({"since": "2026-02-01", "until": "2026-02-28"}, AT.date())
    found = tally(
        [
            obligation(),
            obligation(status="met", level=0, trigger_event_id=_trigger(2)),
            obligation(status="pending", level=0, trigger_event_id=_trigger(3)),
            obligation(status="cancelled", level=0, trigger_event_id=_trigger(4)),
            obligation(status="late", owed_by="police.turkestan", trigger_event_id=_trigger(5)),
            obligation(status="met", deadline=datetime(2026, 3, 5, tzinfo=ALMATY)),
        ],
        period,
    )
    assert found == [Tally("police.turkestan", late=1), Tally("social.turkestan", met=1, open=1)]
    assert found[1].on_time_percent == 50


def test_compliance_chart_draws_segments_in_proportion_and_leaves_out_zeros() -> None:
    chart = compliance_chart(
        [Tally("police.turkestan", met=3, late=1), Tally("social.turkestan", open=2)]
    )
    first, second = chart.bars
    assert [s.kind for s in first.segments] == ["met", "late"]
    assert first.segments[0].width == pytest.approx(3 * first.segments[1].width, abs=0.2)
    assert [s.kind for s in second.segments] == ["open"]
    assert second.segments[0].width == pytest.approx(2 * first.segments[1].width, abs=0.2)


def _child(region: str, *events: tuple[str, dict[str, str]]) -> ChildSummary:
    return ChildSummary(f"c-{len(events):012d}", region, tuple(events))


def test_funnel_counts_children_at_each_stage_reached_in_order() -> None:
    identified = ("ChildIdentified", {})
    recognised = ("VictimStatusAssessed", {"outcome": "recognized"})
    refused = ("VictimStatusAssessed", {"outcome": "not_recognized"})
    served = ("ServiceDelivered", {"service_type": "medical"})
    follow_up = ("FollowUpRecorded", {"status": "safe"})
    assert depth((identified, recognised, served, follow_up)) == 5
    assert depth((identified, refused, served)) == 2  # served without recognition: stops
    assert depth((identified, follow_up)) == 1
    found = funnels(
        [
            _child("turkestan", identified, recognised, served),
            _child("turkestan", identified, refused, served, served),
            _child("almaty", identified),
        ]
    )
    assert [(f.region, f.counts) for f in found] == [
        ("almaty", (1, 0, 0, 0, 0)),
        ("turkestan", (2, 2, 1, 1, 0)),
    ]


def test_an_open_breach_is_overdue_by_the_evaluation_time() -> None:
    now = datetime.now(UTC)
    [row] = board([obligation(deadline=now - timedelta(days=3, hours=2))], BoardFilter(), now)
    assert (row.overdue_days, row.overdue_hours, row.done_late) == (3, 2, False)


def test_a_late_breach_is_done_late_by_its_closing_and_stops_growing() -> None:
    """Child C's notification: sent 2 d 10 h after its deadline. Its row says so, at any
    evaluation time, while the age of the failure (for the filter and the order) still grows."""
    deadline = datetime(2026, 2, 10, tzinfo=ALMATY)
    late = obligation(
        status="late",
        level=1,
        deadline=deadline,
        closed_at=deadline + timedelta(days=2, hours=10, minutes=5),
        closed_by_event_id="00000000-0000-5000-8000-000000000077",
    )
    for at in (AT, AT + timedelta(days=30)):
        [row] = board([late], BoardFilter(), at)
        assert (row.overdue_days, row.overdue_hours, row.done_late) == (2, 10, True)
        assert row.age == at - deadline


def _story_pathways() -> dict[str, Pathway]:
    """The demo story's pathways at its as-of time, as the console reads them from the audit."""
    start = datetime(2026, 11, 23, 10, 30, tzinfo=ALMATY)
    events = scenario_events(start)
    replayed = replay_events(
        list(enumerate(events)), scenario_as_of(start), load_rules([]), kazakhstan_calendar()
    )
    letters = {c["child_ref"]: c["child"] for c in expected_breaches(start)}
    by_letter = {}
    for found in replayed.pathways:
        pathway = Pathway.from_json(found.to_api_json())
        by_letter[letters.get(found.child_ref, found.child_ref)] = pathway
    return by_letter


def test_responsible_now_is_who_has_a_part_in_the_case_today() -> None:
    """The walk-through's findings: B's undecided referral makes social responsible, A's mobile
    group finished on day 0 and is not, the guardianship authority that placed A is."""
    story = _story_pathways()
    b, c = story["B"], story["C"]
    assert "social.turkestan" in timeline(b).responsible
    a = next(p for key, p in story.items() if key not in ("B", "C") and _has_mobile(p))
    responsible = timeline(a).responsible
    assert "guardianship.turkestan" in responsible
    assert not any(agency.startswith("mobile.") for agency in responsible)
    # Every agency with a pending or open obligation is responsible; a finished referral's
    # issuer alone is not.
    for pathway in story.values():
        owing = {o.owed_by for o in pathway.obligations if o.status in ("pending", "open")}
        assert owing <= set(timeline(pathway).responsible)
    assert timeline(c).done_late and not timeline(c).stalls


def _has_mobile(pathway: Pathway) -> bool:
    return any(step.producer.startswith("mobile.") for step in pathway.steps)


def test_a_handoff_done_late_says_by_how_much_after_its_deadline() -> None:
    c = _story_pathways()["C"]
    [late] = timeline(c).done_late
    assert late.obligation.rule == "guardianship-notification"
    assert late.obligation.closed_at is not None
    assert late.late_by == late.obligation.closed_at - late.obligation.deadline
    assert late.late_by > timedelta(0)


def _summary(child_ref: str, last: int, *referrals: str) -> ChildSummary:
    return ChildSummary(
        child_ref,
        "turkestan",
        (("ChildIdentified", {}),),
        first_seen=AT - timedelta(days=10),
        last_seen=AT - timedelta(days=last),
        referral_ids=referrals,
    )


def test_children_list_finds_a_child_by_part_of_its_ref_or_of_a_referral_id() -> None:
    first = _summary("c-0000000000a1", 3, "r-00000000aaaa")
    second = _summary("c-0000000000b2", 1, "r-00000000bbbb", "r-00000000cccc")
    breach = obligation(child_ref="c-0000000000b2")
    everyone = children_list([first, second], [breach])
    assert [r.child.child_ref for r in everyone] == ["c-0000000000b2", "c-0000000000a1"]
    assert [r.breaches for r in everyone] == [1, 0]
    assert [r.stage for r in everyone] == ["identified", "identified"]
    found = lambda search: [r.child.child_ref for r in children_list([first, second], [], search)]  # noqa: E731
    assert found("0A1") == ["c-0000000000a1"]
    assert found(" r-00000000CCCC ") == ["c-0000000000b2"]
    assert found("r-0000") == ["c-0000000000b2", "c-0000000000a1"]
    assert found("zzz") == []
    with pytest.raises(SearchTooShort):
        children_list([first, second], [], "c-")


def test_an_exported_cell_is_never_a_spreadsheet_formula() -> None:
    assert cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert cell("+1") == "'+1" and cell("-1") == "'-1" and cell("@x") == "'@x"
    assert cell("c-0000000000a1") == "c-0000000000a1"
    assert cell(None) == "" and cell(3) == "3"
    assert cell(AT) == AT.isoformat()


def test_a_follow_up_is_kept_by_the_console_and_never_published() -> None:
    """Acknowledging and assigning touch the console's database only: neither module (nor
    anything of the backbone they import) reaches a Kafka client or a publisher."""
    import ast
    import importlib.util

    forbidden = ("kafka", "aiokafka", "faust", "backbone.broker", "backbone.agency")
    for module in ("backbone.console.follow_up", "backbone.console.views.follow_up"):
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin is not None
        tree = ast.parse(Path(spec.origin).read_text())
        imported = {
            name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for name in (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
        }
        assert imported and not {n for n in imported if n.startswith(forbidden)}, module


class _Directory:
    """The audit's ``/agencies`` as a test sets it: a list of names, or down (``None``)."""

    def __init__(self) -> None:
        self.now, self.asked = 0.0, 0
        self.names: dict[str, str] | None = {"social.turkestan": "Social Programmes"}

    def fetch(self) -> list[Agency]:
        self.asked += 1
        if self.names is None:
            raise AuditUnavailable("the audit did not answer")
        return [Agency(a, n, a.split(".")[0], a.split(".")[1]) for a, n in self.names.items()]


def test_agency_names_are_kept_for_a_while_and_survive_an_audit_that_does_not_answer() -> None:
    directory = _Directory()
    names = AgencyNames(directory.fetch, ttl=120, retry=15, clock=lambda: directory.now)
    assert names.name("social.turkestan") == "Social Programmes"
    assert names.name("police.turkestan") is None  # not in the directory: the id alone
    directory.names = {"social.turkestan": "Renamed"}
    directory.now = 119
    assert (names.name("social.turkestan"), directory.asked) == ("Social Programmes", 1)
    directory.now = 120
    assert (names.name("social.turkestan"), directory.asked) == ("Renamed", 2)
    directory.names, directory.now = None, 240  # down: the names known are kept...
    assert (names.name("social.turkestan"), directory.asked) == ("Renamed", 3)
    directory.now = 254  # ...and it is not asked at every page, but again after the retry
    assert (names.name("social.turkestan"), directory.asked) == ("Renamed", 3)
    directory.now = 255
    assert names.name("social.turkestan") == "Renamed" and directory.asked == 4
    never = _Directory()
    never.names = None
    assert AgencyNames(never.fetch, clock=lambda: 0.0).name("social.turkestan") is None


def test_an_agency_shows_its_name_beside_its_id_both_escaped() -> None:
    assert shown("social.turkestan", "Social Programmes") == (
        '<span class="agency" title="social.turkestan">Social Programmes'
        " (<code>social.turkestan</code>)</span>"
    )
    assert shown("social.turkestan", None) == '<code class="agency">social.turkestan</code>'
    assert "<b>" not in shown("social.turkestan", "<b>Social</b> & co")
    assert "&lt;b&gt;Social&lt;/b&gt; &amp; co" in shown("social.turkestan", "<b>Social</b> & co")
    assert shown_text("social.turkestan", "Social") == "Social (social.turkestan)"
    assert shown_text("social.turkestan", None) == "social.turkestan"


def _at_stage(child_ref: str, *types: str) -> ChildSummary:
    events = tuple(
        (t, {"outcome": "recognized"} if t == "VictimStatusAssessed" else {}) for t in types
    )
    return ChildSummary(child_ref, "turkestan", events)


def test_children_filter_keeps_those_a_funnel_stage_counts() -> None:
    identified = _at_stage("c-0000000000a1", "ChildIdentified")
    recognised = _at_stage("c-0000000000b2", "ChildIdentified", "VictimStatusAssessed")
    # Served without being assessed: it stops at "identified", as the funnel counts it.
    skipped = _at_stage("c-0000000000c3", "ChildIdentified", "ServiceDelivered")
    children = [identified, recognised, skipped]
    kept = lambda query: [  # noqa: E731
        c.child_ref for c in children if ChildFilter.from_query(query, AT.date()).keeps(c, None)
    ]
    assert kept({}) == kept(stage_query("identified")) == [c.child_ref for c in children]
    assert kept(stage_query("assessed")) == kept(stage_query("recognised")) == ["c-0000000000b2"]
    assert kept(stage_query("served")) == []
    assert [f.counts for f in funnels(children)] == [(3, 1, 1, 0, 0)]
    assert not ChildFilter.from_query({}, AT.date()).active


def test_children_filter_keeps_the_children_behind_a_compliance_bar_or_segment() -> None:
    period = Period.from_query({"since": "2026-02-01", "until": "2026-02-28"}, AT.date())
    owed = [
        obligation(child_ref="c-0000000000a1"),  # social, open
        obligation(child_ref="c-0000000000a1", status="met", trigger_event_id=_trigger(2)),
        obligation(child_ref="c-0000000000b2", status="late", trigger_event_id=_trigger(3)),
        obligation(child_ref="c-0000000000c3", status="pending", trigger_event_id=_trigger(4)),
        obligation(child_ref="c-0000000000d4", owed_by="police.turkestan", status="late"),
        obligation(child_ref="c-0000000000e5", deadline=datetime(2026, 3, 5, tzinfo=ALMATY)),
    ]
    behind = lambda query: ChildFilter.from_query(query, AT.date()).behind(owed)  # noqa: E731
    social = compliance_query(period, "social.turkestan")
    assert social == {"agency": "social.turkestan", "since": "2026-02-01", "until": "2026-02-28"}
    # The bar: every child the chart counts for social in the period (not pending, not later).
    assert behind(social) == {"c-0000000000a1", "c-0000000000b2"}
    assert behind(compliance_query(period, "social.turkestan", "late")) == {"c-0000000000b2"}
    assert behind(compliance_query(period, "social.turkestan", "open")) == {"c-0000000000a1"}
    assert behind(compliance_query(period, "police.turkestan", "met")) == set()
    assert behind({"status": "late", **compliance_query(period, "police.turkestan")}) == {
        "c-0000000000d4"
    }
    chosen = ChildFilter.from_query(social, AT.date())
    assert chosen.query() == social and chosen.active
    assert chosen.keeps(_at_stage("c-0000000000a1", "ChildIdentified"), behind(social))
    assert not chosen.keeps(_at_stage("c-0000000000c3", "ChildIdentified"), behind(social))
    # Only agency and period named: any counted status; the default period is compliance's.
    by_default = ChildFilter.from_query({"agency": "social.turkestan"}, AT.date())
    assert by_default.period == Period.from_query({}, AT.date())
    with pytest.raises(ValueError, match="obligations"):
        ChildFilter.from_query({"stage": "served"}, AT.date()).behind(owed)


@pytest.mark.parametrize(
    ("query", "field", "value"),
    [
        ({"stage": "rescued"}, "stage", "rescued"),
        ({"stage": "Identified"}, "stage", "Identified"),
        ({"status": "pending"}, "status", "pending"),  # the chart never counts it
        ({"agency": "Social Turkestan"}, "agency", "Social Turkestan"),
        ({"agency": "ministry.turkestan"}, "agency", "ministry.turkestan"),
        ({"agency": "social.turkestan", "since": "2026-13-01"}, "since", "2026-13-01"),
        ({"status": "late", "until": "9999-12-31"}, "until", "9999-12-31"),
    ],
)
def test_children_filter_refuses_a_value_it_cannot_use_and_names_the_field(
    query: dict[str, str], field: str, value: str
) -> None:
    with pytest.raises(QueryInvalid) as refused:
        ChildFilter.from_query(query, AT.date())
    # The message (translated when shown) names them: the served console's test reads it.
    assert (refused.value.params["field"], refused.value.params["value"]) == (field, value)


def test_chart_bars_lead_to_the_children_behind_them_only_when_given_links() -> None:
    tallies = [Tally("police.turkestan", met=3, late=1), Tally("social.turkestan", open=2)]
    names = {"social.turkestan": "Social Programmes Department of Turkestan Region"}.get
    plain = compliance_chart(tallies, names)
    assert all(b.href is None and all(s.href is None for s in b.segments) for b in plain.bars)
    assert [b.label for b in plain.bars] == [
        "police.turkestan",  # no name: the id
        "Social Programmes Department of Turke…",  # cut to fit; the tooltip has it whole
    ]
    assert plain.bars[1].title == (
        "Social Programmes Department of Turkestan Region (social.turkestan)"
    )
    linked = compliance_chart(tallies, names, lambda agency, status: f"{agency}/{status}")
    assert linked.bars[0].href == "police.turkestan/None"
    assert [s.href for s in linked.bars[0].segments] == [
        "police.turkestan/met",
        "police.turkestan/late",
    ]
    funnel = funnel_chart([("identified", "identified", 4), ("assessed", "assessed", 2)], str)
    assert [(b.href, [s.href for s in b.segments]) for b in funnel.bars] == [
        ("identified", ["identified"]),
        ("assessed", ["assessed"]),
    ]
