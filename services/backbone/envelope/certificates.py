"""Agency certificates: one key generation of one agency, signed by the directory root.

A certificate's bytes are the single-object encoding of ``kz.referral.directory.Certificate``;
the root signs ``b"kz-referral-certificate/v1\\x00" + bytes`` (Ed25519, detached). Changing a
certificate (rotation sets ``not_after``, revocation sets ``revoked_at``) means signing a new one
with a later ``issued_at``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import nacl.bindings as sodium
from nacl.exceptions import BadSignatureError

from backbone.domain.agencies import AgencyId, InvalidAgencyId
from backbone.envelope.errors import CertificateInvalid, SchemaUnknown
from backbone.envelope.keys import KeyPair, RootKey, key_id
from backbone.envelope.schemas import AvroDataError, SchemaRegistry, default_registry

CERTIFICATE_DOMAIN = b"kz-referral-certificate/v1\x00"
FUNDING = frozenset({"state", "international"})
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Certificate:
    subject: str
    agency_type: str
    region: str
    display_name: str
    signing_public_key: bytes
    encryption_public_key: bytes
    not_before: datetime
    issued_at: datetime
    issuer_key_id: bytes
    funding: str | None = None
    not_after: datetime | None = None
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    device: str | None = None

    @property
    def signing_key_id(self) -> bytes:
        return key_id(self.signing_public_key)

    @property
    def encryption_key_id(self) -> bytes:
        return key_id(self.encryption_public_key)

    def valid_at(self, instant: datetime) -> bool:
        """Inside ``[not_before, not_after)``; revocation is judged separately."""
        return self.not_before <= instant and (self.not_after is None or instant < self.not_after)

    def usable_at(self, instant: datetime) -> bool:
        return self.valid_at(instant) and (self.revoked_at is None or instant < self.revoked_at)

    def to_avro(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "device": self.device,
            "agency_type": self.agency_type,
            "region": self.region,
            "display_name": self.display_name,
            "funding": self.funding,
            "signing_public_key": self.signing_public_key,
            "encryption_public_key": self.encryption_public_key,
            "not_before": _to_micros(self.not_before),
            "not_after": _to_micros(self.not_after),
            "revoked_at": _to_micros(self.revoked_at),
            "revocation_reason": self.revocation_reason,
            "issued_at": _to_micros(self.issued_at),
            "issuer_key_id": self.issuer_key_id,
        }

    def summary(self) -> dict[str, Any]:
        """Public fields as JSON values, for listings."""
        return {
            "subject": self.subject,
            "device": self.device,
            "agency_type": self.agency_type,
            "region": self.region,
            "display_name": self.display_name,
            "funding": self.funding,
            "signing_key_id": self.signing_key_id.hex(),
            "encryption_key_id": self.encryption_key_id.hex(),
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revocation_reason": self.revocation_reason,
            "issued_at": self.issued_at.isoformat(),
        }

    def check(self) -> None:
        """Raise ``CertificateInvalid`` if the fields contradict each other."""
        try:
            agency = AgencyId.parse(self.subject)
        except InvalidAgencyId:
            raise CertificateInvalid("subject is not an agency id") from None
        problems = []
        if agency.type != self.agency_type or agency.region != self.region:
            problems.append("agency_type and region must match the subject")
        if self.funding is not None and self.funding not in FUNDING:
            problems.append("funding must be state or international")
        if self.not_after is not None and self.not_after <= self.not_before:
            problems.append("not_after must be later than not_before")
        if not self.display_name.strip():
            problems.append("display_name is empty")
        if len(self.signing_public_key) != 32 or len(self.encryption_public_key) != 32:
            problems.append("public keys are 32 bytes")
        if problems:
            raise CertificateInvalid(f"certificate of {self.subject}: {'; '.join(problems)}")


@dataclass(frozen=True)
class SignedCertificate:
    certificate: Certificate
    data: bytes
    signature: bytes

    @property
    def signing_key_id(self) -> bytes:
        return self.certificate.signing_key_id


def new_certificate(
    pair: KeyPair,
    root: RootKey,
    display_name: str,
    *,
    funding: str | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    issued_at: datetime | None = None,
) -> Certificate:
    agency = AgencyId.parse(pair.agency)
    now = issued_at or datetime.now(UTC)
    return Certificate(
        subject=pair.agency,
        agency_type=agency.type,
        region=agency.region,
        display_name=display_name,
        signing_public_key=pair.signing_public_key,
        encryption_public_key=pair.encryption_public_key,
        not_before=_micros(not_before or now),
        issued_at=_micros(now),
        issuer_key_id=root.key_id,
        funding=funding,
        not_after=_micros(not_after) if not_after else None,
    )


def sign_certificate(
    certificate: Certificate, root: RootKey, registry: SchemaRegistry | None = None
) -> SignedCertificate:
    certificate.check()
    if certificate.issuer_key_id != root.key_id:
        raise CertificateInvalid("issuer_key_id is not this root's key id")
    registry = registry or default_registry()
    schema = registry.latest("directory", "Certificate")
    data = registry.soe_encode(schema, certificate.to_avro())
    signed = SignedCertificate(certificate, data, root.sign(CERTIFICATE_DOMAIN + data))
    return verify_certificate(signed.data, signed.signature, root.public_key, registry)


def reissue(
    certificate: Certificate,
    *,
    not_after: datetime | None = None,
    revoked_at: datetime | None = None,
    revocation_reason: str | None = None,
    issued_at: datetime | None = None,
) -> Certificate:
    """The same key generation with a new end or a revocation, and a later ``issued_at``."""
    stamp = max(_micros(issued_at or datetime.now(UTC)), certificate.issued_at + _TICK)
    return replace(
        certificate,
        issued_at=stamp,
        not_after=_micros(not_after) if not_after else certificate.not_after,
        revoked_at=_micros(revoked_at) if revoked_at else certificate.revoked_at,
        revocation_reason=revocation_reason or certificate.revocation_reason,
    )


def verify_certificate(
    data: bytes, signature: bytes, root_public_key: bytes, registry: SchemaRegistry | None = None
) -> SignedCertificate:
    """Check the root's signature first, then decode and check the fields."""
    try:
        sodium.crypto_sign_open(signature + CERTIFICATE_DOMAIN + data, root_public_key)
    except (BadSignatureError, ValueError):
        raise CertificateInvalid("root signature does not verify") from None
    registry = registry or default_registry()
    try:
        _, datum = registry.soe_decode(data, registry.latest("directory", "Certificate"))
    except (AvroDataError, SchemaUnknown) as error:
        raise CertificateInvalid(f"certificate bytes: {error}") from None
    times = {k: _from_micros(datum[k]) for k in _TIMES}
    certificate = Certificate(**{**datum, **times})
    if certificate.issuer_key_id != key_id(root_public_key):
        raise CertificateInvalid("issuer_key_id is not the root's key id")
    certificate.check()
    return SignedCertificate(certificate, data, signature)


def _micros(instant: datetime) -> datetime:
    """UTC, whole microseconds (what the Avro timestamp-micros field keeps)."""
    if instant.tzinfo is None:
        raise ValueError("certificate times must carry a UTC offset")
    return instant.astimezone(UTC)


_TIMES = ("not_before", "not_after", "revoked_at", "issued_at")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _to_micros(instant: datetime | None) -> int | None:
    return None if instant is None else (instant - _EPOCH) // _TICK


def _from_micros(micros: int | None) -> datetime | None:
    return None if micros is None else _EPOCH + micros * _TICK
