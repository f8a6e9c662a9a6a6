"""The backbone's topic names (contracts/topics.md), each defined here and nowhere else.

Topic names belong to the Kafka edge, so they live in ``broker/``; this module imports nothing,
so that a service, a command or the envelope's Kafka adapters can name a topic without loading
the topology file's reader or a Kafka client. Partitions, configuration and ACLs of these topics
are declared in ``deploy/kafka/topology.toml`` (``topology.load`` reads them).
"""

from __future__ import annotations

from typing import Final

# The event log: every agency and the intake publish here; the source of truth, never deleted.
EVENT_LOG: Final = "referral.events.v1"
# The quarantine: refused records, their original bytes, the reason in the record headers.
REJECTED_TOPIC: Final = "referral.rejected.v1"
# The key directory (compacted, key = agency id): certificates under the root.
DIRECTORY_TOPIC: Final = "keys.directory.v1"
# The audit's SlaBreached / SlaBreachResolved envelopes.
SLA_TOPIC: Final = "audit.sla.v1"


def inbox_topic(agency: str) -> str:
    """``agency``'s inbox: the router delivers there every envelope that lists it as a reader."""
    return f"inbox.{agency}.v1"
