"""The .avsc files are the source of truth; code and history must stay in step with them."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest
from fastavro.schema import fingerprint, to_parsing_canonical_form

from backbone.domain.catalogue import CATALOGUE
from backbone.envelope.schemas import (
    SCHEMA_DIR,
    AvroDataError,
    SchemaRegistry,
    compatibility_problems,
    default_registry,
)
from support.envelopes import minimal_payload


def test_every_catalogue_event_type_has_a_payload_schema_and_no_other() -> None:
    registry = default_registry()
    assert registry.names("payloads") == sorted(CATALOGUE)
    for event_type in CATALOGUE:
        assert registry.payload(event_type).full_name == f"kz.referral.payloads.{event_type}"


def test_envelope_and_directory_schemas_are_present() -> None:
    registry = default_registry()
    assert registry.names("envelope") == ["Envelope"]
    assert registry.names("directory") == ["Certificate", "DirectoryEntry"]


def test_every_schema_version_can_read_data_of_the_version_before() -> None:
    """Backward compatibility, version by version, checked by avro.compatibility."""
    registry = default_registry()
    problems = {}
    for area in ("envelope", "directory", "payloads"):
        for name in registry.names(area):
            history = registry.history(area, name)
            for older, newer in itertools.pairwise(history):
                found = compatibility_problems(newer, older)
                if found:
                    problems[f"{area}/{name} v{older.version}->v{newer.version}"] = found
    assert problems == {}


def test_the_compatibility_check_catches_a_field_added_without_default(tmp_path: Path) -> None:
    shutil.copytree(SCHEMA_DIR / "payloads" / "CaseClosed", tmp_path / "payloads" / "CaseClosed")
    v1 = json.loads((tmp_path / "payloads" / "CaseClosed" / "v1.avsc").read_text())
    breaking = {**v1, "fields": [*v1["fields"], {"name": "closing_officer_iin", "type": "string"}]}
    (tmp_path / "payloads" / "CaseClosed" / "v2.avsc").write_text(json.dumps(breaking))
    compatible = {
        **v1,
        "fields": [*v1["fields"], {"name": "note", "type": ["null", "string"], "default": None}],
    }

    registry = SchemaRegistry.load(tmp_path)
    [old, new] = registry.history("payloads", "CaseClosed")
    assert compatibility_problems(new, old) != []
    (tmp_path / "payloads" / "CaseClosed" / "v2.avsc").write_text(json.dumps(compatible))
    [old, new] = SchemaRegistry.load(tmp_path).history("payloads", "CaseClosed")
    assert compatibility_problems(new, old) == []


def test_old_payload_bytes_are_read_into_the_current_schema(tmp_path: Path) -> None:
    shutil.copytree(SCHEMA_DIR / "payloads" / "CaseClosed", tmp_path / "payloads" / "CaseClosed")
    v1 = json.loads((tmp_path / "payloads" / "CaseClosed" / "v1.avsc").read_text())
    v2 = {
        **v1,
        "fields": [*v1["fields"], {"name": "note", "type": ["null", "string"], "default": None}],
    }
    (tmp_path / "payloads" / "CaseClosed" / "v2.avsc").write_text(json.dumps(v2))
    registry = SchemaRegistry.load(tmp_path)
    [old, new] = registry.history("payloads", "CaseClosed")
    written = registry.soe_encode(old, minimal_payload("CaseClosed"))

    writer, datum = registry.soe_decode(written, new)

    assert writer is old
    assert datum == {**minimal_payload("CaseClosed"), "note": None}


def test_canonical_forms_agree_between_avro_and_fastavro() -> None:
    """Schema ids must be what a Java or .NET reader computes.

    avro 1.12.2 (Python) departs from the specification for a named type used twice and for
    logical types; fastavro follows it as Java does. The schema files avoid both constructs,
    and this test fails if a new file does not.
    """
    registry = default_registry()
    for area in ("envelope", "directory", "payloads"):
        for name in registry.names(area):
            for version in registry.history(area, name):
                canonical = to_parsing_canonical_form(dict(version.definition))
                assert fingerprint(canonical, "CRC-64-AVRO") == version.fingerprint.hex()
                assert canonical == version.canonical_form


def test_single_object_encoding_names_its_writer_schema() -> None:
    registry = default_registry()
    schema = registry.payload("ReferralIssued")
    data = registry.soe_encode(schema, minimal_payload("ReferralIssued"))
    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == schema.fingerprint
    assert registry.soe_decode(data) == (schema, minimal_payload("ReferralIssued"))


def test_a_payload_with_an_unknown_key_is_refused_without_quoting_it() -> None:
    registry = default_registry()
    payload = {**minimal_payload("CaseClosed"), "Test-Name-Alpha": "000000000017"}
    with pytest.raises(AvroDataError) as refused:
        registry.soe_encode(registry.payload("CaseClosed"), payload)
    assert "Test-Name-Alpha" not in str(refused.value)
    assert "000000000017" not in str(refused.value)


def test_every_schema_file_is_named_by_version_in_a_folder_named_by_its_record() -> None:
    for path in SCHEMA_DIR.glob("*/*/*.avsc"):
        definition = json.loads(path.read_text())
        assert definition["name"] == path.parent.name
        assert path.stem.startswith("v")
