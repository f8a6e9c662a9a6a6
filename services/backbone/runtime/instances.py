"""How many workers of a service run, and what each one is called (``--instances``).

``router=2,audit=2,agency=2`` runs two routers, two audits and two of each agency's service.
The instances of a service are members of ONE consumer group (the same faust app id); Kafka
shares the partitions of what they consume among them. Instance 1 keeps the service's name;
instance *k* ≥ 2 is ``<name>@<k>``, with its own faust state folder ``state/<principal>@<k>``
(two workers must never open the same RocksDB files) and its own ports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from backbone.paths import run_dir

# The services that can run as several instances: each consumes partitioned topics in a group.
SCALABLE = ("router", "audit", "agency")
# Beyond the broker's partitions (3) an instance would only stand by.
MOST = 3


class InstancesInvalid(ValueError):
    """An ``--instances`` spec that names an unknown service or a count out of range."""


@dataclass(frozen=True)
class Instances:
    counts: Mapping[str, int] = field(default_factory=dict)

    def of(self, kind: str) -> int:
        """How many instances of ``kind`` (``router``, ``audit`` or ``agency``) run."""
        return self.counts.get(kind, 1)

    def to_spec(self) -> str:
        return ",".join(f"{kind}={n}" for kind, n in sorted(self.counts.items()))


def parse(spec: str | None) -> Instances:
    """``"router=2,audit=2,agency=2"`` → their counts; an empty spec means one of each."""
    counts: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in (spec or "").split(","))):
        kind, sep, number = item.partition("=")
        kind = kind.strip()
        if not sep or kind not in SCALABLE:
            raise InstancesInvalid(f"{item!r}: expected SERVICE=N with SERVICE one of {SCALABLE}")
        try:
            count = int(number)
        except ValueError:
            raise InstancesInvalid(f"{item!r}: N must be a whole number") from None
        if not 1 <= count <= MOST:
            raise InstancesInvalid(f"{item!r}: N must be between 1 and {MOST}")
        counts[kind] = count
    return Instances(counts)


def instance_name(name: str, k: int) -> str:
    """The supervisor's name of instance ``k`` (from 1) of the service ``name``."""
    return name if k == 1 else f"{name}@{k}"


def state_dir(principal: str, k: int) -> Path:
    """The faust state folder of instance ``k`` of the principal's service."""
    return run_dir() / "state" / instance_name(principal, k)
