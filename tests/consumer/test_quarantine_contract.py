"""The quarantine's contract, run against every adapter of ``consumer.quarantine.Quarantine``.

Each adapter is opened on a store of its own (a list, a mapping standing for the agency's
changelog-backed table, a topic on the real broker) and must give back every rejection put into
it, field for field: the refused record's bytes and key exactly, the reason, the detail, where
the record came from, who refused it and when. Opening the adapter again on the same store (a
restarted consumer) reads the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from backbone.broker.quarantine import KafkaQuarantine
from backbone.consumer.quarantine import MemoryQuarantine, Quarantine, Rejection, TableQuarantine
from support.broker import Broker

Opener = Callable[[], Quarantine]


def _memory(request: pytest.FixtureRequest) -> Opener:
    shared = MemoryQuarantine()  # in process: reopening is holding the same object
    return lambda: shared


def _table(request: pytest.FixtureRequest) -> Opener:
    table: dict[str, Any] = {}  # what a faust table is to the adapter: a mutable mapping
    return lambda: TableQuarantine(table)


def _kafka(request: pytest.FixtureRequest) -> Opener:
    broker: Broker = request.getfixturevalue("broker")
    topic = broker.topic("rejected")
    settings = broker.principal("quarantine", [("write", "topic", topic), ("read", "topic", topic)])
    opened: list[KafkaQuarantine] = []

    def open_quarantine() -> Quarantine:
        opened.append(KafkaQuarantine(settings, topic))
        return opened[-1]

    request.addfinalizer(lambda: [q.close() for q in opened])
    return open_quarantine


ADAPTERS = {"memory": _memory, "table": _table, "kafka": _kafka}


@pytest.fixture(
    params=[
        pytest.param("memory"),
        pytest.param("table"),
        pytest.param("kafka", marks=pytest.mark.broker),
    ]
)
def open_quarantine(request: pytest.FixtureRequest) -> Iterator[Opener]:
    yield ADAPTERS[request.param](request)


def _rejection(offset: int | None, **fields: Any) -> Rejection:
    values: dict[str, Any] = {
        "reason": "signature_invalid",
        "detail": "signature does not verify under key 3f2a",
        "value": b"\x00\xff envelope bytes \x80",
        "key": b"c-7e57c0000001",
        "source_topic": "referral.events.v1" if offset is not None else None,
        "source_partition": 2 if offset is not None else None,
        "source_offset": offset,
        "event_id": "e-5e1f0c0f-0000-4000-8000-000000000001",
        "rejected_by": "router",
        "rejected_at": datetime(2025, 3, 21, 9, 30, 15, 123456, tzinfo=UTC),
    }
    return Rejection(**{**values, **fields})


REJECTIONS = [
    _rejection(17),
    _rejection(
        18,
        reason="malformed_envelope",
        detail="not a single-object Avro envelope",
        value=b"\x00not an envelope",
        key=None,
        event_id=None,
        rejected_by="ngo.shymkent.sana-sezim",
    ),
    _rejection(
        40,
        reason="duplicate_event",
        detail="Оқиға басқа мазмұнмен қабылданған",  # detail is text: not only ASCII
        rejected_at=datetime(2025, 3, 22, 0, 0, tzinfo=UTC),
    ),
]


def _by_source(rejections: list[Rejection]) -> list[Rejection]:
    # An agency's table iterates by partition, not in the order of its writes.
    return sorted(rejections, key=lambda r: (r.source_partition or 0, r.source_offset or 0))


def test_a_new_quarantine_reads_nothing(open_quarantine: Opener) -> None:
    assert open_quarantine().read() == []


def test_every_rejection_put_is_read_back_with_its_bytes_and_reason(
    open_quarantine: Opener,
) -> None:
    quarantine = open_quarantine()
    for rejection in REJECTIONS:
        quarantine.put(rejection)

    assert _by_source(quarantine.read()) == REJECTIONS


def test_a_reopened_quarantine_reads_what_was_put_before(open_quarantine: Opener) -> None:
    first = open_quarantine()
    first.put(REJECTIONS[0])
    assert open_quarantine().read() == [REJECTIONS[0]]

    first.put(REJECTIONS[1])
    again = open_quarantine()
    assert _by_source(again.read()) == REJECTIONS[:2]
    again.put(REJECTIONS[2])
    assert _by_source(first.read()) == REJECTIONS


def test_a_record_refused_before_it_had_a_position_is_kept(open_quarantine: Opener) -> None:
    # The intake refuses a body before anything is on a topic: no topic, partition or offset.
    refused = _rejection(None, reason="not_authorised", rejected_by="intake")
    quarantine = open_quarantine()
    quarantine.put(refused)

    assert quarantine.read() == [refused]
