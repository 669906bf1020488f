"""Run one despin tree on prepared pairs and dump its raw answers (used by quality.py).

Run as a subprocess with the tree under test first on PYTHONPATH (this file does not
put its own checkout on the path), so the same script measures the current tree and an
older release checked out elsewhere. It only calls what every release has:
``despin.check``, ``despin.Config(resources=...)`` and the candidate generator, and writes,
per pair, the two reports (unrounded scores), the candidate originals of the words it
was asked about, and the checker time. All figures are computed by the caller.

    PYTHONPATH=TREE python benchmarks/_probe.py MANIFEST.json OUT.jsonl
"""
from __future__ import annotations

import json
import os
import sys
import time
from typing import Any


def _candidate_source(resources: tuple[str, ...]) -> Any:
    import os

    import despin

    # The detector package (issue 15) or the flat module of older releases, by the tree's own
    # files: asking the import system would find main's package through an editable install.
    if os.path.exists(os.path.join(os.path.dirname(despin.__file__), "detector", "candidates.py")):
        from despin.detector.candidates import candidates  # type: ignore[import-not-found]
    else:
        from despin.candidates import candidates
    return lambda word: [c.text for c in candidates(word, resources)]


def _resources(job: dict[str, Any], lexicon: Any) -> tuple[str, ...]:
    """The resources a tree checks a job with: the tree's *own* defaults (each release is
    measured as it shipped) less the job's left-out family; a tree without defaults or
    families takes the job's list, less what it does not know."""
    known = tuple(lexicon.SOURCES)
    defaults = getattr(lexicon, "DEFAULT_SOURCES", None)
    family = getattr(lexicon, "family", None)
    if "leave_out" not in job or defaults is None or family is None:
        return tuple(r for r in job["resources"] if r in known)
    drop = job["leave_out"]
    return tuple(s for s in defaults if drop is None or family(s) != family(drop))


def _report(r: Any) -> dict[str, Any]:
    d = r.to_dict()
    d["score"] = float(r.score)  # to_dict rounds; AUC needs the ties a rounding would make
    return d


def main() -> None:
    manifest_path, out_path = sys.argv[1], sys.argv[2]
    import despin
    from despin import lexicon

    manifest = json.loads(open(manifest_path, encoding="utf-8").read())
    known = tuple(lexicon.SOURCES)
    with open(out_path, "w", encoding="utf-8") as out:
        out.write(json.dumps({"despin": despin.__file__, "sources": known}) + "\n")
        for job in manifest:
            resources = _resources(job, lexicon)
            config = despin.Config(resources=resources)
            if os.environ.get("DESPIN_PROBE_NEURAL") and hasattr(config, "neural"):
                config = config.replace(neural=True)  # quality.py --neural
            if hasattr(despin, "preload"):
                despin.preload(config)
            cands = _candidate_source(resources)
            for rec in map(json.loads, open(job["pairs"], encoding="utf-8")):
                t0 = time.perf_counter()
                spun = despin.check(rec["spun"], config=config)
                orig = despin.check(rec["original"], config=config)
                seconds = time.perf_counter() - t0
                out.write(json.dumps({
                    "job": job["name"], "id": rec["id"], "resources": resources, "seconds": seconds,
                    "spun": _report(spun), "original": _report(orig),
                    "candidates": {w: cands(w) for w in rec.get("lookup", ())},
                }, ensure_ascii=False) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
