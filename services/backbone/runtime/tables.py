"""Durable state for consumers: typed views over faust tables, and deferred "seen" records.

A consumer must record that it applied an event only after the effect is durable (delivered,
acknowledged); otherwise a crash in between would skip the event for ever on redelivery.
``DeferredSeen`` gives ``EnvelopeReader`` a ``seen`` mapping whose writes wait in memory until
the consumer calls ``commit(event_id)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any, Generic, TypeVar

from backbone.domain.events import Event, parse_event

V = TypeVar("V")


class TableView(MutableMapping[str, V], Generic[V]):
    """A mapping over a faust table (or any mapping) storing JSON values, typed on the way out.

    Values are always reassigned, never mutated in place, so the table writes its changelog.
    """

    def __init__(
        self,
        table: MutableMapping[str, Any],
        encode: Callable[[V], Any],
        decode: Callable[[Any], V],
    ) -> None:
        self._table, self._encode, self._decode = table, encode, decode

    def __getitem__(self, key: str) -> V:
        raw = self._table[key]
        if raw is None:
            raise KeyError(key)
        return self._decode(raw)

    def __setitem__(self, key: str, value: V) -> None:
        self._table[key] = self._encode(value)

    def __delitem__(self, key: str) -> None:
        del self._table[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, key: object) -> bool:
        return key in self._table and self._table[key] is not None  # type: ignore[index]


def digest_view(table: MutableMapping[str, Any]) -> TableView[bytes]:
    return TableView(table, bytes.hex, bytes.fromhex)


def history_view(table: MutableMapping[str, Any]) -> TableView[list[Event]]:
    """child_ref → the child's accepted events, headers only, as plain JSON in the table."""
    return TableView(
        table,
        lambda events: [e.to_json(include_payload=False) for e in events],
        lambda raw: [parse_event(obj) for obj in raw],
    )


class DeferredSeen(MutableMapping[str, bytes]):
    """``seen`` for an ``EnvelopeReader``: reads the durable mapping, holds writes until commit."""

    def __init__(self, durable: MutableMapping[str, bytes]) -> None:
        self._durable = durable
        self._pending: dict[str, bytes] = {}

    def commit(self, event_id: str) -> None:
        if event_id in self._pending:
            self._durable[event_id] = self._pending.pop(event_id)

    def discard(self, event_id: str) -> None:
        self._pending.pop(event_id, None)

    def __getitem__(self, event_id: str) -> bytes:
        if event_id in self._pending:
            return self._pending[event_id]
        return self._durable[event_id]

    def __setitem__(self, event_id: str, digest: bytes) -> None:
        self._pending[event_id] = digest

    def __delitem__(self, event_id: str) -> None:
        self._pending.pop(event_id, None)
        del self._durable[event_id]

    def __iter__(self) -> Iterator[str]:
        return iter({*self._durable, *self._pending})

    def __len__(self) -> int:
        return len({*self._durable, *self._pending})
