#!/usr/bin/env python3
"""Speed of the core on one core: start-up, docs/s on 400-word documents, peak RSS.

Documents: 400-word windows of the news articles in ../shared/data/news-dev (when present),
else of the bundled examples repeated. Baseline in the same run: the thesaurus + unigram
baseline (`despin.baselines`), so the figure reads as a ratio. Pin to one core with
``taskset -c 0`` for a per-core figure.

    taskset -c 0 python benchmarks/speed.py --docs 200

"New documents" right after `despin.preload()` pay for the first use of each word type
(candidates parsed, windows built); ``--after N`` also times new documents once N others
have filled those caches, as they are in a long scan or a server that has run a while.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NEWS = ROOT.parent / "shared" / "data" / "news-dev" / "articles.jsonl"
ENGINE = ROOT.parent / "shared" / "data" / "real-engines-dev" / "wp-auto-spinner-engine-aiksaurus.jsonl"


def documents(n: int, words: int = 400, start: int = 0) -> list[str]:
    if NEWS.exists():
        texts = [json.loads(line)["text"] for line in open(NEWS, encoding="utf-8")]
    else:
        texts = [(ROOT / "examples" / "spun-news.txt").read_text(encoding="utf-8")] * 50
    stream = " ".join(texts).split(" ")
    out = []
    for k in range(start, start + n):
        chunk = stream[(k * words) % max(1, len(stream) - words):][:words]
        out.append(" ".join(chunk))
    return out


def startup_seconds(repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "despin.cli", "check", "--json"], input="The cat sat on the mat.",
                       capture_output=True, text=True, check=True)
        best = min(best, time.perf_counter() - t)
    return best


def rate(fn, docs: list[str]) -> float:
    t = time.perf_counter()
    for d in docs:
        fn(d)
    return len(docs) / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=200)
    ap.add_argument("--spun", type=int, default=0,
                    help="also time this many real-engine spun documents (dev data), with and without stage 5c, "
                         "and count the clean documents stage 5c would read")
    ap.add_argument("--after", type=int, default=0,
                    help="also time --docs further new documents after checking this many others (the "
                         "per-word-type caches filled, as in a long scan or a server that has run a while)")
    ap.add_argument("--batch", action=argparse.BooleanOptionalAction, default=True,
                    help="load the batch language model first (despin.preload), as long-running jobs do")
    args = ap.parse_args()
    import despin
    from despin import Config
    from despin.baselines import make_baseline

    docs = documents(args.docs)
    start = startup_seconds()
    # The screen first, in this fresh process: its first pass pays the loading of its
    # precomputed table and of whatever a word outside it needs.
    screen_cfg = Config(explain=False)
    screen_cold = rate(lambda d: despin.check(d, config=screen_cfg), docs)
    screen = rate(lambda d: despin.check(d, config=screen_cfg), docs)
    despin.check("warm the lexicons and the model")
    if args.batch:
        despin.preload()  # what servers, scan workers and long streams do: the batch language model too
    cold = rate(despin.check, docs)  # new word types: candidate generation included
    warm = rate(despin.check, docs)  # the same documents again: per-type caches hot
    base = rate(make_baseline("thesaurus-unigram"), docs)
    steady = None
    if args.after:
        # Documents never checked before, after `--after` others (all disjoint windows).
        rate(despin.check, documents(args.after, start=args.docs))
        steady = rate(despin.check, documents(args.docs, start=args.docs + args.after))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from despin._native import compiled_modules

    build = "compiled with mypyc" if all(compiled_modules().values()) else "pure Python"
    print("| measure | value |\n|---|---|")
    print(f"| detector stages (`despin.detector`) | {build} |")
    print(f"| start-up (`despin check` on one sentence, best of 3) | {start:.2f} s |")
    mode = "batch language model (despin.preload)" if args.batch else "pocketsphinx calls only (--no-batch)"
    print(f"| check, 400-word docs, new documents, {mode} | {cold:.1f} docs/s |")
    print(f"| check, same documents again (caches warm) | {warm:.1f} docs/s |")
    if steady is not None:
        print(f"| check, {args.docs} new documents after {args.after} others (caches filled, as in a long scan) "
              f"| {steady:.1f} docs/s |")
    print(f"| screen (`Config(explain=False)`), fresh process (loading included) / warm | {screen_cold:.0f} / {screen:.0f} docs/s |")
    print(f"| baseline thesaurus-unigram, same docs | {base:.1f} docs/s (check/baseline = {cold / base:.2f}) |")
    print(f"| peak RSS | {rss:.0f} MB |")
    from despin import neural

    if not args.spun:
        return
    on = Config(neural=True)
    if neural.available():
        from despin.core import analyse

        reached = sum(analyse(d, on).neural for d in docs)
        print(f"| with `Config(neural=True)`: these clean documents that reach stage 5c (the neural model) | {reached} of {len(docs)} |")
    if ENGINE.exists():
        spun = [json.loads(line)["spun"] for line in open(ENGINE, encoding="utf-8")][: args.spun]
        plain = rate(despin.check, spun)
        with_model = rate(lambda d: despin.check(d, config=on), spun) if neural.available() else float("nan")
        print(f"| check, real-engine spun documents (WP, dev), default / `Config(neural=True)` | {plain:.1f} / {with_model:.2f} docs/s |")



if __name__ == "__main__":
    main()
