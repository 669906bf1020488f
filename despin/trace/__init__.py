"""Trace a spun copy to its source, align them word by word, restore through the source.

>>> import tempfile, pathlib
>>> src = "The company said on Monday that profits rose steeply in March and April."
>>> ix = Index.build(pathlib.Path(tempfile.mkdtemp()) / "i", [("s1", src)])
>>> m = Index.open(ix.path).query("The firm said on Monday that profits rose sharply in March and April.")[0]
>>> m.id, round(m.similarity, 2)
('s1', 0.88)
"""
from __future__ import annotations

from .align import AlignedSpan, align, similarity
from .cluster import cluster
from .index import Index, Match
from .restore import report_from_index, source_excerpt

__all__ = ["Index", "Match", "AlignedSpan", "align", "similarity", "report_from_index", "source_excerpt", "cluster"]
