"""The one consumer gate: its ledger decides what is new, its screen runs first, it counts."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from backbone.consumer.gate import REPEATED, ConsumerGate
from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import MemoryQuarantine, Rejection
from backbone.consumer.reader import EnvelopeReader, Outcome
from backbone.domain.events import Event
from backbone.envelope.codec import VerifiedEnvelope
from backbone.envelope.errors import EnvelopeRejected, NotAuthorised
from backbone.runtime.metrics import ServiceMetrics
from support.envelopes import TEST_CHILD, World, make_event, make_world

POLICE, NGO = "police.turkestan", "ngo.shymkent.sana-sezim"
CHILD = TEST_CHILD.encode()


@pytest.fixture
def world() -> World:
    return make_world()


class Ledger:
    """Admits by keeping the digest; refuses the ids in ``refuse`` (as an authoriser would)."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.digests: dict[str, bytes] = {}
        self.refuse = set(refuse)

    def digest(self, event_id: str) -> bytes | None:
        return self.digests.get(event_id)

    def add(self, event: Event, digest: bytes, clear_header: bytes) -> str:
        if event.event_id in self.refuse:
            raise NotAuthorised("refused by the test's ledger", event_id=event.event_id)
        self.digests[event.event_id] = digest
        return f"added {event.event_id}"


def test_a_new_event_is_what_the_ledger_added_and_a_repeat_is_skipped(world: World) -> None:
    ledger, quarantine = Ledger(), MemoryQuarantine()
    gate = ConsumerGate(world.codec(), quarantine, ledger, name="test")
    event = make_event()
    record = Inbound(world.codec(POLICE).encode(event, [NGO]), key=CHILD)

    assert gate.admit(record) == f"added {event.event_id}"
    assert gate.admit(record) is REPEATED
    assert list(ledger.digests) == [event.event_id] and quarantine.rejections == []


def test_a_refused_admission_is_quarantined_and_not_recorded(world: World) -> None:
    event = make_event()
    ledger, quarantine = Ledger(refuse={event.event_id}), MemoryQuarantine()
    gate = ConsumerGate(world.codec(), quarantine, ledger, name="test")
    record = Inbound(world.codec(POLICE).encode(event, [NGO]), key=CHILD, offset=7)

    outcome = gate.admit(record)

    assert isinstance(outcome, Rejection) and outcome == quarantine.rejections[0]
    assert (outcome.reason, outcome.source_offset, outcome.rejected_by) == (
        "not_authorised",
        7,
        "test",
    )
    assert ledger.digests == {} and gate.quarantined == 1
    ledger.refuse.clear()  # judged again when it comes again, not taken for a repeat
    assert gate.admit(record) == f"added {event.event_id}"


def test_the_screen_refuses_even_an_event_the_ledger_knows(world: World) -> None:
    event = make_event()
    data = world.codec(POLICE).encode(event, [NGO])
    ledger, quarantine = Ledger(), MemoryQuarantine()
    screened: list[str] = []

    def screen(envelope: VerifiedEnvelope) -> EnvelopeRejected | None:
        screened.append(envelope.event.event_id)
        return NotAuthorised("screened", event_id=envelope.event.event_id) if screened[1:] else None

    gate = ConsumerGate(world.codec(), quarantine, ledger, name="test", screen=screen)
    gate.admit(Inbound(data, key=CHILD))
    assert isinstance(gate.check(Inbound(data, key=CHILD)), NotAuthorised)
    assert isinstance(gate.admit(Inbound(data, key=CHILD)), Rejection)
    assert [r.reason for r in quarantine.rejections] == ["not_authorised"]


def _counted(service: str, outcome: str) -> float | None:
    labels = {"service": service, "agency": "", "outcome": outcome}
    return REGISTRY.get_sample_value("backbone_events_total", labels)


def test_the_reader_counts_an_acceptance_only_once_its_effect_is_done(world: World) -> None:
    service = "reader-gate-test"
    reader = EnvelopeReader(
        world.codec(), MemoryQuarantine(), name="router", metrics=ServiceMetrics(service)
    )
    record = Inbound(world.codec(POLICE).encode(make_event(), [NGO]), key=CHILD)

    assert reader.read(record).outcome is Outcome.ACCEPTED
    assert reader.read(record).outcome is Outcome.REPEATED
    assert reader.read(Inbound(b"\x00not an envelope", key=CHILD)).outcome is Outcome.QUARANTINED
    assert (_counted(service, "repeated"), _counted(service, "quarantined")) == (1, 1)
    assert _counted(service, "accepted") is None

    reader.accepted(record)  # the router's delivery was acknowledged
    assert _counted(service, "accepted") == 1
