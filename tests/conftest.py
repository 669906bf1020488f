import json
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
