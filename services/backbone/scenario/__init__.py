"""Synthetic data the demo, the tests and the benchmarks share (docs/scenario.md).

``story`` plays the demo's multi-agency scenario drawn from the source report, recorded as data
files in ``stories/``, at a start instant, and ``expected_breaches`` is what the audit shows for
it at its as-of time; ``synthetic``
streams seeded pathways shaped by the report's figures for load tests. Both produce plain
events of contract v1.1 (contracts/events.md: region codes, every attribute a code, any
explanation in the payload) with payloads that fit the Avro schemas. Every person, number and
place in them is synthetic: see ``identities``.
"""

from backbone.scenario.expected import ExpectedBreach, expected_breaches
from backbone.scenario.jsonl import write_jsonl
from backbone.scenario.profile import DEFAULT_PROFILE, Profile
from backbone.scenario.story import scenario_as_of, scenario_events, scenario_start_before
from backbone.scenario.synthetic import synthetic_events

__all__ = [
    "DEFAULT_PROFILE",
    "ExpectedBreach",
    "Profile",
    "expected_breaches",
    "scenario_as_of",
    "scenario_events",
    "scenario_start_before",
    "synthetic_events",
    "write_jsonl",
]
