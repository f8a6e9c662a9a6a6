"""The audit API's answers (status and JSON), as the web views serve them."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from aiohttp.test_utils import TestClient, TestServer
from audit_events import (
    CHILD,
    NGO,
    OTHER_CHILD,
    POLICE,
    REFERRAL,
    audit,
    calendar,
    event,
    national_rules,
)

from backbone.audit.core import api
from backbone.audit.core.calendar import render
from backbone.audit.core.projection import Projection
from backbone.audit.core.store import EventStore
from backbone.audit.live import web
from backbone.envelope.certificates import reissue
from backbone.envelope.directory import KeyDirectory
from support.envelopes import make_world

AS_OF = "2026-12-16T00:00:00+05:00"
# A single audit owns every partition of the event log, and says so in every answer.
ALL = {"partitions": [0, 1, 2], "partition_count": 3}


def _ready() -> tuple[Projection, api.Health]:
    store = EventStore()
    issued = event(
        "ReferralIssued",
        "2026-12-11T16:00:00+05:00",
        POLICE,
        referral=REFERRAL,
        recipients=[NGO],
        kind="victim_services",
    )
    store.add(issued, b"d")
    health = api.Health("audit.national", ready=True)
    return Projection(store, national_rules(), calendar()), health


def test_pathway_at_a_time_is_the_replays_pathway() -> None:
    projection, health = _ready()
    status, body = api.pathway(projection, health, CHILD, {"as_of": AS_OF})
    events = [e for _, e in projection.store.numbered()]
    [replayed] = audit(events, AS_OF).pathways
    # The replay's pathway, its obligations with when they began and were closed added.
    expected = replayed.to_api_json()
    assert (status, body) == (
        200,
        {**ALL, "as_of": AS_OF, "pathway": expected, "regions": ["turkestan"]},
    )
    assert "payload" not in str(body)
    for answered, obligation in zip(
        body["pathway"]["obligations"], replayed.obligations, strict=True
    ):
        assert {k: answered[k] for k in obligation.to_json()} == obligation.to_json()
        assert answered["triggered_at"] == render(obligation.triggered_at)
        closed = obligation.closed_at
        assert answered["closed_at"] == (None if closed is None else render(closed))
        assert (closed is None) == (obligation.closed_by_event_id is None)


def test_a_childs_regions_are_those_of_its_own_events_not_of_a_shared_referral() -> None:
    projection, health = _ready()
    # A second child referred under the same referral id by an Almaty producer.
    other = event(
        "ReferralIssued",
        "2026-12-11T17:00:00+05:00",
        "police.almaty",
        child=OTHER_CHILD,
        referral=REFERRAL,
        recipients=[NGO],
        kind="victim_services",
    )
    projection.store.add(other, b"e")
    assert api.pathway(projection, health, CHILD, {"as_of": AS_OF})[1]["regions"] == ["turkestan"]
    assert api.pathway(projection, health, OTHER_CHILD, {"as_of": AS_OF})[1]["regions"] == [
        "almaty"
    ]


def test_obligations_are_every_status_filtered_by_trigger_region_and_owner() -> None:
    projection, health = _ready()
    received = event("ReferralReceived", "2026-12-14T09:00:00+05:00", NGO, referral=REFERRAL)
    projection.store.add(received, b"r")
    status, body = api.obligations(projection, health, {"as_of": AS_OF})
    assert status == 200 and body["as_of"] == AS_OF
    by_rule = {o["rule"]: (o["status"], o["owed_by"]) for o in body["obligations"]}
    assert by_rule["referral-receipt"] == ("met", NGO)  # not a breach, still an obligation
    breaches = api.breaches(projection, health, {"as_of": AS_OF})[1]["breaches"]
    assert len(body["obligations"]) > len(breaches)
    assert api.obligations(projection, health, {"as_of": AS_OF, "region": "almaty"})[1] == {
        **ALL,
        "as_of": AS_OF,
        "obligations": [],
    }
    owned = api.obligations(projection, health, {"as_of": AS_OF, "agency": NGO})[1]["obligations"]
    assert owned and {o["owed_by"] for o in owned} == {NGO}
    assert api.obligations(projection, health, {"as_of": "noon"})[0] == 400


def test_children_are_listed_with_their_region_times_referrals_and_clear_attributes_only() -> None:
    projection, health = _ready()
    status, body = api.children(projection, health, {"as_of": AS_OF, "region": "turkestan"})
    assert status == 200
    [issued] = projection.store.closure(CHILD)
    assert body["children"] == [
        {
            "child_ref": CHILD,
            "region": "turkestan",
            "events": [
                {
                    "event_id": issued[1].event_id,
                    "event_type": "ReferralIssued",
                    "occurred_at": issued[1].occurred_at.isoformat(),
                    "referral_id": issued[1].referral_id,
                    "attributes": {"kind": "victim_services"},
                }
            ],
        }
    ]
    assert (
        api.children(projection, health, {"as_of": AS_OF, "region": "almaty"})[1]["children"] == []
    )


def test_unknown_child_is_404_and_a_time_without_offset_is_400() -> None:
    projection, health = _ready()
    assert api.pathway(projection, health, "c-7e57c0009999", {})[0] == 404
    assert api.pathway(projection, health, CHILD, {"as_of": "2026-12-16T00:00"})[0] == 400
    assert api.breaches(projection, health, {"as_of": "yesterday"})[0] == 400


def test_breaches_are_the_open_and_late_obligations_filtered() -> None:
    projection, health = _ready()
    status, body = api.breaches(projection, health, {"as_of": AS_OF, "region": ""})
    assert status == 200
    assert [(o["rule"], o["status"], o["level"]) for o in body["breaches"]] == [
        ("referral-receipt", "open", 1)
    ]
    assert api.breaches(projection, health, {"as_of": AS_OF, "agency": POLICE})[1]["breaches"] == []
    early = api.breaches(projection, health, {"as_of": "2026-12-14T00:00:00+05:00"})
    assert early[1]["breaches"] == []


def test_queries_wait_for_recovery_and_health_says_so() -> None:
    projection, health = _ready()
    health.ready = False
    assert api.pathway(projection, health, CHILD, {})[0] == 503
    assert api.breaches(projection, health, {})[0] == 503
    assert api.obligations(projection, health, {})[0] == 503
    assert api.children(projection, health, {})[0] == 503
    status, body = health.answer(projection, quarantined=2, scheduled=1)
    assert status == 503 and body["status"] == "recovering"
    health.ready = True
    status, body = health.answer(projection, quarantined=2, scheduled=1)
    assert status == 200 and (body["events"], body["children"], body["quarantined"]) == (1, 1, 2)


def test_an_instance_names_the_partitions_it_answers_for_and_none_while_rebalancing() -> None:
    projection, health = _ready()
    health.partitions = frozenset({0, 2})
    status, body = api.breaches(projection, health, {"as_of": AS_OF})
    assert status == 200 and (body["partitions"], body["partition_count"]) == ([0, 2], 3)
    assert health.answer(projection, quarantined=0, scheduled=0)[1]["partitions"] == [0, 2]
    health.ready, health.partitions = False, frozenset()
    status, body = api.obligations(projection, health, {})
    assert (status, body["error"], body["partitions"]) == (503, "recovering", [])


def test_every_answer_of_the_web_api_is_json_and_nosniff_errors_included() -> None:
    """The views on the audit's aiohttp application (no broker): their own 200, 400, 404 and
    503, aiohttp's 404 and 405, and a 500."""
    # An empty store: what is answered does not matter here, only how.
    projection = Projection(EventStore(), national_rules(), calendar())
    health = api.Health("audit.national", ready=True)
    failing = False

    def counts() -> tuple[int, int]:
        if failing:
            raise RuntimeError("the quarantine count is unreadable")
        return 0, 0

    application = web.application(projection, health, counts, make_world().directory)

    async def answers() -> list[tuple[int, str, str | None, Any]]:
        nonlocal failing
        requests = [
            ("GET", "/health"),
            ("GET", f"/breaches?as_of={quote(AS_OF)}"),
            ("GET", "/pathway/c-9999"),
            ("GET", "/breaches?as_of=noon"),
            ("GET", "/no-such-page"),
            ("POST", "/breaches"),
            ("GET", "/obligations"),  # recovering
            ("GET", "/health"),  # counts fail
            ("GET", "/agencies"),  # the directory, read before the start: no recovery
        ]
        found = []
        async with TestClient(TestServer(application)) as client:
            for number, (method, path) in enumerate(requests):
                health.ready = number < 6
                failing = number == 7
                response = await client.request(method, path)
                nosniff = response.headers.get("X-Content-Type-Options")
                body = json.loads(await response.text())
                found.append((response.status, response.content_type, nosniff, body))
        return found

    found = asyncio.run(answers())

    assert [status for status, *_ in found] == [200, 200, 404, 400, 404, 405, 503, 500, 200]
    assert {(content_type, nosniff) for _, content_type, nosniff, _ in found} == {
        ("application/json", "nosniff")
    }
    assert [body["error"] for _, _, _, body in found[4:6]] == ["not_found", "method_not_allowed"]
    assert found[7][3] == {"error": "internal_server_error"}  # nothing of the failure itself


def test_agencies_are_the_directorys_with_their_newest_display_name() -> None:
    """The console names agencies from here: every agency the directory certifies, a revoked
    one too (its past events still name it), as its newest certificate names it."""
    world = make_world()
    police = world.certificate(world.pairs["police.turkestan"])
    world.certify(replace(reissue(police), display_name="Turkestan Police"))
    world.revoke(world.pairs["social.turkestan"], police.not_before + timedelta(days=1))
    status, body = web.agencies(world.directory)
    assert status == 200
    listed = {a["agency_id"]: a for a in body["agencies"]}
    assert list(listed) == sorted(listed) == world.directory.subjects()
    assert listed["police.turkestan"] == {
        "agency_id": "police.turkestan",
        "display_name": "Turkestan Police",
        "kind": "police",
        "region": "turkestan",
    }
    assert listed["social.turkestan"]["display_name"] == "Test Social Programmes Department"
    assert listed["hotline.national.116-16"]["region"] == "national"
    assert web.agencies(KeyDirectory(world.root.public_key)) == (200, {"agencies": []})
