"""The mypyc-compiled detector modules (setup.py) against their Python sources.

An install that compiled nothing (no C compiler, ``DESPIN_PURE_PYTHON=1``) skips the
comparisons: there is only one implementation to test. The type check runs anyway: when it
fails, setup.py installs pure Python with one line in pip's hidden build output.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

import despin
from despin import _native

from .conftest import load_cases

COMPILED = _native.compiled_modules()
needs_build = pytest.mark.skipif(not all(COMPILED.values()), reason=f"this install runs the sources ({COMPILED})")

# Texts written for these tests, with sentence edges, names, unknown words, a headline.
TEXTS = [c["text"] for c in load_cases("synthetic.json")] + list(load_cases("negative.json")) + [
    "The Top Priest informed journalists on Tuesday that the inventory marketplace would get well swiftly.",
    "CITY COUNCIL BACKS NOVEL BRIDGE\n\nQzxjvv. Officials aforementioned the labour would commence soon!",
    "Ok.",
]

_REPORTS = """
import json, sys
import despin, despin._native as n
print(json.dumps(n.compiled_modules()))
for text in json.loads(sys.stdin.read()):
    print(despin.check(text).to_json())
"""


def _run(env: dict[str, str], cwd: Path, path: Path | None = None) -> tuple[dict[str, bool], list[str], str]:
    """`_REPORTS` in a new process in ``cwd`` (outside the checkout: despin as installed), or
    with ``path`` first on sys.path."""
    env = {**os.environ, **env}
    if path:
        env["PYTHONPATH"] = str(path)
    out = subprocess.run([sys.executable, "-c", _REPORTS], input=json.dumps(TEXTS), capture_output=True,
                         text=True, env=env, check=True, cwd=cwd)
    first, *rows = out.stdout.splitlines()
    return json.loads(first), rows, out.stderr


def _c_compiler() -> str | None:
    cc = (sysconfig.get_config_var("CC") or "cc").split()
    return shutil.which(cc[0]) if cc else None


def test_an_install_with_a_c_compiler_compiled_the_detector() -> None:
    """setup.py falls back to pure Python with one line in pip's hidden build output when the
    modules no longer type-check under mypyc or the C compiler fails; the comparisons below
    would then only skip. Where a compiler is at hand and nobody asked for pure Python, the
    build must have compiled every module (`despin/_compiled.py` names them; each has its
    extension file). An edit since the build is fine: that runs the sources with a warning."""
    if os.environ.get("DESPIN_PURE_PYTHON") is not None:
        pytest.skip("DESPIN_PURE_PYTHON is set: a pure-Python install was asked for")
    if _c_compiler() is None:
        pytest.skip("no C compiler: setup.py installs pure Python")
    try:
        from despin._compiled import SOURCES  # type: ignore[import-not-found]
    except ImportError:
        pytest.fail("the last `pip install -e .` compiled nothing: rerun it with -v and look for "
                    "'despin: not compiling' (usually a type error mypyc rejects)")
    assert sorted(SOURCES) == sorted(COMPILED)
    missing = [name for name in SOURCES
               if not any(_native.source_path(name, suffix).exists() for suffix in EXTENSION_SUFFIXES)]
    assert not missing, f"no extension module built for {missing} (the C compiler failed)"


def test_the_compiled_modules_type_check(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    files = [str(_native.source_path(name)) for name in COMPILED]
    out, err, status = api.run(["--ignore-missing-imports", "--cache-dir", str(tmp_path), *files])
    assert status == 0, out + err


@needs_build
def test_compiled_reports_are_the_sources_reports_byte_for_byte(tmp_path: Path) -> None:
    compiled = [despin.check(t).to_json() for t in TEXTS]
    modules, pure, _ = _run({"DESPIN_PURE_PYTHON": "1"}, tmp_path)
    assert modules == {name: False for name in COMPILED}  # the switch really ran the sources
    assert pure == compiled
    modules, installed, _ = _run({}, tmp_path)  # run from elsewhere, the install imports compiled too
    assert modules == {name: True for name in COMPILED}
    assert installed == compiled
    assert any(json.loads(r)["spans"] for r in compiled)  # the texts exercise the detector


@needs_build
def test_a_changed_source_runs_as_python_with_a_warning(tmp_path: Path) -> None:
    package = Path(despin.__file__).parent
    # (mypyc's shared library is inside the package: setup.py's group_name)
    shutil.copytree(package, tmp_path / "despin", ignore=shutil.ignore_patterns("__pycache__"))
    modules, before, _ = _run({}, tmp_path, tmp_path)
    assert modules == {name: True for name in COMPILED}  # the copy runs compiled as it is
    with open(tmp_path / "despin" / "detector" / "context.py", "a", encoding="utf-8") as fh:
        fh.write("\n# an edit after the build\n")
    modules, after, stderr = _run({}, tmp_path, tmp_path)
    assert modules == {name: False for name in COMPILED}  # all of them, not a mix
    assert "changed since compiled" in stderr
    assert after == before


def test_the_modules_native_guards_are_the_ones_setup_compiles() -> None:
    # refine was compiled but missing here: after a failed rebuild its old C imported the
    # old C of ranking, and the fresh sources never ran.
    import re

    setup = (Path(__file__).resolve().parents[1] / "setup.py").read_text()
    names = re.search(r'for m in \(([^)]*)\)\)', setup)
    assert names is not None
    compiled = {f"despin.detector.{m.strip().strip(chr(34))}" for m in names.group(1).split(",") if m.strip()}
    assert compiled == set(_native.COMPILED)
