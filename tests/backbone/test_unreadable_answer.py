"""The agency's answer to an envelope it verified but could not read, and the router's check of
its cause (pure: no broker). The tampered envelopes are built and re-signed by the forger of
``support.envelopes``, as a producer holding its own signing key could."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from backbone.agency import view
from backbone.agency.receipts import awaiting_receipt
from backbone.agency.unreadable import Unreadable, answer, unreadable, unreadable_id
from backbone.consumer.inbound import Inbound
from backbone.consumer.quarantine import MemoryQuarantine
from backbone.consumer.reader import EnvelopeReader, Outcome
from backbone.domain.events import Event, parse_event
from backbone.domain.lifecycle import RecipientState, judge
from backbone.envelope.authorisation import ByLifecycle
from backbone.envelope.errors import NotAuthorised
from backbone.envelope.schemas import default_registry
from support.envelopes import (
    TEST_CHILD,
    World,
    forge,
    header_datum,
    make_event,
    make_world,
    parse_envelope,
    plain_event,
    reader_keys,
    sign_record,
)

POLICE, NGO = "police.turkestan", "ngo.shymkent.sana-sezim"
AFTER = datetime(2026, 12, 11, 11, 30, tzinfo=UTC)  # 16:30+05:00, half an hour after OCCURRED


@pytest.fixture(scope="module")
def world() -> World:
    return make_world()


def _refused_for(world: World, data: bytes, agency: str = NGO) -> str:
    """The quarantine reason of ``agency``'s inbox reader for ``data`` (it must refuse it)."""
    quarantine = MemoryQuarantine()
    reader = EnvelopeReader(world.codec(agency), quarantine, name=agency, require_body=True)
    delivery = reader.read(Inbound(data, key=TEST_CHILD.encode()))
    assert delivery.outcome is Outcome.QUARANTINED and delivery.rejection is not None
    return delivery.rejection.reason


def _found(
    world: World, data: bytes, agency: str = NGO, key: bytes | None = None
) -> Unreadable | None:
    record = Inbound(data, key=TEST_CHILD.encode() if key is None else key)
    return unreadable(world.codec(), record, _refused_for(world, data, agency), agency)


def _issued(world: World) -> tuple[Event, bytes]:
    event = make_event("ReferralIssued", POLICE, recipients=[NGO])
    return event, world.codec(POLICE).encode(event)


def _flipped(world: World, data: bytes, signer: str = POLICE) -> bytes:
    record = parse_envelope(data)
    ciphertext = bytearray(record["ciphertext"])
    ciphertext[len(ciphertext) // 2] ^= 0x01
    record["ciphertext"] = bytes(ciphertext)
    return sign_record(record, world.pairs[signer].signing_secret_key)


def test_a_flipped_ciphertext_byte_re_signed_by_the_producer_is_answered(world: World) -> None:
    issued, data = _issued(world)

    found = _found(world, _flipped(world, data))

    assert found == Unreadable(issued.without_payload(), "ciphertext_damaged")


def test_a_body_copied_under_a_new_header_is_answered(world: World) -> None:
    _, data = _issued(world)
    other = plain_event("ReferralIssued", POLICE, recipients=[NGO], referral_id="r-7e57e0000002")
    record = parse_envelope(data)
    record["header"] = header_datum(other)
    copied = sign_record(record, world.pairs[POLICE].signing_secret_key)

    found = _found(world, copied)

    assert found is not None and found.reason == "ciphertext_damaged"
    assert found.cause == parse_event(other).without_payload()


def test_a_body_sealed_to_a_key_the_reader_lacks_is_answered(world: World) -> None:
    plain = plain_event("ReferralIssued", POLICE, recipients=[NGO])
    [(police, *police_key), (ngo, _, ngo_public)] = reader_keys(world, [POLICE, NGO])
    data = forge(
        plain,
        world.pairs[POLICE],
        [(police, *police_key), (ngo, uuid.uuid4().bytes, ngo_public)],
    )

    found = _found(world, data)

    assert found is not None and found.reason == "reader_key_missing"


def test_a_body_that_does_not_decode_as_its_schema_is_answered_payload_invalid(
    world: World,
) -> None:
    plain = plain_event("ReferralIssued", POLICE, recipients=[NGO])
    schema = default_registry().payload("ReferralIssued")
    data = forge(
        plain,
        world.pairs[POLICE],
        reader_keys(world, [POLICE, NGO]),
        plaintext=schema.soe_prefix + b"\xff\xff\xff",
    )

    found = _found(world, data)

    assert found is not None and found.reason == "payload_invalid"


def test_an_envelope_that_does_not_verify_is_only_quarantined(world: World) -> None:
    _, data = _issued(world)
    flipped = bytearray(data)
    flipped[-100] ^= 0x01  # inside the ciphertext, not signed again

    assert _refused_for(world, bytes(flipped)) == "signature_invalid"
    assert _found(world, bytes(flipped)) is None
    # Even told "ciphertext_damaged", the answer needs the envelope to verify without its body.
    record = Inbound(bytes(flipped), key=TEST_CHILD.encode())
    assert unreadable(world.codec(), record, "ciphertext_damaged", NGO) is None


def test_a_damaged_body_under_a_header_that_breaks_the_contract_is_only_quarantined(
    world: World,
) -> None:
    # The body is opened before the whole header is judged, so the reader refuses it for the
    # body; verified without it, the header is refused: nothing to answer.
    plain = plain_event("ReferralIssued", POLICE, recipients=[NGO], attributes={"kind": "bogus"})
    record = parse_envelope(world.codec(POLICE).encode(make_event("ReferralIssued", POLICE)))
    record["header"] = header_datum(plain)
    data = sign_record(record, world.pairs[POLICE].signing_secret_key)

    assert _refused_for(world, data) == "ciphertext_damaged"
    assert _found(world, data) is None


def test_no_answer_to_a_misfiled_record_to_ones_own_event_or_to_an_answer(world: World) -> None:
    _, data = _issued(world)
    damaged = _flipped(world, data)
    assert _found(world, damaged, key=b"c-7e57c0000999") is None
    assert _found(world, damaged, agency=POLICE) is None  # the issuer reading its own copy
    answer_event = make_event("EnvelopeUnreadable", POLICE, payload={})
    answered = _flipped(world, world.codec(POLICE).encode(answer_event, [NGO]))
    assert _found(world, answered) is None


def test_the_answer_names_the_cause_and_is_the_same_when_made_again(world: World) -> None:
    issued, data = _issued(world)
    found = _found(world, _flipped(world, data))
    assert found is not None

    first = answer(found, NGO, AFTER)
    again = answer(found, NGO, AFTER)

    assert first == again and first.event_id == unreadable_id(NGO, issued.event_id)
    assert first.event_type == "EnvelopeUnreadable" and first.producer == NGO
    assert (first.causation_id, first.referral_id) == (issued.event_id, issued.referral_id)
    assert (first.child_ref, first.region, first.recipients) == (
        issued.child_ref,
        issued.region,
        (),
    )
    assert first.attributes == {"reason": "ciphertext_damaged"}
    assert parse_event(first.to_json()) == first
    sealed = world.codec(NGO).encode(first, [POLICE])
    opened = world.codec(POLICE).decode(sealed, require_body=True)
    assert opened.event == first and opened.readers == (NGO, POLICE)


def test_the_answer_never_precedes_its_cause(world: World) -> None:
    issued, data = _issued(world)
    found = _found(world, _flipped(world, data))
    assert found is not None

    early = answer(found, NGO, issued.occurred_at - timedelta(hours=2))

    assert early.occurred_at == issued.occurred_at
    verdicts = judge([issued.without_payload(), early.without_payload()])
    assert early.event_id in verdicts.transitions
    assert verdicts.referrals[str(issued.referral_id)].recipients[NGO] is RecipientState.UNREADABLE


def test_views_show_the_answer_and_the_recipient_owes_no_receipt(world: World) -> None:
    issued, data = _issued(world)
    found = _found(world, _flipped(world, data))
    assert found is not None
    reply = answer(found, NGO, AFTER)

    issuer_view = view.apply(view.apply(None, issued), reply)
    recipient_view = view.apply(None, reply)  # its own answer, back through its inbox

    assert issuer_view is not None and issuer_view["recipients"] == {NGO: "unreadable"}
    assert [line["event_type"] for line in issuer_view["history"]] == [
        "ReferralIssued",
        "EnvelopeUnreadable",
    ]
    assert recipient_view is not None and not awaiting_receipt(recipient_view, NGO)


def test_the_router_finds_the_cause_in_the_childs_history_or_refuses_the_answer(
    world: World,
) -> None:
    issued, data = _issued(world)
    found = _found(world, _flipped(world, data))
    assert found is not None
    reply = answer(found, NGO, AFTER)
    lifecycle = ByLifecycle()
    lifecycle.record(issued)

    lifecycle.check(reply)
    assert lifecycle.cause(reply) == issued.without_payload()

    stranger = make_event("EnvelopeUnreadable", NGO, payload={}, referral_id=issued.referral_id)
    with pytest.raises(NotAuthorised) as unknown:
        lifecycle.check(stranger)
    assert unknown.value.code == "cause_unknown"
    assert lifecycle.cause(stranger) is None

    elsewhere = replace(reply, referral_id="r-7e57e0000003")
    with pytest.raises(NotAuthorised) as mismatch:
        lifecycle.check(elsewhere)
    assert mismatch.value.code == "cause_mismatch"
