"""Enrolment: device keys certified under the group, in a folder that holds only them."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from field_world import GROUP, RECIPIENT

from backbone import cli as backbone_cli
from backbone.device import cli as device_cli
from backbone.device.enrolment import EnrolmentError, enrol
from backbone.device.folder import DeviceFolder
from backbone.domain.events import parse_event
from backbone.envelope.codec import EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.errors import EncodingRefused
from backbone.envelope.keys import Keystore
from support.envelopes import plain_event

SINCE = "2026-01-01T00:00:00+00:00"


@pytest.fixture
def admin(tmp_path: Path) -> Keystore:
    store = Keystore(tmp_path / "admin")
    assert backbone_cli.main(["keys", "init-root", "--keystore", str(store.path)]) == 0
    for agency in (GROUP, RECIPIENT):
        issue = ["keys", "issue", agency, "--display-name", f"Test {agency}"]
        assert (
            backbone_cli.main([*issue, "--not-before", SINCE, "--keystore", str(store.path)]) == 0
        )
    return store


def _directory(admin: Keystore) -> KeyDirectory:
    return KeyDirectory.load(admin.directory_file, admin.root_public_key())


def _enrol(admin: Keystore, device_dir: Path, label: str = "tablet-3") -> int:
    return device_cli.main(
        [
            "enrol",
            "--group",
            GROUP,
            "--device",
            label,
            "--device-dir",
            str(device_dir),
            "--keystore",
            str(admin.path),
            "--not-before",
            SINCE,
        ]
    )


def test_enrolment_makes_a_private_folder_holding_only_the_device_s_own_keys(
    admin: Keystore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    device_dir = tmp_path / "tablet-3"

    assert _enrol(admin, device_dir) == 0

    enrolled = json.loads(capsys.readouterr().out)["enrolled"]
    assert stat.S_IMODE(device_dir.stat().st_mode) == 0o700
    key_files = sorted(p.relative_to(device_dir) for p in device_dir.rglob("*.key"))
    assert key_files == [Path("agencies", GROUP, f"{enrolled['signing_key_id']}.key")]
    assert not (device_dir / "root" / "root.key").exists()
    assert (device_dir / "root" / "root.pub").read_text() == admin.root_public_file.read_text()
    certificate = _directory(admin).signer(bytes.fromhex(enrolled["signing_key_id"]))
    assert certificate is not None
    assert (certificate.subject, certificate.device) == (GROUP, "tablet-3")
    assert not list((admin.path / "agencies" / GROUP).glob(f"{enrolled['signing_key_id']}*"))


def test_two_devices_of_one_group_sign_valid_events_with_their_own_keys(
    admin: Keystore, tmp_path: Path
) -> None:
    assert _enrol(admin, tmp_path / "tablet-3") == 0
    assert _enrol(admin, tmp_path / "tablet-4", "tablet-4") == 0
    directory = _directory(admin)
    verifier = EnvelopeCodec(directory)

    signers = []
    for label in ("tablet-3", "tablet-4"):
        device = DeviceFolder.open(tmp_path / label)
        event = parse_event(plain_event("ChildIdentified", GROUP))
        verified = verifier.decode(device.codec().encode(event))
        assert verified.event.producer == GROUP
        signers.append(directory.signer(verified.signer_key_id))

    assert [(s.subject, s.device) for s in signers if s] == [
        (GROUP, "tablet-3"),
        (GROUP, "tablet-4"),
    ]
    group_key = directory.current(GROUP, datetime.now(UTC))
    assert group_key is not None and group_key.device is None  # readers still encrypt to it


def test_a_device_label_is_enrolled_once_until_its_key_is_revoked(
    admin: Keystore, tmp_path: Path
) -> None:
    first = enrol(admin, GROUP, "tablet-3", tmp_path / "first")

    with pytest.raises(EnrolmentError, match="revoke it before"):
        enrol(admin, GROUP, "tablet-3", tmp_path / "second")
    revoke = ["keys", "revoke", GROUP, "--key-id", first.signing_key_id.hex(), "--reason", "lost"]
    assert backbone_cli.main([*revoke, "--keystore", str(admin.path)]) == 0
    again = enrol(admin, GROUP, "tablet-3", tmp_path / "second")

    assert again.signing_key_id != first.signing_key_id


def test_group_without_its_own_certificate_cannot_enrol_devices(
    admin: Keystore, tmp_path: Path
) -> None:
    with pytest.raises(EnrolmentError, match="no current certificate"):
        enrol(admin, "mobile.turkestan.q2-raid", "tablet-1", tmp_path / "tablet-1")

    assert not (tmp_path / "tablet-1").exists()


def test_enrolment_never_overwrites_a_device_folder(admin: Keystore, tmp_path: Path) -> None:
    assert _enrol(admin, tmp_path / "tablet-3") == 0
    before = _directory(admin).certificates()

    assert _enrol(admin, tmp_path / "tablet-3", "tablet-5") == 2

    assert len(_directory(admin).certificates()) == len(before)


def test_device_learns_an_agency_certified_after_enrolment_from_a_newer_directory(
    admin: Keystore, tmp_path: Path
) -> None:
    assert _enrol(admin, tmp_path / "tablet-3") == 0
    device = DeviceFolder.open(tmp_path / "tablet-3")
    newcomer = "ngo.turkestan.new-shelter"
    issue = ["keys", "issue", newcomer, "--display-name", "Test new shelter"]
    assert backbone_cli.main([*issue, "--keystore", str(admin.path)]) == 0
    referral = parse_event(plain_event("ReferralIssued", GROUP, recipients=[newcomer]))
    with pytest.raises(EncodingRefused, match="no current encryption key"):
        device.codec().encode(referral)

    update = ["update-directory", "--device-dir", str(device.path)]
    assert device_cli.main([*update, "--file", str(admin.directory_file)]) == 0

    assert EnvelopeCodec(_directory(admin)).decode(device.codec().encode(referral)).readers == (
        GROUP,
        newcomer,
    )


def test_directory_made_under_another_root_is_not_merged(admin: Keystore, tmp_path: Path) -> None:
    assert _enrol(admin, tmp_path / "tablet-3") == 0
    other = Keystore(tmp_path / "other")
    assert backbone_cli.main(["keys", "init-root", "--keystore", str(other.path)]) == 0
    issue = ["keys", "issue", "police.turkestan", "--display-name", "Test police"]
    assert backbone_cli.main([*issue, "--keystore", str(other.path)]) == 0
    before = (tmp_path / "tablet-3" / "directory.json").read_bytes()

    update = ["update-directory", "--device-dir", str(tmp_path / "tablet-3")]
    assert device_cli.main([*update, "--file", str(other.directory_file)]) == 2

    assert (tmp_path / "tablet-3" / "directory.json").read_bytes() == before
