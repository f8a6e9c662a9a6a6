"""The Java reference implementation (contracts/java) against the Python codec, both ways.

One run of the Java interoperability tool (``kz.referral.contract.Interop``, through Maven) with
TEST-ONLY keys: Python issues certificates for three agencies, Java issues one for a fourth with
the same root; Java writes envelopes as that fourth agency, which the Python codec (certificate
admitted by Python's directory) verifies and opens to the same events; and Java reads envelopes
the Python codec made, intact and changed, and must reach the verdict Python reaches (the same
event and content digest, or the same reason).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nacl.bindings as sodium

from backbone.consumer.gate import decode_record
from backbone.consumer.inbound import Inbound
from backbone.domain.events import parse_event
from backbone.envelope.certificates import new_certificate, sign_certificate
from backbone.envelope.codec import ENVELOPE_DOMAIN, EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.errors import EnvelopeRejected
from backbone.envelope.keys import KeyPair, Keyring, RootKey
from backbone.paths import PROJECT_ROOT

JAVA = PROJECT_ROOT / "contracts" / "java"
VECTORS = PROJECT_ROOT / "contracts" / "vectors"
SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def _seed(label: str) -> bytes:
    """TEST-ONLY secrets: the label's ASCII text padded with dots to 32 bytes."""
    return f"TEST-ONLY {label}".encode().ljust(32, b".")


ROOT = RootKey(_seed("interop root"))
POLICE, SHELTER = "police.turkestan", "ngo.shymkent.test-shelter-1"
JAVA_READER, JAVA_WRITER = "school.turkestan.java-reader", "school.turkestan.java-writer"
LABELS = {POLICE: "police", SHELTER: "shelter", JAVA_READER: "jreader", JAVA_WRITER: "jwriter"}
PAIRS = {
    agency: KeyPair(agency, _seed(f"{label} sign"), _seed(f"{label} box"), SINCE)
    for agency, label in LABELS.items()
}
CHILD = "c-7e57c0000042"


def _payloads() -> dict[str, Any]:
    v1 = json.loads((VECTORS / "envelope-v1.json").read_text())
    referral = {
        "summary": "Synthetic interop referral; it describes no one.",
        "urgency": "urgent",
        "requested_services": ["psychological"],
        "contact_name": "Test-Worker",
        "contact_phone": None,
        "documents": [],
    }
    return {"ChildIdentified": v1["event"]["payload"], "ReferralIssued": referral}


def _event(number: int, event_type: str, producer: str, **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": f"7e570000-0000-4000-8000-{number:012d}",
        "event_type": event_type,
        "occurred_at": "2026-12-11T16:00:00+05:00",
        "producer": producer,
        "child_ref": CHILD,
        "recipients": [],
        "region": "turkestan",
        "attributes": {},
        "referral_id": None,
        "causation_id": None,
        "correlation_id": None,
        "payload": _payloads().get(event_type, {}),
    }
    event.update(fields)
    return event


def _python_directory(extra: list[dict[str, str]] | None = None) -> KeyDirectory:
    directory = KeyDirectory(ROOT.public_key)
    for item in _python_certificates() + (extra or []):
        directory.add(bytes.fromhex(item["certificate_hex"]), bytes.fromhex(item["signature_hex"]))
    return directory


def _python_certificates() -> list[dict[str, str]]:
    out = []
    for agency in (POLICE, SHELTER, JAVA_READER):
        funding = "international" if agency.startswith("ngo.") else None
        certificate = new_certificate(
            PAIRS[agency],
            ROOT,
            f"Test {agency}",
            funding=funding,
            not_before=SINCE,
            issued_at=SINCE,
        )
        signed = sign_certificate(certificate, ROOT)
        out.append({"certificate_hex": signed.data.hex(), "signature_hex": signed.signature.hex()})
    return out


def _verdict(
    directory: KeyDirectory, agency: str | None, value: bytes, key: bytes | None
) -> dict[str, Any]:
    """What the Python reader makes of one record: the event and digest, or the reason."""
    keyring = None if agency is None else Keyring([PAIRS[agency]])
    codec = EnvelopeCodec(directory, keyring)
    try:
        envelope = decode_record(
            codec, Inbound(value=value, key=key), require_body=agency is not None
        )
    except EnvelopeRejected as error:
        return {"reason": error.reason}
    return {"reason": None, "event": envelope.event.to_json(), "digest": envelope.digest.hex()}


def _run_java(request: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    mvn = shutil.which("mvn")
    assert mvn, "Maven (mvn) is needed for the Java reference implementation"
    request_file, response_file = tmp_path / "request.json", tmp_path / "response.json"
    request_file.write_text(json.dumps(request))
    argv = [
        mvn,
        "-B",
        "-q",
        "-Dstyle.color=never",
        "-f",
        str(JAVA / "pom.xml"),
        "compile",
        "exec:java",
    ]
    argv.append(f"-Dexec.args={request_file} {response_file}")
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=240, env={**os.environ}, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    response: dict[str, Any] = json.loads(response_file.read_text())
    return response


def test_java_and_python_read_each_others_envelopes(tmp_path: Path) -> None:
    directory = _python_directory()
    police = EnvelopeCodec(directory, Keyring([PAIRS[POLICE]]))
    issued = _event(
        1,
        "ReferralIssued",
        POLICE,
        recipients=[JAVA_READER],
        attributes={"kind": "victim_services"},
        referral_id="r-7e57e0000042",
        correlation_id="7e570000-0000-4000-8000-0000000000c0",
    )
    issued_bytes = police.encode(parse_event(issued))
    own = police.encode(
        parse_event(
            _event(
                2,
                "ChildIdentified",
                POLICE,
                attributes={"accompanied": "false", "age_band": "7-13", "setting": "police"},
            )
        )
    )
    flipped = bytearray(issued_bytes)
    flipped[-1] ^= 1
    # The header's region with a byte that is not UTF-8, signed again: not an Avro string (5).
    not_utf8 = bytearray(issued_bytes[:-64])
    at = not_utf8.index(b"turkestan")
    not_utf8[at] = 0xFF
    signed = sodium.crypto_sign(ENVELOPE_DOMAIN + bytes(not_utf8), PAIRS[POLICE].signing_secret_key)
    not_utf8 += signed[:64]  # crypto_sign: the signature, then the message
    key = CHILD.encode()
    # (Java reads as, value, record key): each verdict must be Python's.
    reads: list[tuple[str | None, bytes, bytes | None]] = [
        (JAVA_READER, issued_bytes, key),
        (None, issued_bytes, key),
        (JAVA_READER, bytes(flipped), key),
        (JAVA_READER, issued_bytes, b"c-7e57c0000043"),
        (JAVA_READER, issued_bytes, None),
        (JAVA_READER, own, key),
        (None, issued_bytes[:50], key),
        (None, issued_bytes[:9], key),
        (None, bytes(not_utf8), key),
    ]
    writer = PAIRS[JAVA_WRITER]
    writes = [
        _event(
            11,
            "ReferralIssued",
            JAVA_WRITER,
            recipients=[SHELTER],
            attributes={"kind": "education_enrolment"},
            referral_id="r-7e57e0000043",
            causation_id="7e570000-0000-4000-8000-000000000001",
            correlation_id="7e570000-0000-4000-8000-0000000000c1",
        ),
        _event(
            12,
            "ChildIdentified",
            JAVA_WRITER,
            attributes={"setting": "school", "age_band": "14-17", "accompanied": "true"},
        ),
        _event(
            13,
            "EnvelopeUnreadable",
            JAVA_WRITER,
            attributes={"reason": "ciphertext_damaged"},
            referral_id="r-7e57e0000042",
            causation_id="7e570000-0000-4000-8000-000000000001",
        ),
    ]
    extra_readers = [[], [POLICE], [POLICE]]
    request = {
        "root_seed_hex": _seed("interop root").hex(),
        "certificates": _python_certificates(),
        "issue": [
            {
                "agency": JAVA_WRITER,
                "display_name": f"Test {JAVA_WRITER}",
                "signing_seed_hex": writer.signing_seed.hex(),
                "encryption_secret_hex": writer.encryption_secret.hex(),
                "not_before": "2026-01-01T00:00:00Z",
                "issued_at": "2026-01-01T00:00:00Z",
            }
        ],
        "write": [
            {"signing_seed_hex": writer.signing_seed.hex(), "event": event, "readers": readers}
            for event, readers in zip(writes, extra_readers, strict=True)
        ],
        "read": [
            {
                "agency": agency,
                "secrets_hex": [] if agency is None else [PAIRS[agency].encryption_secret.hex()],
                "require_body": agency is not None,
                "value_hex": value.hex(),
                "record_key_hex": None if record_key is None else record_key.hex(),
                "received_at": None,
            }
            for agency, value, record_key in reads
        ],
    }
    response = _run_java(request, tmp_path)

    # Python's directory admits the certificate Java issued, and opens what Java wrote.
    directory = _python_directory(response["issued"])
    assert directory.signer(PAIRS[JAVA_WRITER].signing_key_id) is not None
    for event, readers, value in zip(writes, extra_readers, response["written"], strict=True):
        data = bytes.fromhex(value)
        expected = parse_event(event).to_json()
        for agency in sorted({JAVA_WRITER, *event["recipients"], *readers}):
            if agency == JAVA_WRITER:
                continue
            assert _verdict(directory, agency, data, key)["event"] == expected, agency
        header = parse_event(event).to_json(include_payload=False)
        assert _verdict(directory, None, data, key)["event"] == header
        assert _verdict(directory, JAVA_READER, data, key)["reason"] == "not_a_reader"

    # Java reaches Python's verdict on every record Python made.
    assert len(response["read"]) == len(reads)
    for (agency, value, record_key), java in zip(reads, response["read"], strict=True):
        python = _verdict(directory, agency, value, record_key)
        assert java["reason"] == python["reason"], (agency, java["detail"])
        if python["reason"] is None:
            assert java["event"] == python["event"]
            assert java["content_digest_hex"] == python["digest"]
    reasons = [r["reason"] for r in response["read"]]
    assert reasons == [
        None,
        None,
        "signature_invalid",
        "key_mismatch",
        "key_mismatch",
        "not_a_reader",
        "malformed_envelope",
        "malformed_envelope",
        "malformed_envelope",
    ]
