"""Enrolment: a device's key pair, certified by the directory root under its group.

The certificate's subject is the group, so events a device signs carry ``producer`` = the group
and pass every consumer's check that the signer belongs to the producer; its ``device`` field names
the device. Each device has its own signing key, so several devices of one group are valid at
once and one lost tablet is revoked alone (``backbone keys revoke <group> --key-id <key id>``).
Device certificates never serve as the group's encryption key (``KeyDirectory.current``), so
readers keep encrypting to the group's own key.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from backbone.device.folder import DeviceFolder
from backbone.envelope.certificates import Certificate, new_certificate, sign_certificate
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.keys import KeyPair, Keystore, RootKey

# The same form as a part of an agency id: lower case, digits and inner hyphens.
DEVICE_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


class EnrolmentError(ValueError):
    """The device cannot be enrolled as asked; nothing was written."""


def device_certificate(
    pair: KeyPair,
    root: RootKey,
    group: Certificate,
    device: str,
    *,
    not_before: datetime | None = None,
    issued_at: datetime | None = None,
) -> Certificate:
    """The certificate of ``pair`` for ``device`` of the group that ``group`` certifies."""
    if not DEVICE_LABEL.match(device):
        raise EnrolmentError(f"device label {device!r} must be [a-z0-9-], 1-40 characters")
    if pair.agency != group.subject or group.device is not None:
        raise EnrolmentError("the device's keys must be made for the group it is enrolled in")
    certificate = new_certificate(
        pair,
        root,
        group.display_name,
        funding=group.funding,
        not_before=not_before,
        issued_at=issued_at,
    )
    return replace(certificate, device=device)


def enrol(
    admin: Keystore, group: str, device: str, folder: Path, *, not_before: datetime | None = None
) -> DeviceFolder:
    """Make the device's keys in ``folder``, certify them and save the admin's directory.

    The directory still has to be published (``backbone keys publish``) before the intake
    accepts the device's envelopes.
    """
    directory = KeyDirectory.load(admin.directory_file, admin.root_public_key())
    now = datetime.now(UTC)
    own = directory.current(group, now)
    if own is None:
        raise EnrolmentError(f"{group} has no current certificate: issue its keys first")
    _refuse_second_enrolment(directory, group, device, now)
    root = admin.root()
    pair = KeyPair.generate(group)
    signed = sign_certificate(
        device_certificate(pair, root, own, device, not_before=not_before),
        root,
        directory.registry,
    )
    directory.add(signed.data, signed.signature)
    enrolled = DeviceFolder.create(folder, pair, device, admin.root_public_key(), directory)
    directory.save(admin.directory_file)
    return enrolled


def _refuse_second_enrolment(
    directory: KeyDirectory, group: str, device: str, now: datetime
) -> None:
    for signed in directory.certificates(group):
        held = signed.certificate
        live = held.revoked_at is None and (held.not_after is None or now < held.not_after)
        if held.device == device and live:
            raise EnrolmentError(
                f"device {device} of {group} holds key {held.signing_key_id.hex()};"
                " revoke it before enrolling the device again"
            )
