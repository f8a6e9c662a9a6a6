"""``--instances``: how many workers of a service run and what each is called."""

from __future__ import annotations

import pytest

from backbone import deploy
from backbone.runtime.instances import InstancesInvalid, parse


def test_a_spec_counts_instances_and_unnamed_services_run_once() -> None:
    instances = parse("router=2, audit=2,agency=3")
    assert (instances.of("router"), instances.of("audit"), instances.of("agency")) == (2, 2, 3)
    assert parse("").of("router") == 1


@pytest.mark.parametrize("spec", ["console=2", "router", "router=two", "audit=0", "agency=9"])
def test_a_bad_spec_is_refused_with_the_reason(spec: str) -> None:
    with pytest.raises(InstancesInvalid):
        parse(spec)


def test_each_instance_has_its_own_name_state_ports_and_the_console_reads_every_audit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BACKBONE_AUDIT_PORT", "22510")
    monkeypatch.setenv("BACKBONE_METRICS_BASE_PORT", "22540")
    specs = {spec.name: spec for spec in deploy.services(parse("router=2,audit=2,agency=2"))}
    assert {"router", "router@2", "audit", "audit@2", "police.turkestan@2"} <= set(specs)
    assert "intake@2" not in specs and "mobile.turkestan.q1-raid" not in specs
    second = specs["audit@2"].argv
    assert second[second.index("--port") + 1] == "22511"
    assert second[second.index("--state-dir") + 1].endswith("state/audit.national@2")
    assert "--state-dir" not in specs["router"].argv
    ports = [dict(spec.env)["BACKBONE_METRICS_PORT"] for spec in specs.values()]
    assert len(set(ports)) == len(ports) and min(ports) == "22540"
    console = dict(specs["console"].env)["BACKBONE_AUDIT_URL"]
    assert console == "http://127.0.0.1:22510,http://127.0.0.1:22511"
