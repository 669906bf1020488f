"""A datatrove step: annotate each Document with despin's score and spans, optionally drop spun ones.

Built on datatrove's `BaseFilter`, so iteration, stats (documents in/forwarded/dropped)
and the exclusion writer for dropped documents come from datatrove itself. With
``drop_spun=False`` (the default) nothing is dropped: it is an annotator.

Example (a pipeline; not run here)::

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from despin.engines.datatrove import DespinFilter

    LocalPipelineExecutor(pipeline=[
        JsonlReader("corpus/"),
        DespinFilter(mode="screen", drop_spun=True, exclusion_writer=JsonlWriter("spun/")),
        JsonlWriter("clean/"),
    ], tasks=8).run()

Metadata added (``prefix`` defaults to ``"despin_"``): ``despin_score``,
``despin_verdict``, ``despin_spans`` (a list of ``{start, end, text, score,
suggestion, reason}``; absent in screen mode), ``despin_restored`` (restore mode).
"""
from __future__ import annotations

import os
from typing import Any, Sequence

from ..scan import MODES, annotate, load_resources
from ..errors import InputError

try:
    from datatrove.data import Document
    from datatrove.pipeline.filters.base_filter import BaseFilter
    from datatrove.pipeline.writers.disk_base import DiskWriter
except ImportError as e:  # pragma: no cover - depends on extras
    raise ImportError(f"the datatrove step needs the 'datatrove' extra: pip install 'despin[datatrove]' ({e})") from None


class DespinFilter(BaseFilter):
    """Annotate documents with despin's verdict; with ``drop_spun=True`` also remove spun ones.

    >>> from datatrove.data import Document
    >>> step = DespinFilter(mode="screen")
    >>> doc = Document(text="A short plain sentence.", id="1")
    >>> step.filter(doc), sorted(doc.metadata)
    (True, ['despin_score', 'despin_verdict'])
    """

    name = "🌀 despin"

    def __init__(
        self,
        mode: str = "check",
        drop_spun: bool = False,
        profile: Sequence[str | os.PathLike[str]] = (),
        index: str | os.PathLike[str] | None = None,
        prefix: str = "despin_",
        exclusion_writer: DiskWriter | None = None,
        batch_size: int = 1,
    ) -> None:
        super().__init__(exclusion_writer=exclusion_writer, batch_size=batch_size)
        if mode not in MODES:
            raise InputError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
        self.mode = mode
        self.drop_spun = drop_spun
        # Paths, not loaded objects: datatrove pickles steps to its workers, which load once each.
        self.profile_paths = tuple(str(p) for p in ([profile] if isinstance(profile, (str, os.PathLike)) else profile))
        self.index_path = str(index) if index is not None else None
        self.prefix = prefix

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        profiles, index = load_resources(self.profile_paths, self.index_path)
        result: dict[str, Any] = annotate(doc.text, self.mode, profiles, index)
        doc.metadata[self.prefix + "score"] = result["score"]
        doc.metadata[self.prefix + "verdict"] = result["verdict"]
        if result["spans"] is not None:
            doc.metadata[self.prefix + "spans"] = result["spans"]
        if result["restored"] is not None:
            doc.metadata[self.prefix + "restored"] = result["restored"]
        self.stat_update(result["verdict"])
        if self.drop_spun and result["verdict"] == "spun":
            return False, "despin_spun"
        return True
