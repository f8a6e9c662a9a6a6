"""The demo's story and the pieces of synthetic data the runtime needs (docs/scenario.md).

``story`` plays the demo's multi-agency scenario drawn from the source report, recorded as data
files in ``stories/``, at a start instant, and ``expected_breaches`` is what the audit shows for
it at its as-of time. ``ids`` mints synthetic ids (``backbone conformance`` uses it too) and
``jsonl`` writes plain events as JSON Lines. The story's events are plain events of contract v1.1
(contracts/events.md: region codes, every attribute a code, any explanation in the payload) with
payloads that fit the Avro schemas; every person, number and place in them is synthetic. The
synthetic generator for load tests and benchmarks is not part of the package: ``bench/synthetic``.
"""

from backbone.scenario.expected import ExpectedBreach, expected_breaches
from backbone.scenario.jsonl import write_jsonl
from backbone.scenario.story import scenario_as_of, scenario_events, scenario_start_before

__all__ = [
    "ExpectedBreach",
    "expected_breaches",
    "scenario_as_of",
    "scenario_events",
    "scenario_start_before",
    "write_jsonl",
]
