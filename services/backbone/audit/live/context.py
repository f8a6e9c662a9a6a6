"""What an audit process holds: its broker settings, the key directory and two codecs.

The audit verifies with a codec that has no keyring (it never opens a body) and signs its SLA
events with a separate codec holding its own keyring. Its Kafka principal and its signing agency
are one id (``audit.national`` by default).

The directory comes from ``keys.directory.v1`` (a benchmark may name its own topic); entries
that do not verify under the keystore's root are skipped by ``load_directory``, so envelopes
signed with their keys are quarantined as ``unknown_key``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from backbone.broker.directory_topic import DirectoryFollower
from backbone.broker.settings import KafkaSettings
from backbone.broker.topics import DIRECTORY_TOPIC
from backbone.envelope.codec import EnvelopeCodec
from backbone.envelope.directory import KeyDirectory
from backbone.envelope.keys import Keyring, Keystore
from backbone.runtime.context import kafka_settings


@dataclass
class AuditContext:
    agency: str
    kafka: KafkaSettings
    keystore: Keystore
    directory: KeyDirectory
    directory_topic: str = DIRECTORY_TOPIC
    keyring: Keyring | None = None
    _verifier: EnvelopeCodec | None = field(default=None, repr=False)
    _signer: EnvelopeCodec | None = field(default=None, repr=False)
    _follower: DirectoryFollower | None = field(default=None, repr=False)

    @classmethod
    def load(
        cls,
        agency: str,
        *,
        directory_topic: str = DIRECTORY_TOPIC,
        signing: bool = False,
        any_principal: bool = False,
    ) -> AuditContext:
        """Read the directory now; ``signing`` loads the audit's own keyring too;
        ``any_principal``: ``KAFKA_USERNAME`` may name another principal (``kafka_settings``)."""
        keystore = Keystore()
        kafka = kafka_settings(agency, any_principal=any_principal)
        root = KeyDirectory(keystore.root_public_key())
        follower = DirectoryFollower(kafka, root, directory_topic)
        follower.refresh()
        keyring = keystore.keyring(agency) if signing else None
        directory = follower.directory
        return cls(agency, kafka, keystore, directory, directory_topic, keyring, _follower=follower)

    @property
    def verifier(self) -> EnvelopeCodec:
        """Verifies envelopes and yields clear headers; it can open no body."""
        if self._verifier is None:
            self._verifier = EnvelopeCodec(self.directory)
        return self._verifier

    @property
    def signer(self) -> EnvelopeCodec:
        if self.keyring is None:
            raise ValueError(f"{self.agency}: loaded without its keyring")
        if self._signer is None:
            self._signer = EnvelopeCodec(self.directory, self.keyring)
        return self._signer

    def signing_certified(self) -> bool:
        """Whether the directory certifies the audit's signing key for the audit."""
        if self.keyring is None:
            return False
        certificate = self.directory.signer(self.keyring.signing.signing_key_id)
        return certificate is not None and certificate.subject == self.agency

    def refresh_directory(self) -> None:
        """Read what was appended to the directory topic since the last read (new agencies,
        rotations, revocations); the whole topic the first time. (Reading it all again every
        few seconds took seconds of the event loop's GIL on a directory of many entries.)"""
        if self._follower is None:
            self._follower = DirectoryFollower(self.kafka, self.directory, self.directory_topic)
        self._follower.refresh()

    async def refresh_directory_async(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.refresh_directory)
