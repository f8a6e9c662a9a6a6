"""Planting unique identifying-looking strings, and finding every file that holds one.

``Planter`` makes strings shaped like what a person could type about a child (a name, an IIN, a
street address), each unique to one test run and one use: its random ``core`` (16 hex digits, or
the 12 digits of the IIN) is what ``files_holding`` looks for, so a hit names the entry point and
header place it was tried in, and a quoted or JSON-escaped copy is found as well as a raw one. The
strings are obviously synthetic ("Testname-...", "Test-Street-... 1"); the IIN's first six digits
are a date of birth (2008 to 2016, as a child's), never the "17..." of a Unix timestamp.

``files_holding`` reads bytes, not text: Kafka segments, RocksDB files and logs alike. It asks
GNU grep (fixed strings, binary files read as text) which files hold any core, then reads those
files to say which. It finds copies kept verbatim; one a service encoded first (base64, hex,
compressed) would escape it, so a caller shows with a control that the places it scans hold a
known string in the same form.
"""

from __future__ import annotations

import secrets
import subprocess
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# Kafka preallocates each segment's offset and time index as a sparse 10 MiB file; they hold
# offsets, positions and timestamps only (never record bytes), and reading thousands of them is
# most of a scan's time.
SPARSE_INDEXES = ("*.index", "*.timeindex")


@dataclass(frozen=True)
class Planted:
    entry: str  # the entry point it was tried through
    place: str  # the header place it was put in
    text: str  # the string as planted
    core: str  # its random part: what the scan looks for

    def __str__(self) -> str:
        return f"{self.entry}: {self.place}"


@dataclass
class Planter:
    """Mints the strings and remembers each one's entry point and place."""

    planted: list[Planted] = field(default_factory=list)

    def plant(self, kind: str, entry: str, place: str) -> Planted:
        if kind == "iin":
            text = core = _iin()
        else:
            core = secrets.token_hex(8)
            text = f"Testname-{core}" if kind == "name" else f"Test-Street-{core} 1"
        planted = Planted(entry, place, text, core)
        self.planted.append(planted)
        return planted

    def of(self, *entries: str) -> list[Planted]:
        return [p for p in self.planted if p.entry in entries]


def _iin() -> str:
    """Twelve digits shaped like a child's IIN: a 2008-2016 birth date, then six more digits."""
    year = 8 + secrets.randbelow(9)
    month = 1 + secrets.randbelow(12)
    day = 1 + secrets.randbelow(28)
    return f"{year:02d}{month:02d}{day:02d}{secrets.randbelow(10**6):06d}"


def files_holding(
    roots: Iterable[Path], cores: Iterable[str], skip: Iterable[Path] = ()
) -> dict[str, list[Path]]:
    """For each of ``cores`` found, the files under ``roots`` (recursively; not under ``skip``)
    whose bytes contain it. Files that vanish during the scan (a segment deleted by retention, a
    RocksDB file compacted away) are passed over: what they held is gone from the disk."""
    wanted = sorted(set(cores))
    folders = [str(root) for root in roots if root.exists()]
    if not wanted or not folders:
        return {}
    patterns = [arg for core in wanted for arg in ("-e", core)]
    excluded = [f"--exclude={glob}" for glob in SPARSE_INDEXES]
    # -r recurse, -l names only, -a binary as text, -F fixed strings, -s no message for a file
    # that vanished; status 2 (such a file) still lists the files that matched.
    command = ["grep", "-rlaFs", "--devices=skip", *excluded, *patterns, "--", *folders]
    listed = subprocess.run(command, capture_output=True, check=False, timeout=600)
    if listed.returncode not in (0, 1, 2):
        raise RuntimeError(f"grep failed ({listed.returncode}): {listed.stderr[-500:]!r}")
    skipped = [s.resolve() for s in skip]
    hits: dict[str, list[Path]] = defaultdict(list)
    for line in listed.stdout.decode(errors="surrogateescape").splitlines():
        path = Path(line)
        if any(path.resolve().is_relative_to(s) for s in skipped):
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for core in wanted:
            if core.encode() in data:
                hits[core].append(path)
    return dict(hits)
