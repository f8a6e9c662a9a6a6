"""The deployment files parse and agree with the local broker's configuration."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from backbone import deploy
from backbone.broker import topology

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_defines_a_sasl_kraft_broker_without_default_secrets() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())

    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:4.0")
    assert kafka["environment"]["KAFKA_ADMIN_PASSWORD"].startswith("${KAFKA_ADMIN_PASSWORD:?")
    mounted = {volume.split(":")[1] for volume in kafka["volumes"] if volume.startswith("./")}
    assert "/etc/backbone/server.properties.in" in mounted
    for volume in kafka["volumes"]:
        if volume.startswith("./"):
            assert (ROOT / volume.split(":")[0]).exists(), volume


def test_broker_template_uses_scram_and_the_standard_authorizer() -> None:
    properties = (ROOT / "deploy" / "kafka" / "server.properties.in").read_text()

    assert "sasl.enabled.mechanisms=SCRAM-SHA-512" in properties
    assert "StandardAuthorizer" in properties
    assert "allow.everyone.if.no.acl.found=false" in properties
    assert "User:ANONYMOUS" not in properties


# The container image and the three-node compose file (docs/deployment.md). No Docker engine
# runs here, so these check the files as written: what they must say, and that they agree with
# the code (services, principals, keys) and the broker template.

DOCKERFILE = ROOT / "deploy" / "image" / "Dockerfile"
CLUSTER = ROOT / "deploy" / "compose" / "cluster.yml"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$")


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", path.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def _cluster() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CLUSTER.read_text())
    return loaded


def _backbone_services() -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in _cluster()["services"].items()
        if service["image"].startswith("referral-backbone:") and name != "provision"
    }


def test_image_runs_as_an_unprivileged_user_with_backbone_as_entrypoint() -> None:
    instructions = _instructions(DOCKERFILE)

    users = [args for kind, args in instructions if kind == "USER"]
    assert users, "the image must name its user"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert ("ENTRYPOINT", '["backbone"]') in instructions
    assert any(kind == "HEALTHCHECK" and "BACKBONE_HEALTH_URL" in a for kind, a in instructions)
    volumes = " ".join(args for kind, args in instructions if kind == "VOLUME")
    assert "/var/lib/backbone" in volumes
    assert "BACKBONE_RUN_DIR=/var/lib/backbone" in " ".join(
        a for k, a in instructions if k == "ENV"
    )


def test_image_is_pinned_and_built_from_pyproject_without_dev_extras() -> None:
    instructions = _instructions(DOCKERFILE)
    arguments = dict(a.split("=", 1) for k, a in instructions if k == "ARG" and "=" in a)

    bases = [a.split()[0] for k, a in instructions if k == "FROM"]
    assert len(bases) == 2  # a build stage and the runtime stage
    for base in (arguments.get(b.strip("${}"), b) for b in bases):
        assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", base), base
    text = DOCKERFILE.read_text()
    assert "['project']['dependencies']" in text
    assert "[dev]" not in text and "optional-dependencies" not in text


def test_image_bakes_in_no_secret_and_copies_only_what_the_build_context_holds() -> None:
    instructions = _instructions(DOCKERFILE)
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}

    for kind, args in instructions:
        if kind in {"ENV", "ARG"}:
            for name, _ in re.findall(r"(\w+)=(\S+)", args):
                assert not SECRET_NAME.search(name), name
        if kind == "COPY" and "--from=" not in args:
            *sources, _ = args.split()
            for source in sources:
                assert source in allowed, f"{source} is outside the build context"
                assert (ROOT / source).exists(), source
    assert {".run", "**/.run"} & {line.strip("/") for line in ignore}
    assert "**/*.password" in ignore


def test_cluster_has_three_pinned_kraft_nodes_replicating_three_ways() -> None:
    services = _cluster()["services"]

    nodes = {name: s for name, s in services.items() if s["image"].startswith("apache/kafka")}
    assert len(nodes) == 3
    assert {s["image"] for s in nodes.values()} == {"apache/kafka:4.0.2"}
    assert {s["environment"]["KAFKA_NODE_ID"] for s in nodes.values()} == {"1", "2", "3"}
    for name, node in nodes.items():
        environment = node["environment"]
        voters = environment["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
        assert sorted(v.split("@")[1] for v in voters) == [f"{n}:9093" for n in sorted(nodes)]
        assert environment["KAFKA_ADVERTISED_HOST"] == name
        assert (
            environment["KAFKA_REPLICATION_FACTOR"],
            environment["KAFKA_MIN_INSYNC_REPLICAS"],
        ) == (
            "3",
            "2",
        )
        for volume in node["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (CLUSTER.parent / source).exists(), volume


def test_every_image_of_the_cluster_is_pinned() -> None:
    for name, service in _cluster()["services"].items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), name
        assert re.search(r":\d+\.\d+\.\d+$", image), f"{name}: {image} is not a release tag"


def test_cluster_defaults_no_secret() -> None:
    """Every interpolated secret is required (${NAME:?...}); none holding one is defaulted."""
    text = CLUSTER.read_text()

    for name, rest in re.findall(r"\$\{(\w+)([^}]*)\}", text):
        if SECRET_NAME.search(name):
            assert rest.startswith(":?"), f"${{{name}{rest}}} must be required"
    for service in _cluster()["services"].values():
        for name, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(name) and not name.endswith("_FILE"):
                assert str(value).startswith(f"${{{name}:?") or str(value).startswith(
                    "${KAFKA_ADMIN_PASSWORD:?"
                ), name
    for secret in _cluster()["secrets"].values():
        assert secret["file"].startswith("${BACKBONE_SECRETS:?")


def test_cluster_runs_every_service_the_local_deployment_runs() -> None:
    expected = {spec.argv for spec in deploy.services()}

    commands = {tuple(s["command"]) for s in _backbone_services().values()}

    assert commands == expected


def test_each_service_gets_its_own_password_and_only_its_own_keys() -> None:
    principals = set(topology.load().principals)

    for name, service in _backbone_services().items():
        principal = service["environment"]["KAFKA_USERNAME"]
        assert principal in principals, name
        assert service["secrets"] == [{"source": principal, "target": "kafka-password"}]
        assert service["environment"]["KAFKA_PASSWORD_FILE"] == "/run/secrets/kafka-password"
        assert service["environment"]["BACKBONE_HEALTH_URL"].startswith("http://127.0.0.1:")
        mounted_keys = [v.split(":")[-2] for v in service.get("volumes", []) if "/keys/" in v]
        assert "/etc/backbone/keys/root/root.key" not in mounted_keys
        agencies = {
            k.removeprefix("/etc/backbone/keys/agencies/") for k in mounted_keys if "agencies" in k
        }
        assert agencies <= {principal}, name


def test_provision_applies_the_topology_with_every_principal_password() -> None:
    cluster = _cluster()
    provision = cluster["services"]["provision"]

    assert "backbone topology apply" in " ".join(provision["command"])
    assert {s["source"] for s in provision["secrets"]} == set(topology.load().principals)
    assert set(cluster["secrets"]) == set(topology.load().principals)
    for secret in provision["secrets"]:
        assert (
            secret["target"] == f"/var/lib/backbone/secrets/principals/{secret['source']}.password"
        )


def test_entrypoint_fills_every_variable_of_the_broker_template() -> None:
    template = (ROOT / "deploy" / "kafka" / "server.properties.in").read_text()
    entrypoint = (ROOT / "deploy" / "kafka" / "docker-entrypoint.sh").read_text()

    for variable in set(re.findall(r"\$\{(\w+)\}", template)):
        assert f"s#\\${{{variable}}}#" in entrypoint, variable
