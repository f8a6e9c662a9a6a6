"""The directory administrator's operations on a keystore, shared by ``backbone keys`` and the
local deployment: issue an agency's keys and certificate, and keep the directory file current.
"""

from __future__ import annotations

from datetime import datetime

from backbone.envelope.certificates import Certificate, new_certificate, sign_certificate
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.keys import KeyPair, Keystore


def directory_of(store: Keystore) -> KeyDirectory:
    """The keystore's directory file, checked against its root."""
    return KeyDirectory.load(store.directory_file, store.root_public_key())


def add_certificate(store: Keystore, directory: KeyDirectory, certificate: Certificate) -> None:
    signed = sign_certificate(certificate, store.root(), directory.registry)
    directory.add(signed.data, signed.signature)


def certify(
    store: Keystore, directory: KeyDirectory, pair: KeyPair, certificate: Certificate
) -> None:
    """Admit ``certificate``, keep ``pair``'s private keys and save the directory."""
    add_certificate(store, directory, certificate)
    store.save_pair(pair)
    directory.save(store.directory_file)


def issue(
    store: Keystore,
    agency: str,
    display_name: str,
    *,
    funding: str | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> Certificate:
    """New key pairs for ``agency``, certified by the root; returns the certificate."""
    directory = directory_of(store)
    pair = KeyPair.generate(agency)
    certificate = new_certificate(
        pair,
        store.root(),
        display_name,
        funding=funding,
        not_before=not_before,
        not_after=not_after,
    )
    certify(store, directory, pair, certificate)
    return certificate
