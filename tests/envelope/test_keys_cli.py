"""``backbone keys``: private files stay private, revocation and rotation work end to end."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backbone.cli import main
from backbone.envelope.codec import EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.errors import KeyNotValidAtEventTime, KeyRevoked
from backbone.envelope.keys import Keystore
from support.envelopes import forge, make_event, plain_event

POLICE, NGO = "police.turkestan", "ngo.shymkent.sana-sezim"


def _keys(capsys: pytest.CaptureFixture[str], store: Path, *args: str) -> dict:
    assert main(["keys", *args, "--keystore", str(store)]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "keys"
    _keys(capsys, path, "init-root")
    since = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    _keys(capsys, path, "issue", POLICE, "--display-name", "Test Police", "--not-before", since)
    _keys(
        capsys,
        path,
        "issue",
        NGO,
        "--display-name",
        "Test NGO",
        "--funding",
        "international",
        "--not-before",
        since,
    )
    return path


def _codec(store: Path, agency: str) -> EnvelopeCodec:
    keystore = Keystore(store)
    directory = KeyDirectory.load(keystore.directory_file, keystore.root_public_key())
    return EnvelopeCodec(directory, keystore.keyring(agency))


def _when(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).astimezone().isoformat(timespec="seconds")


def test_private_key_files_are_owner_only_and_never_printed(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret_files = [store / "root" / "root.key", *(store / "agencies").glob("*/*.key")]
    assert len(secret_files) == 3
    printed = json.dumps(_keys(capsys, store, "list"))
    for path in secret_files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        document = json.loads(path.read_text())
        for name in ("seed", "signing_seed", "encryption_secret"):
            if name in document:
                assert document[name] not in printed
    assert stat.S_IMODE(store.stat().st_mode) == 0o700


def test_listing_shows_the_directory_fields(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = _keys(capsys, store, "list", "--agency", NGO)
    [certificate] = listing["certificates"]
    assert certificate["funding"] == "international"
    assert (certificate["agency_type"], certificate["region"]) == ("ngo", "shymkent")
    assert certificate["display_name"] == "Test NGO"


def test_root_is_never_overwritten(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (store / "root" / "root.key").read_bytes()
    assert main(["keys", "init-root", "--keystore", str(store)]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert (store / "root" / "root.key").read_bytes() == before


def test_revoke_stops_acceptance_of_new_events(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    producer = _codec(store, POLICE)
    earlier = producer.encode(make_event(occurred_at=_when(-timedelta(hours=2))), [NGO])
    later = producer.encode(make_event(occurred_at=_when(timedelta(hours=2))), [NGO])

    _keys(capsys, store, "revoke", POLICE, "--reason", "test: laptop lost")
    reader = _codec(store, NGO)

    assert reader.decode(earlier).opened
    with pytest.raises(KeyRevoked):
        reader.decode(later)
    with pytest.raises(KeyRevoked):  # appended by the broker after the revocation
        reader.decode(earlier, received_at=datetime.now(UTC) + timedelta(minutes=1))


def test_rotated_keys_still_verify_old_events(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keystore = Keystore(store)
    retired = keystore.keyring(POLICE).signing
    old_event = _codec(store, POLICE).encode(
        make_event(occurred_at=_when(-timedelta(hours=1))), [NGO]
    )
    rotated = _keys(capsys, store, "rotate", POLICE, "--at", _when(timedelta(0)))
    assert rotated["retired"]["not_after"] is not None
    _keys(capsys, store, "rotate", NGO)
    directory = KeyDirectory.load(keystore.directory_file, keystore.root_public_key())
    reader = EnvelopeCodec(directory, keystore.keyring(NGO))

    assert reader.decode(old_event).opened  # retired signing key, retired NGO box key
    new_event = _codec(store, POLICE).encode(
        make_event(occurred_at=_when(timedelta(minutes=5))), [NGO]
    )
    assert reader.decode(new_event).signer_key_id.hex() == rotated["issued"]["signing_key_id"]
    assert reader.decode(new_event).opened

    ngo_now = directory.current(NGO, datetime.now(UTC))
    assert ngo_now is not None
    late_with_retired_key = forge(
        plain_event(occurred_at=_when(timedelta(minutes=10))),
        retired,
        [
            (POLICE, retired.encryption_key_id, retired.encryption_public_key),
            (NGO, ngo_now.encryption_key_id, ngo_now.encryption_public_key),
        ],
    )
    with pytest.raises(KeyNotValidAtEventTime):
        reader.decode(late_with_retired_key)
