"""``backbone envelope inspect`` and ``verify``: one envelope's bytes judged offline.

Envelopes come from the test world (``support.envelopes``); the directory is handed over as a
keystore folder (its ``directory.json`` and ``root/root.pub``) or as a directory file with its
trust anchor, as ``backbone keys`` stores them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from backbone.cli import main
from backbone.envelope.keys import KeyPair, Keystore
from support.envelopes import (
    OCCURRED,
    SECRETS_IN_PAYLOAD,
    SINCE,
    TEST_CHILD,
    World,
    forge,
    make_event,
    parse_envelope,
    plain_event,
    reader_keys,
    sign_record,
)

POLICE, NGO, SCHOOL = "police.turkestan", "ngo.shymkent.sana-sezim", "school.turkestan.school-12"


@dataclass
class Files:
    envelope: Path
    keystore: Path  # directory.json and root/root.pub, no private key
    keys: Path  # the NGO's and the school's private keys, nothing else


@pytest.fixture
def files(world: World, tmp_path: Path) -> Files:
    keystore = tmp_path / "public"
    (keystore / "root").mkdir(parents=True)
    Keystore(keystore).root_public_file.write_text(world.root.public_key.hex() + "\n")
    world.directory.save(Keystore(keystore).directory_file)
    keys = Keystore(tmp_path / "private")
    for agency in (NGO, SCHOOL):
        keys.save_pair(world.pairs[agency])
    envelope = tmp_path / "envelope.bin"
    envelope.write_bytes(world.codec(POLICE).encode(make_event(), [NGO]))
    return Files(envelope, keystore, keys.path)


def _run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, Any, str]:
    """Exit status, stdout as JSON (None if empty) and stderr."""
    status = main(["envelope", *map(str, args)])
    out, err = capsys.readouterr()
    return status, json.loads(out) if out else None, err


def _no_secret(text: str) -> None:
    assert not any(secret in text for secret in SECRETS_IN_PAYLOAD)


def test_inspect_shows_the_clear_parts_without_any_key(
    world: World,
    files: Files,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record = parse_envelope(files.envelope.read_bytes())
    monkeypatch.setenv("BACKBONE_KEYSTORE", str(tmp_path / "no-keystore"))

    status, shown, err = _run(capsys, "inspect", files.envelope)

    assert status == 0 and err == ""
    assert shown["verified"] is False
    assert shown["signer_key_id"] == world.pairs[POLICE].signing_key_id.hex()
    assert shown["payload_schema"] == {
        "fingerprint": record["payload_schema"].hex(),
        "schema": "payloads/ChildIdentified",
        "version": 1,
    }
    assert [r["agency"] for r in shown["readers"]] == [NGO, POLICE]
    assert shown["readers"][0]["encryption_key_id"] == world.pairs[NGO].encryption_key_id.hex()
    header = shown["header"]
    assert (header["producer"], header["child_ref"], header["occurred_at"]) == (
        POLICE,
        TEST_CHILD,
        OCCURRED,
    )
    assert header["attributes"] == make_event().attributes
    assert shown["header_invalid"] is None
    _no_secret(json.dumps(shown, ensure_ascii=False))
    assert not (tmp_path / "no-keystore").exists()


def test_inspect_reads_hex_and_names_a_header_field_without_its_value(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plain = plain_event(region="Test-Name-Alpha lives at Test-Farm-Epsilon")
    forged = forge(plain, world.pairs[POLICE], reader_keys(world, [POLICE]))
    path = tmp_path / "forged.hex"
    path.write_text(forged.hex() + "\n")

    status, shown, _ = _run(capsys, "inspect", path, "--hex")

    assert status == 0
    assert shown["header"] is None
    assert "region" in shown["header_invalid"]
    _no_secret(json.dumps(shown, ensure_ascii=False))


def test_inspect_refuses_bytes_that_are_not_an_envelope(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "junk.bin"
    path.write_bytes(b"\xc3\x01" + bytes(40))

    status, shown, _ = _run(capsys, "inspect", path)

    assert status == 1
    assert "not an envelope" in shown["error"]


def test_verify_without_keys_accepts_and_prints_nothing_of_the_body(
    world: World, files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    status, shown, err = _run(
        capsys, "verify", files.envelope, "--directory", files.keystore, "--key", TEST_CHILD
    )

    assert (status, err) == (0, "")
    assert shown["verdict"] == "accepted"
    assert (shown["signer"], shown["opened"], shown["as"]) == (POLICE, False, None)
    assert shown["signer_key_id"] == world.pairs[POLICE].signing_key_id.hex()
    assert shown["readers"] == [NGO, POLICE]
    assert "payload" not in shown["event"]
    assert shown["event"]["child_ref"] == TEST_CHILD
    assert not any("record key" in item for item in shown["not_checked"])
    _no_secret(json.dumps(shown, ensure_ascii=False))


def test_verify_with_a_reader_s_keys_opens_the_body(
    files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    status, shown, _ = _run(
        capsys,
        "verify",
        files.envelope,
        "--directory",
        files.keystore,
        "--keys",
        files.keys,
        "--as",
        NGO,
    )

    assert status == 0
    assert (shown["verdict"], shown["opened"], shown["as"]) == ("accepted", True, NGO)
    assert shown["event"]["payload"]["given_name"] == "Test-Name-Alpha"
    assert any("record key" in item for item in shown["not_checked"])


def test_verify_takes_a_directory_file_with_its_trust_anchor(
    files: Files, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "handed-over"
    elsewhere.mkdir()
    directory = elsewhere / "directory.json"
    directory.write_text(Keystore(files.keystore).directory_file.read_text())

    without_anchor, _, err = _run(capsys, "verify", files.envelope, "--directory", directory)
    anchor = Keystore(files.keystore).root_public_file
    status, shown, _ = _run(
        capsys, "verify", files.envelope, "--directory", directory, "--trust-anchor", anchor
    )

    assert without_anchor == 2 and "--trust-anchor" in json.loads(err)["error"]
    assert (status, shown["verdict"]) == (0, "accepted")


def _tampered(world: World, files: Files) -> bytes:
    data = bytearray(files.envelope.read_bytes())
    data[-80] ^= 1  # a ciphertext byte, under the signature
    return bytes(data)


def _signed_by_another(world: World, files: Files) -> bytes:
    record = parse_envelope(files.envelope.read_bytes())
    record["signer_key_id"] = world.pairs[NGO].signing_key_id
    return sign_record(record, world.pairs[NGO].signing_secret_key)


def _not_allowed_by_type(world: World, files: Files) -> bytes:
    plain = plain_event("PlacementMade", SCHOOL)
    return forge(plain, world.pairs[SCHOOL], reader_keys(world, [SCHOOL]))


def _unknown_signer(world: World, files: Files) -> bytes:
    uncertified = KeyPair.generate(POLICE, SINCE)
    return forge(plain_event(), uncertified, reader_keys(world, [POLICE]))


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_tampered, "signature_invalid"),
        (_signed_by_another, "signer_mismatch"),
        (_not_allowed_by_type, "not_authorised"),
        (_unknown_signer, "unknown_key"),
    ],
)
def test_verify_gives_the_refusal_reason_and_exit_status_1(
    world: World,
    files: Files,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    make: Any,
    reason: str,
) -> None:
    path = tmp_path / "refused.hex"
    path.write_text(make(world, files).hex())

    status, shown, _ = _run(capsys, "verify", path, "--hex", "--directory", files.keystore)

    assert status == 1
    assert (shown["verdict"], shown["reason"]) == ("refused", reason)
    assert shown["detail"]
    _no_secret(json.dumps(shown, ensure_ascii=False))


def test_verify_refuses_a_record_key_that_is_not_child_ref(
    files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    status, shown, _ = _run(
        capsys, "verify", files.envelope, "--directory", files.keystore, "--key", "c-000000000000"
    )

    assert (status, shown["reason"]) == (1, "key_mismatch")
    assert "c-000000000000" not in shown["detail"]


def test_verify_as_an_agency_that_is_not_a_reader(
    files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    status, shown, _ = _run(
        capsys,
        "verify",
        files.envelope,
        "--directory",
        files.keystore,
        "--keys",
        files.keys,
        "--as",
        SCHOOL,
    )

    assert (status, shown["reason"]) == (1, "not_a_reader")


def test_verify_refuses_a_key_revoked_before_the_log_append_time(
    world: World, files: Files, capsys: pytest.CaptureFixture[str]
) -> None:
    revoked_at = SINCE + timedelta(days=400)  # after the event's occurred_at
    world.revoke(world.pairs[POLICE], revoked_at)
    world.directory.save(Keystore(files.keystore).directory_file)
    appended = (revoked_at + timedelta(hours=1)).isoformat()

    before, _, _ = _run(capsys, "verify", files.envelope, "--directory", files.keystore)
    status, shown, _ = _run(
        capsys,
        "verify",
        files.envelope,
        "--directory",
        files.keystore,
        "--received-at",
        appended,
    )

    assert before == 0
    assert (status, shown["reason"]) == (1, "key_revoked")


@pytest.mark.parametrize(
    "extra",
    [
        ["--keys", "KEYS"],  # --keys without --as
        ["--directory", "MISSING"],  # no such directory
    ],
)
def test_unusable_arguments_exit_2_with_a_message(
    files: Files, capsys: pytest.CaptureFixture[str], extra: list[str], tmp_path: Path
) -> None:
    substitute = {"KEYS": str(files.keys), "MISSING": str(tmp_path / "nowhere")}
    args = ["verify", str(files.envelope), "--directory", str(files.keystore)]
    args += [substitute.get(a, a) for a in extra]

    status, shown, err = _run(capsys, *args)

    assert (status, shown) == (2, None)
    assert json.loads(err)["error"]
