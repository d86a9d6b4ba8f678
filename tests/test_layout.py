"""The folders show the stages, and data flows one way: language → packs → tables → engine →
report, with records beside the engine and cli/strategies beside everything. Every import inside
the package counts, lazy (inside a function) and type-only ones included: a later stage imported
anywhere is a dependency pointing backwards."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "qualityrules"

# Stage of each top-level folder or module; a module may import its own stage or earlier ones.
# records and engine are siblings (records feeds evaluate through tables, never the engine);
# extraction (plan text → draft pack) sits after packs, beside tables, and neither imports the other.
STAGES = {
    "resources": 0, "i18n": 0,
    "errors": 1, "language": 1, "config": 1, "terminal": 1,
    "packs": 2,
    "tables": 3, "extraction": 3,
    "engine": 4, "records": 4,
    "report": 5,
    "cli": 6, "lsp": 6, "strategies": 6, "__init__": 6, "__main__": 6,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Modules of the package imported anywhere in ``path`` (dotted, relative to the package)."""
    own = _module_name(path)
    package = own.split(".")[:-1] if path.name != "__init__.py" else own.split(".")
    if own == "__init__":
        package = []
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                stem = [*base, *(node.module.split(".") if node.module else [])]
            elif node.module and node.module.split(".")[0] == "qualityrules":
                stem = node.module.split(".")[1:]
            else:
                continue
            for alias in node.names:
                candidate = ".".join([*stem, alias.name])
                found.add(candidate if _exists(candidate) else ".".join(stem) or "__init__")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "qualityrules":
                    found.add(".".join(alias.name.split(".")[1:]) or "__init__")
    found.discard(own)
    return {f for f in found if _exists(f)}


def _exists(dotted: str) -> bool:
    if dotted == "__init__":
        return True
    path = PACKAGE.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _stage(module: str) -> int:
    return STAGES[module.split(".")[0]]


def test_every_module_belongs_to_a_stage() -> None:
    graph = _graph()
    assert len(graph) > 30
    assert {m.split(".")[0] for m in graph} <= set(STAGES)


def test_no_import_cycle_inside_the_package() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_no_module_imports_a_later_stage() -> None:
    backwards = sorted(f"{m} → {dep}" for m, deps in _graph().items() for dep in deps
                       if _stage(dep) > _stage(m) or (_stage(dep) == _stage(m) in (3, 4) and dep.split(".")[0] != m.split(".")[0]))
    assert backwards == []


def test_the_checker_sees_lazy_and_relative_imports() -> None:
    """The graph is not vacuous: the front door reaches the engine lazily, the engine reads the
    compiled plan, and the report reads the engine's output."""
    graph = _graph()
    assert "engine.evaluation" in graph["__init__"]
    assert "engine.plan" in graph["engine.evaluation"]
    assert "engine.evaluation" in graph["report.report"]
    assert "records.scan" in graph["records.dask_backend"]
