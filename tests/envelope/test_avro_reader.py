"""Compiled Avro readers read every schema on disk exactly as fastavro does, or leave it to it."""

from __future__ import annotations

import io
from typing import Any

import fastavro
import nacl.bindings as sodium
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backbone.envelope.avro_reader import compile_reader, read
from backbone.envelope.codec import ENVELOPE_DOMAIN
from backbone.envelope.schemas import SchemaVersion, default_registry, write_body
from support.envelopes import envelope_schema, make_event, make_world, parse_envelope

REGISTRY = default_registry()
SCHEMAS = [
    version
    for area in ("envelope", "directory", "payloads")
    for name in REGISTRY.names(area)
    for version in REGISTRY.history(area, name)
]
# Longs up to 2**62 in size: larger ones take a tenth varint byte, which is left to fastavro.
_PRIMITIVES: dict[str, st.SearchStrategy[Any]] = {
    "null": st.none(),
    "boolean": st.booleans(),
    "int": st.integers(-(2**31), 2**31 - 1),
    "long": st.integers(-(2**62), 2**62 - 1),
    "string": st.text(max_size=90),  # past 63 characters the length takes two varint bytes
    "bytes": st.binary(max_size=90),
}


def _data(schema: Any) -> st.SearchStrategy[Any]:
    if isinstance(schema, list):
        return st.one_of([_data(branch) for branch in schema])
    if isinstance(schema, str):
        return _PRIMITIVES[schema]
    kind = schema["type"]
    if kind == "record":
        return st.fixed_dictionaries({f["name"]: _data(f["type"]) for f in schema["fields"]})
    if kind == "enum":
        return st.sampled_from(schema["symbols"])
    if kind == "array":
        return st.lists(_data(schema["items"]), max_size=4)
    if kind == "fixed":
        return st.binary(min_size=schema["size"], max_size=schema["size"])
    return _data(kind)


@st.composite
def encoded(draw: st.DrawFn) -> tuple[SchemaVersion, bytes]:
    schema = draw(st.sampled_from(SCHEMAS))
    return schema, write_body(schema.parsed, draw(_data(schema.definition)))


def _fastavro(schema: SchemaVersion, data: bytes) -> tuple[Any, int] | None:
    return _fastavro_schema(schema.parsed, data)


def _fastavro_schema(schema: Any, data: bytes) -> tuple[Any, int] | None:
    stream = io.BytesIO(data)
    try:
        datum = fastavro.schemaless_reader(stream, fastavro.parse_schema(schema))
    except Exception:
        return None
    return datum, stream.tell()


def test_every_schema_on_disk_has_a_compiled_reader() -> None:
    assert [s.path for s in SCHEMAS if compile_reader(s.definition) is None] == []


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=encoded())
def test_written_data_reads_back_as_fastavro_reads_it(case: tuple[SchemaVersion, bytes]) -> None:
    schema, data = case

    assert read(compile_reader(schema.definition), data, 0) == _fastavro(schema, data)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=encoded(), where=st.integers(0, 10**6), change=st.sampled_from(["set", "cut", "add"]))
def test_damaged_bytes_read_as_fastavro_reads_them_or_are_left_to_it(
    case: tuple[SchemaVersion, bytes], where: int, change: str
) -> None:
    schema, data = case
    at = where % (len(data) + 1)
    damaged = {
        "set": data[:at] + bytes([where % 256]) + data[at + 1 :],
        "cut": data[:at],
        "add": data[:at] + bytes([where % 256]) + data[at:],
    }[change]

    compiled = read(compile_reader(schema.definition), damaged, 0)

    assert compiled is None or compiled == _fastavro(schema, damaged)


def test_layouts_other_than_the_writers_are_left_to_fastavro() -> None:
    strings = {"type": "array", "items": "string"}
    reader = compile_reader(strings)
    one_block = b"\x04\x02a\x02b\x00"  # count 2, "a", "b", end
    counted_block = b"\x03\x04\x02a\x02b\x00"  # count -2 with the block's byte size 4
    long_varint = b"\x84\x00\x02a\x02b\x00"  # count 2 in two varint bytes: read here too

    assert read(reader, one_block, 0) == (["a", "b"], 6)
    assert read(reader, counted_block, 0) is None
    assert read(reader, long_varint, 0) == (["a", "b"], 7)
    assert read(compile_reader("long"), b"\xff" * 9 + b"\x01", 0) is None
    assert read(compile_reader(["null", "string"]), b"\x01", 0) is None
    assert read(compile_reader("string"), b"\x04\xff\xfe", 0) is None


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "map", "values": "string"},
        "double",
        {"type": "string", "logicalType": "uuid"},
        {"type": "long", "logicalType": "timestamp-micros"},
        {
            "type": "record",
            "name": "Pair",
            "fields": [
                {"name": "a", "type": {"type": "fixed", "name": "Id", "size": 4}},
                {"name": "b", "type": "Id"},
            ],
        },
    ],
)
def test_maps_floats_logical_types_and_named_references_are_left_to_fastavro(
    schema: Any,
) -> None:
    assert compile_reader(schema) is None


def test_deeply_nested_schemas_read_as_fastavro_reads_them() -> None:
    nested: Any = "string"
    for _ in range(12):
        nested = {"type": "array", "items": nested}
    data = b"\x02" * 12 + b"\x02a" + b"\x00" * 12  # ["a"] inside eleven one-item arrays

    assert read(compile_reader(nested), data, 0) == _fastavro_schema(nested, data)


def test_schemas_nested_deeper_than_python_recurses_are_left_to_fastavro() -> None:
    nested: Any = "string"
    for _ in range(10_000):
        nested = {"type": "array", "items": nested}

    assert compile_reader(nested) is None


def test_an_envelope_whose_readers_come_in_a_counted_block_decodes_as_usual() -> None:
    world = make_world()
    event = make_event("ReferralIssued", recipients=["guardianship.turkestan"])
    data = world.codec(event.producer).encode(event)
    record = parse_envelope(data)
    fields = envelope_schema().definition["fields"]
    header = write_body(fastavro.parse_schema(fields[2]["type"]), record["header"])
    reader = fastavro.parse_schema(fields[3]["type"]["items"])
    entries = b"".join(write_body(reader, entry) for entry in record["readers"])
    count, size = -len(record["readers"]), len(entries)
    tail = (
        _zigzag(count)
        + _zigzag(size)
        + entries
        + b"\x00"
        + record["nonce"]
        + _zigzag(len(record["ciphertext"]))
        + record["ciphertext"]
    )
    unsigned = data[:34] + header + tail
    pair = world.pairs[event.producer]
    blocked = (
        unsigned + sodium.crypto_sign(ENVELOPE_DOMAIN + unsigned, pair.signing_secret_key)[:64]
    )

    for agency in (None, event.producer, "guardianship.turkestan"):
        assert blocked != data
        assert world.codec(agency).decode(blocked) == world.codec(agency).decode(data)


def _zigzag(value: int) -> bytes:
    number, out = (value << 1) ^ (value >> 63), bytearray()
    while number > 0x7F:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)
