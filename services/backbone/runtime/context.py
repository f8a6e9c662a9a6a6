"""What every backbone process needs, built once from the environment (the composition root).

A process knows its principal (an agency id or a backbone role such as ``router``), reaches the
broker as that principal, trusts the root key of the key directory, and, if it is an agency,
holds its own keyring. Credentials come from ``KAFKA_USERNAME`` / ``KAFKA_PASSWORD(_FILE)`` when
set, else from the files that ``backbone topology apply`` generated for local deployments.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field

from backbone.broker.settings import KafkaSettings
from backbone.broker.topology import principal_settings
from backbone.envelope.codec import EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.directory_topic import load_directory
from backbone.envelope.keys import Keyring, Keystore


def kafka_settings(principal: str) -> KafkaSettings:
    if os.environ.get("KAFKA_USERNAME"):
        settings = KafkaSettings.from_env()
        if settings.username != principal:
            raise ValueError(f"KAFKA_USERNAME is {settings.username}, this process is {principal}")
        return settings
    return principal_settings(principal)


@dataclass
class ServiceContext:
    principal: str
    kafka: KafkaSettings
    keystore: Keystore
    directory: KeyDirectory
    keyring: Keyring | None = None
    _codec: EnvelopeCodec | None = field(default=None, repr=False)

    @classmethod
    def load(cls, principal: str, *, agency: bool) -> ServiceContext:
        """Connect nothing yet but the directory read; ``agency`` loads the private keyring."""
        keystore = Keystore()
        kafka = kafka_settings(principal)
        directory = load_directory(kafka, keystore.root_public_key())
        keyring = keystore.keyring(principal) if agency else None
        return cls(principal, kafka, keystore, directory, keyring)

    @property
    def codec(self) -> EnvelopeCodec:
        if self._codec is None:
            self._codec = EnvelopeCodec(self.directory, self.keyring)
        return self._codec

    def refresh_directory(self) -> None:
        """Read the key directory topic again (new agencies, rotations, revocations)."""
        load_directory(self.kafka, self.keystore.root_public_key(), into=self.directory)

    async def refresh_directory_async(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.refresh_directory)
