"""The live audit's working set: every admitted clear header, by child, in memory.

The durable copy is a changelog-backed table of chunks: the clear headers (as they were signed,
``table_entry``) admitted from one batch of one partition of the log, keyed by
``<partition>:<offset of the batch's first record>`` and written in that partition
(``service``), so one small write covers many events. This store is rebuilt from it after a
restart and answers every query. It never holds a payload.

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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from backbone.domain.events import Event, parse_event


class Admission(StrEnum):
    NEW = "new"
    REPEATED = "repeated"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class Stored:
    event: Event
    digest: bytes
    sequence: int  # arrival order in this store, from 1


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


class EventStore:
    def __init__(self) -> None:
        self._by_id: dict[str, Stored] = {}
        self._by_child: dict[str, list[Stored]] = {}
        self._issued: dict[str, list[Event]] = {}  # referral_id -> its ReferralIssued events
        self._naming: dict[str, set[str]] = {}  # referral_id -> children whose events name it
        self._changes: dict[str, int] = {}  # child_ref -> events added to its closure
        self._generation = 0  # clears

    def admission(self, event: Event, digest: bytes) -> Admission:
        known = self.digest(event.event_id)
        if known is None:
            return Admission.NEW
        # The digest covers the whole clear header (child_ref included) and the payload schema.
        return Admission.REPEATED if known == digest else Admission.CONFLICT

    def digest(self, event_id: str) -> bytes | None:
        """The content digest admitted under ``event_id``, if any (the gate's ledger)."""
        known = self._by_id.get(event_id)
        return None if known is None else known.digest

    def add(self, event: Event, digest: bytes) -> Stored:
        """Keep a NEW event (without its payload, should it have one)."""
        if event.event_id in self._by_id:
            raise ValueError(f"event {event.event_id} is already stored")
        kept = event if event.payload is None else event.without_payload()
        stored = Stored(kept, digest, len(self._by_id) + 1)
        self._by_id[event.event_id] = stored
        self._by_child.setdefault(event.child_ref, []).append(stored)
        changed = {event.child_ref}
        if event.referral_id is not None:
            self._naming.setdefault(event.referral_id, set()).add(event.child_ref)
            if event.event_type == "ReferralIssued":
                self._issued.setdefault(event.referral_id, []).append(stored.event)
                changed |= self._naming[event.referral_id]
        for child_ref in changed:
            self._changes[child_ref] = self._changes.get(child_ref, 0) + 1
        return stored

    def load(self, chunks: Iterable[bytes], read_header: Callable[[bytes], Event]) -> set[str]:
        """Add the events of table values (``chunk``), skipping ids already stored;
        ``read_header`` makes the event of an entry's clear header. The children of the events
        added."""
        added: set[str] = set()
        for value in chunks:
            if value.startswith(b"["):  # a chunk of the first format: JSON
                for old in json.loads(value):
                    self._load(parse_event(old["event"]), bytes.fromhex(old["digest"]), added)
                continue
            for digest, clear_header in chunk_entries(value):
                self._load(read_header(clear_header), digest, added)
        return added

    def _load(self, event: Event, digest: bytes, added: set[str]) -> None:
        if event.event_id not in self._by_id:
            self.add(event, digest)
            added.add(event.child_ref)

    def clear(self) -> None:
        self._by_id.clear()
        self._by_child.clear()
        self._issued.clear()
        self._naming.clear()
        self._changes.clear()
        self._generation += 1

    def event(self, event_id: str) -> Event | None:
        stored = self._by_id.get(event_id)
        return None if stored is None else stored.event

    def version(self, child_ref: str) -> tuple[int, int]:
        """Changes whenever an event enters the child's ``closure`` (or the store is cleared)."""
        return (self._generation, self._changes.get(child_ref, 0))

    def children(self) -> list[str]:
        return list(self._by_child)

    def __contains__(self, child_ref: object) -> bool:
        return child_ref in self._by_child

    def __len__(self) -> int:
        return len(self._by_id)

    def numbered(self) -> Iterator[tuple[int, Event]]:
        """Every event with its arrival number."""
        return ((s.sequence, s.event) for s in self._by_id.values())

    def closure(self, child_ref: str) -> list[tuple[int, Event]]:
        """The child's events and the other children's issues of its referral ids, numbered."""
        own = self._by_child.get(child_ref, [])
        chosen = {s.event.event_id: s for s in own}
        for referral_id in {s.event.referral_id for s in own} - {None}:
            for issued in self._issued.get(referral_id or "", []):
                chosen.setdefault(issued.event_id, self._by_id[issued.event_id])
        return [(s.sequence, s.event) for s in chosen.values()]
