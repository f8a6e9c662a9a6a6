"""Writes ``replay-v1.1.json``: replay vectors for contracts/lifecycle-and-deadlines.md.

The inputs (events and evaluation times) are written here; every expected output is what
``backbone audit replay --events FILE --as-of T --json`` prints for them, with the national rules
only and the packaged calendar. ``tests/audit/test_contract_deadlines.py`` runs the cases again
and compares. Regenerate only after a deliberate change of the contract, and read the diff.
Identifiers are pseudonymous test tokens ("7e57"); no person is described.

Run: ``.venv/bin/python contracts/vectors/generate_replay.py``
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from backbone.cli import main as backbone

OUT = Path(__file__).with_name("replay-v1.1.json")

POLICE = "police.turkestan"
NGO = "ngo.turkestan.shelter-1"
CENTRE = "centre.turkestan.csc-2"
GUARDIANSHIP = "guardianship.turkestan"
SCHOOL = "school.turkestan.school-12"
SOCIAL = "social.turkestan"
HOTLINE = "hotline.national.116-16"
SUPERVISOR = "supervisor.turkestan"
CHILD, OTHER_CHILD = "c-7e57c0000001", "c-7e57c0000002"
R1, R2, R3 = "r-7e57e0000001", "r-7e57e0000002", "r-7e57e0000003"
CHECK_TIME = "2026-12-14T12:00:00+05:00"


def event_id(case: str, label: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"contract-vector:{case}:{label}"))


class Case:
    def __init__(self, name: str, as_of: str, description: str, check: int | None = None):
        self.name, self.as_of, self.description, self.check = name, as_of, description, check
        self.events: list[dict[str, Any]] = []
        self.ids: dict[str, str] = {}

    def add(
        self,
        label: str,
        event_type: str,
        at: str,
        producer: str,
        *,
        child: str = CHILD,
        referral: str | None = None,
        recipients: tuple[str, ...] = (),
        causation: str | None = None,
        **attributes: str,
    ) -> None:
        plain: dict[str, Any] = {
            "event_id": event_id(self.name, label),
            "event_type": event_type,
            "occurred_at": at,
            "producer": producer,
            "child_ref": child,
            "recipients": list(recipients),
            "region": "turkestan",
            "attributes": attributes,
        }
        if referral is not None:
            plain["referral_id"] = referral
        if causation is not None:
            plain["causation_id"] = self.ids[causation]
        self.ids[label] = plain["event_id"]
        self.events.append(plain)

    def issue(self, at: str = "2026-12-14T10:00:00+05:00", recipients=(NGO, CENTRE)) -> None:
        self.add(
            "issue",
            "ReferralIssued",
            at,
            POLICE,
            referral=R1,
            recipients=recipients,
            kind="victim_services",
        )

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"name": self.name, "description": self.description}
        if self.check is not None:
            found["check"] = self.check
        lines = "".join(json.dumps(e) + "\n" for e in self.events)
        status, out, err = replay(lines, self.as_of)
        assert status == 0 and not err, (self.name, status, err)
        return {**found, "as_of": self.as_of, "events": self.events, "expected": json.loads(out)}


def replay(text: str, as_of: str) -> tuple[int, str, str]:
    """``backbone audit replay --events FILE --as-of AS_OF --json`` on ``text``."""
    os.environ.pop("BACKBONE_SLA_RULES", None)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        path.write_text(text, encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = backbone(
                ["audit", "replay", "--events", str(path), "--as-of", as_of, "--json"]
            )
    return status, out.getvalue(), err.getvalue()


def worked_example() -> Case:
    c = Case(
        "worked-example",
        "2026-12-18T12:00:00+05:00",
        "The worked example of lifecycle-and-deadlines.md, section 9: a Friday handoff across a "
        "weekend and Independence Day, an unreadable copy and its reissue.",
    )
    c.add(
        "identified",
        "ChildIdentified",
        "2026-12-11T09:00:00+05:00",
        POLICE,
        accompanied="false",
        age_band="7-13",
        setting="police",
    )
    c.add(
        "issue",
        "ReferralIssued",
        "2026-12-11T16:00:00+05:00",
        POLICE,
        referral=R1,
        recipients=(NGO, CENTRE),
        kind="victim_services",
    )
    c.add("ngo-received", "ReferralReceived", "2026-12-14T09:30:00+05:00", NGO, referral=R1)
    c.add(
        "centre-unreadable",
        "EnvelopeUnreadable",
        "2026-12-14T10:00:00+05:00",
        CENTRE,
        referral=R1,
        causation="issue",
        reason="reader_key_missing",
    )
    c.add("school-accepts", "ReferralAccepted", "2026-12-15T10:00:00+05:00", SCHOOL, referral=R1)
    c.add(
        "reissue",
        "ReferralIssued",
        "2026-12-15T11:00:00+05:00",
        POLICE,
        referral=R2,
        recipients=(CENTRE,),
        causation="centre-unreadable",
        kind="victim_services",
    )
    c.add(
        "guardianship",
        "ReferralIssued",
        "2026-12-15T16:00:00+05:00",
        POLICE,
        referral=R3,
        recipients=(GUARDIANSHIP,),
        kind="guardianship_notification",
    )
    c.add("ngo-accepted", "ReferralAccepted", "2026-12-16T10:00:00+05:00", NGO, referral=R1)
    c.add("centre-received", "ReferralReceived", "2026-12-17T09:00:00+05:00", CENTRE, referral=R2)
    return c


def checks() -> list[Case]:
    """One case per row of the rejection table (section 3.3); the last event is the one refused,
    except where the description says otherwise."""
    cases = []

    def case(check: int, name: str, description: str) -> Case:
        made = Case(f"check-{check}-{name}", CHECK_TIME, description, check)
        cases.append(made)
        return made

    c = case(1, "not-authorised", "A school may not emit VictimStatusAssessed.")
    c.add(
        "assessed",
        "VictimStatusAssessed",
        "2026-12-14T10:00:00+05:00",
        SCHOOL,
        outcome="recognized",
        path="police",
    )
    c = case(
        2,
        "not-responsible",
        "The police hold the child (its first agency); the school may not close the case.",
    )
    c.add(
        "identified",
        "ChildIdentified",
        "2026-12-14T09:00:00+05:00",
        POLICE,
        accompanied="true",
        age_band="14-17",
        setting="police",
    )
    c.add("closed", "CaseClosed", "2026-12-14T10:00:00+05:00", SCHOOL, reason="other")
    c = case(
        3,
        "unknown-referral-answer-before-issue",
        "An EnvelopeUnreadable stamped before the ReferralIssued it names (line 2).",
    )
    c.issue()
    c.add(
        "unreadable",
        "EnvelopeUnreadable",
        "2026-12-14T09:59:00+05:00",
        NGO,
        referral=R1,
        causation="issue",
        reason="ciphertext_damaged",
    )
    c = case(4, "duplicate-referral", "A second ReferralIssued with a known referral_id.")
    c.issue()
    c.add(
        "again",
        "ReferralIssued",
        "2026-12-14T11:00:00+05:00",
        SOCIAL,
        referral=R1,
        recipients=(NGO,),
        kind="other",
    )
    c = case(5, "unknown-referral", "A receipt stamped before the referral's issue (line 2).")
    c.issue()
    c.add("received", "ReferralReceived", "2026-12-14T09:00:00+05:00", NGO, referral=R1)
    c = case(6, "child-mismatch", "A receipt of the referral written for another child.")
    c.issue()
    c.add(
        "received",
        "ReferralReceived",
        "2026-12-14T11:00:00+05:00",
        NGO,
        referral=R1,
        child=OTHER_CHILD,
    )
    c = case(7, "after-withdrawal", "A receipt after the issuer withdrew the referral.")
    c.issue()
    c.add(
        "withdrawn",
        "ReferralWithdrawn",
        "2026-12-14T10:30:00+05:00",
        POLICE,
        referral=R1,
        reason="issued_in_error",
    )
    c.add("received", "ReferralReceived", "2026-12-14T11:00:00+05:00", NGO, referral=R1)
    c = case(8, "not-issuer", "A recipient tries to withdraw the referral.")
    c.issue()
    c.add(
        "withdrawn",
        "ReferralWithdrawn",
        "2026-12-14T11:00:00+05:00",
        NGO,
        referral=R1,
        reason="other",
    )
    c = case(9, "referral-closed", "A withdrawal after the only recipient declined.")
    c.issue(recipients=(NGO,))
    c.add("received", "ReferralReceived", "2026-12-14T10:10:00+05:00", NGO, referral=R1)
    c.add(
        "declined",
        "ReferralDeclined",
        "2026-12-14T10:20:00+05:00",
        NGO,
        referral=R1,
        reason="no_capacity",
    )
    c.add(
        "withdrawn",
        "ReferralWithdrawn",
        "2026-12-14T11:00:00+05:00",
        POLICE,
        referral=R1,
        reason="resolved_otherwise",
    )
    c = case(10, "not-a-recipient", "A receipt from an agency the referral is not addressed to.")
    c.issue()
    c.add("received", "ReferralReceived", "2026-12-14T11:00:00+05:00", SCHOOL, referral=R1)
    c = case(11, "unreadable", "A receipt from a recipient that answered the issue as unreadable.")
    c.issue()
    c.add(
        "unreadable",
        "EnvelopeUnreadable",
        "2026-12-14T10:05:00+05:00",
        NGO,
        referral=R1,
        causation="issue",
        reason="payload_invalid",
    )
    c.add("received", "ReferralReceived", "2026-12-14T11:00:00+05:00", NGO, referral=R1)
    c = case(12, "duplicate-receipt", "A second receipt from the same recipient.")
    c.issue()
    c.add("received", "ReferralReceived", "2026-12-14T10:05:00+05:00", NGO, referral=R1)
    c.add("again", "ReferralReceived", "2026-12-14T11:00:00+05:00", NGO, referral=R1)
    c = case(
        13,
        "duplicate-receipt-unreadable",
        "An unreadable answer to the issue after the recipient received it.",
    )
    c.issue()
    c.add("received", "ReferralReceived", "2026-12-14T10:05:00+05:00", NGO, referral=R1)
    c.add(
        "unreadable",
        "EnvelopeUnreadable",
        "2026-12-14T11:00:00+05:00",
        NGO,
        referral=R1,
        causation="issue",
        reason="ciphertext_damaged",
    )
    c = case(14, "not-received", "An acceptance before the receipt.")
    c.issue()
    c.add("accepted", "ReferralAccepted", "2026-12-14T11:00:00+05:00", NGO, referral=R1)
    c = case(15, "already-decided", "A decline after an acceptance.")
    c.issue()
    c.add("received", "ReferralReceived", "2026-12-14T10:05:00+05:00", NGO, referral=R1)
    c.add("accepted", "ReferralAccepted", "2026-12-14T10:10:00+05:00", NGO, referral=R1)
    c.add(
        "declined",
        "ReferralDeclined",
        "2026-12-14T11:00:00+05:00",
        NGO,
        referral=R1,
        reason="no_capacity",
    )
    c = case(16, "not-accepting-recipient", "A completion by a recipient that only received.")
    c.issue()
    c.add("received", "ReferralReceived", "2026-12-14T10:05:00+05:00", NGO, referral=R1)
    c.add(
        "completed",
        "ReferralCompleted",
        "2026-12-14T11:00:00+05:00",
        NGO,
        referral=R1,
        outcome="services_delivered",
    )
    c = case(17, "already-completed", "A second completion.")
    c.issue()
    c.add("received", "ReferralReceived", "2026-12-14T10:05:00+05:00", NGO, referral=R1)
    c.add("accepted", "ReferralAccepted", "2026-12-14T10:10:00+05:00", NGO, referral=R1)
    c.add(
        "completed",
        "ReferralCompleted",
        "2026-12-14T10:20:00+05:00",
        NGO,
        referral=R1,
        outcome="services_delivered",
    )
    c.add(
        "again", "ReferralCompleted", "2026-12-14T11:00:00+05:00", NGO, referral=R1, outcome="other"
    )
    return cases


def more() -> list[Case]:
    cases = []
    c = Case(
        "unreadable-answers",
        CHECK_TIME,
        "An EnvelopeUnreadable that names another event but carries the referral_id meets that "
        "recipient's receipt and moves no state (no reissue is owed for it); one naming the issue "
        "from an agency that is not a recipient is refused; an identical repeat of line 2 (line "
        "6) is one event.",
    )
    c.add(
        "identified",
        "ChildIdentified",
        "2026-12-14T09:00:00+05:00",
        POLICE,
        accompanied="true",
        age_band="4-6",
        setting="police",
    )
    c.issue()
    c.add(
        "ngo-other",
        "EnvelopeUnreadable",
        "2026-12-14T10:30:00+05:00",
        NGO,
        referral=R1,
        causation="identified",
        reason="payload_invalid",
    )
    c.add(
        "supervisor",
        "EnvelopeUnreadable",
        "2026-12-14T10:40:00+05:00",
        SUPERVISOR,
        referral=R1,
        causation="issue",
        reason="reader_key_missing",
    )
    c.add(
        "centre-answer",
        "EnvelopeUnreadable",
        "2026-12-14T11:00:00+05:00",
        CENTRE,
        referral=R1,
        causation="issue",
        reason="ciphertext_damaged",
    )
    c.events.append(dict(c.events[1]))
    cases.append(c)

    c = Case(
        "answer-before-issue-judged-before-the-issue",
        "2026-12-14T09:59:30+05:00",
        "Case check-3 evaluated before the issue's instant: the issue is not a judged event, so "
        "the answer names no issue and is valid.",
    )
    c.issue()
    c.add(
        "unreadable",
        "EnvelopeUnreadable",
        "2026-12-14T09:59:00+05:00",
        NGO,
        referral=R1,
        causation="issue",
        reason="ciphertext_damaged",
    )
    cases.append(c)

    c = Case(
        "withdrawal-and-responsibility",
        "2026-12-16T12:00:00+05:00",
        "A withdrawal cancels what is still owed on the referral before its deadline and leaves "
        "what was met; at one instant the receipt ranks before the withdrawal, which cancels the "
        "decision that receipt opened; a later receipt is after_withdrawal; the issuer holds the "
        "withdrawn referral and may close the case.",
    )
    c.add(
        "identified",
        "ChildIdentified",
        "2026-12-14T09:00:00+05:00",
        NGO,
        accompanied="true",
        age_band="0-3",
        setting="ngo",
    )
    c.add(
        "issue",
        "ReferralIssued",
        "2026-12-14T09:30:00+05:00",
        NGO,
        referral=R1,
        recipients=(POLICE, CENTRE, SOCIAL),
        kind="police_notification",
    )
    c.add("police-received", "ReferralReceived", "2026-12-14T12:00:00+05:00", POLICE, referral=R1)
    c.add(
        "withdrawn",
        "ReferralWithdrawn",
        "2026-12-14T12:00:00+05:00",
        NGO,
        referral=R1,
        reason="resolved_otherwise",
    )
    c.add("centre-received", "ReferralReceived", "2026-12-14T13:00:00+05:00", CENTRE, referral=R1)
    c.add("closed", "CaseClosed", "2026-12-15T09:00:00+05:00", NGO, reason="no_protection_need")
    cases.append(c)

    c = Case(
        "hotline-alert-hours",
        "2026-12-12T02:30:00+05:00",
        "A hotline alert is owed within one hour, on any day; unanswered, it is at level 2 one "
        "more hour later. A receipt written in UTC; a fraction of a second kept in the deadline.",
    )
    c.add(
        "issue",
        "ReferralIssued",
        "2026-12-12T00:15:30.25+05:00",
        HOTLINE,
        referral=R1,
        recipients=(POLICE, SOCIAL),
        kind="hotline_alert",
    )
    c.add("police-received", "ReferralReceived", "2026-12-11T20:05:00Z", POLICE, referral=R1)
    c.add("decision", "ReferralAccepted", "2026-12-12T02:00:00+05:00", POLICE, referral=R1)
    cases.append(c)

    c = Case(
        "child-rules",
        "2027-01-20T12:00:00+05:00",
        "The child-scope rules of the identification path: met, late, and open at level 2.",
    )
    c.add(
        "application",
        "ServiceApplicationReceived",
        "2026-12-11T16:00:00+05:00",
        CENTRE,
        funding="state",
        via="self",
    )
    c.add(
        "assessed-provider",
        "VictimStatusAssessed",
        "2026-12-14T11:00:00+05:00",
        CENTRE,
        outcome="recognized",
        path="provider",
    )
    c.add(
        "assessed-police",
        "VictimStatusAssessed",
        "2026-12-15T11:00:00+05:00",
        POLICE,
        outcome="recognized",
        path="police",
    )
    c.add(
        "permission",
        "ReferralIssued",
        "2026-12-17T10:00:00+05:00",
        CENTRE,
        referral=R1,
        recipients=(GUARDIANSHIP,),
        kind="service_permission",
    )
    c.add(
        "police-notified",
        "ReferralIssued",
        "2026-12-17T11:00:00+05:00",
        CENTRE,
        referral=R2,
        recipients=(POLICE,),
        kind="police_notification",
    )
    cases.append(c)

    c = Case(
        "months",
        "2027-03-02T00:00:00+05:00",
        "Month periods: the month end, the next working day, and an evaluation time equal to "
        "three deadlines (pending).",
    )
    c.add(
        "adaptation",
        "PlacementMade",
        "2026-08-31T10:00:00+05:00",
        GUARDIANSHIP,
        facility="adaptation_centre",
    )
    c.add("contract", "ServiceContractSigned", "2026-08-31T11:00:00+05:00", CENTRE)
    c.add(
        "family",
        "PlacementMade",
        "2026-11-30T10:00:00+05:00",
        GUARDIANSHIP,
        facility="foster_family",
    )
    c.add(
        "support",
        "PlacementMade",
        "2026-09-01T10:00:00+05:00",
        GUARDIANSHIP,
        facility="support_centre",
    )
    c.add(
        "returned",
        "ChildReturnedHome",
        "2026-12-31T10:00:00+05:00",
        CENTRE,
        destination="in_country",
    )
    c.add("follow-up", "FollowUpRecorded", "2027-02-01T10:00:00+05:00", CENTRE, status="at_risk")
    c.add(
        "extended",
        "ServiceContractExtended",
        "2027-02-26T10:00:00+05:00",
        CENTRE,
        months="3",
        reason="criminal_case_open",
    )
    cases.append(c)
    return cases


def malformed(first: dict[str, Any]) -> dict[str, Any]:
    typo = {**first, "event_id": event_id("malformed-input", "typo"), "event_type": "ReferalIssued"}
    other_offset = {**first, "occurred_at": "2026-12-14T10:00:00+00:00"}
    lines = [json.dumps(first), "{not json", "", json.dumps(typo), json.dumps(other_offset)]
    status, out, err = replay("".join(line + "\n" for line in lines), CHECK_TIME)
    bad = [int(line.split(":", 1)[0]) for line in err.splitlines()]
    assert status == 2 and out == "" and bad == [2, 4, 5], (status, out, err)
    return {
        "name": "malformed-input",
        "description": "Bad input refuses the whole file: nothing on stdout, exit status 2, one "
        "`LINE: reason` line on stderr per bad line, in line order. Line 2 is not JSON, line 4 "
        "names an unknown event type, line 5 repeats line 1's event_id with other content (the "
        "same instant written with another offset).",
        "as_of": CHECK_TIME,
        "lines": lines,
        "exit_status": status,
        "bad_lines": bad,
    }


def dump(document: dict[str, Any]) -> str:
    """Two-space indentation, but one line per event and per input line."""
    held: dict[str, str] = {}

    def hold(value: Any) -> str:
        key = f"@@{len(held)}@@"
        held[json.dumps(key)] = json.dumps(value, ensure_ascii=False)
        return key

    for case in document["cases"]:
        case["events"] = [hold(e) for e in case["events"]]
    for case in document["malformed"]:
        case["lines"] = [hold(line) for line in case["lines"]]
    text = json.dumps(document, indent=2, ensure_ascii=False)
    for key, value in held.items():
        text = text.replace(key, value)
    return text + "\n"


def main() -> None:
    cases = [worked_example(), *checks(), *more()]
    document = {
        "description": (
            "Replay vectors of contract v1.1 (contracts/lifecycle-and-deadlines.md). A case is a "
            "JSON Lines file (its events, one per line, from line 1) and an evaluation time; "
            "expected is the output of `backbone audit replay --events FILE --as-of AS_OF "
            "--json` with the national rules and the packaged calendar. A malformed case lists "
            "raw lines, the exit status and the lines reported on stderr."
        ),
        "cases": [c.to_json() for c in cases],
        "malformed": [malformed(cases[1].events[0])],
    }
    text = dump(document)
    assert json.loads(text)["cases"][0]["expected"] == document["cases"][0]["expected"]
    OUT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
