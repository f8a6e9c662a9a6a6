"""``backbone keys ...``: the root, agency certificates, rotation, revocation and publishing.

Every action works on a keystore folder (``--keystore``, else ``BACKBONE_KEYSTORE``, else
``run_dir()/keys``). Output is JSON with key ids and public keys; private keys are written to
0600 files and never printed.
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
from backbone.cli_args import agency_id, instant, print_json
from backbone.domain.agencies import AgencyId
from backbone.envelope import administration
from backbone.envelope.certificates import (
    FUNDING,
    new_certificate,
    reissue,
)
from backbone.envelope.directory import DIRECTORY_TOPIC
from backbone.envelope.errors import DirectoryError
from backbone.envelope.keys import KeyPair, Keystore, KeystoreError


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
    from backbone.envelope.directory_topic import publish_directory

    store = Keystore(args.keystore)
    subjects = publish_directory(_kafka(), administration.directory_of(store), args.topic)
    print_json({"published": subjects, "topic": args.topic})
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from backbone.envelope.directory_topic import load_directory

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


def _kafka() -> KafkaSettings:
    """The principal from ``KAFKA_*`` if ``KAFKA_USERNAME`` is set, else the local admin."""
    return admin_settings()


def _fail(message: str) -> int:
    print(json.dumps({"error": message}), file=sys.stderr)
    return 2


def _guarded(action: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Report a keystore or directory problem as one JSON line on stderr, exit status 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return action(args)
        except (KeystoreError, DirectoryError) as error:
            return _fail(str(error))

    return run
