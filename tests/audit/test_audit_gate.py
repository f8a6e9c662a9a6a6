"""The audit's gate and SLA emitter with real keys: verify, admit once, quarantine, sign."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from audit_events import calendar, national_rules
from prometheus_client import REGISTRY

from backbone.audit.core.notices import Emitted
from backbone.audit.core.projection import Projection
from backbone.audit.core.store import EventStore
from backbone.audit.live.emitter import SlaEmitter
from backbone.audit.live.gate import AuditGate
from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import MemoryQuarantine
from backbone.envelope.codec import read_clear_header
from backbone.envelope.errors import RecordKeyMismatch
from backbone.runtime.metrics import ServiceMetrics
from support.envelopes import TEST_CHILD, World, make_event, make_world

POLICE, NGO, AUDIT = "police.turkestan", "ngo.shymkent.sana-sezim", "audit.national"
ISSUED = "2026-12-11T16:00:00+05:00"
OTHER_CHILD = b"c-7e57c0000002"  # a record key that is not the events' child_ref


@pytest.fixture
def world() -> World:
    return make_world()


def _gate(world: World) -> tuple[AuditGate, MemoryQuarantine, EventStore]:
    registry = world.directory.registry
    store = EventStore(
        lambda header: read_clear_header(header, registry),
        lambda kept: read_clear_header(kept, registry, checked=False),
    )
    quarantine = MemoryQuarantine()
    return AuditGate(world.codec(), quarantine, store, name=AUDIT, log=False), quarantine, store


def _record(data: bytes, offset: int = 0) -> Inbound:
    return Inbound(value=data, key=TEST_CHILD.encode(), topic="log", partition=0, offset=offset)


def test_verified_header_is_stored_without_its_body(world: World) -> None:
    gate, quarantine, store = _gate(world)
    issued = make_event("ReferralIssued", POLICE, occurred_at=ISSUED)
    stored = gate.admit(_record(world.codec(POLICE).encode(issued)))
    assert stored is not None and stored.event == issued.without_payload()
    assert store.event(issued.event_id) == issued.without_payload()
    assert quarantine.rejections == []


def test_tampered_envelope_is_quarantined_with_its_reason(world: World) -> None:
    gate, quarantine, store = _gate(world)
    data = bytearray(world.codec(POLICE).encode(make_event("ReferralIssued", POLICE)))
    data[-80] ^= 1
    assert gate.admit(_record(bytes(data))) is None
    assert [r.reason for r in quarantine.rejections] == ["signature_invalid"]
    assert len(store) == 0


def test_the_same_event_sealed_again_is_a_repeat_not_a_rejection(world: World) -> None:
    gate, quarantine, _ = _gate(world)
    issued = make_event("ReferralIssued", POLICE)
    assert gate.admit(_record(world.codec(POLICE).encode(issued), 1)) is not None
    assert gate.admit(_record(world.codec(POLICE).encode(issued), 2)) is None
    assert quarantine.rejections == []


def test_later_arrival_with_the_same_id_and_other_content_is_quarantined(world: World) -> None:
    gate, quarantine, store = _gate(world)
    issued = make_event("ReferralIssued", POLICE, occurred_at=ISSUED)
    other = make_event(
        "ReferralIssued", POLICE, event_id=issued.event_id, occurred_at="2026-12-11T17:00:00+05:00"
    )
    gate.admit(_record(world.codec(POLICE).encode(issued), 1))
    assert gate.admit(_record(world.codec(POLICE).encode(other), 2)) is None
    assert [(r.reason, r.event_id, r.source_offset) for r in quarantine.rejections] == [
        ("duplicate_event", issued.event_id, 2)
    ]
    assert store.event(issued.event_id) == issued.without_payload()


def test_record_keyed_other_than_by_its_child_ref_is_quarantined_not_stored(world: World) -> None:
    gate, quarantine, store = _gate(world)
    issued = make_event("ReferralIssued", POLICE, occurred_at=ISSUED)
    data = world.codec(POLICE).encode(issued)
    elsewhere = [replace(_record(data, 1), key=OTHER_CHILD), replace(_record(data, 2), key=None)]

    assert [gate.admit(record) for record in elsewhere] == [None, None]
    assert len(store) == 0
    assert gate.admit(_record(data, 3)) is not None  # its own key: admitted once
    again = replace(_record(data, 4), key=OTHER_CHILD)
    assert isinstance(gate.verify([again])[0], RecordKeyMismatch)  # the live service's path
    assert gate.admit(again) is None
    assert [(r.reason, r.key, r.event_id, r.source_offset) for r in quarantine.rejections] == [
        ("key_mismatch", OTHER_CHILD, issued.event_id, 1),
        ("key_mismatch", None, issued.event_id, 2),
        ("key_mismatch", OTHER_CHILD, issued.event_id, 4),
    ]
    assert len(store) == 1 and gate.quarantined == 3


def test_event_the_lifecycle_rejects_is_kept_for_the_pathway(world: World) -> None:
    gate, quarantine, store = _gate(world)
    receipt = make_event("ReferralReceived", NGO, referral_id="r-7e57e0000404")
    assert gate.admit(_record(world.codec(NGO).encode(receipt))) is not None
    assert quarantine.rejections == [] and len(store) == 1


def test_gate_refuses_a_codec_that_could_open_bodies(world: World) -> None:
    with pytest.raises(ValueError, match="keyring"):
        AuditGate(world.codec(AUDIT), MemoryQuarantine(), EventStore(), name=AUDIT)


def _emitter(world: World) -> tuple[SlaEmitter, EventStore]:
    store = EventStore()
    issued = make_event("ReferralIssued", POLICE, occurred_at=ISSUED, recipients=[NGO])
    store.add(issued, b"digest")
    projection = Projection(store, national_rules(), calendar())
    return SlaEmitter(projection, world.codec(AUDIT), world.directory), store


def test_breach_is_signed_for_the_owing_agency_and_the_regions_supervisor(world: World) -> None:
    world.add_agency("supervisor.turkestan")
    emitter, _ = _emitter(world)
    now = datetime(2026, 12, 15, 9, tzinfo=UTC)
    plan = emitter.plan(TEST_CHILD, Emitted(), now)
    [(notice, breach)] = plan.events
    data = emitter.envelope(notice, breach, now)
    opened = world.codec("supervisor.turkestan").decode(data)
    assert opened.readers == (AUDIT, NGO, "supervisor.turkestan")
    assert opened.event == breach and opened.event.producer == AUDIT
    assert world.codec(NGO).decode(data).event.payload == breach.payload
    assert plan.next_check is not None and plan.next_check > now


def test_an_emitted_breach_whose_trigger_is_not_held_is_neither_resolved_nor_a_crash(
    world: World,
) -> None:
    emitter, _ = _emitter(world)
    now = datetime(2026, 12, 15, 9, tzinfo=UTC)
    [(notice, _breach)] = emitter.plan(TEST_CHILD, Emitted(), now).events
    elsewhere = (notice.key[0], "00000000-0000-4000-8000-00000000dead", *notice.key[2:])
    emitted = Emitted().with_notice(replace(notice, key=elsewhere))

    plan = emitter.plan(TEST_CHILD, emitted, now)

    assert [n.key for n, _ in plan.events] == [notice.key]  # its own breach, no resolution


def test_readers_without_a_current_key_are_left_out(world: World) -> None:
    emitter, _ = _emitter(world)  # no supervisor.turkestan in the directory
    now = datetime(2026, 12, 15, 9, tzinfo=UTC)
    [(notice, breach)] = emitter.plan(TEST_CHILD, Emitted(), now).events
    assert world.codec().decode(emitter.envelope(notice, breach, now)).readers == (AUDIT, NGO)


def test_the_gate_counts_each_outcome_and_quarantine_reason(world: World) -> None:
    metrics = ServiceMetrics("audit-gate-test", AUDIT)
    gate = AuditGate(
        world.codec(), MemoryQuarantine(), EventStore(), name=AUDIT, log=False, metrics=metrics
    )
    issued = make_event("ReferralIssued", POLICE)
    damaged = bytearray(world.codec(POLICE).encode(make_event("ReferralIssued", POLICE)))
    damaged[-80] ^= 1
    for n, data in enumerate(
        [world.codec(POLICE).encode(issued), world.codec(POLICE).encode(issued), bytes(damaged)]
    ):
        gate.admit(_record(data, n))
    labels = {"service": "audit-gate-test", "agency": AUDIT}
    counted = {
        outcome: REGISTRY.get_sample_value("backbone_events_total", {**labels, "outcome": outcome})
        for outcome in ("accepted", "repeated", "quarantined")
    }
    assert counted == {"accepted": 1, "repeated": 1, "quarantined": 1}
    reason = {**labels, "reason": "signature_invalid"}
    assert REGISTRY.get_sample_value("backbone_quarantined_total", reason) == 1


def test_an_sla_event_on_the_event_log_is_refused_before_its_header_is_kept(world: World) -> None:
    """The audit writes its SLA events to audit.sla.v1; on the log one is refused even when the
    audit signed it, since its ``rule`` is a rule id by grammar, not a code from a closed list
    (an agency's forged one: tests/infra/test_no_identifying_text.py)."""
    gate, quarantine, store = _gate(world)
    breach = make_event("SlaBreached", AUDIT, attributes={"rule": "c1234567890", "level": "1"})
    assert gate.admit(_record(world.codec(AUDIT).encode(breach))) is None
    assert [r.reason for r in quarantine.rejections] == ["not_authorised"]
    assert "c1234567890" not in quarantine.rejections[0].detail
    assert len(store) == 0
