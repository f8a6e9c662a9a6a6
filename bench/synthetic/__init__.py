"""The synthetic generator: seeded pathways shaped by the report's figures (docs/scenario.md).

It is a development tool, not part of the ``backbone`` package: the benchmarks and the tests
import it (``bench`` is on pytest's ``pythonpath``; a script in ``bench/`` finds it beside
itself), and ``bench/write_synthetic.py`` writes its events as JSON Lines. It builds on the
runtime's own pieces (``backbone.scenario.ids`` mints its ids, ``backbone.domain`` checks every
event it makes) and produces plain events of contract v1.1 (contracts/events.md) with payloads
that fit the Avro schemas. Every person, number and place in them is synthetic: see
``identities``.
"""

from synthetic.generator import DEFAULT_START, INVALID_KINDS, synthetic_events
from synthetic.profile import DEFAULT_PROFILE, Profile

__all__ = ["DEFAULT_PROFILE", "DEFAULT_START", "INVALID_KINDS", "Profile", "synthetic_events"]
