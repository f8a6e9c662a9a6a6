"""``backbone conformance --as AGENCY`` on the real broker, with the router running: an agency
whose system receipts and decides is conformant; one that nobody answers for is not, within the
timeout; the test referrals are withdrawn either way."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from synthetic.payloads import referral_accepted, referral_declined

from backbone.agency.conformance import issuer_of
from backbone.audit.core.calendar import ALMATY
from backbone.broker import topology
from backbone.broker.directory_topic import publish_directory
from backbone.broker.topics import EVENT_LOG, inbox_topic
from backbone.domain.agencies import REGIONS
from backbone.envelope import administration
from backbone.envelope.keys import Keystore
from support.broker import Broker
from support.deployment import BACKBONE, Deployment, consumer_lag, deployment, wait_for
from support.net import free_port
from support.service_logs import tail

pytestmark = pytest.mark.broker

# How long the router has to catch up with the event log when it starts (everything earlier
# tests wrote on this broker while no router ran), and the agency's service to start reading.
SERVICES_READY_SECONDS = 120


@pytest.fixture(scope="module")
def backbone(broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    roles = {"answering": "ngo", "silent": "guardianship"}
    with deployment(broker, tmp_path_factory.mktemp("deployment"), roles) as deployed:
        # The operator's one-off provisioning of the region's conformance issuer (shared by the
        # runs in that region, as supervisor.<region> is).
        issuer = issuer_of(deployed.region)
        topology.apply(broker.admin, topology.load(agencies=[issuer]))
        store = Keystore(deployed.keystore)
        if not store.pairs(issuer):
            since = datetime.now(UTC) - timedelta(days=400)
            administration.issue(store, issuer, "conformance issuer", not_before=since)
        publish_directory(broker.admin, administration.directory_of(store))
        deployed.agencies["issuer"] = issuer
        router_port, agency_port = free_port(), free_port()
        deployed.start("router", "router", env={"BACKBONE_METRICS_PORT": str(router_port)})
        deployed.start_agency("answering", env={"BACKBONE_METRICS_PORT": str(agency_port)})
        # The command checks a running backbone: the router delivering (its lag on the event
        # log measured and nothing left to read) and the agency's service reading its inbox
        # (it measures its lag once its partitions are assigned).
        answering = deployed.agencies["answering"]
        wait_for(
            lambda: consumer_lag(router_port, "router", EVENT_LOG) == 0,
            timeout=SERVICES_READY_SECONDS,
            what="the router to catch up with the event log",
            explain=lambda: _tail(deployed, "router"),
        )
        wait_for(
            lambda: (
                consumer_lag(agency_port, "agency", inbox_topic(answering), answering) is not None
            ),
            timeout=SERVICES_READY_SECONDS,
            what="the agency's service to read its inbox",
            explain=lambda: _tail(deployed, "answering"),
        )
        yield deployed


def _tail(d: Deployment, name: str) -> str:
    return tail(d.logs / f"{name}.log", 30)


@dataclass
class Run:
    """One ``backbone conformance`` process, its output in files (a pipe nobody reads while the
    test plays the agency could fill up and stop it)."""

    process: subprocess.Popen[bytes]
    out: Path
    err: Path

    def finished(self) -> bool:
        return self.process.poll() is not None

    def result(self) -> tuple[int, str, str]:
        status = self.process.wait(timeout=60)
        return status, self.out.read_text(), self.err.read_text()[-2000:]


def _conformance(d: Deployment, tmp: Path, *args: str) -> Run:
    out, err = tmp / "conformance.out", tmp / "conformance.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [*BACKBONE, "conformance", *args], env=d.env(), stdout=stdout, stderr=stderr
        )
    return Run(process, out, err)


def _of(inbox: list[dict[str, Any]], event_type: str, referral_id: str) -> list[dict[str, Any]]:
    return [
        e
        for e in inbox
        if e.get("event_type") == event_type and e.get("referral_id") == referral_id
    ]


def _decision(
    d: Deployment, issue: dict[str, Any], receipt: dict[str, Any], accept: bool
) -> dict[str, Any]:
    """The agency's decision, stamped now but never before its receipt: the reference service
    stamps the receipt to the microsecond, and a decision stamped earlier (to the second, in the
    same second) comes first in time order, so the router refuses it (``not_received``) and the
    issuer never sees it."""
    at = max(datetime.now(UTC), datetime.fromisoformat(receipt["occurred_at"]))
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "ReferralAccepted" if accept else "ReferralDeclined",
        "occurred_at": at.astimezone(ALMATY).isoformat(),
        "producer": d.agencies["answering"],
        "child_ref": issue["child_ref"],
        "recipients": [],
        "region": issue["region"],
        "attributes": {} if accept else {"reason": "not_in_mandate"},
        "referral_id": issue["referral_id"],
        "payload": referral_accepted("Test Worker")
        if accept
        else referral_declined("Synthetic decline"),
    }


def _withdrawn(d: Deployment, referral_ids: list[str]) -> set[str]:
    inbox = d.inbox("issuer")
    return {r for r in referral_ids if _of(inbox, "ReferralWithdrawn", r)}


def test_an_agency_that_receipts_and_decides_is_conformant(
    backbone: Deployment, tmp_path: Path
) -> None:
    """The reference service sends the receipts; the test plays the agency's system and decides
    each referral once its receipt is out: the first accepted, the second declined."""
    agency, issuer = backbone.agencies["answering"], backbone.agencies["issuer"]
    run = _conformance(
        backbone, tmp_path, "--as", agency, "--referrals", "2", "--decision-timeout", "120"
    )
    decided: list[str] = []

    def play_the_agency() -> bool:
        """Decide each test referral whose receipt is out; true once the run has finished."""
        inbox = backbone.inbox("answering")
        for issue in inbox:
            rid = str(issue.get("referral_id"))
            receipts = _of(inbox, "ReferralReceived", rid)
            if (
                issue.get("event_type") == "ReferralIssued"
                and issue.get("producer") == issuer
                and rid not in decided
                and receipts
            ):
                decision = _decision(backbone, issue, receipts[0], accept=not decided)
                backbone.emit("answering", [decision], tmp_path)
                decided.append(rid)
        return run.finished()

    wait_for(play_the_agency, timeout=240, what="the conformance run to finish")
    status, out, err = run.result()

    assert status == 0, err + out
    report = json.loads(out)
    assert report["conformant"] is True and report["issuer"] == issuer
    by_id = {r["referral_id"]: r for r in report["referrals"]}
    assert sorted(by_id) == sorted(decided)
    first, second = (by_id[rid] for rid in decided)
    for referral in (first, second):
        assert referral["problems"] == []
        assert referral["receipt"]["within_contract"] is True
        assert 0 <= referral["receipt"]["seconds"] <= referral["decision"]["seconds"]
    assert first["decision"]["event_type"] == "ReferralAccepted"
    assert second["decision"]["event_type"] == "ReferralDeclined"
    # The accepted referral was still open: withdrawn. The declined one is finished.
    assert (first["withdrawal"], second["withdrawal"]) == ("published", "not_needed")
    wait_for(
        lambda: decided[0] in _withdrawn(backbone, decided),
        what="the accepted referral's withdrawal in the issuer's inbox",
    )
    assert _withdrawn(backbone, decided) == {decided[0]}
    assert "Synthetic decline" not in out and "Test Worker" not in out


def test_an_agency_nobody_answers_for_is_not_conformant_within_the_timeout(
    backbone: Deployment, tmp_path: Path
) -> None:
    agency = backbone.agencies["silent"]  # no service runs for it
    run = _conformance(
        backbone,
        tmp_path,
        *("--as", agency, "--referrals", "2", "--timeout", "6", "--decision-timeout", "10"),
    )
    wait_for(run.finished, timeout=120, what="the conformance run to finish")
    status, out, err = run.result()

    assert status == 1, err + out
    report = json.loads(out)
    assert report["conformant"] is False
    assert report["expectations"]["receipt_timeout_seconds"] == 6
    assert len(report["referrals"]) == 2
    for referral in report["referrals"]:
        assert referral["issue_delivered"] is True
        assert [p["code"] for p in referral["problems"]] == ["no_receipt"]
        assert referral["receipt"] is None and referral["decision"] is None
        assert referral["withdrawal"] == "published"
    ids = [r["referral_id"] for r in report["referrals"]]
    wait_for(
        lambda: _withdrawn(backbone, ids) == set(ids),
        what="both withdrawals in the issuer's inbox",
    )


def test_without_the_conformance_issuer_it_refuses_and_says_how_to_provision(
    backbone: Deployment,
) -> None:
    agency = backbone.agencies["answering"]
    keystore = Keystore(backbone.keystore)
    unprovisioned = [r for r in sorted(REGIONS) if not keystore.pairs(issuer_of(r))]
    assert unprovisioned, "every region has a conformance issuer on this keystore"
    other = unprovisioned[0]
    result = backbone.cli("conformance", "--as", agency, "--region", other, check=False)

    assert result.returncode == 2 and result.stdout == ""
    assert issuer_of(other) in result.stderr and "backbone keys issue" in result.stderr
