"""Key pairs, key ids and the keystore folder where private keys live (files mode 0600).

Every agency has two separate key pairs per generation: Ed25519 to sign envelopes and X25519 to
receive sealed content keys. A key id is ``blake2b-128(public key)``, 16 bytes (32 hex digits).
The directory root has one Ed25519 key that signs certificates.

Keystore layout (default ``run_dir()/keys``, or ``BACKBONE_KEYSTORE``)::

    root/root.key                          0600  the root's seed (only where certificates are made)
    root/root.pub                                the root public key: the trust anchor to hand out
    agencies/<agency>/<signing key id>.key 0600  one generation of an agency's two secret keys
    directory.json                               every signed certificate (public)

Nothing here prints or logs a secret; ``repr`` of a key object shows key ids only.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import nacl.bindings as sodium
import nacl.utils

from backbone.domain.agencies import AgencyId
from backbone.paths import private_dir, run_dir, write_private

KEY_ID_BYTES = 16
_ROOT_FORMAT = "kz-referral-root-key/v1"
_PAIR_FORMAT = "kz-referral-agency-keys/v1"


def key_id(public_key: bytes) -> bytes:
    """The 16-byte id of a public key: BLAKE2b with a 16-byte digest, no key, no personal."""
    return hashlib.blake2b(public_key, digest_size=KEY_ID_BYTES).digest()


class KeystoreError(RuntimeError):
    """A key file is missing, unreadable, inconsistent or would be overwritten."""


@dataclass(frozen=True)
class RootKey:
    """The directory's trust anchor: signs certificates."""

    seed: bytes = field(repr=False)

    @cached_property
    def _pair(self) -> tuple[bytes, bytes]:
        public, secret = sodium.crypto_sign_seed_keypair(self.seed)
        return public, secret

    @property
    def public_key(self) -> bytes:
        return self._pair[0]

    @property
    def key_id(self) -> bytes:
        return key_id(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return sodium.crypto_sign(message, self._pair[1])[: sodium.crypto_sign_BYTES]

    @classmethod
    def generate(cls) -> RootKey:
        return cls(nacl.utils.random(sodium.crypto_sign_SEEDBYTES))


@dataclass(frozen=True)
class KeyPair:
    """One generation of one agency's secret keys (Ed25519 seed and X25519 secret)."""

    agency: str
    signing_seed: bytes = field(repr=False)
    encryption_secret: bytes = field(repr=False)
    created_at: datetime

    @classmethod
    def generate(cls, agency: str, created_at: datetime | None = None) -> KeyPair:
        AgencyId.parse(agency)
        return cls(
            agency,
            nacl.utils.random(sodium.crypto_sign_SEEDBYTES),
            nacl.utils.random(sodium.crypto_box_SECRETKEYBYTES),
            created_at or datetime.now(UTC),
        )

    @cached_property
    def _signing(self) -> tuple[bytes, bytes]:
        public, secret = sodium.crypto_sign_seed_keypair(self.signing_seed)
        return public, secret

    @property
    def signing_public_key(self) -> bytes:
        return self._signing[0]

    @property
    def signing_secret_key(self) -> bytes:
        """libsodium's 64-byte Ed25519 secret key (seed + public key)."""
        return self._signing[1]

    @cached_property
    def encryption_public_key(self) -> bytes:
        return sodium.crypto_scalarmult_base(self.encryption_secret)

    @cached_property
    def signing_key_id(self) -> bytes:
        return key_id(self.signing_public_key)

    @cached_property
    def encryption_key_id(self) -> bytes:
        return key_id(self.encryption_public_key)


class Keyring:
    """The secret keys one agency's process holds: the newest generation signs, all decrypt."""

    def __init__(self, pairs: list[KeyPair], signing_key_id: bytes | None = None) -> None:
        if not pairs or len({p.agency for p in pairs}) != 1:
            raise KeystoreError("a keyring holds one or more key pairs of one agency")
        self.agency = pairs[0].agency
        by_id = {p.signing_key_id: p for p in pairs}
        newest = max(pairs, key=lambda p: p.created_at)
        if signing_key_id is not None and signing_key_id not in by_id:
            raise KeystoreError(f"{self.agency} holds no key {signing_key_id.hex()}")
        self.signing = by_id[signing_key_id] if signing_key_id else newest
        # encryption key id -> (public key, secret key) for crypto_box_seal_open
        self.encryption_keys: dict[bytes, tuple[bytes, bytes]] = {
            p.encryption_key_id: (p.encryption_public_key, p.encryption_secret) for p in pairs
        }

    def __repr__(self) -> str:
        return f"Keyring({self.agency}, signing={self.signing.signing_key_id.hex()})"


class Keystore:
    """The folder of key files; private files are written 0600 in 0700 folders."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or Path(os.environ.get("BACKBONE_KEYSTORE", run_dir() / "keys"))

    @property
    def directory_file(self) -> Path:
        return self.path / "directory.json"

    @property
    def root_public_file(self) -> Path:
        return self.path / "root" / "root.pub"

    def create_root(self) -> RootKey:
        secret_file = self.path / "root" / "root.key"
        if secret_file.exists():
            raise KeystoreError(f"{secret_file} exists; a root key is never overwritten")
        root = RootKey.generate()
        private_dir(self.path)
        write_private(
            secret_file,
            _dump(
                {
                    "format": _ROOT_FORMAT,
                    "key_id": root.key_id.hex(),
                    "public_key": root.public_key.hex(),
                    "seed": root.seed.hex(),
                }
            ),
        )
        self.root_public_file.write_text(root.public_key.hex() + "\n")
        return root

    def root(self) -> RootKey:
        data = _load(self.path / "root" / "root.key", _ROOT_FORMAT)
        root = RootKey(bytes.fromhex(data["seed"]))
        if root.public_key.hex() != data["public_key"]:
            raise KeystoreError("root.key: the seed does not give the recorded public key")
        return root

    def root_public_key(self) -> bytes:
        if not self.root_public_file.exists():
            raise KeystoreError(f"no trust anchor at {self.root_public_file}: run keys init-root")
        public = bytes.fromhex(self.root_public_file.read_text().strip())
        if len(public) != sodium.crypto_sign_PUBLICKEYBYTES:
            raise KeystoreError(f"{self.root_public_file} is not an Ed25519 public key")
        return public

    def save_pair(self, pair: KeyPair) -> Path:
        path = self.path / "agencies" / pair.agency / f"{pair.signing_key_id.hex()}.key"
        if path.exists():
            raise KeystoreError(f"{path} exists")
        private_dir(self.path)
        private_dir(path.parent.parent)
        write_private(
            path,
            _dump(
                {
                    "format": _PAIR_FORMAT,
                    "agency": pair.agency,
                    "created_at": pair.created_at.isoformat(),
                    "signing_key_id": pair.signing_key_id.hex(),
                    "signing_public_key": pair.signing_public_key.hex(),
                    "encryption_key_id": pair.encryption_key_id.hex(),
                    "encryption_public_key": pair.encryption_public_key.hex(),
                    "signing_seed": pair.signing_seed.hex(),
                    "encryption_secret": pair.encryption_secret.hex(),
                }
            ),
        )
        return path

    def pairs(self, agency: str) -> list[KeyPair]:
        folder = self.path / "agencies" / str(AgencyId.parse(agency))
        pairs = [_pair(_load(path, _PAIR_FORMAT), path) for path in sorted(folder.glob("*.key"))]
        return sorted(pairs, key=lambda p: p.created_at)

    def keyring(self, agency: str, signing_key_id: bytes | None = None) -> Keyring:
        pairs = self.pairs(agency)
        if not pairs:
            raise KeystoreError(f"no keys for {agency} in {self.path}")
        return Keyring(pairs, signing_key_id)


def _dump(data: dict[str, str]) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def _load(path: Path, expected_format: str) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        raise KeystoreError(f"cannot read key file {path}") from None
    if not isinstance(data, dict) or data.get("format") != expected_format:
        raise KeystoreError(f"{path} is not a {expected_format} file")
    return data


def _pair(data: dict[str, str], path: Path) -> KeyPair:
    try:
        pair = KeyPair(
            data["agency"],
            bytes.fromhex(data["signing_seed"]),
            bytes.fromhex(data["encryption_secret"]),
            datetime.fromisoformat(data["created_at"]),
        )
        consistent = (
            pair.signing_public_key.hex() == data["signing_public_key"]
            and pair.encryption_public_key.hex() == data["encryption_public_key"]
        )
    except (KeyError, ValueError, TypeError):
        raise KeystoreError(f"{path} is not a complete key file") from None
    if not consistent:
        raise KeystoreError(f"{path}: the secrets do not give the recorded public keys")
    return pair
