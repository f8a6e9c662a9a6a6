"""The key directory admits only root-signed certificates and never forgets a revocation."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backbone.envelope.certificates import (
    CERTIFICATE_DOMAIN,
    new_certificate,
    reissue,
    sign_certificate,
)
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.errors import CertificateInvalid
from backbone.envelope.keys import KeyPair, RootKey
from support.envelopes import SINCE, World

POLICE = "police.turkestan"


def test_certificate_signed_by_another_root_is_refused(world: World) -> None:
    impostor = RootKey.generate()
    pair = KeyPair.generate(POLICE)
    signed = sign_certificate(new_certificate(pair, impostor, "Test Police"), impostor)
    with pytest.raises(CertificateInvalid):
        world.directory.add(signed.data, signed.signature)


def test_certificate_with_a_changed_byte_is_refused(world: World) -> None:
    pair = KeyPair.generate(POLICE)
    signed = sign_certificate(new_certificate(pair, world.root, "Test Police"), world.root)
    changed = bytearray(signed.data)
    changed[-20] ^= 0x01
    with pytest.raises(CertificateInvalid):
        world.directory.add(bytes(changed), signed.signature)


def test_subject_type_must_match_the_certificate(world: World) -> None:
    pair = KeyPair.generate(POLICE)
    wrong = new_certificate(pair, world.root, "Test Police")
    with pytest.raises(CertificateInvalid):
        sign_certificate(replace(wrong, agency_type="ngo"), world.root)


def test_revocation_cannot_be_undone_by_a_later_certificate(world: World) -> None:
    pair = world.pairs[POLICE]
    original = world.certificate(pair)
    world.revoke(pair, SINCE + timedelta(days=30))
    unrevoked = reissue(original, issued_at=datetime.now(UTC) + timedelta(days=1))
    assert unrevoked.revoked_at is None
    signed = sign_certificate(unrevoked, world.root)
    with pytest.raises(CertificateInvalid):
        world.directory.add(signed.data, signed.signature)
    assert world.certificate(pair).revoked_at == SINCE + timedelta(days=30)


def test_an_older_certificate_arriving_late_changes_nothing(world: World) -> None:
    pair = world.pairs[POLICE]
    older = sign_certificate(world.certificate(pair), world.root)
    world.certify(reissue(world.certificate(pair), not_after=SINCE + timedelta(days=400)))
    version = world.directory.version
    assert world.directory.add(older.data, older.signature) is False
    assert world.directory.version == version
    assert world.certificate(pair).not_after == SINCE + timedelta(days=400)


def test_directory_file_round_trip(world: World, tmp_path: Path) -> None:
    world.revoke(world.pairs[POLICE], SINCE + timedelta(days=30))
    path = tmp_path / "directory.json"
    world.directory.save(path)

    loaded = KeyDirectory.load(path, world.root.public_key)

    assert [s.data for s in loaded.certificates()] == [
        s.data for s in world.directory.certificates()
    ]
    with pytest.raises(CertificateInvalid):
        KeyDirectory.load(path, RootKey.generate().public_key)


def test_topic_entry_round_trip_keeps_every_generation(world: World) -> None:
    pair = world.pairs[POLICE]
    world.certify(reissue(world.certificate(pair), not_after=SINCE + timedelta(days=10)))
    successor = KeyPair.generate(POLICE, SINCE + timedelta(days=10))
    world.certify(
        new_certificate(successor, world.root, "Test Police", not_before=SINCE + timedelta(days=10))
    )
    fresh = KeyDirectory(world.root.public_key)

    assert fresh.add_entry(world.directory.entry(POLICE)) == 2
    assert fresh.signer(pair.signing_key_id) is not None
    assert fresh.current(POLICE, SINCE + timedelta(days=20)) == world.certificate(successor)
    assert fresh.current(POLICE, SINCE + timedelta(days=5)) == world.certificate(pair)


def test_entry_holding_another_agencys_certificate_is_refused(world: World) -> None:
    entry = world.directory.entry(POLICE)
    record = world.directory.registry.soe_decode(entry)[1]
    record["subject"] = "ngo.shymkent.sana-sezim"
    schema = world.directory.registry.latest("directory", "DirectoryEntry")
    with pytest.raises(CertificateInvalid):
        KeyDirectory(world.root.public_key).add_entry(
            world.directory.registry.soe_encode(schema, record)
        )


def test_certificate_signature_is_domain_separated(world: World) -> None:
    """The root signs the prefix and the bytes, so a bare signature over the bytes fails."""
    pair = KeyPair.generate(POLICE)
    signed = sign_certificate(new_certificate(pair, world.root, "Test Police"), world.root)
    bare = world.root.sign(signed.data)
    assert world.root.sign(CERTIFICATE_DOMAIN + signed.data) == signed.signature
    with pytest.raises(CertificateInvalid):
        KeyDirectory(world.root.public_key).add(signed.data, bare)


def test_a_certificate_that_no_longer_verifies_is_kept_out_of_a_loaded_file(
    world: World, tmp_path: Path
) -> None:
    """E.g. a test agency certified before contract v1.1 with a region that is no code now: the
    rest of the local store stays usable, and the refused one is listed with its reason."""
    path = tmp_path / "directory.json"
    world.directory.save(path)
    document = json.loads(path.read_text())
    damaged = bytearray(bytes.fromhex(document["certificates"][0]["signature"]))
    damaged[0] ^= 1
    document["certificates"][0]["signature"] = damaged.hex()
    path.write_text(json.dumps(document))

    loaded = KeyDirectory.load(path, world.root.public_key)

    assert len(loaded.certificates()) == len(world.directory.certificates()) - 1
    assert list(loaded.refused) == ["directory.json/0"]
    assert "signature" in loaded.refused["directory.json/0"]
