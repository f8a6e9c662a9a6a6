"""The device folder: everything a field device holds, in one 0700 folder, and nothing more.

::

    device.json                       the group, the device label and its signing key id
    root/root.pub                     the directory root's public key (the trust anchor)
    directory.json                    a copy of the public key directory (readers' keys)
    agencies/<group>/<key id>.key     0600  the device's own key pair (a keystore layout)
    queue/                            complete envelopes waiting to be sent, oldest first
    refused/                          envelopes the intake refused, each with its reason

The root's secret key, the group's own keys and other agencies' keys are never copied here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from backbone.envelope.codec import EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.keys import KeyPair, Keyring, Keystore
from backbone.paths import private_dir, write_private

FORMAT = "kz-referral-device/v1"


class DeviceFolderError(RuntimeError):
    """The device folder is missing, incomplete or would be overwritten."""


@dataclass(frozen=True)
class DeviceFolder:
    path: Path
    group: str
    device: str
    signing_key_id: bytes

    @property
    def keystore(self) -> Keystore:
        return Keystore(self.path)

    @classmethod
    def create(
        cls, path: Path, pair: KeyPair, device: str, root_public_key: bytes, directory: KeyDirectory
    ) -> DeviceFolder:
        if path.exists() and any(path.iterdir()):
            raise DeviceFolderError(f"{path} is not empty; a device folder is never overwritten")
        private_dir(path)
        folder = cls(path, pair.agency, device, pair.signing_key_id)
        store = folder.keystore
        store.save_pair(pair)
        private_dir(store.root_public_file.parent)
        store.root_public_file.write_text(root_public_key.hex() + "\n")
        directory.save(store.directory_file)
        identity = {
            "format": FORMAT,
            "group": pair.agency,
            "device": device,
            "signing_key_id": pair.signing_key_id.hex(),
        }
        write_private(path / "device.json", (json.dumps(identity, indent=2) + "\n").encode())
        return folder

    @classmethod
    def open(cls, path: Path) -> DeviceFolder:
        try:
            identity = json.loads((path / "device.json").read_text())
            if identity.get("format") != FORMAT:
                raise ValueError(identity.get("format"))
            return cls(
                path,
                identity["group"],
                identity["device"],
                bytes.fromhex(identity["signing_key_id"]),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise DeviceFolderError(
                f"{path} is not a device folder (no valid device.json)"
            ) from None

    def directory(self) -> KeyDirectory:
        store = self.keystore
        return KeyDirectory.load(store.directory_file, store.root_public_key())

    def update_directory(self, source: Path) -> int:
        """Merge a newer public directory file, checked against the device's own trust anchor.

        Returns how many certificates changed (new agencies, rotations, revocations).
        """
        store = self.keystore
        newer = KeyDirectory.load(source, store.root_public_key())
        directory = self.directory()
        changed = directory.extend((s.data, s.signature) for s in newer.certificates())
        directory.save(store.directory_file)
        return changed

    def keyring(self) -> Keyring:
        return self.keystore.keyring(self.group, self.signing_key_id)

    def codec(self) -> EnvelopeCodec:
        """Signs as this device and encrypts to readers' keys from the directory copy."""
        return EnvelopeCodec(self.directory(), self.keyring())

    def summary(self) -> dict[str, str]:
        return {
            "group": self.group,
            "device": self.device,
            "signing_key_id": self.signing_key_id.hex(),
            "folder": str(self.path),
        }
