"""The device: recording offline into the queue, and the rules for sending it."""

from __future__ import annotations

import json
import re
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from field_world import GROUP, RECIPIENT, Field, Harness

from backbone.device import cli as device_cli
from backbone.device.folder import DeviceFolder
from backbone.device.queue import EnvelopeQueue
from backbone.device.recorder import RecordRefused, record
from backbone.device.sender import HttpTransport, Reply, send_queue
from backbone.domain.events import Event
from backbone.envelope.keys import KeyPair
from support.envelopes import SECRETS_IN_PAYLOAD, forge, plain_event, reader_keys
from support.net import free_port


@pytest.fixture
def device(field: Field, tmp_path: Path) -> DeviceFolder:
    return field.device_folder(tmp_path / "tablet-3")


def _three(field: Field) -> list[Event]:
    referral = field.event("ReferralIssued")
    return [field.event(), referral, field.event(child_ref="c-7e57c0000003")]


class Scripted:
    """A transport that answers from a script and remembers what it was sent."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.sent: list[bytes] = []

    def post(self, envelope: bytes) -> Reply:
        self.sent.append(envelope)
        return self.replies.pop(0)


def test_record_queues_one_private_envelope_file_per_event_in_order(
    field: Field, device: DeviceFolder
) -> None:
    events = _three(field)

    record(device, events)

    queued = EnvelopeQueue(device.path).items()
    assert [q.event_id for q in queued] == [e.event_id for e in events]
    assert all(stat.S_IMODE(q.path.stat().st_mode) == 0o600 for q in queued)
    assert not [p for p in (device.path / "queue").iterdir() if p.name.endswith(".tmp")]


def test_recorded_envelope_opens_for_recipient_and_group_and_holds_no_clear_payload(
    field: Field, device: DeviceFolder
) -> None:
    referral = field.event("ReferralIssued")
    child = field.event()
    record(device, [referral, child])
    first, second = (q.read() for q in EnvelopeQueue(device.path).items())

    assert field.world.codec(RECIPIENT).decode(first).event == referral
    group_view = field.world.codec(GROUP).decode(second)
    assert group_view.event == child
    assert group_view.readers == (GROUP,)
    for secret in SECRETS_IN_PAYLOAD:
        assert secret.encode() not in second


def test_record_refuses_another_producer_s_event_and_queues_nothing(
    field: Field, device: DeviceFolder
) -> None:
    foreign = field.event()
    police = replace(foreign, producer="police.turkestan")

    with pytest.raises(RecordRefused, match=f"is not {re.escape(GROUP)}"):
        record(device, [field.event(), police])

    assert EnvelopeQueue(device.path).items() == []


def test_recording_an_event_again_does_not_queue_it_twice(
    field: Field, device: DeviceFolder
) -> None:
    event = field.event()
    record(device, [event])

    again = record(device, [event, field.event()])

    assert [r.queued for r in again] == [False, True]
    assert len(EnvelopeQueue(device.path).items()) == 2


def test_send_with_the_intake_unreachable_keeps_the_whole_queue(
    field: Field, device: DeviceFolder
) -> None:
    record(device, _three(field))
    queue = EnvelopeQueue(device.path)
    before = [q.read() for q in queue.items()]

    report = send_queue(queue, HttpTransport(f"http://127.0.0.1:{free_port()}", timeout=5))

    assert report.stopped is not None and "unreachable" in report.stopped
    assert (report.sent, report.remaining) == ([], 3)
    assert [q.read() for q in queue.items()] == before


def test_send_delivers_oldest_first_and_empties_the_queue(
    field: Field, device: DeviceFolder, harness: Harness
) -> None:
    events = _three(field)
    record(device, events)
    queue = EnvelopeQueue(device.path)
    bytes_in_order = [q.read() for q in queue.items()]

    with harness.serving() as url:
        report = send_queue(queue, HttpTransport(url))

    assert report.sent == [e.event_id for e in events]
    assert (report.stopped, report.remaining, queue.items()) == (None, 0, [])
    assert [value for _, value in harness.publisher.records] == bytes_in_order


def test_server_error_stops_sending_and_keeps_the_rest_for_later(
    field: Field, device: DeviceFolder, harness: Harness
) -> None:
    events = _three(field)
    record(device, events)
    queue = EnvelopeQueue(device.path)
    harness.publisher.down_after = 1

    with harness.serving() as url:
        report = send_queue(queue, HttpTransport(url))
        assert report.stopped == "intake answered 503; try again later"
        assert [q.event_id for q in queue.items()] == [e.event_id for e in events[1:]]
        harness.publisher.down_after = None
        later = send_queue(queue, HttpTransport(url))

    assert report.sent == [events[0].event_id]
    assert later.sent == [e.event_id for e in events[1:]]
    assert len(harness.publisher.records) == 3


def test_refused_envelope_moves_to_refused_with_its_reason_and_sending_goes_on(
    field: Field, device: DeviceFolder, harness: Harness
) -> None:
    first, last = field.event(), field.event()
    record(device, [first])
    plain = plain_event("ChildIdentified", GROUP)
    forged = forge(plain, KeyPair.generate(GROUP), reader_keys(field.world, [GROUP]))
    queue = EnvelopeQueue(device.path)
    queue.add(plain["event_id"], forged)
    record(device, [last])

    with harness.serving() as url:
        report = send_queue(queue, HttpTransport(url))

    assert report.sent == [first.event_id, last.event_id]
    assert [r["reason"] for r in report.refused] == ["unknown_key"]
    [reason] = queue.refused()
    assert (reason["event_id"], reason["status"], reason["reason"]) == (
        plain["event_id"],
        422,
        "unknown_key",
    )
    assert (queue.refused_folder / reason["file"]).read_bytes() == forged


def test_envelope_over_the_intake_s_limit_is_refused_413(
    field: Field, device: DeviceFolder, harness: Harness
) -> None:
    record(device, [field.event()])
    harness.max_bytes = 200
    queue = EnvelopeQueue(device.path)

    with harness.serving() as url:
        report = send_queue(queue, HttpTransport(url))

    assert [(r["status"], r["reason"]) for r in report.refused] == [(413, "too_large")]
    assert queue.items() == []


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, {}),  # e.g. a captive portal's page: not the intake's answer
        Reply(201, {"event_id": "6f1c0d4e-0000-4000-8000-000000000001"}),
        Reply(429, {"reason": "slow_down"}),
        Reply(302, {}),
    ],
)
def test_answer_that_is_not_an_acknowledgement_of_this_event_keeps_the_file(
    field: Field, device: DeviceFolder, reply: Reply
) -> None:
    record(device, _three(field))
    queue = EnvelopeQueue(device.path)
    transport = Scripted(reply)

    report = send_queue(queue, transport)

    assert report.stopped is not None
    assert (len(transport.sent), report.remaining, queue.refused()) == (1, 3, [])


def test_status_shows_the_queue_and_the_refusals(
    field: Field, device: DeviceFolder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = _three(field)
    lines = tmp_path / "events.jsonl"
    lines.write_text("".join(json.dumps(e.to_json()) + "\n" for e in events))
    assert device_cli.main(["record", "--device-dir", str(device.path), "--file", str(lines)]) == 0
    queue = EnvelopeQueue(device.path)
    queue.refuse(queue.items()[0], {"status": 422, "reason": "unknown_key"})
    capsys.readouterr()

    assert device_cli.main(["status", "--device-dir", str(device.path)]) == 0

    status: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert (status["group"], status["device"]) == (GROUP, "tablet-3")
    assert [q["event_id"] for q in status["queued"]] == [e.event_id for e in events[1:]]
    assert [(r["event_id"], r["reason"]) for r in status["refused"]] == [
        (events[0].event_id, "unknown_key")
    ]
