"""faust's aiokafka transport for the audit's consumer: a short fetch long-poll, records handed on
inline.

* faust 0.15.3 creates its consumer with ``fetch_max_wait_ms=1500`` (not a setting). When some
  assigned partitions are drained and the others still hold fetched records, aiokafka's next
  fetch asks only for the drained ones and the broker holds it up to that long; the agent then
  starves. Catching up over 16k records, the audit stalled ~1 s every ~1.5 s; with 100 ms it runs
  steadily. A short long-poll also bounds how long a tick of the breach schedule can wait for a
  fetch already in flight. When idle, the consumer asks the broker ten times a second instead of
  once in 1.5 s, which costs the broker next to nothing.
* faust's fetcher hands each record to the conductor by racing the hand-off against the flow's
  suspension (``Service.wait_first``: four tasks and an ``asyncio.wait`` per record), about
  half of the audit's event loop while it caught up. A hand-off almost never has to wait (only
  while flow control is suspended, the producer's buffer is full or the stream's buffer is), so
  the consumer's ``wait_first`` runs it inline up to its first suspension; only one that does
  suspend is raced as faust races it. faust's fetch loop itself is unchanged (it still gives
  the event loop a turn every 100 records).

Install with ``app.transport = fast_fetch_transport(app)`` before the app starts (``App``'s
``transport`` has a public setter). The overridden methods are faust's own factory hooks and
``wait_first`` (mode's ``Service.wait_first``, which faust's consumer calls only there);
``_fetch_max_wait_ms`` is what aiokafka's ``AIOKafkaConsumer`` hands to its fetcher in ``start``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from mode.services import WaitResults

FETCH_MAX_WAIT_MS = 100


def started(awaitable: Awaitable[Any]) -> Awaitable[Any] | None:
    """Run a coroutine up to its first suspension: ``None`` if it finished (its result is
    dropped, an exception propagates), else a coroutine that finishes it when awaited. Any other
    awaitable is returned as it is."""
    if not asyncio.iscoroutine(awaitable):
        return awaitable
    coroutine = awaitable
    try:
        waiting = coroutine.send(None)
    except StopIteration:
        return None
    return _resume(coroutine, waiting)


async def _resume(coroutine: Coroutine[Any, Any, Any], waiting: Any) -> Any:
    return await _Rest(coroutine, waiting)


class _Rest:
    """The rest of a coroutine that suspended on ``waiting``: awaiting this first yields
    ``waiting`` to the task, then passes every value and exception on (as ``yield from``)."""

    def __init__(self, coroutine: Coroutine[Any, Any, Any], waiting: Any) -> None:
        self._coroutine, self._waiting = coroutine, waiting

    def __await__(self) -> Generator[Any, Any, Any]:
        coroutine, waiting = self._coroutine, self._waiting
        while True:
            try:
                sent = yield waiting
            except GeneratorExit:
                coroutine.close()
                raise
            except BaseException as error:  # CancelledError included: the coroutine decides
                try:
                    waiting = coroutine.throw(error)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    waiting = coroutine.send(sent)
                except StopIteration as done:
                    return done.value


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def wait_first(self, *coros: Any, timeout: Any = None) -> WaitResults:
        """faust's fetcher calls this for every record, as ``wait_first(callback(message),
        suspend_flow.wait())``: the hand-off raced against a rebalance. The hand-off runs inline
        up to its first suspension; if it finished, it won (the others are closed unstarted),
        else its rest is raced as faust does, in another task (faust's hand-off, the conductor's
        ``on_message``, holds nothing bound to its task across that suspension: no timeout
        scope, no task-local state). Any other call goes to faust as it is."""
        first, *others = coros
        if timeout is not None or not asyncio.iscoroutine(first) or self.should_stop:
            return await super().wait_first(*coros, timeout=timeout)
        try:
            rest = started(first)
        except BaseException:
            _close(others)
            raise
        if rest is not None:
            return await super().wait_first(rest, *others)
        _close(others)
        return WaitResults([first], [None], False)


def _close(unstarted: list[Any]) -> None:
    for other in unstarted:
        if asyncio.iscoroutine(other):
            other.close()


class _Transport(faust_aiokafka.Transport):
    Consumer = _Consumer


def fast_fetch_transport(app: faust.App) -> Any:
    """A consumer transport for ``app`` like its default one, with the short long-poll and
    inline hand-offs."""
    return _Transport(app.conf.broker_consumer, app)
