"""The project reaches its dependencies (faust, aiokafka, kafka-python, ...) through their
public APIs only: no attribute with a leading underscore is read or set on anything but the
object's own class or instance. ``os._exit`` is public (documented) despite its name."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_DESPITE_THE_NAME = {"os._exit"}


def _private_accesses(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Attribute):
            continue
        name = node.attr
        if not name.startswith("_") or (name.startswith("__") and name.endswith("__")):
            continue
        owner = node.value
        if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
            continue
        text = ast.unparse(node)
        if text not in PUBLIC_DESPITE_THE_NAME:
            found.append(f"{path.relative_to(root)}:{node.lineno}: {text}")
    return found


def test_no_code_reads_or_sets_another_object_s_private_attributes() -> None:
    files = [p for folder in ("services", "bench", "tests") for p in (ROOT / folder).rglob("*.py")]
    assert len(files) > 100
    assert [hit for path in sorted(files) for hit in _private_accesses(path)] == []


def test_the_check_finds_a_private_attribute_of_a_dependency(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f(stream, event):\n    stream._set_current_event(event)\n")

    assert _private_accesses(sample, tmp_path) == ["sample.py:2: stream._set_current_event"]
