"""The deployment files parse and agree with the local broker's configuration."""

from __future__ import annotations

from pathlib import Path

import yaml

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
