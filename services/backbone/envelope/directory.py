"""The agency key directory: every root-signed certificate, looked up by key id or agency.

Loaded from the compacted ``keys.directory.v1`` topic (``broker.directory_topic``) or from a
file for offline use. Merge rules, applied whatever the arrival order:

* a certificate is admitted only if the configured root's signature verifies;
* per signing key, the certificate with the latest ``issued_at`` wins; an older one is ignored;
* a revoked certificate is final: a later one for the same key is refused (no unrevocation);
* two different certificates with the same key and the same ``issued_at`` are refused.

Old generations stay, so events signed before a rotation still verify.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from backbone.envelope.certificates import Certificate, SignedCertificate, verify_certificate
from backbone.envelope.errors import CertificateInvalid, SchemaUnknown
from backbone.envelope.keys import key_id
from backbone.envelope.schemas import AvroDataError, SchemaRegistry, default_registry

FILE_FORMAT = "kz-referral-key-directory/v1"


class KeyDirectory:
    """Certificates under one trust anchor (the root's Ed25519 public key)."""

    def __init__(self, root_public_key: bytes, registry: SchemaRegistry | None = None) -> None:
        self.root_public_key = root_public_key
        self.root_key_id = key_id(root_public_key)
        self.registry = registry or default_registry()
        self._by_key: dict[bytes, SignedCertificate] = {}
        self._by_subject: dict[str, list[bytes]] = {}
        # Bumped on every change, so that callers may cache what they derive.
        self.version = 0
        # Topic records that did not verify: "topic/partition/offset" -> why (no secrets).
        self.refused: dict[str, str] = {}

    def add(self, data: bytes, signature: bytes) -> bool:
        """Admit one signed certificate; return whether the directory changed."""
        return self._admit(verify_certificate(data, signature, self.root_public_key, self.registry))

    def _admit(self, signed: SignedCertificate) -> bool:
        new = signed.certificate
        known = self._by_key.get(signed.signing_key_id)
        if known is not None:
            old = known.certificate
            if known.data == signed.data:
                return False
            if (old.subject, old.device, old.encryption_public_key) != (
                new.subject,
                new.device,
                new.encryption_public_key,
            ):
                raise CertificateInvalid(
                    f"key {signed.signing_key_id.hex()} is already certified otherwise"
                )
            if new.issued_at < old.issued_at:
                return False
            if new.issued_at == old.issued_at:
                raise CertificateInvalid(
                    f"two certificates for key {signed.signing_key_id.hex()} at one issued_at"
                )
            if old.revoked_at is not None:
                raise CertificateInvalid(
                    f"key {signed.signing_key_id.hex()} is revoked; revocation is final"
                )
        else:
            self._by_subject.setdefault(new.subject, []).append(signed.signing_key_id)
        self._by_key[signed.signing_key_id] = signed
        self.version += 1
        return True

    def signer(self, signing_key_id: bytes) -> Certificate | None:
        signed = self._by_key.get(signing_key_id)
        return None if signed is None else signed.certificate

    def certificates(self, subject: str | None = None) -> list[SignedCertificate]:
        subjects = [subject] if subject is not None else sorted(self._by_subject)
        return [self._by_key[k] for s in subjects for k in self._by_subject.get(s, [])]

    def subjects(self) -> list[str]:
        return sorted(self._by_subject)

    def current(self, agency: str, instant: datetime) -> Certificate | None:
        """The agency's own (not a device's) newest certificate usable at ``instant``."""
        usable = [
            s.certificate
            for s in self.certificates(agency)
            if s.certificate.device is None and s.certificate.usable_at(instant)
        ]
        return max(usable, key=lambda c: (c.not_before, c.issued_at), default=None)

    # The topic form: one DirectoryEntry per agency, key = agency id.

    def entry(self, subject: str) -> bytes:
        schema = self.registry.latest("directory", "DirectoryEntry")
        return self.registry.soe_encode(
            schema,
            {
                "subject": subject,
                "certificates": [
                    {"certificate": s.data, "signature": s.signature}
                    for s in self.certificates(subject)
                ],
            },
        )

    def add_entry(self, data: bytes) -> int:
        """Admit every certificate of one topic record; return how many changed the directory."""
        try:
            _, entry = self.registry.soe_decode(
                data, self.registry.latest("directory", "DirectoryEntry")
            )
        except (AvroDataError, SchemaUnknown) as error:
            raise CertificateInvalid(f"directory entry: {error}") from None
        items = [(item["certificate"], item["signature"]) for item in entry["certificates"]]
        return self.extend(items, subject=entry["subject"])

    # The file form, for offline use.

    def save(self, path: Path) -> None:
        document = {
            "format": FILE_FORMAT,
            "root_key_id": self.root_key_id.hex(),
            "certificates": [
                {"certificate": s.data.hex(), "signature": s.signature.hex()}
                for s in self.certificates()
            ],
        }
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(document, indent=2) + "\n")
        temporary.replace(path)

    @classmethod
    def load(
        cls, path: Path, root_public_key: bytes, registry: SchemaRegistry | None = None
    ) -> KeyDirectory:
        directory = cls(root_public_key, registry)
        if not path.exists():
            return directory
        document = json.loads(path.read_text())
        if document.get("format") != FILE_FORMAT:
            raise CertificateInvalid(f"{path} is not a {FILE_FORMAT} file")
        if document.get("root_key_id") != directory.root_key_id.hex():
            raise CertificateInvalid(f"{path} was made under another root key")
        admitted = []
        for index, item in enumerate(document["certificates"]):
            data, signature = bytes.fromhex(item["certificate"]), bytes.fromhex(item["signature"])
            try:
                verify_certificate(data, signature, directory.root_public_key, directory.registry)
            except CertificateInvalid as refused:
                # E.g. a certificate for an agency id that contract v1.1 no longer allows (a
                # test agency with a made-up region): it certifies nothing now, and the rest of
                # the store stays usable. Kept out, with why, like a refused topic record.
                directory.refused[f"{path.name}/{index}"] = str(refused)
                continue
            admitted.append((data, signature))
        directory.extend(admitted)
        return directory

    def extend(self, items: Iterable[tuple[bytes, bytes]], subject: str | None = None) -> int:
        """Admit certificates in ``issued_at`` order, whatever order they come in.

        With ``subject``, every certificate must be that agency's. Returns how many changed
        the directory.
        """
        checked = [
            verify_certificate(data, signature, self.root_public_key, self.registry)
            for data, signature in items
        ]
        if subject is not None and any(s.certificate.subject != subject for s in checked):
            raise CertificateInvalid(f"the entry of {subject} holds another agency's certificate")
        ordered = sorted(checked, key=lambda s: s.certificate.issued_at)
        return sum(self._admit(signed) for signed in ordered)
