"""HTTP listeners stay on loopback unless the deployment names another address (containers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backbone.console.config import ConsoleSettings
from backbone.console.framework import django_settings
from backbone.network import bind_host


def test_listeners_bind_loopback_unless_bind_host_is_set() -> None:
    assert bind_host({}) == "127.0.0.1"
    assert bind_host({"BACKBONE_BIND_HOST": ""}) == "127.0.0.1"
    assert bind_host({"BACKBONE_BIND_HOST": "10.0.0.7"}) == "10.0.0.7"


def test_console_answers_only_loopback_names_and_the_configured_public_hosts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BACKBONE_CONSOLE_HOSTS", raising=False)
    local = ConsoleSettings.from_environment(state_dir=tmp_path)
    monkeypatch.setenv("BACKBONE_CONSOLE_HOSTS", "console.example.kz, console ")
    published = ConsoleSettings.from_environment(state_dir=tmp_path)

    assert django_settings(local)["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]
    assert django_settings(published)["ALLOWED_HOSTS"] == [
        "127.0.0.1",
        "localhost",
        "console.example.kz",
        "console",
    ]
