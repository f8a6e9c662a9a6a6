"""What every backbone process needs, built once from the environment (the composition root).

A process knows its principal (an agency id or a backbone role such as ``router``), reaches the
broker as that principal, trusts the root key of the key directory, and, if it is an agency,
holds its own keyring. Credentials come from ``KAFKA_USERNAME`` / ``KAFKA_PASSWORD(_FILE)`` when
set, else from the files that ``backbone topology apply`` generated for local deployments.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import Counter
from dataclasses import dataclass, field

from backbone.broker.directory_topic import DirectoryFollower
from backbone.broker.settings import KafkaSettings
from backbone.broker.topology import principal_settings
from backbone.envelope.codec import EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.keys import Keyring, Keystore
from backbone.logs import get_logger


def kafka_settings(principal: str, *, any_principal: bool = False) -> KafkaSettings:
    """The broker settings of ``principal``: ``KAFKA_*`` when set (which must name it, unless
    ``any_principal``: an operator's read-only command may run as another, e.g. the
    administrator), else the files ``topology apply`` generated."""
    if os.environ.get("KAFKA_USERNAME"):
        settings = KafkaSettings.from_env()
        if settings.username != principal and not any_principal:
            raise ValueError(f"KAFKA_USERNAME is {settings.username}, this process is {principal}")
        return settings
    return principal_settings(principal)


@dataclass
class ServiceContext:
    principal: str
    kafka: KafkaSettings
    keystore: Keystore
    directory: KeyDirectory
    follower: DirectoryFollower
    keyring: Keyring | None = None
    _codec: EnvelopeCodec | None = field(default=None, repr=False)
    _refreshing: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, principal: str, *, agency: bool) -> ServiceContext:
        """The context of ``principal`` with the key directory read to its end now, through a
        follower whose consumer stays open for ``refresh_directory``; no other connection is
        made here. ``agency``: the principal's private keyring is loaded too."""
        keystore = Keystore()
        kafka = kafka_settings(principal)
        follower = DirectoryFollower(kafka, KeyDirectory(keystore.root_public_key()))
        keyring = keystore.keyring(principal) if agency else None
        context = cls(principal, kafka, keystore, follower.directory, follower, keyring)
        context.refresh_directory()
        return context

    @property
    def codec(self) -> EnvelopeCodec:
        if self._codec is None:
            self._codec = EnvelopeCodec(self.directory, self.keyring)
        return self._codec

    def refresh_directory(self) -> None:
        """Admit what the key directory topic gained (new agencies, rotations, revocations).

        Refused records (another root's certificate, an unrevocation, bytes that are not an
        entry) are logged once per refresh, counted by reason, with their first positions; a
        shared development broker can hold many from other roots."""
        refused = self.follower.refresh()
        if refused:
            reasons = Counter(self.directory.refused[position] for position in refused)
            get_logger().warning(
                "directory_records_refused",
                count=len(refused),
                by_reason=dict(reasons),
                first_positions=refused[:5],
            )

    async def refresh_directory_async(self) -> None:
        """Refresh off the event loop; a refresh still running makes this one a no-op."""
        if self._refreshing.acquire(blocking=False):
            try:
                await asyncio.get_running_loop().run_in_executor(None, self.refresh_directory)
            finally:
                self._refreshing.release()
