"""End to end on the real broker: agencies, router and receipts, as separate processes."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer

from backbone.broker import topology
from backbone.broker.directory_topic import load_directory
from backbone.broker.quarantine import read_quarantine
from backbone.broker.reader import TopicReader, read_to_end
from backbone.broker.topics import EVENT_LOG, inbox_topic
from backbone.consumer.quarantine import Rejection
from backbone.domain.events import parse_event
from backbone.envelope.codec import EnvelopeCodec
from backbone.envelope.keys import Keystore
from support.broker import Broker
from support.deployment import Deployment, deployment, scrape, wait_for
from support.groups import commit_offsets, group_of, group_state
from support.net import free_port
from support.referrals import child_ref, referral
from support.service_logs import json_lines

pytestmark = pytest.mark.broker

ROUTER_METRICS = free_port()
KEY_DETAILS = (  # a record key other than child_ref, and none
    "record key is not the header's child_ref",
    "record has no key; it must be the header's child_ref",
)


@pytest.fixture(scope="module")
def backbone(broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    roles = {"police": "police", "ngo": "ngo", "guardianship": "guardianship", "school": "school"}
    with deployment(broker, tmp_path_factory.mktemp("deployment"), roles) as deployed:
        deployed.start("router", "router", env={"BACKBONE_METRICS_PORT": str(ROUTER_METRICS)})
        for role in ("police", "ngo", "guardianship"):
            deployed.start_agency(role)
        yield deployed


def _referral(d: Deployment, issuer: str, to: list[str], kind: str) -> dict[str, Any]:
    return referral(d.agencies[issuer], [d.agencies[r] for r in to], d.region, kind)


def _of(inbox: list[dict[str, Any]], event_type: str, referral_id: str) -> list[dict[str, Any]]:
    return [
        e
        for e in inbox
        if e.get("event_type") == event_type and e.get("referral_id") == referral_id
    ]


def test_referral_travels_police_to_ngo_to_guardianship_with_signed_receipts(
    backbone: Deployment, tmp_path: Path
) -> None:
    first = _referral(backbone, "police", ["ngo"], "victim_services")
    backbone.emit("police", [first], tmp_path)
    receipt = wait_for(
        lambda: _of(backbone.inbox("police"), "ReferralReceived", first["referral_id"]),
        what="the ngo's receipt in the police inbox",
    )
    second = _referral(backbone, "ngo", ["guardianship"], "guardianship_notification")
    second["child_ref"] = first["child_ref"]
    backbone.emit("ngo", [second], tmp_path)
    wait_for(
        lambda: _of(backbone.inbox("ngo"), "ReferralReceived", second["referral_id"]),
        what="the guardianship's receipt in the ngo inbox",
    )

    assert receipt[0]["producer"] == backbone.agencies["ngo"]
    ngo_inbox = backbone.inbox("ngo")
    assert _of(ngo_inbox, "ReferralIssued", first["referral_id"])[0]["payload"] == first["payload"]
    guardianship_inbox = backbone.inbox("guardianship")
    assert not _of(guardianship_inbox, "ReferralIssued", first["referral_id"])
    assert _of(guardianship_inbox, "ReferralIssued", second["referral_id"])


def test_each_agency_sees_exactly_what_is_addressed_to_it(
    backbone: Deployment, tmp_path: Path
) -> None:
    to_guardianship = _referral(backbone, "police", ["guardianship"], "guardianship_notification")
    backbone.emit("police", [to_guardianship], tmp_path)
    wait_for(
        lambda: _of(backbone.inbox("police"), "ReferralReceived", to_guardianship["referral_id"]),
        what="the guardianship's receipt",
    )

    ids = {e.get("event_id") for e in backbone.inbox("ngo")}
    assert to_guardianship["event_id"] not in ids
    assert all("refused" not in e for e in backbone.inbox("guardianship"))


def test_agency_restarted_mid_scenario_loses_and_duplicates_nothing(
    backbone: Deployment, tmp_path: Path
) -> None:
    backbone.stop("ngo", signal.SIGKILL)
    referrals = [_referral(backbone, "police", ["ngo"], "victim_services") for _ in range(5)]
    backbone.emit("police", referrals, tmp_path)
    backbone.start_agency("ngo")

    def receipts() -> dict[str, list[dict[str, Any]]] | None:
        inbox = backbone.inbox("police")
        found = {
            r["referral_id"]: _of(inbox, "ReferralReceived", r["referral_id"]) for r in referrals
        }
        return found if all(found.values()) else None

    found = wait_for(receipts, timeout=90, what="a receipt for every referral")
    assert all(len(lines) == 1 for lines in found.values())


def test_a_redelivered_event_reaches_the_inbox_once(backbone: Deployment, tmp_path: Path) -> None:
    referral = _referral(backbone, "police", ["ngo"], "victim_services")
    backbone.emit("police", [referral], tmp_path)
    backbone.emit("police", [referral], tmp_path)  # a producer's retry: new nonce, same content
    wait_for(
        lambda: _of(backbone.inbox("police"), "ReferralReceived", referral["referral_id"]),
        what="the receipt",
    )

    assert len(_of(backbone.inbox("ngo"), "ReferralIssued", referral["referral_id"])) == 1


def test_same_event_id_with_another_header_is_quarantined(
    backbone: Deployment, tmp_path: Path
) -> None:
    referral = _referral(backbone, "police", ["ngo"], "victim_services")
    backbone.emit("police", [referral], tmp_path)
    altered = {**referral, "attributes": {"kind": "other"}}
    backbone.emit("police", [altered], tmp_path)

    rejected = wait_for(
        lambda: [
            r for r in read_quarantine(backbone.broker.admin) if r.event_id == referral["event_id"]
        ],
        what="the conflicting duplicate in the quarantine",
    )
    assert rejected[0].reason == "duplicate_event"
    assert rejected[0].rejected_by == "router"


def test_a_payload_changed_under_the_same_event_id_is_never_delivered(
    backbone: Deployment, tmp_path: Path
) -> None:
    # The router cannot see payloads, so it takes the second envelope for a repeat of the first
    # and drops it; the recipient only ever gets the first version.
    referral = _referral(backbone, "police", ["ngo"], "victim_services")
    backbone.emit("police", [referral], tmp_path)
    altered = {**referral, "payload": {**referral["payload"], "urgency": "routine"}}
    backbone.emit("police", [altered], tmp_path)
    wait_for(
        lambda: _of(backbone.inbox("police"), "ReferralReceived", referral["referral_id"]),
        what="the receipt",
    )

    delivered = _of(backbone.inbox("ngo"), "ReferralIssued", referral["referral_id"])
    assert [e["payload"]["urgency"] for e in delivered] == ["urgent"]


def test_an_envelope_copied_under_another_record_key_is_quarantined_not_delivered_again(
    backbone: Deployment,
) -> None:
    """contracts/topics.md: a record of the event log is keyed by its header's child_ref. The
    same signed envelope written again under another key (and with none), each copy in another
    partition than the original, is quarantined by the router as ``key_mismatch``: the inboxes
    hold the one copy delivered under its own key."""
    police, ngo = backbone.agencies["police"], backbone.agencies["ngo"]
    event = parse_event(_referral(backbone, "police", ["ngo"], "victim_services"))
    data = _codec(backbone, police).encode(event)
    keys = (child_ref().encode(), None)  # another child's key, and none
    producer = KafkaProducer(**topology.principal_settings(police).kafka_python(), acks="all")
    try:
        own = producer.send(EVENT_LOG, key=event.child_ref.encode(), value=data).get(30)
        wait_for(lambda: _copies(backbone, ngo, data), what="the delivery under its own key")
        count = len(producer.partitions_for(EVENT_LOG))
        copies = [
            producer.send(
                EVENT_LOG, key=key, value=data, partition=(own.partition + n) % count
            ).get(30)
            for n, key in enumerate(keys, start=1)
        ]
    finally:
        producer.close()

    rejections = wait_for(
        lambda: _refused(backbone, event.event_id, "router", 2), what="both copies quarantined"
    )
    # As a set: the router meets the two partitions in either order. Each detail is the fixed
    # text, never the key a producer typed.
    assert {
        (r.reason, r.key, r.source_partition, r.source_offset, r.detail) for r in rejections
    } == {
        ("key_mismatch", key, copy.partition, copy.offset, detail)
        for key, copy, detail in zip(keys, copies, KEY_DETAILS, strict=True)
    }
    for agency in (ngo, police):  # the producer reads its own events back too
        assert _copies(backbone, agency, data) == [event.child_ref.encode()]


def test_an_inbox_record_under_another_key_is_refused_by_the_agency(
    backbone: Deployment, tmp_path: Path
) -> None:
    """The router copies the record key into the inbox unchanged, so an inbox record keyed
    other than by its child_ref was not written by a correct router: the agency's service and
    ``backbone inbox`` refuse it (``key_mismatch``) and send no receipt for it; the referral
    delivered after it, in the same partition, is handled as usual."""
    police, ngo = backbone.agencies["police"], backbone.agencies["ngo"]
    misfiled = parse_event(_referral(backbone, "police", ["ngo"], "victim_services"))
    after = _referral(backbone, "police", ["ngo"], "victim_services")
    log = backbone.logs / "ngo.log"
    since = log.stat().st_size
    producer = KafkaProducer(**topology.principal_settings("router").kafka_python(), acks="all")
    try:  # under the next referral's child_ref: one partition, handled before that referral
        data = _codec(backbone, police).encode(misfiled)
        producer.send(inbox_topic(ngo), key=after["child_ref"].encode(), value=data).get(30)
    finally:
        producer.close()
    backbone.emit("police", [after], tmp_path)

    wait_for(
        lambda: _of(backbone.inbox("police"), "ReferralReceived", after["referral_id"]),
        what="the receipt of the referral delivered after the misfiled one",
    )
    refused = [e for e in backbone.inbox("ngo") if e.get("event_id") == misfiled.event_id]
    assert [e.get("refused") for e in refused] == ["key_mismatch"]
    logged = json_lines(log, since)
    quarantined = [
        line["reason"]
        for line in logged
        if line.get("event") == "envelope_quarantined" and line["event_id"] == misfiled.event_id
    ]
    assert quarantined == ["key_mismatch"]
    # Its receipt would have been due before that of the referral handled after it.
    receipts = {line["referral_id"] for line in logged if line.get("event") == "receipt_sent"}
    assert after["referral_id"] in receipts and misfiled.referral_id not in receipts


def _codec(backbone: Deployment, agency: str) -> EnvelopeCodec:
    keystore = Keystore(backbone.keystore)
    directory = load_directory(backbone.broker.admin, keystore.root_public_key())
    return EnvelopeCodec(directory, keystore.keyring(agency))


def _copies(backbone: Deployment, agency: str, data: bytes) -> list[bytes | None]:
    """The keys of the records of ``agency``'s inbox whose value is ``data``."""
    return [
        r.key for r in read_to_end(backbone.broker.admin, inbox_topic(agency)) if r.value == data
    ]


def _refused(backbone: Deployment, event_id: str, by: str, count: int) -> list[Rejection] | None:
    found = [
        r
        for r in read_quarantine(backbone.broker.admin)
        if r.event_id == event_id and r.rejected_by == by
    ]
    return found if len(found) >= count else None


def test_router_metrics_count_deliveries_and_carry_no_child_data(
    backbone: Deployment, tmp_path: Path
) -> None:
    referral = _referral(backbone, "police", ["ngo"], "victim_services")
    backbone.emit("police", [referral], tmp_path)
    wait_for(
        lambda: _of(backbone.inbox("police"), "ReferralReceived", referral["referral_id"]),
        what="the receipt",
    )

    def counted() -> str | None:
        text = scrape(ROUTER_METRICS) or ""
        lag = 'backbone_consumer_lag{agency="",service="router",topic="referral.events.v1"}'
        return text if 'outcome="accepted",service="router"' in text and lag in text else None

    text = wait_for(counted, what="the router's metrics")
    assert 'backbone_end_to_end_seconds_count{agency="",service="router"}' in text
    assert referral["child_ref"] not in text and referral["referral_id"] not in text


def test_inbox_records_committed_but_never_handed_to_the_agency_are_read_again(
    backbone: Deployment, tmp_path: Path
) -> None:
    """faust may commit records its stream skipped (around a rebalance). Here the NGO service's
    group is moved past inbox records it never saw while it is stopped, as such a commit would;
    restarted, it finds them below its own frontier and sends every receipt."""
    ngo = backbone.agencies["ngo"]
    backbone.stop("ngo", signal.SIGTERM)
    skipped = [_referral(backbone, "police", ["ngo"], "victim_services") for _ in range(9)]
    backbone.emit("police", skipped, tmp_path)
    ids = {r["event_id"] for r in skipped}
    wait_for(
        lambda: ids <= {e.get("event_id") for e in backbone.inbox("ngo")},
        what="the router's delivery to the stopped NGO",
    )
    _commit_to_the_end(backbone, group_of(ngo), inbox_topic(ngo))
    log = backbone.logs / "ngo.log"
    since = log.stat().st_size if log.exists() else 0
    backbone.start_agency("ngo")
    later = _referral(backbone, "police", ["ngo"], "victim_services")
    backbone.emit("police", [later], tmp_path)

    _one_receipt_each(backbone, [*skipped, later])
    with log.open("rb") as lines:
        lines.seek(since)
        assert any(b'"agency_hole_refilled"' in line for line in lines)


def test_event_log_records_committed_but_never_handed_to_the_router_are_read_again(
    backbone: Deployment, tmp_path: Path
) -> None:
    """As above, for the router: its group is moved past events it never saw while it is
    stopped; restarted, it delivers them all (and the NGO sends every receipt)."""
    backbone.stop("router", signal.SIGTERM)
    skipped = [_referral(backbone, "police", ["ngo"], "victim_services") for _ in range(9)]
    backbone.emit("police", skipped, tmp_path)
    _commit_to_the_end(backbone, group_of("router"), EVENT_LOG)
    log_file = backbone.logs / "router.log"
    since = log_file.stat().st_size
    backbone.start("router", "router", env={"BACKBONE_METRICS_PORT": str(ROUTER_METRICS)})
    later = _referral(backbone, "police", ["ngo"], "victim_services")
    backbone.emit("police", [later], tmp_path)

    _one_receipt_each(backbone, [*skipped, later])
    with log_file.open("rb") as lines:
        lines.seek(since)
        assert any(b'"router_hole_refilled"' in line for line in lines)


def _commit_to_the_end(backbone: Deployment, group: str, topic: str) -> None:
    """Move a stopped service's group past every record of ``topic``, as a faust commit of
    skipped records would. A static member's session outlives its process (10 s); only an
    empty group's offsets move."""
    admin = backbone.broker.admin
    wait_for(lambda: group_state(admin, group) == "Empty", timeout=60, what="no member left")
    with TopicReader(admin, topic) as reader:
        commit_offsets(admin, group, reader.mark_end())


def _one_receipt_each(backbone: Deployment, referrals: list[dict[str, Any]]) -> None:
    def receipts() -> dict[str, list[dict[str, Any]]] | None:
        inbox = backbone.inbox("police")
        found = {
            r["referral_id"]: _of(inbox, "ReferralReceived", r["referral_id"]) for r in referrals
        }
        return found if all(found.values()) else None

    found = wait_for(receipts, timeout=120, what="a receipt for every referral, skipped or not")
    assert all(len(lines) == 1 for lines in found.values())
