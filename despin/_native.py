"""Use the mypyc-compiled detector modules only where they were built from the sources at hand.

`setup.py` compiles the detector's stages (`despin.detector.*`, `COMPILED` there) and
records their source digests in ``despin/_compiled.py``. An extension module shadows the ``.py`` beside it, so
after an edit to an editable install the old C would run; here, before anything imports
them, if any module's source no longer matches its build, all of them are loaded from
source instead (compiled modules call each other directly and share their classes), with a
warning. ``DESPIN_PURE_PYTHON=1`` loads every one from source (to compare, or to
debug with pdb).
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import warnings
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path


# The modules setup.py compiles, in import order (each imports only those before it).
COMPILED = (
    "despin.detector.records",
    "despin.detector.units",
    "despin.detector.candidates",
    "despin.detector.context",
    "despin.detector.posterior",
    "despin.detector.ranking",
    "despin.detector.refine",
    "despin.detector.decide",
)


def source_path(name: str, suffix: str = ".py") -> Path:
    """A module's file in this package: "despin.detector.units", ".py" -> despin/detector/units.py."""
    return Path(__file__).parent.joinpath(*name.split(".")[1:]).with_suffix(suffix)


def compiled_modules() -> dict[str, bool]:
    """Module name -> whether it runs compiled, for the modules `setup.py` compiles."""
    return {name: not (getattr(sys.modules.get(name), "__file__", "") or "").endswith(".py")
            for name in COMPILED}


def use_fresh_sources() -> None:
    """Load from source each compiled module that is stale (or all, with DESPIN_PURE_PYTHON=1)."""
    path = source_path
    try:
        from ._compiled import SOURCES  # type: ignore[import-not-found]
    except ImportError:
        # Nothing was compiled by the last build, or it failed (setup.py removes the record
        # first): extension modules left by an earlier build would shadow today's sources.
        SOURCES = {name: "" for name in COMPILED}
        if not any(path(name, suffix).exists() for name in COMPILED for suffix in EXTENSION_SUFFIXES):
            return
    built = [name for name in SOURCES if any(path(name, suffix).exists() for suffix in EXTENSION_SUFFIXES)]
    if not built or any(name in sys.modules for name in built):
        return
    if not os.environ.get("DESPIN_PURE_PYTHON"):
        # A recorded module whose source is gone (renamed since the build) counts as stale.
        stale = [name for name in built if not path(name).exists()
                 or hashlib.sha256(path(name).read_bytes()).hexdigest() != SOURCES[name]]
        if not stale:
            return
        warnings.warn(f"despin: {', '.join(stale)} changed since compiled; running the compiled modules as Python "
                      "(reinstall to compile them again)", stacklevel=3)
    # All or none: compiled modules call each other directly, in C, and share native classes.
    import despin.detector  # noqa: F401  (the package, before its modules are put in sys.modules)

    for name in SOURCES:  # in import order
        if not path(name).exists():
            continue
        spec = importlib.util.spec_from_file_location(name, path(name))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
