"""Merging the answers of several audit instances, each owning some of the log's partitions."""

from __future__ import annotations

from typing import Any

from backbone.audit.core.merge import merge


def _breach(child_ref: str, deadline: str, rule: str = "referral-receipt") -> dict[str, Any]:
    return {
        "child_ref": child_ref,
        "deadline": deadline,
        "rule": rule,
        "trigger_event_id": f"e-{child_ref}",
        "owed_by": "ngo.example",
    }


BREACHES = {
    "c-1": _breach("c-1", "2026-12-01T09:00:00+05:00"),
    "c-2": _breach("c-2", "2026-12-01T03:30:00+00:00"),  # 08:30 in Almaty: the earliest
    "c-3": _breach("c-3", "2026-12-02T09:00:00+05:00", rule="guardianship-notification"),
}


def _list(partitions: list[int], *items: str) -> tuple[int, dict[str, Any]]:
    body = {"partitions": partitions, "partition_count": 3, "as_of": "t"}
    return 200, {**body, "breaches": [BREACHES[i] for i in items]}


def test_answers_covering_every_partition_are_joined_once_in_deadline_order() -> None:
    status, body = merge([_list([0, 2], "c-1", "c-3"), _list([1], "c-2", "c-1")], "breaches")
    assert status == 200 and body["partitions"] == [0, 1, 2]
    assert [b["child_ref"] for b in body["breaches"]] == ["c-2", "c-1", "c-3"]


def test_one_instance_owning_every_partition_keeps_the_servers_order() -> None:
    status, body = merge([_list([0, 1, 2], "c-2", "c-1", "c-3")], "breaches")
    assert status == 200
    assert [b["child_ref"] for b in body["breaches"]] == ["c-2", "c-1", "c-3"]


def test_a_partition_nobody_answers_for_makes_the_answer_incomplete() -> None:
    rebalancing = (503, {"error": "recovering", "partitions": [], "partition_count": 3})
    for other in (None, rebalancing):
        status, body = merge([_list([0, 2], "c-1"), other], "breaches")
        assert (status, body["error"], body["missing_partitions"]) == (503, "incomplete", [1])


def test_a_pathway_is_the_owners_and_unknown_only_when_every_partition_said_so() -> None:
    found = (200, {"partitions": [1], "partition_count": 3, "pathway": {"child_ref": "c-2"}})
    unknown = (404, {"error": "no events", "partitions": [0, 2], "partition_count": 3})
    assert merge([unknown, found], "pathway") == found
    assert merge([unknown, (404, {**unknown[1], "partitions": [1]})], "pathway")[0] == 404
    assert merge([unknown, None], "pathway")[1]["missing_partitions"] == [1]


def test_health_adds_up_the_instances_counts() -> None:
    one = (200, {"status": "ready", "partitions": [0], "partition_count": 3, "events": 4})
    two = (200, {"status": "ready", "partitions": [1, 2], "partition_count": 3, "events": 6})
    status, body = merge([one, two], "health")
    assert (status, body["events"], body["instances"], body["status"]) == (200, 10, 2, "ready")


def test_a_single_audit_of_old_or_recovering_is_passed_through() -> None:
    old = (200, {"as_of": "t", "breaches": []})
    recovering = (503, {"status": "recovering", "partitions": [], "partition_count": 3})
    assert merge([old], "breaches") == old
    assert merge([recovering], "health") == recovering


def test_one_instance_of_several_answers_its_own_health_but_not_a_partial_list() -> None:
    health = (200, {"status": "ready", "partitions": [0, 2], "partition_count": 3})
    assert merge([health], "health") == health
    assert merge([_list([0, 2], "c-1")], "breaches")[1]["missing_partitions"] == [1]
