"""The live audit on the real broker: projection, rebuild, replays, restarts and breach events.

The event log is shared with other tests and the demo, and so is ``audit.sla.v1``: this module's
agencies are unique test agencies in a region of their own, every comparison is restricted to
this module's child_refs, and SLA events are looked up by their derived ids (another audit on the
broker may emit the same ids, with the same content).
"""

from __future__ import annotations

import json
import signal
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka.partitioner import DefaultPartitioner
from kafka import KafkaProducer
from synthetic.payloads import referral_received

from backbone.audit.core.calendar import render
from backbone.audit.core.sla import breach_event_id, resolution_event_id
from backbone.broker import topology
from backbone.broker.quarantine import read_quarantine
from backbone.broker.reader import TopicReader
from backbone.broker.topics import EVENT_LOG
from backbone.consumer.quarantine import Rejection
from backbone.domain.agencies import agency_type
from backbone.domain.events import Event
from backbone.scenario import scenario_as_of, scenario_events, scenario_start_before
from support.broker import Broker
from support.deployment import BACKBONE, Deployment, deployment, wait_for
from support.groups import commit_offsets, committed_offsets, group_of, group_state
from support.kafka_io import read_records
from support.live_audit import AUDIT, AuditProcess, Publisher, ensure_audit_keys, read_sla
from support.referrals import child_ref, hotline_alert

pytestmark = pytest.mark.broker

TYPES = ("police", "mobile", "guardianship", "ngo", "phc", "school", "social", "centre", "hotline")
# The contract allows 2 s; the audit wakes every 0.1 s, so anything near 1 s is a regression.
BREACH_DELAY_BOUND = timedelta(seconds=1)


@dataclass
class Audited:
    deployment: Deployment
    publisher: Publisher
    live: AuditProcess
    region: str
    tmp: Path

    def agency(self, kind: str) -> str:
        return self.deployment.agencies[kind]


@pytest.fixture(scope="module")
def audited(broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Audited]:
    tmp = tmp_path_factory.mktemp("live-audit")
    roles = {kind: kind for kind in (*TYPES, "supervisor")}
    with deployment(broker, tmp, roles) as deployed:
        ensure_audit_keys(broker.admin)
        live = AuditProcess(deployed, tmp / "state-live").start()
        publisher = Publisher(deployed)
        try:
            wait_for(live.health, timeout=90, what="the live audit to recover")
            region = deployed.agencies["supervisor"].split(".")[1]
            yield Audited(deployed, publisher, live, region, tmp)
        finally:
            publisher.close()
            if live.process is not None:
                live.stop(signal.SIGTERM)
            live.drop_internal_topics(broker.admin)


def _story(audited: Audited) -> tuple[list[Event], datetime]:
    """The demo story moved to this run's agencies, region and (unique) ids."""
    start = scenario_start_before(datetime.now(UTC)) - timedelta(minutes=uuid.uuid4().int % 997)
    moved = [
        replace(
            event,
            producer=audited.agency(agency_type(event.producer)),
            recipients=tuple(audited.agency(agency_type(r)) for r in event.recipients),
            region=audited.region,
        )
        for event in scenario_events(start)
    ]
    return moved, scenario_as_of(start)


def _not_a_recipient(audited: Audited, story: list[Event]) -> Event:
    """A receipt by an agency the referral was not sent to: rejected for content, kept."""
    issued = next(e for e in story if e.event_type == "ReferralIssued")
    outsider = next(
        a
        for a in (audited.agency(t) for t in TYPES)
        if a not in (issued.producer, *issued.recipients)
    )
    return replace(
        issued,
        event_id=str(uuid.uuid4()),
        event_type="ReferralReceived",
        occurred_at=issued.occurred_at + timedelta(minutes=7),
        producer=outsider,
        recipients=(),
        attributes={},
        payload=referral_received("Synthetic Outsider, duty officer"),
    )


def _pathways(audit: AuditProcess, children: list[str], as_of: str) -> dict[str, Any]:
    """The API's pathways in the replay's form: without the API's ``triggered_at`` and
    ``closed_at`` of each obligation (checked against the timeline here, then dropped)."""
    found = {}
    for child in children:
        pathway = audit.client.pathway(child, as_of).body["pathway"]
        times = {s["event_id"]: _instant(s["occurred_at"]) for s in pathway["timeline"]}
        for o in pathway["obligations"]:
            assert _instant(o.pop("triggered_at")) == times[o["trigger_event_id"]]
            closing, closed_at = o["closed_by_event_id"], o.pop("closed_at")
            assert (None if closed_at is None else _instant(closed_at)) == (
                None if closing is None else times[closing]
            )
        found[child] = pathway
    return found


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _without_times(obligation: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obligation.items() if k not in ("triggered_at", "closed_at")}


def _replay_form(pathway: dict[str, Any]) -> dict[str, Any]:
    return {**pathway, "obligations": [_without_times(o) for o in pathway["obligations"]]}


def _replay(audited: Audited, *source: str, as_of: str) -> dict[str, Any]:
    result = audited.deployment.cli("audit", "replay", *source, "--as-of", as_of, "--json")
    return dict(json.loads(result.stdout))


def _ours(report: dict[str, Any], children: list[str]) -> dict[str, Any]:
    return {p["child_ref"]: p for p in report["pathways"] if p["child_ref"] in children}


def test_live_rebuild_and_replays_agree_after_the_audit_was_killed_mid_stream(
    audited: Audited,
) -> None:
    story, as_of_time = _story(audited)
    events = sorted([*story, _not_a_recipient(audited, story)], key=lambda e: e.sort_key)
    children = sorted({e.child_ref for e in events})
    as_of = as_of_time.isoformat()
    counts = {c: sum(e.child_ref == c for e in events) for c in children}
    half = len(events) // 2

    audited.publisher.publish(events[:half])
    first = {c: sum(e.child_ref == c for e in events[:half]) for c in children}
    wait_for(lambda: audited.live.timeline_sizes(children, as_of) == first, what="first half")
    audited.publisher.publish(events[half:])
    audited.live.stop(signal.SIGKILL)
    audited.live.start()
    # The restarted audit waits for the killed member's session to expire (10 s), rejoins the
    # group and recovers its tables before it answers; on the 2-core CI machine under the rest
    # of the suite that took more than 60 s once. Its log is in the message if it never does.
    wait_for(
        lambda: audited.live.timeline_sizes(children, as_of) == counts,
        timeout=150,
        what="every event",
        explain=audited.live.log_tail,
    )

    rebuild = AuditProcess(audited.deployment, audited.tmp / "state-rebuild").start()
    try:
        wait_for(
            lambda: rebuild.timeline_sizes(children, as_of) == counts,
            timeout=150,
            what="the rebuild",
            explain=rebuild.log_tail,
        )
        rebuilt = _pathways(rebuild, children, as_of)
    finally:
        rebuild.stop(signal.SIGTERM)
        rebuild.drop_internal_topics(audited.deployment.broker.admin)
    live = _pathways(audited.live, children, as_of)
    plain = audited.tmp / "story.jsonl"
    plain.write_text("".join(json.dumps(e.to_json()) + "\n" for e in events))
    from_file = _ours(_replay(audited, "--events", str(plain), as_of=as_of), children)
    from_kafka = _replay(audited, "--from-kafka", as_of=as_of)

    assert live == rebuilt == from_file == _ours(from_kafka, children)
    url = f"http://127.0.0.1:{audited.live.port}"
    cli = audited.deployment.cli
    asked = cli("audit", "pathway", children[0], "--as-of", as_of, "--url", url, "--json")
    assert _replay_form(json.loads(asked.stdout)["pathway"]) == live[children[0]]
    region = ("--region", audited.region, "--as-of", as_of, "--url", url, "--json")
    # The region is shared with other tests' agencies (deployment picks one of a few): only this
    # story's children are compared.
    breaches = [
        _without_times(o)
        for o in json.loads(cli("audit", "breaches", *region).stdout)["breaches"]
        if o["child_ref"] in live
    ]
    assert breaches == sorted(
        (o for p in live.values() for o in p["obligations"] if o["status"] in ("open", "late")),
        key=lambda o: (datetime.fromisoformat(o["deadline"]), o["rule"], o["trigger_event_id"]),
    )
    statuses = {o["status"] for p in live.values() for o in p["obligations"]}
    assert {"met", "late", "open", "pending"} <= statuses
    outsider = [s for p in live.values() for s in p["timeline"] if s["rejected"]]
    assert [s["rejected"]["reason"] for s in outsider] == ["not_a_recipient"]


def test_replay_from_kafka_as_the_administrator_and_its_refusals(audited: Audited) -> None:
    """An operator may replay as another principal (the administrator): same report. A topic
    the principal may not read, or one that does not exist, is refused in one line, exit 2."""
    story, as_of_time = _story(audited)
    audited.publisher.publish(story)
    as_of = as_of_time.isoformat()
    admin = audited.deployment.broker.admin
    password = audited.tmp / "admin.password"
    password.write_text(admin.password)
    password.chmod(0o600)
    as_admin = {
        **audited.deployment.env(),
        "KAFKA_USERNAME": admin.username,
        "KAFKA_PASSWORD_FILE": str(password),
    }
    as_admin.pop("KAFKA_PASSWORD", None)

    def replay(env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
        command = [*BACKBONE, "audit", "replay", "--from-kafka", "--as-of", as_of, "--json"]
        return subprocess.run(
            [*command, *extra], env=env, capture_output=True, text=True, timeout=120
        )

    ours = replay(audited.deployment.env())
    theirs = replay(as_admin)
    assert ours.returncode == theirs.returncode == 0, ours.stderr + theirs.stderr
    report = json.loads(ours.stdout)
    assert report == json.loads(theirs.stdout)
    assert _ours(report, sorted({e.child_ref for e in story}))  # the story is in both

    missing = replay(as_admin, "--topic", "referral.no-such-log.v1")
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.strip() == (
        "backbone audit replay: --from-kafka: topic referral.no-such-log.v1 does not exist"
        " (has `backbone topology apply` run?)"
    )
    refused = replay(audited.deployment.env(), "--topic", "referral.no-such-log.v1")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.strip() == (
        f"backbone audit replay: --from-kafka: {AUDIT} may not read referral.no-such-log.v1"
    )


def test_replay_from_kafka_takes_records_in_arrival_order_across_partitions(
    audited: Audited,
) -> None:
    """Two records with one ``event_id`` and other content (another child, so another record key
    and partition): the replay admits the one that arrived first (the broker's append time, then
    the partition number) and lists the other as ``duplicate_event``, whichever partition each
    is in. Two such pairs, published in opposite orders, so a merge that favours a partition
    cannot pass both."""
    partition_of = DefaultPartitioner()

    def elsewhere(event: Event) -> str:
        taken = partition_of(event.child_ref.encode(), [0, 1, 2], [0, 1, 2])
        while True:
            other = child_ref()
            if partition_of(other.encode(), [0, 1, 2], [0, 1, 2]) != taken:
                return other

    first, second = (_hotline_alert(audited, timedelta(hours=2)) for _ in "ab")
    first_copy = replace(first, child_ref=elsewhere(first))
    second_copy = replace(second, child_ref=elsewhere(second))
    audited.publisher.publish([first, first_copy, second_copy, second])
    as_of = (first.occurred_at + timedelta(hours=1)).isoformat()

    result = audited.deployment.cli("audit", "replay", "--from-kafka", "--as-of", as_of, "--json")
    children = {p["child_ref"] for p in json.loads(result.stdout)["pathways"]}
    refused = set(result.stderr.splitlines())
    records = {r.key: r for r in read_records(audited.deployment.broker.admin, EVENT_LOG)}
    for pair in ((first, first_copy), (second_copy, second)):
        won, lost = sorted(
            (records[e.child_ref.encode()] for e in pair), key=lambda r: (r.timestamp, r.partition)
        )
        assert won.key.decode() in children and lost.key.decode() not in children
        assert f"{EVENT_LOG}/{lost.partition}/{lost.offset}: duplicate_event" in refused


def _hotline_alert(audited: Audited, deadline_in: timedelta) -> Event:
    hotline, police = audited.agency("hotline"), audited.agency("police")
    return hotline_alert(hotline, police, audited.region, deadline_in)


def test_breach_is_emitted_when_the_deadline_passes_and_resolved_by_a_late_receipt(
    audited: Audited,
) -> None:
    alerts = [_hotline_alert(audited, timedelta(seconds=6 + 0.7 * n)) for n in range(3)]
    alert = alerts[0]
    police, supervisor = audited.agency("police"), audited.agency("supervisor")
    deadline = alert.occurred_at + timedelta(hours=1)
    breach_id = breach_event_id("hotline-alert-receipt", alert.event_id, police, 1)
    audited.publisher.publish(alerts)

    def sla(event_id: str) -> list[Any] | None:
        found = [
            s for s in read_sla(audited.publisher, supervisor) if s[1].event.event_id == event_id
        ]
        return found or None

    for each in alerts:  # each breach appears once its deadline has passed, and soon after
        each_deadline = each.occurred_at + timedelta(hours=1)
        each_id = breach_event_id("hotline-alert-receipt", each.event_id, police, 1)
        copies = wait_for(lambda i=each_id: sla(i), what="the breach on audit.sla.v1")
        appended, breach = min(copies, key=lambda copy: copy[0])
        assert each_deadline <= appended < each_deadline + BREACH_DELAY_BOUND
        assert all(each_deadline <= at and c.digest == breach.digest for at, c in copies)
        # The service logs an SLA event once the broker acknowledged it: a reader of the topic
        # may see it a moment before the line is written.
        wait_for(lambda i=each_id: i in audited.live.emitted_ids(), what="the emission logged")
    [(_, breach), *_] = sla(breach_id) or []
    assert breach.event.event_type == "SlaBreached"
    assert breach.event.occurred_at == deadline
    assert dict(breach.event.attributes) == {"rule": "hotline-alert-receipt", "level": "1"}
    assert breach.event.causation_id == alert.event_id
    assert set(breach.readers) == {AUDIT, police, supervisor}
    assert breach.event.payload == {
        "trigger_event_id": alert.event_id,
        "owed_by": police,
        "deadline": render(deadline),
        "status": "open",
    }

    receipt = replace(
        alert,
        event_id=str(uuid.uuid4()),
        event_type="ReferralReceived",
        occurred_at=datetime.now(UTC),
        producer=police,
        recipients=(),
        attributes={},
        payload=referral_received("Synthetic Duty Officer"),
    )
    audited.publisher.publish([receipt])
    resolution_id = resolution_event_id("hotline-alert-receipt", alert.event_id, police, 1)
    [(_, resolved), *_] = wait_for(lambda: sla(resolution_id), what="the resolution")
    assert resolved.event.payload == {
        "trigger_event_id": alert.event_id,
        "owed_by": police,
        "closed_by_event_id": receipt.event_id,
    }
    [obligation] = [
        o
        for o in audited.live.client.pathway(alert.child_ref).body["pathway"]["obligations"]
        if o["rule"] == "hotline-alert-receipt"
    ]
    assert (obligation["status"], obligation["level"]) == ("late", 1)


def test_later_arrival_with_a_known_event_id_and_other_content_is_quarantined(
    audited: Audited,
) -> None:
    first = _hotline_alert(audited, timedelta(hours=2))
    forged = replace(first, occurred_at=first.occurred_at - timedelta(minutes=30))
    audited.publisher.publish([first, forged])

    def quarantined() -> list[Rejection] | None:
        found = [
            r
            for r in read_quarantine(audited.deployment.broker.admin)
            if r.event_id == first.event_id and r.rejected_by == AUDIT
        ]
        return found or None

    [rejection, *_] = wait_for(quarantined, what="the audit's quarantine record")
    assert rejection.reason == "duplicate_event"
    assert audited.publisher.codec(AUDIT).decode(rejection.value).event == forged.without_payload()
    later = (first.occurred_at + timedelta(hours=1)).isoformat()
    [step] = audited.live.client.pathway(first.child_ref, later).body["pathway"]["timeline"]
    assert step["occurred_at"] == first.occurred_at.isoformat()


def test_a_copy_under_another_record_key_is_quarantined_and_never_projected(
    audited: Audited,
) -> None:
    """contracts/topics.md: a record of the event log is keyed by its header's child_ref. The
    same signed envelope under another child's key and under none is quarantined by the audit
    (``key_mismatch``) and projected nowhere, live or replayed from Kafka; the copy under its own
    key is projected once."""
    alert = _hotline_alert(audited, timedelta(minutes=30))  # occurred before as_of
    data = audited.publisher.codec(alert.producer).encode(alert)
    other = child_ref()
    children = [alert.child_ref, other]
    as_of = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    settings = topology.principal_settings(alert.producer)
    producer = KafkaProducer(**settings.kafka_python(), acks="all")
    try:
        copies = [
            producer.send(EVENT_LOG, key=key, value=data).get(30) for key in (other.encode(), None)
        ]

        def quarantined() -> list[Rejection] | None:
            found = [
                r
                for r in read_quarantine(audited.deployment.broker.admin)
                if r.event_id == alert.event_id and r.rejected_by == AUDIT
            ]
            return found if len(found) >= len(copies) else None

        rejections = wait_for(quarantined, what="both copies in the audit's quarantine")
        assert audited.live.timeline_sizes(children, as_of) == {alert.child_ref: 0, other: 0}
        producer.send(EVENT_LOG, key=alert.child_ref.encode(), value=data).get(30)
    finally:
        producer.close()

    assert {(r.reason, r.key, r.source_partition, r.source_offset) for r in rejections} == {
        ("key_mismatch", key, copy.partition, copy.offset)
        for key, copy in zip((other.encode(), None), copies, strict=True)
    }  # as a set: the audit meets the two partitions in either order
    _wait_projected(audited, [alert], as_of, "the copy under its own key")
    assert audited.live.timeline_sizes(children, as_of) == {alert.child_ref: 1, other: 0}
    replayed = audited.deployment.cli("audit", "replay", "--from-kafka", "--as-of", as_of, "--json")
    for copy in copies:
        assert f"{EVENT_LOG}/{copy.partition}/{copy.offset}: key_mismatch" in replayed.stderr
    from_kafka = _ours(json.loads(replayed.stdout), children)
    assert from_kafka == _pathways(audited.live, [alert.child_ref], as_of)


def test_a_childs_emitted_record_goes_where_its_events_are_not_where_a_partitioner_says(
    audited: Audited,
) -> None:
    """A producer may place a child's records with another partitioner than the default (the key
    is still its ``child_ref``). What the audit emitted for the child is kept in the partition
    the child's events were read from, which the same instance (or the partition's next owner)
    restores: never in the partition the default partitioner would have picked."""
    alert = _hotline_alert(audited, timedelta(seconds=3))
    police = audited.agency("police")
    key = alert.child_ref.encode()
    default = DefaultPartitioner()(key, [0, 1, 2], [0, 1, 2])
    elsewhere = (default + 1) % 3
    data = audited.publisher.codec(alert.producer).encode(alert)
    settings = topology.principal_settings(alert.producer)
    producer = KafkaProducer(**settings.kafka_python(), acks="all")
    try:
        placed = producer.send(EVENT_LOG, key=key, value=data, partition=elsewhere).get(30)
    finally:
        producer.close()
    assert placed.partition == elsewhere != default

    breach_id = breach_event_id("hotline-alert-receipt", alert.event_id, police, 1)
    wait_for(lambda: breach_id in audited.live.emitted_ids(), what="the breach emitted")
    topic = f"{AUDIT}_svc-v{audited.live.version}-emitted-changelog"

    partitions = wait_for(
        lambda: (
            {
                r.partition
                for r in read_records(audited.deployment.broker.admin, topic)
                if r.key == key
            }
            or None
        ),
        what="the child's emitted record",
    )
    assert partitions == {elsewhere}


def test_restarted_audit_emits_no_sla_event_twice(audited: Audited) -> None:
    emitted = set(audited.live.emitted_ids())
    assert emitted, "the earlier tests made the audit emit SLA events"
    since = audited.live.log.stat().st_size
    audited.live.stop(signal.SIGTERM)
    audited.live.start()
    children = wait_for(audited.live.health, timeout=90, what="recovery")["children"]
    wait_for(
        lambda: (h := audited.live.health()) is not None and h["evaluated"] >= children,
        what="every child evaluated after the restart",
    )
    assert not emitted & set(audited.live.emitted_ids(since))


def test_the_groups_committed_offsets_reach_the_logs_end_once_no_record_is_left(
    audited: Audited,
) -> None:
    """A batch's offsets are committed while the next batch is checked; the last batch's, once
    nothing new is fetched. So an operator's lag (log end minus committed offset, as the group
    tools show it) falls to 0 when the audit has caught up, not one batch short of it."""
    events = [_hotline_alert(audited, timedelta(minutes=30)) for _ in range(5)]
    as_of = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    audited.publisher.publish(events)
    _wait_projected(audited, events, as_of, "the new events")
    ends = {tp: end for tp, end in _log_ends(audited).items() if end > 0}
    group = group_of(AUDIT, audited.live.version)
    settings = audited.deployment.broker.admin

    def caught_up() -> bool:
        committed = committed_offsets(settings, group)
        return all(committed.get(tp, -1) >= end for tp, end in ends.items())

    wait_for(caught_up, timeout=30, what="the audit's committed offsets at the log's end")


def test_records_committed_but_never_handed_to_the_audit_are_read_again(
    audited: Audited,
) -> None:
    """The group's committed offsets are not what the audit trusts: here they are moved past
    records the audit never saw while it is stopped (as an operator's reset, or a consumer that
    commits what it skipped, would). Restarted, it reads on from its own frontier, recorded with
    its state, and logs each partition whose committed offset was ahead of it."""
    seen, skipped, later = (
        [_hotline_alert(audited, timedelta(minutes=30)) for _ in range(n)] for n in (3, 12, 1)
    )
    as_of = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    audited.publisher.publish(seen)
    _wait_projected(audited, seen, as_of, "the first")

    _published_while_stopped(audited, skipped, move_to=_log_ends)
    since = audited.live.log.stat().st_size
    audited.live.start()
    wait_for(audited.live.health, timeout=90, what="the audit to recover")
    audited.publisher.publish(later)

    _wait_projected(
        audited, [*seen, *skipped, *later], as_of, "every event, the skipped ones included", 150
    )
    resumed = wait_for(
        lambda: audited.live.logged("audit_partition_resumed", since) or None,
        timeout=30,
        what="the partitions whose committed offset was ahead of the frontier logged",
    )
    assert all(line["committed"] > line["at"] for line in resumed)


def test_records_read_again_after_a_seek_back_keep_what_was_recorded_before(
    audited: Audited,
) -> None:
    """The audit's group is moved back before records the audit recorded (as an operator's
    offset reset would), and it reads them again together with new ones. Restarted once more,
    it recovers every one of them from its own state (nothing is read again from the log)."""
    before = _log_ends(audited)
    first, then = ([_hotline_alert(audited, timedelta(minutes=30)) for _ in range(9)] for _ in "ab")
    as_of = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    audited.publisher.publish(first)
    _wait_projected(audited, first, as_of, "the first")

    _published_while_stopped(audited, then, move_to=lambda _: before)
    audited.live.start()
    _wait_projected(audited, [*first, *then], as_of, "the records read again and the new ones", 90)

    audited.live.stop(signal.SIGTERM)
    audited.live.start()
    _wait_projected(
        audited, [*first, *then], as_of, "every event recovered after the second restart", 90
    )


def _wait_projected(
    audited: Audited, events: list[Event], as_of: str, what: str, timeout: float = 60
) -> None:
    """Until the live audit shows each of ``events`` in its child's pathway (one per child)."""
    ones = {e.child_ref: 1 for e in events}
    wait_for(
        lambda: audited.live.timeline_sizes(list(ones), as_of) == ones,
        timeout=timeout,
        what=what,
        explain=audited.live.log_tail,
    )


def _log_ends(audited: Audited) -> dict[Any, int]:
    with TopicReader(audited.deployment.broker.admin, EVENT_LOG) as reader:
        return reader.mark_end()


def _published_while_stopped(
    audited: Audited, events: list[Event], move_to: Callable[[Audited], dict[Any, int]]
) -> None:
    """Stop the live audit, publish ``events``, and commit ``move_to``'s offsets for its group
    once the group is empty (a static member's session outlives its process, 10 s; only an
    empty group's offsets move). The audit is left stopped."""
    settings = audited.deployment.broker.admin
    group = group_of(AUDIT, audited.live.version)
    audited.live.stop(signal.SIGTERM)
    audited.publisher.publish(events)
    wait_for(lambda: group_state(settings, group) == "Empty", timeout=60, what="no member left")
    commit_offsets(settings, group, move_to(audited))
