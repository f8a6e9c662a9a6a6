"""The intake's HTTP rules, over in-memory adapters (aiohttp's test client, no broker)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from field_world import GROUP, OCTET, Field, Harness

from backbone import logs
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.keys import KeyPair
from support.envelopes import SECRETS_IN_PAYLOAD, forge, plain_event, reader_keys

Client = TestClient[Any, Any]


async def _post(client: Client, body: bytes) -> tuple[int, dict[str, Any]]:
    response = await client.post("/v1/envelopes", data=body, headers=OCTET)
    return response.status, await response.json()


def _post_all(harness: Harness, *bodies: bytes) -> list[tuple[int, dict[str, Any]]]:
    async def scenario(client: Client) -> list[tuple[int, dict[str, Any]]]:
        return [await _post(client, body) for body in bodies]

    return harness.run(scenario)


def test_new_envelope_is_published_unchanged_keyed_by_child_ref_and_answered_201(
    field: Field, harness: Harness
) -> None:
    event = field.event()
    envelope = field.envelope(event)

    [(status, answer)] = _post_all(harness, envelope)

    assert (status, answer) == (201, {"event_id": event.event_id, "status": "accepted"})
    assert harness.publisher.records == [(event.child_ref.encode(), envelope)]
    assert harness.quarantine.rejections == []


def test_the_record_key_is_the_verified_child_ref_whatever_the_request_says(
    field: Field, harness: Harness
) -> None:
    """A request carries envelope bytes only: the intake keys the record by the child_ref of the
    header it verified, so no client can file an event under another child's key (the
    ``key_mismatch`` of the router and the audit cannot start here). Anything in the request
    that looks like a key is ignored."""
    event = field.event(child_ref="c-7e57c0000003")
    envelope = field.envelope(event)
    claimed = "c-7e57c0000002"

    async def scenario(client: Client) -> int:
        response = await client.post(
            f"/v1/envelopes?key={claimed}",
            data=envelope,
            headers={**OCTET, "Kafka-Key": claimed, "X-Record-Key": claimed},
        )
        return response.status

    assert harness.run(scenario) == 201
    assert harness.publisher.records == [(b"c-7e57c0000003", envelope)]


def test_resend_of_the_same_event_is_answered_200_and_not_published_again(
    field: Field, harness: Harness
) -> None:
    event = field.event()
    envelope = field.envelope(event)
    encrypted_again = field.envelope(event)  # other ciphertext, same content

    answers = _post_all(harness, envelope, envelope, encrypted_again)

    assert [status for status, _ in answers] == [201, 200, 200]
    assert answers[1][1] == {"event_id": event.event_id, "status": "already accepted"}
    assert harness.publisher.records == [(event.child_ref.encode(), envelope)]


def test_resend_after_an_intake_restart_is_still_recognised(field: Field, harness: Harness) -> None:
    envelope = field.envelope()
    _post_all(harness, envelope)

    [(status, _)] = _post_all(harness, envelope)

    assert status == 200
    assert len(harness.publisher.records) == 1


def test_same_event_id_with_other_content_is_409_and_quarantined(
    field: Field, harness: Harness
) -> None:
    event = field.event()
    other = field.event(event_id=event.event_id, child_ref="c-7e57c0000002")

    answers = _post_all(harness, field.envelope(event), field.envelope(other))

    assert answers[1][0] == 409
    assert answers[1][1]["reason"] == "duplicate_event"
    assert len(harness.publisher.records) == 1
    [rejection] = harness.quarantine.rejections
    assert (rejection.reason, rejection.event_id) == ("duplicate_event", event.event_id)
    assert rejection.rejected_by == "intake"


def test_envelope_from_a_key_not_in_the_directory_is_422_unknown_key_and_quarantined(
    field: Field, harness: Harness
) -> None:
    stranger = KeyPair.generate(GROUP)
    plain = plain_event("ChildIdentified", GROUP)
    forged = forge(plain, stranger, reader_keys(field.world, [GROUP]))

    [(status, answer)] = _post_all(harness, forged)

    assert (status, answer["reason"]) == (422, "unknown_key")
    assert harness.publisher.records == []
    [rejection] = harness.quarantine.rejections
    assert rejection.reason == "unknown_key"
    assert rejection.value == forged


def test_tampered_envelope_is_422_signature_invalid(field: Field, harness: Harness) -> None:
    envelope = bytearray(field.envelope())
    envelope[-100] ^= 1

    [(status, answer)] = _post_all(harness, bytes(envelope))

    assert (status, answer["reason"]) == (422, "signature_invalid")
    assert harness.publisher.records == []


def test_envelope_signed_with_the_group_s_own_key_is_refused_as_not_a_device(
    field: Field, harness: Harness
) -> None:
    envelope = field.world.codec(GROUP).encode(field.event())

    [(status, answer)] = _post_all(harness, envelope)

    assert (status, answer["reason"], answer["code"]) == (422, "not_authorised", "not_a_device")
    assert harness.publisher.records == []


def test_event_type_the_group_may_not_emit_is_422_not_authorised(
    field: Field, harness: Harness
) -> None:
    plain = plain_event("RiskAssessed", GROUP)
    forged = forge(plain, field.devices["tablet-3"], reader_keys(field.world, [GROUP]))

    [(status, answer)] = _post_all(harness, forged)

    assert (status, answer["reason"], answer["code"]) == (422, "not_authorised", "not_authorised")
    assert harness.quarantine.rejections[0].event_id == plain["event_id"]


def test_revoked_device_is_refused_even_for_an_event_dated_before_the_revocation(
    field: Field, harness: Harness
) -> None:
    envelope = field.envelope(field.event(occurred_at="2026-06-01T10:00:00+05:00"))
    field.world.revoke(field.devices["tablet-3"], datetime.now(UTC) - timedelta(minutes=1))

    [(status, answer)] = _post_all(harness, envelope)

    assert (status, answer["reason"]) == (422, "key_revoked")


def test_oversized_body_is_413_and_nothing_is_published(harness: Harness) -> None:
    [(status, answer)] = _post_all(harness, bytes(harness.max_bytes + 1))

    assert (status, answer["reason"]) == (413, "too_large")
    assert harness.publisher.records == []


def test_body_that_is_not_octet_stream_is_415(field: Field, harness: Harness) -> None:
    async def scenario(client: Client) -> int:
        response = await client.post("/v1/envelopes", json={"event": "x"})
        return response.status

    assert harness.run(scenario) == 415
    assert harness.publisher.records == []


def test_broker_outage_answers_503_and_the_resend_is_published_once_it_is_back(
    field: Field, harness: Harness
) -> None:
    envelope = field.envelope()
    harness.publisher.down = True

    async def scenario(client: Client) -> list[int]:
        outage = await client.post("/v1/envelopes", data=envelope, headers=OCTET)
        assert outage.headers["Retry-After"]
        harness.publisher.down = False
        statuses = [outage.status]
        for _ in range(2):
            statuses.append((await _post(client, envelope))[0])
        return statuses

    assert harness.run(scenario) == [503, 201, 200]
    assert len(harness.publisher.records) == 1


def test_refusal_that_cannot_be_quarantined_answers_503(
    field: Field, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(rejection: object) -> None:
        raise ConnectionError("quarantine topic unreachable")

    monkeypatch.setattr(harness.quarantine, "put", unreachable)
    tampered = bytearray(field.envelope())
    tampered[-1] ^= 1

    [(status, answer)] = _post_all(harness, bytes(tampered))

    assert (status, answer["reason"]) == (503, "quarantine_unavailable")


def test_device_enrolled_after_start_is_accepted_once_the_directory_is_reloaded(
    field: Field, harness: Harness
) -> None:
    async def scenario(client: Client) -> int:
        harness.monotonic = 1.0  # one second after the intake loaded the directory
        field.enrol("tablet-4")  # and published
        return (await _post(client, field.envelope(label="tablet-4")))[0]

    assert harness.run(scenario) == 201
    assert harness.reloads == [5.0]  # waited for the minimum interval, then reloaded


def _forged(field: Field) -> bytes:
    plain = plain_event("ChildIdentified", GROUP)
    return forge(plain, KeyPair.generate(GROUP), reader_keys(field.world, [GROUP]))


def test_unknown_keys_arriving_together_share_one_reload(field: Field, harness: Harness) -> None:
    forged = [_forged(field) for _ in range(4)]

    async def scenario(client: Client) -> list[str]:
        harness.monotonic = 1.0
        answers = await asyncio.gather(*(_post(client, envelope) for envelope in forged))
        return [answer["reason"] for _, answer in answers]

    assert harness.run(scenario) == ["unknown_key"] * 4
    assert len(harness.reloads) == 1


def test_unknown_keys_one_after_another_reload_at_most_once_per_interval(
    field: Field, harness: Harness
) -> None:
    async def scenario(client: Client) -> list[str]:
        reasons = []
        for _ in range(3):
            harness.monotonic += 1.0  # a second after the previous answer
            reasons.append((await _post(client, _forged(field)))[1]["reason"])
        return reasons

    assert harness.run(scenario) == ["unknown_key"] * 3
    assert harness.reloads == [5.0, 10.0, 15.0]


def test_unknown_key_while_the_directory_cannot_be_read_answers_503(
    field: Field, harness: Harness
) -> None:
    def unreachable() -> KeyDirectory:
        raise ConnectionError("keys.directory.v1 unreachable")

    async def scenario(client: Client) -> tuple[int, dict[str, Any]]:
        harness.load = unreachable  # after the start, which read the directory
        harness.monotonic = 1.0
        return await _post(client, _forged(field))

    status, answer = harness.run(scenario)

    assert (status, answer["reason"]) == (503, "directory_unavailable")
    assert harness.quarantine.rejections == []


def test_concurrent_sends_of_one_event_publish_it_once(field: Field, harness: Harness) -> None:
    envelope = field.envelope()

    async def scenario(client: Client) -> list[int]:
        answers = await asyncio.gather(*(_post(client, envelope) for _ in range(5)))
        return sorted(status for status, _ in answers)

    assert harness.run(scenario) == [200, 200, 200, 200, 201]
    assert len(harness.publisher.records) == 1


def test_answers_and_logs_name_event_ids_but_never_child_refs_or_payloads(
    field: Field, harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure("intake")
    never_logged = [f"c-{uuid.uuid4().hex[:12]}" for _ in range(2)]
    event = field.event(child_ref=never_logged[0])
    conflict = field.event(event_id=event.event_id, child_ref=never_logged[1])

    answers = _post_all(harness, field.envelope(event), field.envelope(conflict))

    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert {(line["event"], line.get("event_id")) for line in lines} >= {
        ("envelope_accepted", event.event_id),
        ("envelope_refused", event.event_id),
    }
    text = err + json.dumps(answers)
    for secret in (*never_logged, *SECRETS_IN_PAYLOAD):
        assert secret not in text


def test_health_reports_the_key_directory(field: Field, harness: Harness) -> None:
    async def scenario(client: Client) -> tuple[int, dict[str, Any]]:
        response = await client.get("/health")
        return response.status, await response.json()

    status, answer = harness.run(scenario)

    assert status == 200
    assert answer == {
        "status": "ok",
        "certificates": len(field.world.directory.certificates()),
    }


def test_every_answer_is_json_and_nosniff_errors_included(field: Field, harness: Harness) -> None:
    envelope = field.envelope()
    tampered = bytearray(envelope)
    tampered[-1] ^= 1
    requests: list[tuple[str, str, bytes, dict[str, str]]] = [
        ("POST", "/v1/envelopes", envelope, OCTET),  # 201
        ("POST", "/v1/envelopes", bytes(tampered), OCTET),  # 422
        ("POST", "/v1/envelopes", b"{}", {"Content-Type": "application/json"}),  # 415
        ("POST", "/v1/envelopes", bytes(harness.max_bytes + 1), OCTET),  # 413
        ("GET", "/health", b"", {}),
        ("GET", "/no-such-page", b"", {}),  # aiohttp's own 404
        ("GET", "/v1/envelopes", b"", {}),  # and 405
    ]

    async def scenario(client: Client) -> list[tuple[int, str, str | None, Any]]:
        found = []
        for method, path, body, headers in requests:
            response = await client.request(method, path, data=body, headers=headers)
            nosniff = response.headers.get("X-Content-Type-Options")
            answer = json.loads(await response.text())
            found.append((response.status, response.content_type, nosniff, answer))
        return found

    found = harness.run(scenario)

    assert [status for status, *_ in found] == [201, 422, 415, 413, 200, 404, 405]
    assert {(content_type, nosniff) for _, content_type, nosniff, _ in found} == {
        ("application/json", "nosniff")
    }
    assert [answer["reason"] for *_, answer in found[5:]] == ["not_found", "method_not_allowed"]
