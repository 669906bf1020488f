"""The benchmarks and scripts import only what despin has.

They are run by hand, not by the tests, so a module moved or a function renamed in the
package breaks them silently (``benchmarks/coverage.py`` still named the flat ``despin.candidates``
after the stage split). Every ``import despin...`` and ``from despin... import
name`` in them, those inside functions included, must resolve in today's package.
``benchmarks/_probe.py`` is left out: it measures older releases too, and imports their
layout where the tree under test has it.
"""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted(p for folder in ("benchmarks", "scripts") for p in (ROOT / folder).glob("*.py")
               if p.name != "_probe.py")


def despin_imports(path: Path) -> list[tuple[str, str | None, int]]:
    """(module, imported name or None, line) of every despin import in ``path``."""
    out: list[tuple[str, str | None, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names if a.name.split(".")[0] == "despin"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == "despin":
                out += [(node.module, a.name, node.lineno) for a in node.names]
    return out


def test_the_scan_finds_the_scripts_and_their_imports() -> None:
    assert len(FILES) >= 20
    modules = {m for m, _, _ in despin_imports(ROOT / "benchmarks" / "coverage.py")}
    assert {"despin.detector.candidates", "despin.evaluate"} <= modules


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_despin_import_resolves(path: Path) -> None:
    missing = []
    for module, name, line in despin_imports(path):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            missing.append(f"line {line}: no module {module}")
            continue
        if name is not None and name != "*" and not hasattr(mod, name):
            try:
                importlib.import_module(f"{module}.{name}")
            except ImportError:
                missing.append(f"line {line}: {module} has no {name}")
    assert not missing, f"{path.relative_to(ROOT)}: " + "; ".join(missing)
