"""No secret on any command line: what ``ps`` and ``/proc/<pid>/cmdline`` show every user.

The broker's storage is formatted with the ``admin`` user's SCRAM credential from a java argument
file (owner-only, in the node's folder, removed once the tool exits); the container entrypoint
does the same; services read their passwords from files. The last test scans every process of
this user for every secret the project keeps under its run folder.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backbone.broker import jvm
from backbone.broker.cluster import ClusterSpec
from backbone.broker.jvm import BrokerError
from backbone.broker.local import LocalCluster
from backbone.envelope.keys import Keystore
from backbone.paths import PROJECT_ROOT, run_dir, write_private
from support.broker import Broker

ADMIN_SECRET = "kafka-admin.password"
# The key files' secret fields (envelope/keys.py): the root's seed, an agency's two secret keys.
KEY_SECRETS = ("seed", "signing_seed", "encryption_secret")


def _cluster(root: Path) -> tuple[LocalCluster, ClusterSpec]:
    """A cluster folder that is never started (its ports are not opened)."""
    cluster = LocalCluster(root, 39092, 39093)
    return cluster, ClusterSpec.plan(1, 39092, 39093)


def _argument_file(command: list[str]) -> Path:
    [argument] = [arg for arg in command if arg.startswith("@")]
    return Path(argument[1:])


@pytest.fixture
def fake_jars(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A jars folder that ``jvm.classpath`` accepts, so commands are built without the jars."""
    jars = tmp_path / "jars"
    jars.mkdir()
    (jars / "kafka_2.13-0.0.0.jar").touch()
    monkeypatch.setattr(jvm, "JARS_DIR", jars)


@pytest.mark.usefixtures("fake_jars")
def test_format_command_names_only_an_owner_only_argument_file_removed_after(
    tmp_path: Path,
) -> None:
    cluster, spec = _cluster(tmp_path / "run")
    [node] = spec.nodes

    with cluster.format_command(spec, node) as command:
        password = (tmp_path / "run" / "secrets" / ADMIN_SECRET).read_text().strip()
        arguments = _argument_file(command)
        assert password not in " ".join(command)
        assert "--add-scram" not in command and "kafka.tools.StorageTool" not in command
        assert arguments.parent == cluster.node_dir(node.node_id)
        assert stat.S_IMODE(arguments.stat().st_mode) == 0o600
        assert stat.S_IMODE(arguments.parent.stat().st_mode) == 0o700
        held = arguments.read_text().split()
        assert held[:2] == ['"kafka.tools.StorageTool"', '"format"']
        assert f'"SCRAM-SHA-512=[name=admin,password={password}]"' in held

    assert not arguments.exists()


@pytest.mark.usefixtures("fake_jars")
def test_argument_file_is_removed_when_the_block_fails(tmp_path: Path) -> None:
    cluster, spec = _cluster(tmp_path / "run")

    with (
        pytest.raises(RuntimeError, match="interrupted"),
        cluster.format_command(spec, spec.nodes[0]) as command,
    ):
        arguments = _argument_file(command)
        raise RuntimeError("interrupted")

    assert not arguments.exists()


def test_argument_file_quotes_what_the_launcher_would_split(tmp_path: Path) -> None:
    with jvm.argument_file(tmp_path, "Main", 'a "b" c', "back\\slash", "#not-a-comment") as arg:
        assert Path(arg[1:]).read_text().splitlines() == [
            '"Main"',
            '"a \\"b\\" c"',
            '"back\\\\slash"',
            '"#not-a-comment"',
        ]
    with (
        pytest.raises(ValueError, match="line break"),
        jvm.argument_file(tmp_path, "Main", "two\nlines"),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("fake_jars")
def test_a_failed_format_reports_the_tool_and_leaves_no_argument_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``java`` that records its command line and its argument file, then fails."""
    seen = tmp_path / "seen"
    seen.mkdir()
    fake = tmp_path / "bin" / "java"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > "{seen}/argv"\n'
        'for arg in "$@"; do case "$arg" in @*) cp "${arg#@}" '
        f'"{seen}/arguments";; esac; done\n'
        "echo 'storage tool refused'\n"
        "exit 1\n"
    )
    fake.chmod(0o700)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    cluster = LocalCluster(tmp_path / "run", 39092, 39093)

    with pytest.raises(BrokerError, match="storage tool refused"):
        cluster.start(1, timeout=5)

    password = (tmp_path / "run" / "secrets" / ADMIN_SECRET).read_text().strip()
    assert password in (seen / "arguments").read_text()  # the tool was given it
    assert password not in (seen / "argv").read_text()  # on no command line
    assert not list((tmp_path / "run").rglob("*.args"))


def _own_command_lines() -> Iterator[tuple[int, bytes]]:
    """(pid, command line) of every process of this user that is still there."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != os.getuid():
                continue
            yield int(entry.name), (entry / "cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # it exited meanwhile


def _showing(secrets: dict[str, str]) -> list[tuple[int, str]]:
    """(pid, where the secret is kept) for each command line that holds one; never the secret."""
    return [
        (pid, where)
        for pid, line in _own_command_lines()
        for secret, where in secrets.items()
        if secret.encode() in line
    ]


def test_formatting_real_storage_shows_the_password_on_no_command_line(tmp_path: Path) -> None:
    """StorageTool itself reads the argument file: the storage is formatted with the admin's
    SCRAM credential while every command line is scanned, as often as it can be, meanwhile.
    Java and the broker jars are what make setup installs; without them this fails."""
    assert shutil.which("java") is not None, "no java on the PATH (make setup)"
    assert any(jvm.JARS_DIR.glob("kafka_2.13-*.jar")), (
        f"no broker jars in {jvm.JARS_DIR} (make setup)"
    )
    cluster, spec = _cluster(tmp_path / "run")
    [node] = spec.nodes
    password = secrets.token_urlsafe(32)  # the cluster's, as if generated by an earlier start
    write_private(tmp_path / "run" / "secrets" / ADMIN_SECRET, password.encode())
    leaks: list[int] = []
    tool_seen = threading.Event()
    done = threading.Event()

    def scan() -> None:
        while not done.is_set():
            lines = list(_own_command_lines())
            leaks.extend(pid for pid, line in lines if password.encode() in line)
            if any(b".args" in line and b"-XX:-UsePerfData" in line for _, line in lines):
                tool_seen.set()
            time.sleep(0.005)

    scanner = threading.Thread(target=scan, daemon=True)
    scanner.start()
    try:
        with cluster.format_command(spec, node) as command:
            arguments = _argument_file(command)
            formatted = subprocess.run(command, capture_output=True, text=True, timeout=120)
    finally:
        done.set()
        scanner.join()

    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    assert tool_seen.is_set(), "the scan never saw the storage tool run"
    assert leaks == []
    assert not arguments.exists()
    data = cluster.node_dir(node.node_id) / "data"
    assert (data / "meta.properties").exists()
    assert b"admin" in (data / "bootstrap.checkpoint").read_bytes()  # the SCRAM record


def test_the_container_entrypoint_puts_no_password_on_a_command_line() -> None:
    """Outside its here-documents (files written by the shell itself), the entrypoint names the
    passwords only in the shell's built-in checks."""
    script = (PROJECT_ROOT / "deploy" / "kafka" / "docker-entrypoint.sh").read_text()
    outside, here_document = [], None
    for line in script.splitlines():
        if here_document is not None:
            if line == here_document:
                here_document = None
            continue
        opened = re.search(r"<<\s*(\w+)\s*$", line)
        if opened:
            here_document = opened.group(1)
        if not line.lstrip().startswith("#"):
            outside.append(line)

    naming = [line.strip() for line in outside if re.search(r"_PASSWORD\b", line)]
    builtins = re.compile(r'^(: "\$\{KAFKA_\w+_PASSWORD:\?|case "\$KAFKA_ADMIN_PASSWORD)')
    assert naming and all(builtins.match(line) for line in naming), naming
    assert 'kafka-run-class.sh "@$arguments"' in script


def _project_secrets(root: Path) -> dict[str, str]:
    """Every secret the project keeps under ``root`` and in the keystore, and the file it is
    in: the broker's and the principals' passwords, the console's signing key, the key files'
    seeds and secret keys (a device's copies too)."""
    found = {
        path.read_text().strip(): str(path)
        for path in (root / "secrets").rglob("*")
        if path.is_file()
    }
    console_key = root / "console" / "secret_key"
    if console_key.exists():
        found[console_key.read_text().strip()] = str(console_key)
    for folder in (Keystore().path, root / "devices"):
        for path in folder.rglob("*.key"):
            data = json.loads(path.read_text())
            found.update(
                {str(data[name]): f"{path}: {name}" for name in KEY_SECRETS if name in data}
            )
    return {secret: where for secret, where in found.items() if len(secret) >= 16}


@pytest.mark.broker
def test_no_process_of_this_user_shows_a_project_secret_on_its_command_line(
    broker: Broker,
) -> None:
    """The running broker and whatever services, demo or tests run now: none carries a
    password, a key or a seed of the project in its command line."""
    kept = {**_project_secrets(run_dir()), broker.admin.password: "the broker's admin"}
    if broker.kind == "local-jars":
        assert (run_dir() / "secrets" / ADMIN_SECRET).read_text().strip() in kept

    assert _showing(kept) == []
