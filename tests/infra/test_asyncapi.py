"""``contracts/asyncapi.yaml`` says what ``deploy/kafka/topology.toml`` and ``schemas/avro/`` say.

The AsyncAPI CLI checks the document against the specification (``make asyncapi``, part of
``make test``); these tests check its content: the same topics with the same partitions and
configuration, the record keys of ``contracts/topics.md``, every message's Avro schema (the
current version of each, by path and fingerprint), and for each role exactly the read, write and
create rights the topology grants, no more and no fewer.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from backbone.broker import topology
from backbone.broker.admin import Grant
from backbone.broker.topics import EVENT_LOG, inbox_topic
from backbone.consumer.quarantine import Rejection
from backbone.domain.catalogue import CATALOGUE
from backbone.domain.events import CHILD_REF
from backbone.envelope.errors import REJECTION_REASONS
from backbone.envelope.schemas import default_registry
from backbone.paths import PROJECT_ROOT

CONTRACTS = PROJECT_ROOT / "contracts"
DOCUMENT = CONTRACTS / "asyncapi.yaml"
INBOX = "inbox.{agency_id}.v1"
AVRO = "application/vnd.apache.avro;version=1.9.0"
# The rights compared; "describe" (metadata) is left to the topology file.
RIGHTS = {"read", "write", "create"}
ACTIONS = {"send": "write", "receive": "read"}
# The key column of contracts/topics.md, to the key schema each channel's messages name.
KEYS = {"`child_ref`": "ChildRefKey", "agency id": "AgencyIdKey", "original key": None}

Right = tuple[str, str, str, bool]  # operation, resource type, resource, prefixed


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text())
    return loaded


@pytest.fixture(scope="module")
def topo() -> topology.Topology:
    return topology.load()


def _pointer(document: Mapping[str, Any], ref: str) -> Any:
    """What a local ``$ref`` (``#/a/b``) points to."""
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _channels(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Channel address → channel."""
    return {channel["address"]: channel for channel in document["channels"].values()}


def _as_text(value: Any) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)


def _topic_table() -> dict[str, dict[str, str]]:
    """contracts/topics.md's table: topic → column → cell."""
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in (CONTRACTS / "topics.md").read_text().splitlines()
        if line.startswith("|")
    ]
    table = {}
    for row in rows[2:]:  # after the header and the |---| line
        cells = dict(zip(rows[0], row, strict=True))
        table[cells["topic"].strip("`").replace("<agency_id>", "{agency_id}")] = cells
    return table


def test_the_channels_are_the_topology_s_topics_with_their_partitions_and_configuration(
    document: dict[str, Any], topo: topology.Topology
) -> None:
    inboxes = {inbox_topic(a) for a in topo.agencies}
    specs = {t.name: t for t in topo.topics if t.name not in inboxes}
    channels = _channels(document)

    assert set(channels) == {*specs, INBOX}
    assert len(inboxes) == len(topo.agencies) > 1
    for address, channel in channels.items():
        binding = channel["bindings"]["kafka"]
        documented = {k: _as_text(v) for k, v in binding["topicConfiguration"].items()}
        for spec in (
            [specs[address]] if address != INBOX else [t for t in topo.topics if t.name in inboxes]
        ):
            assert binding["partitions"] == spec.partitions, spec.name
            assert documented == dict(spec.configs), spec.name
            assert "topic" not in binding or binding["topic"] == spec.name


def test_the_inbox_channel_names_each_agency_s_inbox(
    document: dict[str, Any], topo: topology.Topology
) -> None:
    channel = _channels(document)[INBOX]

    assert set(channel["parameters"]) == {"agency_id"}
    for agency in topo.agencies:
        assert INBOX.replace("{agency_id}", agency) == inbox_topic(agency)
    for example in channel["parameters"]["agency_id"]["examples"]:
        assert example in topo.agencies


def test_every_channel_s_record_key_is_the_one_topics_md_states(document: dict[str, Any]) -> None:
    table = _topic_table()
    channels = _channels(document)

    assert set(table) == set(channels)
    for address, channel in channels.items():
        [expected] = [name for text, name in KEYS.items() if table[address]["key"].startswith(text)]
        for message in channel["messages"].values():
            key = _pointer(document, message["$ref"])["bindings"]["kafka"]["key"]
            if expected is None:
                assert "$ref" not in key and key["type"] == "string", address
            else:
                assert key == {"$ref": f"#/components/schemas/{expected}"}, address
    child_ref = document["components"]["schemas"]["ChildRefKey"]
    assert child_ref["pattern"] == CHILD_REF.pattern


def test_channel_partitions_agree_with_topics_md(document: dict[str, Any]) -> None:
    table = _topic_table()

    for address, channel in _channels(document).items():
        assert str(channel["bindings"]["kafka"]["partitions"]) == table[address]["partitions"]


def _documented_rights(document: dict[str, Any]) -> dict[str, set[Right]]:
    """Role → the rights its operations and its ``x-roles`` prefixes describe."""
    rights: dict[str, set[Right]] = {role: set() for role in document["x-roles"]}
    for operation_id, operation in document["operations"].items():
        role = operation["x-role"]
        address = _pointer(document, operation["channel"]["$ref"])["address"]
        action = ACTIONS[operation["action"]]
        if address == INBOX:
            scope = operation["x-inboxes"]
            assert scope in ("own", "every"), operation_id
            if scope == "own":
                assert role == "agency", f"{operation_id}: only an agency has an own inbox"
                right = (action, "topic", INBOX.replace("{agency_id}", "{agency}"), False)
            else:
                right = (action, "topic", INBOX.split("{")[0], True)
        else:
            assert "x-inboxes" not in operation, operation_id
            right = (action, "topic", address, False)
        assert right not in rights[role], f"{operation_id} repeats a right"
        rights[role].add(right)
    for role, entry in document["x-roles"].items():
        groups = entry.get("consumerGroupPrefix")
        if groups is not None:
            rights[role].add(("read", "group", groups.replace("{agency_id}", "{agency}"), True))
        topics = entry.get("internalTopicPrefix")
        if topics is not None:
            prefix = topics.replace("{agency_id}", "{agency}")
            rights[role].update((op, "topic", prefix, True) for op in ("read", "write", "create"))
    return rights


def _granted(grants: tuple[Grant, ...], agency: str | None = None) -> set[Right]:
    def name(resource: str) -> str:
        return resource if agency is None else resource.replace(agency, "{agency}")

    return {
        (g.operation, g.resource_type, name(g.resource), g.prefixed)
        for g in grants
        if g.operation in RIGHTS
    }


def test_each_role_has_exactly_the_rights_the_topology_grants(
    document: dict[str, Any], topo: topology.Topology
) -> None:
    agency_role = {a: _granted(topo.grants[a], a) for a in topo.agencies}
    [role_rights] = {frozenset(r) for r in agency_role.values()}  # one role for every agency
    expected = {"agency": set(role_rights)}
    for principal, grants in topo.grants.items():
        if principal not in topo.agencies:
            expected[principal] = _granted(grants)

    documented = _documented_rights(document)

    assert set(documented) == set(expected)
    for role in expected:
        assert documented[role] == expected[role], role
    for role, entry in document["x-roles"].items():
        assert role == "agency" or entry["principal"] == role


def test_every_operation_names_a_channel_and_a_known_role(document: dict[str, Any]) -> None:
    addresses = {c["address"] for c in document["channels"].values()}

    for operation_id, operation in document["operations"].items():
        assert operation["x-role"] in document["x-roles"], operation_id
        assert _pointer(document, operation["channel"]["$ref"])["address"] in addresses


def _avro_schemas(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    schemas = document["components"]["schemas"]
    return {name: s for name, s in schemas.items() if "schemaFormat" in s}


def test_every_avro_schema_is_the_current_version_by_path_and_fingerprint(
    document: dict[str, Any],
) -> None:
    registry = default_registry()
    current = {
        "Envelope": registry.latest("envelope", "Envelope"),
        "DirectoryEntry": registry.latest("directory", "DirectoryEntry"),
        "Certificate": registry.latest("directory", "Certificate"),
        **{name: registry.payload(name) for name in registry.names("payloads")},
    }
    avro = _avro_schemas(document)

    assert set(avro) == set(current)
    for name, entry in avro.items():
        assert entry["schemaFormat"] == AVRO, name
        path = (CONTRACTS / entry["schema"]["$ref"]).resolve()
        assert path == current[name].path.resolve(), name
        assert entry["x-fingerprint"] == current[name].fingerprint.hex(), name


def _bodies(document: dict[str, Any], address: str) -> set[str]:
    [message] = _channels(document)[address]["messages"].values()
    resolved = _pointer(document, message["$ref"])
    assert resolved["payload"] == {"$ref": "#/components/schemas/Envelope"}
    assert resolved["x-encoding"] == "avro-single-object"
    names = [Path(body["$ref"]).name for body in resolved["x-bodies"]]
    assert len(names) == len(set(names))
    return set(names)


def test_envelope_channels_list_the_bodies_each_may_carry(document: dict[str, Any]) -> None:
    sla = {t for t, spec in CATALOGUE.items() if spec.emitters == {"audit"}}

    assert sla == {"SlaBreached", "SlaBreachResolved"}
    assert _bodies(document, EVENT_LOG) == set(CATALOGUE) - sla
    assert _bodies(document, INBOX) == set(CATALOGUE) - sla
    assert _bodies(document, "audit.sla.v1") == sla
    assert set(CATALOGUE) <= set(_avro_schemas(document))


def test_the_quarantine_message_has_the_headers_and_reasons_consumers_write(
    document: dict[str, Any],
) -> None:
    [message] = _channels(document)["referral.rejected.v1"]["messages"].values()
    headers = _pointer(document, message["$ref"])["headers"]
    written = [name for name, _ in Rejection("r", "d", b"").headers()]

    assert headers["required"] == written
    assert list(headers["properties"]) == written
    assert headers["properties"]["reason"]["enum"] == sorted(REJECTION_REASONS)


def test_the_directory_message_is_keyed_and_typed_as_topics_md_says(
    document: dict[str, Any],
) -> None:
    [message] = _channels(document)["keys.directory.v1"]["messages"].values()
    resolved = _pointer(document, message["$ref"])

    assert resolved["payload"] == {"$ref": "#/components/schemas/DirectoryEntry"}
    assert resolved["x-certificate"] == {"$ref": "#/components/schemas/Certificate"}
