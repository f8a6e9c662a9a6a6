"""``EnvelopeUnreadable`` on the real broker: the recipient's service, the router and the live
audit, each a process of its own.

Both attacks of an issuer on its own referral, re-signed with its own key so that every check
before the body passes: a flipped ciphertext byte, and the body of another of its referrals
copied under a new header. Before v1.1 the router delivered such a referral, the recipient
refused it in its own table only, and the audit counted a live referral whose receipt the
recipient could never send. Now the recipient answers at once, the router delivers the answer to
the issuer, the audit finds the receipt deadline met by the answer and the issuer owing a reissue.
"""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from backbone.agency.receipts import receipt_id
from backbone.agency.unreadable import unreadable_id
from backbone.broker.quarantine import read_quarantine
from backbone.broker.reader import TopicReader, read_range
from backbone.broker.topics import EVENT_LOG, inbox_topic
from backbone.broker.topology import principal_settings
from backbone.domain.events import Event, parse_event
from backbone.envelope.codec import EnvelopeCodec
from backbone.envelope.keys import Keystore
from support.broker import Broker
from support.deployment import Deployment, deployment, scrape, wait_for
from support.envelopes import header_datum, parse_envelope, plain_event, sign_record
from support.kafka_io import produce
from support.live_audit import AuditProcess, Publisher, ensure_audit_keys
from support.net import free_port
from support.referrals import now_in_almaty, referral
from support.service_logs import logged, tail

pytestmark = pytest.mark.broker

AUDIT_WAIT = 180.0  # a fresh live audit reads the whole shared log first


@dataclass
class Backbone:
    deployment: Deployment
    publisher: Publisher
    audit: AuditProcess
    ngo_metrics: int

    def agency(self, role: str) -> str:
        return self.deployment.agencies[role]

    def referral(self, **changes: Any) -> Event:
        plain = referral(self.agency("police"), [self.agency("ngo")], self.deployment.region)
        return parse_event({**plain, **changes})

    def as_issuer(self, data: bytes, child_ref: str) -> None:
        """Append ``data`` to the event log as the police, the issuer, would."""
        produce(principal_settings(self.agency("police")), EVENT_LOG, data, child_ref.encode())

    def resigned(self, record: dict[str, Any]) -> bytes:
        keyring = Keystore(self.deployment.keystore).keyring(self.agency("police"))
        return sign_record(record, keyring.signing.signing_secret_key)

    def answer_in_police_inbox(self, cause: Event) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next(
                (
                    e
                    for e in self.deployment.inbox("police")
                    if e.get("event_type") == "EnvelopeUnreadable"
                    and e.get("causation_id") == cause.event_id
                ),
                None,
            )

        return wait_for(
            found,
            timeout=90,
            what="the NGO's EnvelopeUnreadable in the police inbox",
            explain=lambda: self.log_tail("ngo"),
        )

    def pathway(self, child_ref: str, *needed: str) -> dict[str, Any]:
        """The child's pathway once the audit shows the events ``needed`` (by id)."""

        def shown() -> dict[str, Any] | None:
            if self.audit.health() is None:
                return None
            answer = self.audit.client.pathway(child_ref)
            if answer.status != 200:
                return None
            pathway: dict[str, Any] = answer.body["pathway"]
            ids = {step["event_id"] for step in pathway["timeline"]}
            return pathway if set(needed) <= ids else None

        return wait_for(
            shown, timeout=AUDIT_WAIT, what="the audit's pathway", explain=self.audit.log_tail
        )

    def metrics(self) -> str | None:
        return scrape(self.ngo_metrics)

    def log_tail(self, name: str, lines: int = 40) -> str:
        return tail(self.deployment.logs / f"{name}.log", lines)

    def logged(self, name: str, event: str) -> list[dict[str, Any]]:
        """The JSON log lines of ``event`` in service ``name``'s log."""
        return logged(self.deployment.logs / f"{name}.log", event)


@pytest.fixture(scope="module")
def backbone(broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backbone]:
    tmp = tmp_path_factory.mktemp("unreadable")
    ngo_metrics = free_port()
    with deployment(broker, tmp, {"police": "police", "ngo": "ngo"}) as deployed:
        ensure_audit_keys(broker.admin)
        deployed.start("router", "router")
        deployed.start_agency("ngo", env={"BACKBONE_METRICS_PORT": str(ngo_metrics)})
        deployed.start_agency("police")
        audit = AuditProcess(deployed, tmp / "state-audit").start()
        publisher = Publisher(deployed)
        try:
            wait_for(audit.health, timeout=AUDIT_WAIT, what="the live audit to start")
            yield Backbone(deployed, publisher, audit, ngo_metrics)
        finally:
            publisher.close()
            if audit.process is not None:
                audit.stop(signal.SIGTERM)
            audit.drop_internal_topics(broker.admin)


def _obligation(pathway: dict[str, Any], rule: str, trigger: str) -> dict[str, Any]:
    [found] = [
        o for o in pathway["obligations"] if o["rule"] == rule and o["trigger_event_id"] == trigger
    ]
    return found


def _the_recipient_is_not_blamed_and_the_issuer_owes(
    backbone: Backbone, issued: Event, answer: dict[str, Any]
) -> dict[str, Any]:
    police, ngo = backbone.agency("police"), backbone.agency("ngo")
    pathway = backbone.pathway(issued.child_ref, issued.event_id, answer["event_id"])
    receipt = _obligation(pathway, "referral-receipt", issued.event_id)
    assert (receipt["owed_by"], receipt["status"]) == (ngo, "met")
    assert receipt["closed_by_event_id"] == answer["event_id"]
    reissue = _obligation(pathway, "referral-reissue", answer["event_id"])
    assert reissue["owed_by"] == police and reissue["status"] in ("pending", "open")
    assert reissue["closed_by_event_id"] is None
    [state] = [r for r in pathway["referrals"] if r["referral_id"] == issued.referral_id]
    assert state["recipients"] == [{"agency": ngo, "state": "unreadable"}]
    steps = [s for s in pathway["timeline"] if s.get("referral_id") == issued.referral_id]
    assert [(s["event_type"], s["rejected"]) for s in steps] == [
        ("ReferralIssued", None),
        ("EnvelopeUnreadable", None),
    ]
    return pathway


def _answers(backbone: Backbone, issued: Event, since: dict[Any, int]) -> list[bytes]:
    """The records of the event log, from ``since``, that carry the NGO's answer to ``issued``."""
    verifier = EnvelopeCodec(backbone.publisher.directory)
    expected = unreadable_id(backbone.agency("ngo"), issued.event_id)
    found = []
    for part, start in since.items():
        for record in read_range(
            backbone.deployment.broker.admin, EVENT_LOG, part.partition, range(start, 2**62)
        ):
            mine = record.key == issued.child_ref.encode()
            if mine and verifier.decode(record.value).event.event_id == expected:
                found.append(record.value)
    return found


def _log_ends(backbone: Backbone) -> dict[Any, int]:
    with TopicReader(backbone.deployment.broker.admin, EVENT_LOG) as reader:
        return reader.mark_end()


def _counter(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    prefix = f"{name}{{{wanted}}} "
    return sum(float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix))


def test_a_flipped_ciphertext_byte_is_answered_and_the_issuer_owes_the_reissue(
    backbone: Backbone,
) -> None:
    police, ngo = backbone.agency("police"), backbone.agency("ngo")
    before = _log_ends(backbone)
    issued = backbone.referral()
    record = parse_envelope(backbone.publisher.codec(police).encode(issued))
    ciphertext = bytearray(record["ciphertext"])
    ciphertext[len(ciphertext) // 2] ^= 0x01
    damaged = backbone.resigned({**record, "ciphertext": bytes(ciphertext)})

    backbone.as_issuer(damaged, issued.child_ref)
    answer = backbone.answer_in_police_inbox(issued)

    assert answer["event_id"] == unreadable_id(ngo, issued.event_id)
    assert (answer["producer"], answer["referral_id"]) == (ngo, issued.referral_id)
    assert (answer["child_ref"], answer["region"]) == (issued.child_ref, issued.region)
    assert answer["attributes"] == {"reason": "ciphertext_damaged"}
    assert answer["recipients"] == [] and answer["payload"] == {}
    _the_recipient_is_not_blamed_and_the_issuer_owes(backbone, issued, answer)
    # The police service opens the answer in its inbox; its own damaged copy it does not answer.
    wait_for(
        lambda: [
            line
            for line in backbone.logged("police", "envelope_opened")
            if line.get("event_id") == answer["event_id"]
        ],
        what="the police service to open the answer",
        explain=lambda: backbone.log_tail("police"),
    )
    assert not backbone.logged("police", "unreadable_answered")

    # The router delivers that record to the NGO a second time (as after a crash between its
    # inbox write and its own record of the delivery): no second answer.
    text = wait_for(backbone.metrics, what="the NGO service's metrics")
    quarantined = _counter(
        text, "backbone_events_total", agency=ngo, outcome="quarantined", service="agency"
    )
    unreadable = dict(agency=ngo, producer=police, service="agency")
    assert _counter(text, "backbone_unreadable_envelopes_total", **unreadable) == 1
    produce(backbone.deployment.broker.admin, inbox_topic(ngo), damaged, issued.child_ref.encode())

    def handled_again() -> str | None:
        now = backbone.metrics() or ""
        counted = _counter(
            now, "backbone_events_total", agency=ngo, outcome="quarantined", service="agency"
        )
        return now if counted > quarantined else None

    after = wait_for(handled_again, what="the NGO service to handle the second copy")
    assert _counter(after, "backbone_unreadable_envelopes_total", **unreadable) == 1
    assert len(_answers(backbone, issued, before)) == 1
    assert issued.child_ref not in after and str(issued.referral_id) not in after


def test_a_body_copied_under_a_new_header_is_answered_and_the_reissue_closes_it(
    backbone: Backbone, tmp_path: Path
) -> None:
    police, ngo = backbone.agency("police"), backbone.agency("ngo")
    first = backbone.referral()
    backbone.publisher.publish([first])
    copied = backbone.referral(child_ref=first.child_ref)
    record = parse_envelope(backbone.publisher.codec(police).encode(first))
    record["header"] = header_datum(copied.to_json())
    backbone.as_issuer(backbone.resigned(record), copied.child_ref)

    answer = backbone.answer_in_police_inbox(copied)

    assert answer["attributes"] == {"reason": "ciphertext_damaged"}
    assert (answer["producer"], answer["referral_id"]) == (ngo, copied.referral_id)
    pathway = _the_recipient_is_not_blamed_and_the_issuer_owes(backbone, copied, answer)
    receipt = receipt_id(str(first.referral_id), ngo)  # the readable one was received
    pathway = backbone.pathway(first.child_ref, receipt)
    readable = _obligation(pathway, "referral-receipt", first.event_id)
    assert (readable["status"], readable["closed_by_event_id"]) == ("met", receipt)

    reissued = backbone.referral(child_ref=first.child_ref, causation_id=answer["event_id"])
    backbone.deployment.emit("police", [reissued.to_json()], tmp_path)
    closed = backbone.pathway(copied.child_ref, reissued.event_id)
    reissue = _obligation(closed, "referral-reissue", answer["event_id"])
    assert (reissue["status"], reissue["closed_by_event_id"]) == ("met", reissued.event_id)


def test_an_answer_to_an_event_the_router_never_accepted_is_quarantined(
    backbone: Backbone,
) -> None:
    ngo = backbone.agency("ngo")
    stray = parse_event(
        {
            **backbone.referral().to_json(),
            "event_type": "EnvelopeUnreadable",
            "producer": ngo,
            "recipients": [],
            "attributes": {"reason": "ciphertext_damaged"},
            "causation_id": str(uuid.uuid4()),
            "payload": {},
        }
    )

    backbone.publisher.publish([stray])

    rejected = wait_for(
        lambda: [
            r
            for r in read_quarantine(backbone.deployment.broker.admin)
            if r.event_id == stray.event_id
        ],
        what="the stray answer in the quarantine",
    )
    assert (rejected[0].reason, rejected[0].rejected_by) == ("not_authorised", "router")
    assert rejected[0].detail.startswith("cause_unknown")


def test_the_router_delivers_an_answer_to_its_causes_producer_by_its_own_history(
    backbone: Backbone,
) -> None:
    """An answer sealed to its producer alone still reaches the producer of its cause, found by
    the router in the child's history: the police's inbox gets it (and, not a reader, cannot
    open it)."""
    police, ngo = backbone.agency("police"), backbone.agency("ngo")
    child_ref = f"c-{uuid.uuid4().hex[:12]}"
    common = {"child_ref": child_ref, "region": backbone.deployment.region}
    cause = parse_event(
        plain_event("ChildIdentified", police, occurred_at=now_in_almaty(), **common)
    )
    answer = parse_event(
        plain_event(
            "EnvelopeUnreadable",
            ngo,
            occurred_at=now_in_almaty(),
            attributes={"reason": "reader_key_missing"},
            causation_id=cause.event_id,
            payload={},
            **common,
        )
    )
    backbone.publisher.publish([cause])

    backbone.publisher.publish([answer])  # readers: the NGO only

    delivered = wait_for(
        lambda: [
            e for e in backbone.deployment.inbox("police") if e.get("event_id") == answer.event_id
        ],
        what="the answer in the police inbox",
    )
    assert delivered == [
        {"refused": "not_a_reader", "detail": delivered[0]["detail"], "event_id": answer.event_id}
    ]
