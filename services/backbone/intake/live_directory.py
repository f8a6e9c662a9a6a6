"""The intake's view of the key directory, reloaded whole so newly enrolled devices get in.

Every reload reads the directory again (in a worker thread: the topic read is blocking) and
swaps in a new verifying codec; requests being checked keep the codec they started with.

An envelope signed by a key the intake does not know may come from a device enrolled a moment
ago, so it is judged only against a directory loaded after it arrived: ``refresh_after`` waits
for such a reload (one at a time, at least ``min_interval`` seconds apart), and every request
that arrived before that reload began shares it. A burst of forged keys therefore costs one
reload per interval, and its senders wait for their answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from backbone.envelope.certificates import Certificate
from backbone.envelope.codec import EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.logs import get_logger


class LiveDirectory:
    def __init__(
        self,
        directory: KeyDirectory,
        load: Callable[[], KeyDirectory],
        *,
        min_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._load = load
        self._min_interval = min_interval
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._log = get_logger().bind(service="intake")
        self._install(directory, clock())
        self._attempted_at = self._loaded_at

    @property
    def codec(self) -> EnvelopeCodec:
        return self._codec

    @property
    def certificates(self) -> int:
        return len(self._directory.certificates())

    def now(self) -> float:
        return self._clock()

    def signer(self, signing_key_id: bytes) -> Certificate | None:
        return self._directory.signer(signing_key_id)

    async def refresh(self) -> bool:
        """Reload now; on failure keep the current directory and return ``False``."""
        async with self._lock:
            return await self._reload()

    async def refresh_after(self, instant: float) -> bool:
        """Make sure the directory was loaded by a reload begun at or after ``instant``.

        Returns ``False`` if that reload failed (the directory could not be read).
        """
        async with self._lock:
            if self._loaded_at >= instant:
                return True
            wait = self._attempted_at + self._min_interval - self._clock()
            if wait > 0:
                await self._sleep(wait)
            return await self._reload()

    async def _reload(self) -> bool:
        started = self._attempted_at = self._clock()
        try:
            fresh = await asyncio.get_running_loop().run_in_executor(None, self._load)
        except Exception as error:  # the broker may be away; the old directory still holds
            self._log.warning("directory_refresh_failed", error=type(error).__name__)
            return False
        self._install(fresh, started)
        return True

    def _install(self, directory: KeyDirectory, loaded_at: float) -> None:
        self._directory = directory
        self._codec = EnvelopeCodec(directory)
        self._loaded_at = loaded_at
