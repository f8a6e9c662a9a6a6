"""The live audit's working set: every admitted clear header, by child, kept on disk.

The durable copy is a changelog-backed table of chunks: the clear headers (as they were signed,
``table_entry``) admitted from one batch of one partition of the log, keyed by
``<partition>:<offset of the batch's first record>`` and written in that partition
(``service``), so one small write covers many events. This store is rebuilt from it after a
restart and answers every query. It never holds a payload.

The headers are kept in a private temporary SQLite database (``sqlite3.connect("")``: a file
in ``$SQLITE_TMPDIR`` or ``$TMPDIR``, else ``/var/tmp`` or ``/tmp``, unlinked as soon as it is
opened and gone with the process; SQLite keeps it in its page cache until that is full), not
in the process's memory: what the process holds grows with the children (a number, a change
count, the earliest instant) and their referral ids (a number), not with the events read
(measured in docs/performance.md). SQLite's page cache is bounded (``CACHE_KIB``); the rest
of the file sits in the operating system's cache or on disk. A header is read back when a
child is judged, without the contract's checks it passed when admitted (``read_kept``).

Admission is by ``event_id`` across all children: the first content seen for an id wins; the
same id again with the same content digest is a repeat; with another digest (or another child) it
is a conflict, which the gate quarantines (the store is the audit gate's ledger: ``digest`` and
``add``). So the stored events never make ``judge`` raise
``ConflictingEvents``.

``closure(child_ref)`` is what a child's pathway and obligations depend on: the child's events
plus every ``ReferralIssued`` (of any child) for a referral id the child's events name. Judging
that subset gives the child exactly the verdicts a judgement of the whole log gives it (a
referral's state changes only by its own child's events; another child can only have issued the
id first, making it ``duplicate_referral`` or ``child_mismatch`` here).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from backbone.domain.events import Event, kept_event, parse_event


class Admission(StrEnum):
    NEW = "new"
    REPEATED = "repeated"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class Stored:
    event: Event
    digest: bytes
    sequence: int  # arrival number: the store's, from 1, or the one given to ``add``


# A chunk: ``CHUNK`` and then, for each entry, its digest and its clear header, each as a 4-byte
# big-endian length and the bytes. Chunks written before (a JSON array of {"digest": hex,
# "event": header as JSON}) start with "[" and are still read.
CHUNK = b"\x00chunk/2\x00"
_LENGTH = 4


def table_entry(clear_header: bytes, digest: bytes) -> bytes:
    """What the table keeps of one admitted event: its clear header as it was signed (the
    envelope's Avro bytes; ``EventStore.load`` is told how to read them) and content digest."""
    return _framed(digest) + _framed(clear_header)


def chunk(entries: Iterable[bytes]) -> bytes:
    """The table value of a chunk of ``table_entry`` values."""
    return CHUNK + b"".join(entries)


def _framed(data: bytes) -> bytes:
    return len(data).to_bytes(_LENGTH, "big") + data


def chunk_entries(value: bytes) -> Iterator[tuple[bytes, bytes]]:
    """The (digest, clear header) of each entry of a ``chunk``; ``ValueError`` if it is not one."""
    if not value.startswith(CHUNK):
        raise ValueError("not a chunk of the headers table")
    at, end = len(CHUNK), len(value)
    while at < end:
        fields = []
        for _ in range(2):
            size = int.from_bytes(value[at : at + _LENGTH], "big")
            at += _LENGTH
            if at + size > end:
                raise ValueError("a chunk's entry runs past its end")
            fields.append(value[at : at + size])
            at += size
        yield fields[0], fields[1]


ReadHeader = Callable[[bytes], Event]

# SQLite's page cache for the store (KiB): the indexes of a million events fit in it.
CACHE_KIB = 65_536
# Events added are written to SQLite this many at a time (or before any query that needs them).
WRITE_BATCH = 1000
# Event ids per query of ``prefetch``.
_QUERY_IDS = 500
# Only placeholders are joined into the text: the values are bound.
_PREFETCH = "SELECT id_high, id_low, digest FROM events WHERE id_high IN ({})".format(  # noqa: S608
    ", ".join("?" * _QUERY_IDS)
)
_LOW = (1 << 64) - 1
_LATEST = datetime.max.replace(tzinfo=UTC)
_SIGN = 1 << 63

_SCHEMA = """
CREATE TABLE events (
    sequence INTEGER PRIMARY KEY,  -- arrival number (the store's, or one given by the caller)
    id_high INTEGER NOT NULL,      -- the event_id (a canonical UUID) as two signed 64-bit halves
    id_low INTEGER NOT NULL,
    child INTEGER NOT NULL,        -- the child's number in this store
    referral INTEGER,              -- the referral id's number in this store; NULL without one
    issued INTEGER NOT NULL,       -- 1 for a ReferralIssued
    digest BLOB NOT NULL,
    header BLOB NOT NULL           -- the clear header as signed, or the event's header as JSON
);
CREATE INDEX events_id ON events (id_high);
CREATE INDEX events_child ON events (child);
CREATE INDEX events_referral ON events (referral) WHERE referral IS NOT NULL;
"""


def _halves(event_id: str) -> tuple[int, int]:
    """The event id's 128 bits as two signed 64-bit integers (SQLite's integers)."""
    number = int(event_id.replace("-", ""), 16)
    return (number >> 64) - _SIGN, (number & _LOW) - _SIGN


class EventStore:
    """The admitted headers (on disk) and, in memory, a few numbers per child and referral id.

    ``read_header`` reads a clear header as signed (``envelope.codec.read_clear_header``), with
    the contract's checks, for the chunks ``load`` is given; ``read_kept`` (default
    ``read_header``) reads back a header the store kept, which was checked when admitted, and
    may skip them. A store without a reader keeps each event's header as JSON instead. Safe to
    share between threads (one lock; the test console's fake audit serves from another
    thread)."""

    def __init__(
        self, read_header: ReadHeader | None = None, read_kept: ReadHeader | None = None
    ) -> None:
        self._read_header = read_header
        self._read_kept = read_kept or read_header
        self._lock = threading.RLock()
        self._generation = 0  # clears
        self._open()

    def _open(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", f"cache_size = -{CACHE_KIB}"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.executescript(_SCHEMA)
        self._numbers: dict[str, int] = {}  # child_ref -> its number (its index in _refs)
        self._refs: list[str] = []
        self._changes: list[int] = []  # by child number: events added to its closure
        self._earliest: list[datetime] = []  # by child number: its earliest event's instant
        # referral_id -> its number, in the order first named: a referral's events come close
        # together, so its index grows at its end (a hash, random, made inserts slower as the
        # index outgrew SQLite's cache: 9.5 against 6.2 µs per row at a million).
        self._referrals: dict[str, int] = {}
        self._count = 0
        # Added but not yet written: the rows, their digests by id, and per referral number the
        # children naming it.
        self._rows: list[tuple[object, ...]] = []
        self._unwritten: dict[str, bytes] = {}
        self._looked_up: dict[str, bytes | None] = {}  # the last ``prefetch``
        self._naming: dict[int, set[int]] = {}

    def admission(self, event: Event, digest: bytes) -> Admission:
        known = self.digest(event.event_id)
        if known is None:
            return Admission.NEW
        # The digest covers the whole clear header (child_ref included) and the payload schema.
        return Admission.REPEATED if known == digest else Admission.CONFLICT

    def digest(self, event_id: str) -> bytes | None:
        """The content digest admitted under ``event_id``, if any (the gate's ledger)."""
        with self._lock:
            known = self._unwritten.get(event_id)
            if known is not None:
                return known
            if event_id in self._looked_up:
                return self._looked_up[event_id]
            high, low = _halves(event_id)
            row = self._db.execute(
                "SELECT digest FROM events WHERE id_high = ? AND id_low = ?", (high, low)
            ).fetchone()
            return None if row is None else bytes(row[0])

    def prefetch(self, event_ids: Iterable[str]) -> None:
        """Look up the digests of ``event_ids`` at once, for the ``digest`` calls that follow
        (the live audit and the replay ask before admitting a batch; a query per id cost more
        than a query per batch); replaces the last prefetch."""
        with self._lock:
            wanted = {_halves(i): i for i in dict.fromkeys(event_ids) if i not in self._unwritten}
            found: dict[str, bytes | None] = dict.fromkeys(wanted.values())
            highs = sorted({high for high, _ in wanted})
            for at in range(0, len(highs), _QUERY_IDS):
                some = highs[at : at + _QUERY_IDS]
                some += some[:1] * (_QUERY_IDS - len(some))  # the query's places all filled
                rows = self._db.execute(_PREFETCH, some)
                for high, low, digest in rows:
                    event_id = wanted.get((high, low))
                    if event_id is not None:
                        found[event_id] = bytes(digest)
            self._looked_up = found

    def add(
        self,
        event: Event,
        digest: bytes,
        clear_header: bytes | None = None,
        *,
        sequence: int | None = None,
    ) -> Stored:
        """Keep a NEW event (``digest`` is ``None`` for its id: the gate and ``load`` ask first)
        without its payload: its ``clear_header`` as signed if given and the store can read it,
        else its header as JSON. ``sequence``: its arrival number (default: the next one)."""
        with self._lock:
            if event.event_id in self._unwritten:
                raise ValueError(f"event {event.event_id} is already stored")
            kept = event if event.payload is None else event.without_payload()
            if clear_header is None or self._read_header is None:
                clear_header = json.dumps(kept.header(), separators=(",", ":")).encode()
            self._count += 1
            sequence = self._count if sequence is None else sequence
            child = self._number(event.child_ref)
            referral = None if event.referral_id is None else self._referral(event.referral_id)
            issued = event.event_type == "ReferralIssued"
            self._rows.append(
                (sequence, *_halves(event.event_id), child, referral, issued, digest, clear_header)
            )
            self._unwritten[event.event_id] = digest
            self._looked_up.pop(event.event_id, None)
            self._changes[child] += 1
            if event.occurred_at < self._earliest[child]:
                self._earliest[child] = event.occurred_at
            if referral is not None:
                self._naming.setdefault(referral, set()).add(child)
                if issued:  # the children naming the id get it in their closures
                    for other in self._naming_children(referral) - {child}:
                        self._changes[other] += 1
            if len(self._rows) >= WRITE_BATCH:
                self._write()
            return Stored(kept, digest, sequence)

    def _number(self, child_ref: str) -> int:
        number = self._numbers.get(child_ref)
        if number is None:
            number = self._numbers[child_ref] = len(self._refs)
            self._refs.append(child_ref)
            self._changes.append(0)
            self._earliest.append(_LATEST)
        return number

    def _referral(self, referral_id: str) -> int:
        number = self._referrals.get(referral_id)
        if number is None:
            number = self._referrals[referral_id] = len(self._referrals)
        return number

    def _naming_children(self, referral: int) -> set[int]:
        """The numbers of the children whose events name the referral id of this number."""
        found = set(self._naming.get(referral, ()))
        rows = self._db.execute("SELECT DISTINCT child FROM events WHERE referral = ?", (referral,))
        found.update(child for (child,) in rows)
        return found

    def _write(self) -> None:
        if not self._rows:
            return
        self._db.execute("BEGIN")
        self._db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", self._rows)
        self._db.execute("COMMIT")
        self._rows, self._unwritten, self._naming = [], {}, {}

    def _event(self, header: bytes) -> Event:
        """An event this store kept: checked when it was admitted, so not checked again."""
        if header[:1] == b"{":
            return kept_event(json.loads(header))
        if self._read_kept is None:
            raise ValueError("this store holds clear headers but was given no reader for them")
        return self._read_kept(header)

    def load(self, chunks: Iterable[bytes], read_header: ReadHeader | None = None) -> set[str]:
        """Add the events of table values (``chunk``), skipping ids already stored;
        ``read_header`` (default: the store's) makes the event of an entry's clear header and
        becomes the store's reader if it had none. The children of the events added."""
        with self._lock:
            if self._read_header is None:
                self._read_header = read_header
                self._read_kept = self._read_kept or read_header
            read = read_header or self._read_header
            added: set[str] = set()
            for value in chunks:
                if value.startswith(b"["):  # a chunk of the first format: JSON
                    for old in json.loads(value):
                        event = parse_event(old["event"])
                        self._load(event, bytes.fromhex(old["digest"]), None, added)
                    continue
                if read is None:
                    raise ValueError("a chunk of clear headers needs a reader for them")
                for digest, clear_header in chunk_entries(value):
                    self._load(read(clear_header), digest, clear_header, added)
            return added

    def _load(self, event: Event, digest: bytes, header: bytes | None, added: set[str]) -> None:
        if self.digest(event.event_id) is None:
            self.add(event, digest, header)
            added.add(event.child_ref)

    def clear(self) -> None:
        """Forget every event: a new, empty database (the old one's file goes with it)."""
        with self._lock:
            self._db.close()
            self._generation += 1
            self._open()

    def event(self, event_id: str) -> Event | None:
        with self._lock:
            self._write()
            high, low = _halves(event_id)
            row = self._db.execute(
                "SELECT header FROM events WHERE id_high = ? AND id_low = ?", (high, low)
            ).fetchone()
            return None if row is None else self._event(row[0])

    def version(self, child_ref: str) -> tuple[int, int]:
        """Changes whenever an event enters the child's ``closure`` (or the store is cleared)."""
        number = self._numbers.get(child_ref)
        return (self._generation, 0 if number is None else self._changes[number])

    def earliest(self, child_ref: str) -> datetime | None:
        """The instant of the child's earliest event (before it, the child has no pathway and
        owes nothing), if it has events."""
        number = self._numbers.get(child_ref)
        return None if number is None else self._earliest[number]

    def children(self) -> list[str]:
        """Every child with events, in the order their first event was added."""
        return list(self._refs)

    def __contains__(self, child_ref: object) -> bool:
        return child_ref in self._numbers

    def __len__(self) -> int:
        return self._count

    def numbered(self) -> Iterator[tuple[int, Event]]:
        """Every event with its arrival number, in that order (read at the call)."""
        with self._lock:
            self._write()
            rows = self._db.execute("SELECT sequence, header FROM events ORDER BY sequence")
            return iter([(sequence, self._event(header)) for sequence, header in rows])

    def events(self, child_ref: str) -> list[Event]:
        """The child's own events, in arrival order."""
        with self._lock:
            number = self._numbers.get(child_ref)
            if number is None:
                return []
            self._write()
            rows = self._db.execute(
                "SELECT header FROM events WHERE child = ? ORDER BY sequence", (number,)
            )
            return [self._event(header) for (header,) in rows]

    def closure(self, child_ref: str) -> list[tuple[int, Event]]:
        """The child's events and the other children's issues of its referral ids, numbered."""
        with self._lock:
            number = self._numbers.get(child_ref)
            if number is None:
                return []
            self._write()
            db = self._db
            own = db.execute(
                "SELECT sequence, header FROM events WHERE child = ? ORDER BY sequence", (number,)
            )
            found = [(sequence, self._event(header)) for sequence, header in own]
            chosen = {event.event_id for _, event in found}
            for referral_id in sorted({e.referral_id for _, e in found if e.referral_id}):
                issues = db.execute(
                    "SELECT sequence, header FROM events"
                    " WHERE referral = ? AND issued AND child <> ? ORDER BY sequence",
                    (self._referrals[referral_id], number),
                )
                for sequence, header in issues:
                    issue = self._event(header)
                    if issue.event_id not in chosen:
                        chosen.add(issue.event_id)
                        found.append((sequence, issue))
            return found
