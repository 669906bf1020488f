"""`benchmarks/more_lexicons.py`'s reader of Roget's 1911 text, on a few categories written
here in its layout (no Roget text is copied)."""
import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "more_lexicons.py"

SAMPLE = """Front matter, a contents list, 1. Nothing -- should not be read.

1. Existence -- N. being, presence; reality, actuality &amp;c 494.
     [Absence] void.
V. exist, be present; stand, remain.

35. Growth -- N. growth, rise, gain; swelling &amp;c (spread) 194; a very long phrase here.
Adj. growing, rising.

End of Project Gutenberg's text.
"""


def _module():
    spec = importlib.util.spec_from_file_location("more_lexicons", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("more_lexicons", module)
    spec.loader.exec_module(module)
    return module


def test_roget_groups_are_tight_and_paragraphs_loose(tmp_path):
    path = tmp_path / "roget.txt"
    path.write_text(SAMPLE, encoding="utf-8")
    group, para = _module().roget_relations(path)
    # A semicolon group: its members relate to each other, not to the next group's.
    assert group["being"] == {"presence"}
    assert group["reality"] == {"actuality"}
    assert "reality" in para["being"] and "presence" in para["reality"]
    # Parts of speech and indented senses are paragraphs of their own.
    assert "exist" not in para["being"] and "void" not in para["being"]
    assert group["exist"] == {"be present"} and para["stand"] >= {"remain", "exist"}
    # Cross-references and notes are dropped, phrases over three words too.
    assert "spread" not in para and "spread" not in para["swelling"] and "swelling" in para["gain"]
    assert group["growth"] == {"rise", "gain"}
    assert not any(len(w.split()) > 3 for w in para)
    # The heading and what follows the text's end are not entries.
    assert "nothing" not in para and "should not be read" not in para and "front matter" not in para
