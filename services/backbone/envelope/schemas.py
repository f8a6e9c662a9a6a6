"""The Avro schemas under ``schemas/avro/`` and their single-object encoding (SOE).

Layout: ``schemas/avro/<area>/<Name>/v<N>.avsc``; the highest ``N`` is the schema this code
writes, every lower one stays so that old bytes can still be read (their fingerprints stay
known) and so that a test can check each version against the one before it. Areas: ``envelope``,
``directory`` and ``payloads`` (one ``<EventType>`` per catalogue row).

A schema's id is its CRC-64-AVRO fingerprint (8 bytes, little-endian, of the parsing canonical
form, computed by ``avro``). SOE bytes are ``C3 01`` + fingerprint + Avro binary body; fastavro
does the body on the hot path.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import avro.schema
import fastavro

from backbone.envelope.errors import SchemaUnknown
from backbone.paths import PROJECT_ROOT

SCHEMA_DIR = PROJECT_ROOT / "schemas" / "avro"
SOE_MAGIC = b"\xc3\x01"
SOE_PREFIX_LENGTH = 10
_VERSION_FILE = re.compile(r"^v(?P<n>[1-9][0-9]*)\.avsc$")


class AvroDataError(ValueError):
    """A datum does not fit its schema or bytes do not decode; names the schema, never data."""


@dataclass(frozen=True)
class SchemaVersion:
    """One ``.avsc`` file: parsed once for fastavro, fingerprinted once by ``avro``."""

    area: str
    name: str
    version: int
    path: Path
    definition: Mapping[str, Any] = field(repr=False)
    canonical_form: str = field(repr=False)
    fingerprint: bytes
    parsed: Any = field(repr=False, compare=False)

    @property
    def full_name(self) -> str:
        return f"{self.definition.get('namespace', '')}.{self.definition['name']}".lstrip(".")

    @property
    def soe_prefix(self) -> bytes:
        return SOE_MAGIC + self.fingerprint

    @classmethod
    def from_file(cls, area: str, name: str, version: int, path: Path) -> SchemaVersion:
        text = path.read_text(encoding="utf-8")
        definition = json.loads(text)
        parsed_avro = avro.schema.parse(text)
        return cls(
            area=area,
            name=name,
            version=version,
            path=path,
            definition=definition,
            canonical_form=parsed_avro.canonical_form,
            fingerprint=bytes(parsed_avro.fingerprint("CRC-64-AVRO")),
            parsed=fastavro.parse_schema(definition),
        )

    def avro_schema(self) -> avro.schema.Schema:
        """The ``avro`` package's view (slow path: compatibility checks)."""
        return avro.schema.parse(json.dumps(self.definition))


def write_body(parsed: Any, datum: Any, *, strict: bool = True) -> bytes:
    """Avro binary body of ``datum``; with ``strict`` unknown keys are refused."""
    out = io.BytesIO()
    fastavro.schemaless_writer(out, parsed, datum, strict_allow_default=strict)
    return out.getvalue()


def read_body(data: bytes, writer: Any, reader: Any = None, start: int = 0) -> tuple[Any, int]:
    """Decode one Avro datum from ``data[start:]``; return it and the offset after it."""
    stream = io.BytesIO(data)
    stream.seek(start)
    datum = fastavro.schemaless_reader(stream, writer, reader)
    return datum, stream.tell()


class SchemaRegistry:
    """Every schema version on disk, by (area, name) and by fingerprint."""

    def __init__(self, versions: Iterable[SchemaVersion]) -> None:
        self._history: dict[tuple[str, str], list[SchemaVersion]] = {}
        self._by_fingerprint: dict[bytes, SchemaVersion] = {}
        for version in versions:
            self._history.setdefault((version.area, version.name), []).append(version)
            clash = self._by_fingerprint.setdefault(version.fingerprint, version)
            if clash is not version:
                raise ValueError(f"{version.path} and {clash.path} have the same fingerprint")
        for history in self._history.values():
            history.sort(key=lambda v: v.version)
            numbers = [v.version for v in history]
            if numbers != list(range(1, len(numbers) + 1)):
                raise ValueError(
                    f"{history[0].path.parent}: versions must be v1..vN, got {numbers}"
                )

    @classmethod
    def load(cls, root: Path = SCHEMA_DIR) -> SchemaRegistry:
        versions = []
        for path in sorted(root.glob("*/*/v*.avsc")):
            match = _VERSION_FILE.match(path.name)
            if match is None:
                raise ValueError(f"{path}: schema files are named v<N>.avsc")
            area, name = path.parent.parent.name, path.parent.name
            versions.append(SchemaVersion.from_file(area, name, int(match["n"]), path))
        return cls(versions)

    def names(self, area: str) -> list[str]:
        return sorted(name for a, name in self._history if a == area)

    def history(self, area: str, name: str) -> list[SchemaVersion]:
        return list(self._history[(area, name)])

    def latest(self, area: str, name: str) -> SchemaVersion:
        try:
            return self._history[(area, name)][-1]
        except KeyError:
            raise SchemaUnknown(f"no schema {area}/{name}") from None

    def payload(self, event_type: str) -> SchemaVersion:
        return self.latest("payloads", event_type)

    def by_fingerprint(self, fingerprint: bytes) -> SchemaVersion | None:
        return self._by_fingerprint.get(fingerprint)

    def soe_encode(self, version: SchemaVersion, datum: Any) -> bytes:
        try:
            return version.soe_prefix + write_body(version.parsed, datum)
        except Exception:  # fastavro's messages may quote the datum
            raise AvroDataError(
                f"datum does not fit {version.full_name} v{version.version}"
            ) from None

    def soe_decode(
        self, data: bytes, reader: SchemaVersion | None = None
    ) -> tuple[SchemaVersion, Any]:
        """Decode SOE bytes with their writer schema, resolved to ``reader`` when given."""
        if data[:2] != SOE_MAGIC or len(data) < SOE_PREFIX_LENGTH:
            raise AvroDataError("not Avro single-object encoding")
        writer = self._by_fingerprint.get(data[2:SOE_PREFIX_LENGTH])
        if writer is None:
            raise SchemaUnknown(f"no schema has fingerprint {data[2:10].hex()}")
        if reader is not None and (reader.area, reader.name) != (writer.area, writer.name):
            raise AvroDataError(f"bytes are {writer.full_name}, expected {reader.full_name}")
        resolved = None if reader is None or reader is writer else reader.parsed
        try:
            datum, end = read_body(data, writer.parsed, resolved, SOE_PREFIX_LENGTH)
        except Exception:  # truncated, bad varint, bad UTF-8, enum index out of range ...
            raise AvroDataError(f"bytes do not decode as {writer.full_name}") from None
        if end != len(data):
            raise AvroDataError(f"{len(data) - end} bytes after the {writer.full_name} datum")
        return writer, datum


def compatibility_problems(reader: SchemaVersion, writer: SchemaVersion) -> list[str]:
    """Why ``reader`` cannot read data written with ``writer`` (empty when it can)."""
    from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

    checker: Any = ReaderWriterCompatibilityChecker
    result = checker().get_compatibility(reader.avro_schema(), writer.avro_schema())
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    kinds = ", ".join(sorted(str(kind.value) for kind in result.incompatibilities))
    return [f"{kinds}: {sorted(result.messages)} at {sorted(result.locations)}"]


@cache
def default_registry() -> SchemaRegistry:
    """The registry of the project's ``schemas/avro`` folder, loaded once per process."""
    return SchemaRegistry.load()
