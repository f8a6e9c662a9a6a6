"""The header grammar of ``contracts/events.md`` and its vectors (``header-v1.1.json``), against
the code: every accepted vector parses; every refused one is refused naming exactly its keys (and
the refused value, for the person who wrote it); the catalogue table of the contract is the
catalogue's."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from backbone.domain.catalogue import CATALOGUE, describe
from backbone.domain.events import MalformedEvent, parse_event

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
VECTORS = json.loads((CONTRACTS / "vectors" / "header-v1.1.json").read_text())


@pytest.mark.parametrize("plain", VECTORS["accepted"], ids=lambda p: p["event_type"])
def test_accepted_vectors_parse(plain: dict[str, Any]) -> None:
    assert parse_event(plain).event_id == plain["event_id"]


@pytest.mark.parametrize("vector", VECTORS["refused"], ids=lambda v: v["name"])
def test_refused_vectors_name_every_key_they_break(vector: dict[str, Any]) -> None:
    with pytest.raises(MalformedEvent) as refused:
        parse_event(vector["event"])
    keys = {problem.split(":", 1)[0] for problem in refused.value.problems}
    assert keys == set(vector["refused_keys"]), refused.value.problems
    assert len(refused.value.safe) == len(refused.value.problems)


def test_problems_name_the_refused_value_and_the_safe_form_does_not() -> None:
    [vector] = [v for v in VECTORS["refused"] if v["name"] == "several defects on one line"]
    with pytest.raises(MalformedEvent) as refused:
        parse_event(vector["event"])
    assert (
        "child_ref: is not a minted token (c- and 12-32 lower-case hex digits) 'Test-Name-Alpha'"
        in (refused.value.problems)
    )
    assert "region: unknown region 'nowhere'" in refused.value.problems
    assert not any("Test-Name-Alpha" in p or "nowhere" in p for p in refused.value.safe)


def test_unknown_event_type_is_named_as_the_contract_shows() -> None:
    [vector] = [v for v in VECTORS["refused"] if v["name"] == "unknown event type"]
    with pytest.raises(MalformedEvent) as refused:
        parse_event(vector["event"])
    assert refused.value.problems == ["event_type: unknown event type 'ReferalIssued'"]


def test_the_contract_catalogue_table_is_the_catalogue() -> None:
    text = (CONTRACTS / "events.md").read_text()
    rows = re.findall(r"^\| `([A-Z]\w+)` \| ([a-z, ]+) \| (.+) \|$", text, flags=re.MULTILINE)
    table = {name: (emitters, attributes) for name, emitters, attributes in rows}
    assert set(table) == set(CATALOGUE)
    for name, spec in CATALOGUE.items():
        emitters, attributes = table[name]
        assert set(emitters.split(", ")) == set(spec.emitters), name
        expected = "; ".join(f"`{k}`: {describe(v)}" for k, v in sorted(spec.attributes.items()))
        assert attributes == (expected or "—"), name
