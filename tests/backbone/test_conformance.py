"""``backbone conformance --as AGENCY`` on the real broker, with the router running: an agency
whose system receipts and decides is conformant; one that nobody answers for is not, within the
timeout; the test referrals are withdrawn either way."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backbone.agency.conformance import issuer_of
from backbone.broker import topology
from backbone.domain.agencies import REGIONS
from backbone.envelope import administration
from backbone.envelope.directory_topic import publish_directory
from backbone.envelope.keys import Keystore
from backbone.scenario.payloads import referral_accepted, referral_declined
from support.broker import Broker
from support.deployment import BACKBONE, Deployment, deployment
from support.referrals import now_in_almaty

pytestmark = pytest.mark.broker


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
        deployed.start("router", "router")
        deployed.start_agency("answering")
        yield deployed


def _conformance(d: Deployment, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*BACKBONE, "conformance", *args],
        env=d.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _of(inbox: list[dict[str, Any]], event_type: str, referral_id: str) -> list[dict[str, Any]]:
    return [
        e
        for e in inbox
        if e.get("event_type") == event_type and e.get("referral_id") == referral_id
    ]


def _decision(d: Deployment, issue: dict[str, Any], accept: bool) -> dict[str, Any]:
    agency = d.agencies["answering"]
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "ReferralAccepted" if accept else "ReferralDeclined",
        "occurred_at": now_in_almaty(),
        "producer": agency,
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
    run = _conformance(backbone, "--as", agency, "--referrals", "2", "--decision-timeout", "120")
    decided: list[str] = []
    deadline = time.monotonic() + 150
    while run.poll() is None and time.monotonic() < deadline:
        inbox = backbone.inbox("answering")
        for issue in inbox:
            rid = issue.get("referral_id")
            if (
                issue.get("event_type") == "ReferralIssued"
                and issue.get("producer") == issuer
                and rid not in decided
                and _of(inbox, "ReferralReceived", str(rid))
                and issue["payload"]["summary"].startswith("Conformance test referral")
            ):
                backbone.emit("answering", [_decision(backbone, issue, not decided)], tmp_path)
                decided.append(str(rid))
        time.sleep(0.5)
    out, err = run.communicate(timeout=60)

    assert run.returncode == 0, err[-2000:] + out
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
    assert _withdrawn(backbone, decided) == {decided[0]}
    assert "Synthetic decline" not in out and "Test Worker" not in out


def test_an_agency_nobody_answers_for_is_not_conformant_within_the_timeout(
    backbone: Deployment,
) -> None:
    agency = backbone.agencies["silent"]  # no service runs for it
    started = time.monotonic()
    run = _conformance(
        backbone, "--as", agency, "--referrals", "2", "--timeout", "6", "--decision-timeout", "10"
    )
    out, err = run.communicate(timeout=120)
    elapsed = time.monotonic() - started

    assert run.returncode == 1, err[-2000:] + out
    report = json.loads(out)
    assert report["conformant"] is False
    assert len(report["referrals"]) == 2
    for referral in report["referrals"]:
        assert [p["code"] for p in referral["problems"]] == ["no_receipt"]
        assert referral["receipt"] is None and referral["decision"] is None
        assert referral["issue_delivered"] is True
        assert referral["withdrawal"] == "published"
    # 6 s of waiting, plus the process's start, the publish and the withdrawal.
    assert elapsed < 6 + 40
    ids = [r["referral_id"] for r in report["referrals"]]
    assert _withdrawn(backbone, ids) == set(ids)


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
