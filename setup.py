"""Build hook: compile the detector's hot modules with mypyc (the same typed Python, as C).

The detector's stages (`despin/detector/`: records, units, candidates, context, posterior,
ranking, decide) run a Python loop over every candidate of every word of every document; compiled,
`check` does the same work ~1.3x faster, with the same floats (tests/test_compiled.py compares reports byte for byte). Everything else stays
plain Python. Without a C compiler, or with ``DESPIN_PURE_PYTHON=1`` set while installing,
despin installs as pure Python: the same results, slower.

The source digests of the compiled modules go to ``despin/_compiled.py``, so that an
editable install whose sources changed after the build runs the sources, not stale C
(`despin._native`).
"""
from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
# In import order (despin._native loads them from source in this order; its COMPILED names the same).
COMPILED = tuple(f"despin/detector/{m}.py" for m in ("records", "units", "candidates", "context", "posterior", "ranking", "refine", "decide"))


def _ext_modules() -> list:
    record = ROOT / "despin" / "_compiled.py"
    record.unlink(missing_ok=True)
    if os.environ.get("DESPIN_PURE_PYTHON"):
        return []
    try:
        from mypyc.build import mypycify

        # The modules import numpy, lemminflect, pocketsphinx lazily: no stubs needed to compile them.
        # Their shared C library goes inside the package (despin/_detector__mypyc.*): a top-level
        # module beside it would be missing from an editable install's import mapping.
        exts = mypycify(["--ignore-missing-imports", *COMPILED], opt_level="3", group_name="despin._detector")
    except (Exception, SystemExit) as e:  # no mypyc, or the modules no longer type-check (mypyc exits)
        print(f"despin: not compiling {', '.join(COMPILED)} ({type(e).__name__}: {e}); installing pure Python",
              file=sys.stderr)
        return []
    for ext in exts:
        ext.optional = True  # a failing C compiler leaves the pure-Python modules in charge
    digests = {p[:-3].replace("/", "."): hashlib.sha256((ROOT / p).read_bytes()).hexdigest() for p in COMPILED}
    record.write_text('"""Written by setup.py: sources of the modules compiled with mypyc (see despin._native)."""\n'
                      f"SOURCES = {digests!r}\n", encoding="utf-8")
    return exts


setup(ext_modules=_ext_modules())
