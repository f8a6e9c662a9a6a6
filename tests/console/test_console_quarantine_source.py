"""The console reads the quarantine as its own principal, from the environment when it is set."""

from __future__ import annotations

from pathlib import Path

import pytest

from backbone.console.quarantine import KafkaQuarantineSource, QuarantineUnavailable


def test_a_console_configured_as_another_principal_reports_the_quarantine_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKBONE_RUN_DIR", str(tmp_path))
    monkeypatch.setenv("KAFKA_USERNAME", "router")
    monkeypatch.setenv("KAFKA_PASSWORD", "not-used")

    with pytest.raises(QuarantineUnavailable, match="KAFKA_USERNAME is router"):
        KafkaQuarantineSource().read()


def test_a_console_without_kafka_settings_or_local_credentials_reports_it_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKBONE_RUN_DIR", str(tmp_path))
    monkeypatch.delenv("KAFKA_USERNAME", raising=False)

    with pytest.raises(QuarantineUnavailable, match=r"admin secret|no credentials"):
        KafkaQuarantineSource().read()
