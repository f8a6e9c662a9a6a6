"""Envelopes on the real broker: nothing identifying in the clear, bad records quarantined."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from kafka import KafkaProducer

from backbone.broker.directory_topic import load_directory
from backbone.broker.quarantine import KafkaQuarantine, QuarantineFollower, read_quarantine
from backbone.broker.settings import KafkaSettings
from backbone.cli import main
from backbone.consumer.inbound import Inbound
from backbone.consumer.reader import EnvelopeReader, Outcome
from backbone.envelope.keys import Keystore
from backbone.paths import run_dir
from support.broker import Broker
from support.envelopes import (
    CHILD_PAYLOAD,
    SECRETS_IN_PAYLOAD,
    make_event,
    make_world,
)
from support.kafka_io import read_records

pytestmark = pytest.mark.broker

POLICE, NGO = "police.turkestan", "ngo.shymkent.sana-sezim"
CHILDREN = ("c-7e57c0000001", "c-7e57c0000004")


def _produce(settings: KafkaSettings, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = KafkaProducer(**settings.kafka_python(), acks="all", max_block_ms=15000)
    try:
        for future in [producer.send(topic, key=k, value=v) for k, v in records]:
            future.get(timeout=15)
    finally:
        producer.close()


def test_raw_bytes_on_the_broker_carry_no_names_or_identifiers(broker: Broker) -> None:
    world = make_world()
    topic = broker.topic("envelopes")
    group = f"reader-{uuid.uuid4().hex[:8]}"
    writer = broker.principal("police", [("write", "topic", topic)])
    reader = broker.principal("router", [("read", "topic", topic), ("read", "group", group)])
    producer = world.codec(POLICE)
    referral_payload = {
        "summary": "Synthetic: Test-Name-Alpha, IIN 000000000017, needs shelter tonight.",
        "urgency": "immediate",
        "requested_services": ["household", "medical"],
        "contact_name": "Test-Officer-Eta",
        "contact_phone": None,
        "documents": [],
    }
    events = [
        make_event(payload=CHILD_PAYLOAD),
        make_event("ReferralIssued", POLICE, recipients=[NGO], payload=referral_payload),
    ]
    envelopes = [(e.child_ref.encode(), producer.encode(e, [NGO])) for e in events]

    _produce(writer, topic, envelopes)
    stored = read_records(reader, topic, group)

    assert [(r.key, r.value) for r in stored] == envelopes
    for record in stored:
        for secret in SECRETS_IN_PAYLOAD:
            assert secret.encode() not in record.value and secret.encode() not in record.key
    segments = run_dir() / "kafka" / "node-1" / "data" / f"{topic}-0"
    if broker.kind == "local-jars":  # the log files themselves, as the broker keeps them
        on_disk = b"".join(p.read_bytes() for p in segments.glob("*.log"))
        assert envelopes[0][1] in on_disk
        assert not any(secret.encode() in on_disk for secret in SECRETS_IN_PAYLOAD)
    opened = [world.codec(NGO).decode(r.value).event for r in stored]
    assert opened == events


def test_bad_records_land_in_quarantine_with_their_bytes_and_reason(broker: Broker) -> None:
    world = make_world()
    events_topic, rejected_topic = broker.topic("events"), broker.topic("rejected")
    group = f"router-{uuid.uuid4().hex[:8]}"
    writer = broker.principal("police", [("write", "topic", events_topic)])
    router = broker.principal(
        "router",
        [
            ("read", "topic", events_topic),
            ("read", "group", group),
            ("write", "topic", rejected_topic),
        ],
    )
    operations = broker.principal("operations", [("read", "topic", rejected_topic)])
    producer = world.codec(POLICE)
    # Each under its own child_ref, the record key consumers require.
    good = [producer.encode(make_event(child_ref=c), [NGO]) for c in CHILDREN]
    tampered = bytearray(producer.encode(make_event(), [NGO]))
    tampered[-80] ^= 0x01
    records = [
        (CHILDREN[0].encode(), good[0]),
        (b"c-test-0002", bytes(tampered)),
        (b"c-test-0003", b"\x00not an envelope"),
        (CHILDREN[1].encode(), good[1]),
    ]
    _produce(writer, events_topic, records)

    with KafkaQuarantine(router, rejected_topic) as quarantine:
        gate = EnvelopeReader(world.codec(), quarantine, name="router")
        outcomes = [
            gate.read(Inbound.from_record(r)).outcome
            for r in read_records(router, events_topic, group)
        ]

    assert outcomes == [
        Outcome.ACCEPTED,
        Outcome.QUARANTINED,
        Outcome.QUARANTINED,
        Outcome.ACCEPTED,
    ]
    rejections = read_quarantine(operations, rejected_topic)
    assert [(r.key, r.value, r.reason) for r in rejections] == [
        (b"c-test-0002", bytes(tampered), "signature_invalid"),
        (b"c-test-0003", b"\x00not an envelope", "malformed_envelope"),
    ]
    assert [(r.source_topic, r.source_offset, r.rejected_by) for r in rejections] == [
        (events_topic, 1, "router"),
        (events_topic, 2, "router"),
    ]

    # A follower (the console's) reads everything once, then only what is new.
    follower = QuarantineFollower(operations, rejected_topic)
    try:
        assert [r.reason for r in follower.refresh()] == ["signature_invalid", "malformed_envelope"]
        assert follower.refresh() == []
        with KafkaQuarantine(router, rejected_topic) as quarantine:
            late = EnvelopeReader(world.codec(), quarantine, name="router")
            late.read(Inbound(value=b"\x00another bad record", key=b"c-test-0005"))
        assert [(r.key, r.reason) for r in follower.refresh()] == [
            (b"c-test-0005", "malformed_envelope")
        ]
        assert len(follower.rejections) == 3
    finally:
        follower.close()


def test_directory_is_published_to_and_loaded_from_its_topic(
    broker: Broker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    admin = broker.admin
    monkeypatch.setenv("KAFKA_BOOTSTRAP", admin.bootstrap)
    monkeypatch.setenv("KAFKA_USERNAME", admin.username)
    monkeypatch.setenv("KAFKA_PASSWORD", admin.password)
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", admin.security_protocol)
    store, topic = tmp_path / "keys", f"test.keys.{uuid.uuid4().hex[:8]}"

    def keys(*args: str) -> None:
        assert main(["keys", *args, "--keystore", str(store)]) == 0

    keys("init-root")
    keys("issue", POLICE, "--display-name", "Test Police")
    keys("issue", NGO, "--display-name", "Test NGO", "--funding", "state")
    keys("publish", "--topic", topic)
    keys("revoke", POLICE, "--reason", "test")
    keys("publish", "--topic", topic)
    capsys.readouterr()
    keystore = Keystore(store)

    loaded = load_directory(admin, keystore.root_public_key(), topic)

    assert loaded.subjects() == [NGO, POLICE]
    [police] = loaded.certificates(POLICE)
    assert police.certificate.revoked_at is not None
    offline = tmp_path / "elsewhere"
    keys_elsewhere = ["keys", "fetch", "--topic", topic, "--keystore", str(offline)]
    offline.joinpath("root").mkdir(parents=True)
    offline.joinpath("root", "root.pub").write_bytes(keystore.root_public_file.read_bytes())
    assert main(keys_elsewhere) == 0
    assert (offline / "directory.json").exists()


def test_directory_records_of_another_root_are_skipped_not_fatal(broker: Broker) -> None:
    ours, theirs = make_world(), make_world()
    topic = broker.topic("keys", **{"cleanup.policy": "compact"})
    _produce(
        broker.admin,
        topic,
        [
            (POLICE.encode(), theirs.directory.entry(POLICE)),
            (NGO.encode(), b"\xc3\x01 not an entry"),
            (POLICE.encode(), ours.directory.entry(POLICE)),
        ],
    )

    loaded = load_directory(broker.admin, ours.root.public_key, topic)

    assert loaded.subjects() == [POLICE]
    assert loaded.signer(ours.pairs[POLICE].signing_key_id) is not None
    assert loaded.signer(theirs.pairs[POLICE].signing_key_id) is None
    assert sorted(loaded.refused) == [f"{topic}/0/0", f"{topic}/0/1"]
    assert loaded.refused[f"{topic}/0/0"] == "root signature does not verify"
