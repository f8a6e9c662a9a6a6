"""Avro binary read by plain indexing, for the schemas every consumer reads on every record.

fastavro reads through a stream: two calls for every string, a dispatch on the schema for every
value. For the envelope's header and readers and for the payloads, ``compile_reader`` instead
builds, once per schema, one small closure per schema node that reads the bytes in place as the
schema lays them out: a record reader holds its fields' readers, a union its branches', an array
its items'. A record reads fixed fields and the null branch of optional fields in its own loop.
No source text is generated: no ``compile``, ``exec`` or ``eval``.

A reader takes the layout writers produce: varints of at most 63 bits, union branches and
booleans in one byte, array blocks with positive counts, lengths inside the buffer. Anything else
(a negative block count with its byte size, bad UTF-8, a value running past the end ...) makes
``read`` return ``None``, and the caller hands the bytes to fastavro, which decides. So every
input reads exactly as with fastavro alone, only faster (the two are compared by
``tests/envelope/test_avro_reader.py``). Schemas with maps, floating point, logical types or
named references get no reader (``None``): fastavro reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Reader = Callable[[bytes, int], tuple[Any, int]]

_INT_RANGE = range(-(2**31), 2**31)
# How a record reads a field: in its own loop (the first two), or by the field's reader.
_FIXED, _OPTIONAL, _CALL = range(3)


class _Unusual(Exception):
    """Bytes outside the common layout: fastavro decides what they are."""


class _NotCompiled(Exception):
    """A schema construct this module leaves to fastavro."""


def read(reader: Reader | None, data: bytes, pos: int) -> tuple[Any, int] | None:
    """The datum at ``data[pos:]`` and the offset after it, or ``None`` (let fastavro read it)."""
    if reader is None:
        return None
    try:
        return reader(data, pos)
    except (_Unusual, IndexError, UnicodeDecodeError, RecursionError):
        return None


def compile_reader(schema: Any) -> Reader | None:
    """A reader for ``schema`` (an Avro schema as JSON), or ``None`` if fastavro must read it."""
    try:
        return _reader(schema)
    except (_NotCompiled, RecursionError):  # or nested deeper than Python recurses
        return None


# Building: one reader per schema node.


def _reader(schema: Any) -> Reader:
    node = _node(schema)
    if isinstance(node, str):
        return _PRIMITIVES[node]
    if isinstance(node, list):
        return _union(node)
    if node["type"] == "record":
        return _record(node)
    if node["type"] == "array":
        return _array(node)
    if node["type"] == "enum":
        return _enum(node)
    return _fixed(int(node["size"]))


def _node(schema: Any) -> Any:
    """``schema`` with a primitive as its bare name; ``_NotCompiled`` for what fastavro reads."""
    if isinstance(schema, str):
        if schema not in _PRIMITIVES:
            raise _NotCompiled  # float, double, a named reference ...
        return schema
    if isinstance(schema, list):
        return schema
    if not isinstance(schema, Mapping) or not isinstance(schema.get("type"), str):
        raise _NotCompiled
    if schema["type"] in _PRIMITIVES:
        if set(schema) - {"type", "doc"}:  # a logical type or other annotation
            raise _NotCompiled
        return schema["type"]
    if "logicalType" in schema or schema["type"] not in ("record", "array", "enum", "fixed"):
        raise _NotCompiled  # map, float, a named reference ...
    return schema


def _record(schema: Mapping[str, Any]) -> Reader:
    fields = tuple((field["name"], *_field(field["type"])) for field in schema["fields"])
    # Every field, None until read: copying it is quicker than growing a dict field by field.
    template: dict[str, Any] = dict.fromkeys(name for name, _, _ in fields)
    if len(template) != len(fields):
        raise _NotCompiled  # a field name twice: not a schema fastavro parses

    def read_record(data: bytes, pos: int) -> tuple[dict[str, Any], int]:
        end = len(data)
        record = template.copy()
        for name, kind, argument in fields:
            if kind == _FIXED:
                stop = pos + argument
                if stop > end:
                    raise _Unusual
                record[name] = data[pos:stop]
                pos = stop
            elif kind == _OPTIONAL:
                branch = data[pos]
                if branch == 2:
                    record[name], pos = argument(data, pos + 1)
                elif branch == 0:
                    pos += 1
                else:
                    raise _Unusual
            else:
                record[name], pos = argument(data, pos)
        return record, pos

    return read_record


def _field(schema: Any) -> tuple[int, Any]:
    """How a record reads a field of ``schema``: one of the kinds above, and its argument."""
    node = _node(schema)
    if isinstance(node, list) and len(node) == 2 and _node(node[0]) == "null":
        return _OPTIONAL, _reader(node[1])
    if isinstance(node, Mapping) and node["type"] == "fixed":
        return _FIXED, int(node["size"])
    return _CALL, _reader(node)


def _union(branches: list[Any]) -> Reader:
    if not branches or len(branches) > 63:  # the branch index must fit one byte
        raise _NotCompiled
    readers = tuple(_reader(branch) for branch in branches)
    limit = 2 * len(readers)

    def read_union(data: bytes, pos: int) -> tuple[Any, int]:
        branch = data[pos]
        if branch & 1 or branch >= limit:  # a negative index, or one not in one byte
            raise _Unusual
        return readers[branch >> 1](data, pos + 1)

    return read_union


def _array(schema: Mapping[str, Any]) -> Reader:
    item = _reader(schema["items"])

    def read_array(data: bytes, pos: int) -> tuple[list[Any], int]:
        items: list[Any] = []
        while True:
            # A negative count comes with a byte size: fastavro's.
            count, pos = _read_length(data, pos)
            if not count:
                return items, pos
            # A count beyond the bytes left is a zero-size item type or bad bytes: fastavro's.
            if count > len(data) - pos:
                raise _Unusual
            for _ in range(count):
                value, pos = item(data, pos)
                items.append(value)

    return read_array


def _enum(schema: Mapping[str, Any]) -> Reader:
    symbols = tuple(schema["symbols"])

    def read_enum(data: bytes, pos: int) -> tuple[str, int]:
        index = data[pos]
        if index & 0x81:
            index, pos = _long(data, pos)
            if index < 0:
                raise _Unusual
        else:
            index >>= 1
            pos += 1
        return symbols[index], pos  # an index past the symbols: IndexError, fastavro's

    return read_enum


def _fixed(size: int) -> Reader:
    def read_fixed(data: bytes, pos: int) -> tuple[bytes, int]:
        stop = pos + size
        if stop > len(data):
            raise _Unusual
        return data[pos:stop], stop

    return read_fixed


# Reading: the primitives, and the varints under them.


def _null(data: bytes, pos: int) -> tuple[None, int]:
    return None, pos


def _boolean(data: bytes, pos: int) -> tuple[bool, int]:
    byte = data[pos]
    if byte > 1:
        raise _Unusual
    return byte == 1, pos + 1


def _read_long(data: bytes, pos: int) -> tuple[int, int]:
    byte = data[pos]
    if byte < 0x80:
        return (byte >> 1) ^ -(byte & 1), pos + 1
    return _long(data, pos)


def _read_int(data: bytes, pos: int) -> tuple[int, int]:
    value, pos = _read_long(data, pos)
    if value not in _INT_RANGE:
        raise _Unusual
    return value, pos


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    """A length or block count: one byte, else a varint of at least 0."""
    size = data[pos]
    if size & 0x81:  # more than one byte, or negative
        return _length(data, pos)
    return size >> 1, pos + 1


def _read_bytes(data: bytes, pos: int) -> tuple[bytes, int]:
    size = data[pos]
    if size & 0x81:  # not one byte: as ``_read_length``, not called for speed
        size, pos = _length(data, pos)
    else:
        size >>= 1
        pos += 1
    stop = pos + size
    if stop > len(data):
        raise _Unusual
    return data[pos:stop], stop


def _read_string(data: bytes, pos: int) -> tuple[str, int]:
    value, pos = _read_bytes(data, pos)
    return value.decode(), pos


def _long(data: bytes, pos: int) -> tuple[int, int]:
    """A zig-zag varint at ``pos`` (fastavro's arithmetic, up to 63 bits)."""
    byte = data[pos]
    value, shift = byte & 0x7F, 7
    pos += 1
    while byte & 0x80:
        if shift > 56:  # past 63 bits fastavro's unsigned 64-bit arithmetic wraps
            raise _Unusual
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        shift += 7
        pos += 1
    return (value >> 1) ^ -(value & 1), pos


def _length(data: bytes, pos: int) -> tuple[int, int]:
    """A length or count that is not one byte: a varint, at least 0."""
    value, pos = _long(data, pos)
    if value < 0:
        raise _Unusual
    return value, pos


_PRIMITIVES: dict[str, Reader] = {
    "null": _null,
    "boolean": _boolean,
    "int": _read_int,
    "long": _read_long,
    "string": _read_string,
    "bytes": _read_bytes,
}
