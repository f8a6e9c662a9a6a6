"""``backbone keys ...`` and ``backbone envelope ...``.

``keys``: the root, agency certificates, rotation, revocation and publishing. Every action works
on a keystore folder (``--keystore``, else ``BACKBONE_KEYSTORE``, else ``run_dir()/keys``).
Output is JSON with key ids and public keys; private keys are written to 0600 files and never
printed.

``envelope``: one envelope's bytes, offline. ``inspect`` shows its clear parts (header, readers,
payload schema, signer key id) and needs no key; ``verify`` gives the verdict a consumer would
give (``accepted``, or the refusal's reason code and detail; exit status 0 or 1) from a key
directory and its trust anchor, and with an agency's keys opens the body and shows the payload.
Bad arguments, files and keystores exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backbone.broker.settings import KafkaSettings, admin_settings
from backbone.broker.topics import DIRECTORY_TOPIC
from backbone.cli_args import agency_id, instant, print_json
from backbone.consumer.gate import decode_record
from backbone.consumer.inbound import Inbound
from backbone.domain.agencies import AgencyId, is_agency_id
from backbone.envelope import administration
from backbone.envelope.authorisation import ByType
from backbone.envelope.certificates import (
    FUNDING,
    new_certificate,
    reissue,
)
from backbone.envelope.codec import EnvelopeCodec, VerifiedEnvelope
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.errors import (
    DirectoryError,
    EnvelopeRejected,
    HeaderInvalid,
    SchemaUnknown,
)
from backbone.envelope.header import event_from_header
from backbone.envelope.keys import KeyPair, Keyring, Keystore, KeystoreError
from backbone.envelope.schemas import AvroDataError, default_registry


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("keys", help="the agency key directory and keystore")
    actions = parser.add_subparsers(dest="action", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--keystore", type=Path, help="keystore folder (default run_dir()/keys)")

    actions.add_parser(
        "init-root", parents=[common], help="create the directory root key (trust anchor)"
    ).set_defaults(func=_guarded(_init_root))

    issue = actions.add_parser(
        "issue", parents=[common], help="new key pairs for an agency, certified by the root"
    )
    issue.add_argument("agency", type=agency_id)
    issue.add_argument("--display-name", required=True)
    issue.add_argument("--funding", choices=sorted(FUNDING))
    issue.add_argument("--not-before", type=instant)
    issue.add_argument("--not-after", type=instant)
    issue.set_defaults(func=_guarded(_issue))

    rotate = actions.add_parser(
        "rotate", parents=[common], help="new key pairs; the current ones stay valid for the past"
    )
    rotate.add_argument("agency", type=agency_id)
    rotate.add_argument("--at", type=instant, help="switch-over instant (default now)")
    rotate.set_defaults(func=_guarded(_rotate))

    revoke = actions.add_parser(
        "revoke", parents=[common], help="refuse events signed at or after an instant"
    )
    revoke.add_argument("agency", type=agency_id)
    revoke.add_argument("--key-id", help="one signing key id (default: every unrevoked key)")
    revoke.add_argument("--at", type=instant, help="revocation instant (default now)")
    revoke.add_argument("--reason", required=True)
    revoke.set_defaults(func=_guarded(_revoke))

    listing = actions.add_parser("list", parents=[common], help="print the certificates")
    listing.add_argument("--agency", type=agency_id)
    listing.set_defaults(func=_guarded(_list))

    publish = actions.add_parser(
        "publish",
        parents=[common],
        help="write the directory to its compacted topic (KAFKA_* env, else the local admin)",
    )
    publish.add_argument("--topic", default=DIRECTORY_TOPIC)
    publish.set_defaults(func=_guarded(_publish))

    fetch = actions.add_parser(
        "fetch", parents=[common], help="read the topic into the keystore's directory file"
    )
    fetch.add_argument("--topic", default=DIRECTORY_TOPIC)
    fetch.set_defaults(func=_guarded(_fetch))

    _register_envelope(subparsers)


def _register_envelope(subparsers: Any) -> None:
    parser = subparsers.add_parser("envelope", help="inspect or verify one envelope, offline")
    actions = parser.add_subparsers(dest="action", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("file", type=Path, help="one envelope's bytes (a Kafka record's value)")
    common.add_argument("--hex", action="store_true", help="FILE holds the bytes as hex text")

    actions.add_parser(
        "inspect",
        parents=[common],
        help="the clear header, readers, payload schema and signer key id (no key needed)",
    ).set_defaults(func=_guarded(_inspect))

    verify = actions.add_parser(
        "verify",
        parents=[common],
        help="accepted (exit 0) or the refusal's reason and detail (exit 1)",
        description="Verify FILE as a consumer would; with --keys and --as, as that agency's"
        " inbox would, opening the body. Lifecycle and duplicate checks need the child's"
        " history on the event log and are not made here.",
    )
    verify.add_argument(
        "--directory",
        type=Path,
        required=True,
        help="a keystore folder (its directory.json and root/root.pub) or a directory file",
    )
    verify.add_argument(
        "--trust-anchor",
        type=Path,
        help="the root's public key, hex (default: root/root.pub beside the directory)",
    )
    verify.add_argument("--keys", type=Path, help="a keystore folder with the agency's keys")
    verify.add_argument("--as", dest="agency", type=agency_id, help="the agency of --keys")
    verify.add_argument("--key", help="the record's key (text): checked against child_ref")
    verify.add_argument(
        "--received-at", type=instant, help="the record's log-append time (revocation check)"
    )
    verify.set_defaults(func=_guarded(_verify))


def _init_root(args: argparse.Namespace) -> int:
    store = Keystore(args.keystore)
    root = store.create_root()
    print_json(
        {
            "root_key_id": root.key_id.hex(),
            "root_public_key": root.public_key.hex(),
            "trust_anchor": str(store.root_public_file),
        }
    )
    return 0


def _issue(args: argparse.Namespace) -> int:
    store = Keystore(args.keystore)
    if args.funding and AgencyId.parse(args.agency).type != "ngo":
        return _fail("--funding is recorded for NGOs only")
    certificate = administration.issue(
        store,
        args.agency,
        args.display_name,
        funding=args.funding,
        not_before=args.not_before,
        not_after=args.not_after,
    )
    print_json({"issued": certificate.summary()})
    return 0


def _rotate(args: argparse.Namespace) -> int:
    store = Keystore(args.keystore)
    directory = administration.directory_of(store)
    at = args.at or datetime.now(UTC)
    current = directory.current(args.agency, at)
    if current is None:
        return _fail(f"{args.agency} has no certificate usable at {at.isoformat()}")
    root = store.root()
    retired = reissue(current, not_after=at)
    pair = KeyPair.generate(args.agency)
    successor = new_certificate(
        pair, root, current.display_name, funding=current.funding, not_before=at
    )
    administration.add_certificate(store, directory, retired)
    administration.certify(store, directory, pair, successor)
    print_json({"retired": retired.summary(), "issued": successor.summary()})
    return 0


def _revoke(args: argparse.Namespace) -> int:
    store = Keystore(args.keystore)
    directory = administration.directory_of(store)
    at = args.at or datetime.now(UTC)
    targets = [
        s.certificate
        for s in directory.certificates(args.agency)
        if s.certificate.revoked_at is None
        and (args.key_id is None or s.certificate.signing_key_id.hex() == args.key_id)
    ]
    if not targets:
        return _fail(f"no unrevoked key of {args.agency} matches")
    revoked = [reissue(c, revoked_at=at, revocation_reason=args.reason) for c in targets]
    for certificate in revoked:
        administration.add_certificate(store, directory, certificate)
    directory.save(store.directory_file)
    print_json({"revoked": [c.summary() for c in revoked]})
    return 0


def _list(args: argparse.Namespace) -> int:
    store = Keystore(args.keystore)
    directory = administration.directory_of(store)
    print_json(
        {
            "root_key_id": directory.root_key_id.hex(),
            "certificates": [s.certificate.summary() for s in directory.certificates(args.agency)],
        }
    )
    return 0


def _publish(args: argparse.Namespace) -> int:
    from backbone.broker.directory_topic import publish_directory

    store = Keystore(args.keystore)
    subjects = publish_directory(_kafka(), administration.directory_of(store), args.topic)
    print_json({"published": subjects, "topic": args.topic})
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from backbone.broker.directory_topic import load_directory

    store = Keystore(args.keystore)
    directory = load_directory(
        _kafka(), store.root_public_key(), args.topic, administration.directory_of(store)
    )
    directory.save(store.directory_file)
    print_json(
        {
            "agencies": directory.subjects(),
            "file": str(store.directory_file),
            "refused_records": directory.refused,
        }
    )
    return 0


class UnusableInput(ValueError):
    """A file given on the command line cannot be read as what it should hold."""


def _envelope_bytes(args: argparse.Namespace) -> bytes:
    path: Path = args.file
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnusableInput(f"cannot read {path}: {error.strerror}") from None
    if not args.hex:
        return data
    try:
        return bytes.fromhex(data.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise UnusableInput(f"{path} is not hex text") from None


def _inspect(args: argparse.Namespace) -> int:
    """The envelope's clear parts, unverified; header and readers only if well-formed."""
    registry = default_registry()
    try:
        _, envelope = registry.soe_decode(
            _envelope_bytes(args), registry.latest("envelope", "Envelope")
        )
    except (AvroDataError, SchemaUnknown) as error:
        print_json({"error": f"not an envelope v1: {error}"})
        return 1
    header, problem = envelope["header"], None
    try:
        event_from_header(header, None)
    except HeaderInvalid as invalid:  # free text could be anything: shown by field name only
        header, problem = None, invalid.detail
    readers = [reader["agency"] for reader in envelope["readers"]]
    schema = registry.by_fingerprint(envelope["payload_schema"])
    print_json(
        {
            "verified": False,
            "signer_key_id": envelope["signer_key_id"].hex(),
            "payload_schema": {
                "fingerprint": envelope["payload_schema"].hex(),
                "schema": None if schema is None else f"{schema.area}/{schema.name}",
                "version": None if schema is None else schema.version,
            },
            "header": None
            if header is None
            else {**header, "attributes": {a["name"]: a["value"] for a in header["attributes"]}},
            "header_invalid": problem,
            "readers": [
                {
                    "agency": reader["agency"] if is_agency_id(reader["agency"]) else None,
                    "encryption_key_id": reader["encryption_key_id"].hex(),
                }
                for reader in envelope["readers"]
            ],
            "readers_valid": all(map(is_agency_id, readers)),
            "ciphertext_bytes": len(envelope["ciphertext"]),
        }
    )
    return 0


def _offline_directory(path: Path, anchor: Path | None) -> KeyDirectory:
    """The directory of a keystore folder or of a ``KeyDirectory.save`` file, under its root."""
    folder = path if path.is_dir() else path.parent
    file = Keystore(path).directory_file if path.is_dir() else path
    if not file.is_file():
        raise UnusableInput(f"no key directory at {file}")
    if anchor is None:
        anchor = Keystore(folder).root_public_file
        if not anchor.is_file():
            raise UnusableInput(f"no trust anchor at {anchor}: give --trust-anchor")
    try:
        root = bytes.fromhex(anchor.read_text().strip())
    except (OSError, ValueError):
        raise UnusableInput(f"{anchor} is not a public key in hex") from None
    if len(root) != 32:
        raise UnusableInput(f"{anchor} is not an Ed25519 public key")
    try:
        return KeyDirectory.load(file, root)
    except (ValueError, KeyError, TypeError):  # not JSON, or not the file's fields
        raise UnusableInput(f"{file} is not a key directory file") from None


def _verify(args: argparse.Namespace) -> int:
    if (args.keys is None) != (args.agency is None):
        return _fail("--keys and --as go together")
    data = _envelope_bytes(args)
    directory = _offline_directory(args.directory, args.trust_anchor)
    keyring: Keyring | None = None
    if args.keys is not None:
        keyring = Keystore(args.keys).keyring(args.agency)
    codec = EnvelopeCodec(directory, keyring)
    record = Inbound(
        value=data,
        key=None if args.key is None else args.key.encode(),
        received_at=args.received_at,
    )
    opening = keyring is not None
    try:
        envelope: VerifiedEnvelope = (
            codec.decode(data, received_at=args.received_at, require_body=opening)
            if args.key is None
            else decode_record(codec, record, require_body=opening)
        )
        ByType().check(envelope.event)
    except EnvelopeRejected as refused:
        print_json(
            {
                "verdict": "refused",
                "reason": refused.reason,
                "detail": refused.detail,
                "event_id": refused.event_id,
            }
        )
        return 1
    event = envelope.event
    not_checked = ["lifecycle and duplicates (they need the child's history)"]
    if args.key is None:
        not_checked.insert(0, "the record key (no --key)")
    if args.received_at is None:
        not_checked.insert(0, "revocation against the log-append time (no --received-at)")
    document: dict[str, Any] = {
        "verdict": "accepted",
        "as": args.agency,
        "signer": event.producer,
        "signer_key_id": envelope.signer_key_id.hex(),
        "payload_schema": envelope.payload_schema.hex(),
        "readers": list(envelope.readers),
        "digest": envelope.digest.hex(),
        "opened": envelope.opened,
        "event": event.to_json(),
        "not_checked": not_checked,
    }
    print(json.dumps(document, indent=2, ensure_ascii=False))
    return 0


def _kafka() -> KafkaSettings:
    """The principal from ``KAFKA_*`` if ``KAFKA_USERNAME`` is set, else the local admin."""
    return admin_settings()


def _fail(message: str) -> int:
    print(json.dumps({"error": message}), file=sys.stderr)
    return 2


def _guarded(action: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Report a keystore, directory or input file problem as one JSON line on stderr, exit
    status 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return action(args)
        except (KeystoreError, DirectoryError, UnusableInput) as error:
            return _fail(str(error))

    return run
