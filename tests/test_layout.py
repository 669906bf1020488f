"""The package's layout: no import cycles, and the detector's stages import only earlier ones.

Every import counts, those inside functions too (a lazy import is still a dependency a reader
has to follow); only ``if TYPE_CHECKING:`` blocks are left out. A package's ``__init__``
counts as the package itself: ``from . import x`` inside ``despin/trace/__init__.py`` is an
edge from ``despin.trace`` to ``despin.trace.x``.
"""
from __future__ import annotations

import ast
from pathlib import Path

import despin

PACKAGE = Path(despin.__file__).parent
STAGES = ["records", "units", "candidates", "context", "posterior", "ranking", "refine", "decide"]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_graph() -> dict[str, set[str]]:
    """Module -> the despin modules it imports (anywhere but under TYPE_CHECKING)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}

    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        package = name if is_package else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _is_type_checking(node)
                for child in node.body for n in ast.walk(child)}
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                # `from pkg import sub` depends on pkg.sub; `from mod import name` on mod.
                targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in modules else stem for a in node.names]
            # (a module that is not a file here, like setup.py's generated despin._compiled, is no edge)
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_graph_sees_imports_inside_functions() -> None:
    graph = import_graph()
    assert "despin.detector.decide" in graph["despin.core"]
    assert "despin.profile" in graph["despin.detector.decide"]  # a lazy import, inside a function
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles_in_the_package() -> None:
    assert cycles(import_graph()) == []


def test_each_detector_stage_imports_only_earlier_stages() -> None:
    graph = import_graph()
    for k, stage in enumerate(STAGES):
        imported = {m.rpartition(".")[2] for m in graph[f"despin.detector.{stage}"] if m.startswith("despin.detector.")}
        assert imported <= set(STAGES[:k]), (stage, imported - set(STAGES[:k]))
    assert not any(m == "despin.core" for stage in STAGES for m in graph[f"despin.detector.{stage}"])
