"""The layers of docs/architecture.md hold: no module imports from a layer above its own.

The test reads the layer table and its known exceptions from the document itself, so the
document cannot describe other layers than the code has. A row's module paths are the
backticked paths of its ``modules`` cell (relative to ``services/backbone``; ``dir/`` is all of a
folder, ``{a,b}`` either name, ``*`` any text, ``.py`` implied); a module belongs to the first
row, from the top, that names it, and every module must belong to one. A row may import its own
row and the rows below. The modules of the ``services`` row import no other service. A row whose
``imports`` cell does not say "any library" imports only the standard library and the libraries
it names in backticks. The ``pure domain`` row reads no environment variable.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "services" / "backbone"
DOCUMENT = ROOT / "docs" / "architecture.md"
INDEPENDENT = "services"  # the row whose areas (first path part) import no other area
PURE = "pure domain"  # the row that reads no environment variable


@dataclass(frozen=True)
class Layer:
    name: str
    paths: tuple[str, ...]
    libraries: frozenset[str] | None  # None: any library


@dataclass(frozen=True)
class Known:
    modules: tuple[str, ...]
    imports: tuple[str, ...]  # paths of the package, or library names
    why: str


@dataclass(frozen=True)
class Import:
    module: str  # path relative to the package, e.g. "audit/core/rules.py"
    line: int
    target: str  # a path of the package, or a library's top-level name
    internal: bool


def _table(text: str, header: str) -> list[list[str]]:
    """The rows of the Markdown table whose header line starts with ``header``."""
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _expand(pattern: str) -> list[str]:
    match = re.search(r"\{([^}]*)\}", pattern)
    if match is None:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    return [x for part in match.group(1).split(",") for x in _expand(head + part + tail)]


def _paths(cell: str) -> tuple[str, ...]:
    """The backticked paths of a cell (a word without ``/`` or ``.py`` is prose)."""
    found = re.findall(r"`([^`]+)`", cell)
    return tuple(p for f in found if "/" in f or f.endswith(".py") for p in _expand(f))


def _libraries(cell: str) -> tuple[str, ...]:
    return tuple(f for f in re.findall(r"`([^`]+)`", cell) if "/" not in f)


def read_document(text: str) -> tuple[list[Layer], list[Known]]:
    layers = [
        Layer(
            name,
            _paths(modules),
            None if "any library" in imports else frozenset(_libraries(imports)),
        )
        for name, modules, imports in _table(text, "| layer | modules | imports |")
    ]
    exceptions = [
        Known(_paths(module), _paths(imports) + _libraries(imports), why)
        for module, imports, why in _table(text, "| module | imports | why |")
    ]
    return layers, exceptions


def matches(path: str, pattern: str) -> bool:
    if pattern.endswith("/"):
        return path.startswith(pattern)
    return fnmatchcase(path, pattern if pattern.endswith(".py") else pattern + ".py")


def modules(package: Path) -> dict[str, str]:
    """Dotted name -> path relative to ``package``, for every module of it."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        parts = [package.name, *Path(relative).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = relative
    return found


def imports(package: Path) -> Iterator[Import]:
    """Every import statement of every module, wherever it stands (functions included)."""
    known = modules(package)
    for dotted, relative in known.items():
        tree = ast.parse((package / relative).read_text(), filename=relative)
        is_package = relative.endswith("__init__.py")
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = dotted.split(".")[: len(dotted.split(".")) - node.level + is_package]
                    base = ".".join([*parent, base] if base else parent)
                # ``from a import b`` imports the module ``a.b`` where there is one.
                names = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
                ]
            targets = set()
            for name in names:
                if name == package.name or name.startswith(package.name + "."):
                    while name not in known:
                        name = name.rsplit(".", 1)[0]
                    targets.add((known[name], True))
                else:
                    targets.add((name.split(".")[0], False))
            for target, internal in sorted(targets):
                yield Import(relative, node.lineno, target, internal)


def layer_of(path: str, layers: list[Layer]) -> int | None:
    return next(
        (n for n, layer in enumerate(layers) if any(matches(path, p) for p in layer.paths)), None
    )


def _area(path: str) -> str:
    return path.split("/")[0]


def _problem(item: Import, layers: list[Layer]) -> str | None:
    """What is wrong with one import, by the table alone."""
    own = layer_of(item.module, layers)
    if own is None:  # reported once, as a module in no row
        return None
    layer = layers[own]
    if not item.internal:
        if layer.libraries is None or item.target in sys.stdlib_module_names:
            return None
        if item.target in layer.libraries:
            return None
        return f"imports {item.target}, a library {layer.name} does not list"
    other = layer_of(item.target, layers)
    if other is None:
        return None
    if other < own:
        return f"imports {item.target} ({layers[other].name}) from {layer.name}"
    if other == own and layer.name == INDEPENDENT and _area(item.module) != _area(item.target):
        return f"imports {item.target}, another service"
    return None


def problems(package: Path, text: str) -> list[str]:
    """What breaks the document's layers, and the exceptions it lists that nothing needs."""
    layers, exceptions = read_document(text)
    found = [
        f"{path}: in no row of the layer table"
        for path in modules(package).values()
        if layer_of(path, layers) is None
    ]
    used: set[tuple[int, str]] = set()

    def excused(item: Import) -> bool:
        for n, exception in enumerate(exceptions):
            if not any(matches(item.module, m) for m in exception.modules):
                continue
            for allowed in exception.imports:
                if matches(item.target, allowed) if item.internal else item.target == allowed:
                    used.add((n, allowed))
                    return True
        return False

    for item in imports(package):
        problem = _problem(item, layers)
        if problem is not None and not excused(item):
            found.append(f"{item.module}:{item.line}: {problem}")
    for n, exception in enumerate(exceptions):
        for allowed in exception.imports:
            if (n, allowed) not in used:
                found.append(f"known exception {exception.modules} -> {allowed}: nothing needs it")
    return found


ENVIRONMENT = frozenset({"os.environ", "os.environb", "os.getenv"})


def environment_reads(package: Path, text: str) -> list[str]:
    """Where the pure domain reads an environment variable (``os.environ``, ``os.getenv``)."""
    layers, _ = read_document(text)
    pure = next(n for n, layer in enumerate(layers) if layer.name == PURE)
    found = []
    for path in modules(package).values():
        if layer_of(path, layers) != pure:
            continue
        for node in ast.walk(ast.parse((package / path).read_text())):
            if isinstance(node, ast.Attribute) and ast.unparse(node) in ENVIRONMENT:
                found.append(f"{path}:{node.lineno}: {ast.unparse(node)}")
            elif isinstance(node, ast.ImportFrom) and node.module == "os":
                for alias in node.names:
                    if f"os.{alias.name}" in ENVIRONMENT:
                        found.append(f"{path}:{node.lineno}: os.{alias.name}")
    return found


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    assert problems(PACKAGE, DOCUMENT.read_text()) == []


def test_the_pure_domain_reads_no_environment_variable() -> None:
    assert environment_reads(PACKAGE, DOCUMENT.read_text()) == []


def test_every_known_exception_gives_its_reason() -> None:
    _, exceptions = read_document(DOCUMENT.read_text())
    assert exceptions and all(e.modules and e.imports and e.why for e in exceptions)


# The check itself, on a small package and table of its own.

SAMPLE = """
| layer | modules | imports |
|---|---|---|
| services | `svc/`, `other/` | any library |
| edge | `edge/` | the rows below, any library |
| pure domain | `__init__.py`, `core/{__init__,a,b}` | standard library, `holidays` |

| module | imports | why |
|---|---|---|
| `core/b.py` | `edge/` | a reason |
"""


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    package = tmp_path / "backbone"
    for name, text in {"__init__.py": "", **files}.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    for folder in {p.parent for p in package.rglob("*.py")} - {package}:
        (folder / "__init__.py").touch()
    return package


def test_the_check_passes_imports_that_point_down(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "svc/run.py": "import faust\nfrom backbone.edge import kafka_io\n",
            "edge/kafka_io.py": "import kafka\nfrom backbone.core.a import X\n",
            "core/a.py": "import holidays\nimport json\nX = 1\n",
            "core/b.py": "from backbone.edge.kafka_io import Y\n",
        },
    )
    assert problems(package, SAMPLE) == []


def test_the_check_finds_an_import_from_a_higher_layer(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "edge/kafka_io.py": "def f():\n    from backbone.svc import run\n",
            "svc/run.py": "",
            "core/a.py": "",
            "core/b.py": "from backbone.edge.kafka_io import f\n",
        },
    )
    assert problems(package, SAMPLE) == [
        "edge/kafka_io.py:2: imports svc/run.py (services) from edge"
    ]


def test_the_check_finds_a_service_importing_another(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "svc/run.py": "from backbone.other import limits\n",
            "other/limits.py": "",
            "edge/x.py": "",
            "core/a.py": "",
            "core/b.py": "import backbone.edge.x\n",
        },
    )
    assert problems(package, SAMPLE) == ["svc/run.py:1: imports other/limits.py, another service"]


def test_the_check_finds_a_library_the_domain_does_not_list(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "edge/x.py": "",
            "core/a.py": "import nacl.signing\n",
            "core/b.py": "from ..edge import x\n",
        },
    )
    assert problems(package, SAMPLE) == [
        "core/a.py:1: imports nacl, a library pure domain does not list"
    ]


def test_the_check_finds_a_module_no_row_names_and_a_stale_exception(tmp_path: Path) -> None:
    package = _package(tmp_path, {"core/a.py": "", "core/b.py": "", "loose.py": ""})
    assert problems(package, SAMPLE) == [
        "loose.py: in no row of the layer table",
        "known exception ('core/b.py',) -> edge/: nothing needs it",
    ]


def test_the_check_finds_the_pure_domain_reading_the_environment(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "core/a.py": "import os\nFILES = os.environ.get('X', '')\n",
            "core/b.py": "from os import getenv\n",
        },
    )
    assert environment_reads(package, SAMPLE) == [
        "core/a.py:2: os.environ",
        "core/b.py:1: os.getenv",
    ]
