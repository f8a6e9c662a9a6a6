"""``backbone console serve | adduser | unlock``: the supervisor and operations console
(docs/console.md).

``serve [--port 6090] [--audit-url URL] [--state-dir DIR]`` serves on 127.0.0.1 until stopped,
Prometheus metrics on ``BACKBONE_METRICS_PORT`` when it is set (``console.metrics``), and e-mails
supervisors of new breaches when ``BACKBONE_CONSOLE_SMTP_HOST`` is set (``console.notifier``;
settings in ``console.notify_settings``: invalid ones stop it with status 2).
``adduser USER --role supervisor|operations [--region R] [--email ADDRESS] [--language en|ru|kk]
[--password-file F] [--replace]`` reads the password from the file or standard input; ``--email``
is where notifications of new breaches go (supervisors), in ``--language`` (en); ``--replace``
gives an existing user the new role, region and password, and the address and language if given
(``--email ''`` removes the address). Exit status: 0 done; 1 the user exists (without
``--replace``); 2 bad input.
``unlock USER`` clears the user name's failed sign-ins from every address, lifting a lock
(``console.throttle``); 0 whether or not there was one.
Django is imported only when a console command runs, not for every ``backbone`` command.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from backbone.console.access import InvalidAccess, Role, check_region
from backbone.console.config import ConsoleSettings

if TYPE_CHECKING:  # Django is imported when a console command runs, not for every command
    from backbone.console.notifier import Running
    from backbone.console.notify_settings import NotifySettings

LANGUAGE_CODES = ("en", "ru", "kk")  # i18n.LANGUAGES, without importing Django for every command


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("console", help="the supervisor and operations console")
    actions = parser.add_subparsers(dest="action", required=True)
    serve = actions.add_parser("serve", help="serve the console on 127.0.0.1")
    serve.add_argument(
        "--port", type=int, default=None, help="default BACKBONE_CONSOLE_PORT or 6090"
    )
    serve.add_argument("--audit-url", default=None, help="the audit API (BACKBONE_AUDIT_URL)")
    serve.set_defaults(func=run_serve)
    # No abbreviations: "--password SECRET" must not pass for "--password-file SECRET".
    adduser = actions.add_parser(
        "adduser", help="add a console user (password on stdin)", allow_abbrev=False
    )
    adduser.add_argument("user")
    adduser.add_argument("--role", required=True, choices=[r.value for r in Role])
    adduser.add_argument("--region", default=None, help="a supervisor's region, e.g. turkestan")
    adduser.add_argument(
        "--email", default=None, help="where a supervisor's breach notifications go ('': none)"
    )
    adduser.add_argument(
        "--language", default=None, choices=LANGUAGE_CODES, help="of the user's e-mails (en)"
    )
    adduser.add_argument("--password-file", type=Path, default=None)
    adduser.add_argument(
        "--replace",
        action="store_true",
        help="an existing user gets this role, region, password (address, language if given)",
    )
    adduser.set_defaults(func=run_adduser)
    unlock = actions.add_parser("unlock", help="clear a user name's failed sign-ins (its lock)")
    unlock.add_argument("user")
    unlock.set_defaults(func=run_unlock)
    for command in (serve, adduser, unlock):
        command.add_argument("--state-dir", type=Path, default=None, help="default .run/console")


def _settings(args: argparse.Namespace) -> ConsoleSettings:
    return ConsoleSettings.from_environment(
        state_dir=args.state_dir,
        port=getattr(args, "port", None),
        audit_url=getattr(args, "audit_url", None),
    )


def run_serve(args: argparse.Namespace) -> int:
    from prometheus_client import REGISTRY

    from backbone.console.framework import configure
    from backbone.console.metrics import MEASUREMENTS, SIGN_INS, Exporter
    from backbone.console.notify_settings import NotifySettings, NotifySettingsInvalid
    from backbone.console.server import make_server
    from backbone.logs import configure as configure_logs
    from backbone.runtime.metrics import serve_from_env

    settings = _settings(args)
    try:
        notify = NotifySettings.from_environment(settings.port)
    except NotifySettingsInvalid as error:
        print(f"backbone console serve: {error}", file=sys.stderr)
        return 2
    log = configure_logs("console")
    configure(settings)
    REGISTRY.register(Exporter(MEASUREMENTS, SIGN_INS))
    serve_from_env()
    server = make_server(settings.port)
    log.info(
        "console_serving",
        url=f"http://127.0.0.1:{server.effective_port}/",
        audit=settings.audit_url,
    )
    notifying = _notify(notify, log)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        if notifying is not None:
            notifying.stop()
    return 0


def _notify(notify: NotifySettings | None, log: Any) -> Running | None:
    """The notifier's thread when an SMTP host is set (``notifier``)."""
    if notify is None:
        log.info("console_not_notifying", reason="BACKBONE_CONSOLE_SMTP_HOST is not set")
        return None
    from backbone.console.notifier import Notifier, Running
    from backbone.console.wiring import services

    log.info(
        "console_notifying",
        smtp=f"{notify.smtp_host}:{notify.smtp_port}",
        starttls=notify.starttls,
        every_seconds=notify.interval_seconds,
    )
    return Running(Notifier(notify, services().audit), notify.interval_seconds)


def run_adduser(args: argparse.Namespace) -> int:
    role = Role(args.role)
    try:
        check_region(role, args.region)
        password = read_password(args.password_file, sys.stdin)
    except (InvalidAccess, NoPassword, OSError) as error:
        return _fail(str(error), 2)
    from django.core.exceptions import ValidationError

    from backbone.console.framework import configure

    configure(_settings(args))
    from backbone.console.users import UserExists, add_user  # the models need the configuration

    try:
        add_user(
            args.user,
            role,
            args.region,
            password,
            replace=args.replace,
            email=args.email,
            language=args.language,
        )
    except UserExists as error:
        return _fail(str(error), 1)
    except ValidationError as error:
        return _fail("; ".join(error.messages), 2)
    where = f" ({args.region})" if args.region else ""
    done = "set" if args.replace else "added"
    print(f"backbone console: {done} {role.value} {args.user}{where}")
    return 0


def run_unlock(args: argparse.Namespace) -> int:
    from backbone.console.framework import configure

    configure(_settings(args))
    from backbone.console.throttle import unlock  # axes needs the configuration

    cleared = unlock(args.user)
    done = f"records of failed sign-ins cleared: {cleared}" if cleared else "no failed sign-in"
    print(f"backbone console: unlocked {args.user} ({done})")
    return 0


class NoPassword(ValueError):
    """No password was given, or the two typed at a terminal differ."""


def read_password(password_file: Path | None, stdin: TextIO) -> str:
    if password_file is not None:
        lines = password_file.read_text().splitlines()
        password = lines[0] if lines else ""
    elif stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise NoPassword("the two passwords differ")
    else:
        password = stdin.readline().rstrip("\r\n")
    if not password:
        raise NoPassword("an empty password; give it on stdin or with --password-file")
    return password


def _fail(message: str, status: int) -> int:
    print(f"backbone console adduser: {message}", file=sys.stderr)
    return status
