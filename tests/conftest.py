import importlib.util
import json
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
SHARED_DATA = TESTS.parents[1] / "shared" / "data"


def load_cases(name: str):
    return json.loads((TESTS / "cases" / name).read_text(encoding="utf-8"))


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent")
    return SHARED_DATA


def load_script(name: str):
    """``scripts/NAME.py`` as a module (the build and fitting scripts are not a package)."""
    path = Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module
