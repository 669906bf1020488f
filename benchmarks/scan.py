"""Throughput of `despin scan`: docs/s per core per mode, a MinHash reference, 1 vs N workers, Ray vs local.

    python benchmarks/scan.py                   # 10,000 news-length documents
    python benchmarks/scan.py --docs 2000       # smaller
    python benchmarks/scan.py --placeholder     # engine overhead only (detector replaced by a no-op)
    python benchmarks/scan.py --startup-only    # only the end-to-end figures with start-up (below)

Documents come from ../shared/data/news-dev/articles.jsonl when present (3,000 Reuters
articles, repeated and shuffled up to --docs, each copy with its own id), else from
text generated here. Figures (all measured in this run):

- per core: the per-record function (`despin.scan.annotate`) for screen, check and
  restore, each mode in a new process loaded as a scan worker loads it (a worker runs one
  mode), on the first --per-core-docs (screen) / --slow-docs (check, restore) documents;
- the reference: a datasketch MinHash (128 permutations, word 5-gram shingles) over
  the same documents, in the same process; ratio screen / MinHash;
- end to end: `run_scan` with 1 and with N local workers (screen by default), docs/s,
  docs/s per worker, peak RSS per worker; then the Ray engine on the same input with
  N CPUs (Ray start-up timed separately);
- end to end with start-up (``--startup-sizes``, default 5, 6,675 and 50,000 records):
  the wall time of a whole ``despin scan --mode screen`` process (Python start-up,
  imports, loading, workers, Parquet out) with 1 and with N workers, against a plain
  datasketch MinHash pass (128 permutations, word 5-grams, no datatrove) over the same
  articles: in a new process too, timed whole (reading included) and its hashing alone.
  Each is the best of ``--repeats`` runs, interleaved, so that a busy machine slows all
  alike; the load average is printed with them.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's despin, also in the processes started below (cwd)
NEWS = ROOT.parent / "shared" / "data" / "news-dev" / "articles.jsonl"


def make_corpus(path: Path, n: int, seed: int = 0) -> str:
    """Write ``n`` documents to ``path`` (JSONL); returns where the text came from."""
    rng = random.Random(seed)
    if NEWS.exists():
        with open(NEWS, encoding="utf-8") as fh:
            base = [json.loads(line) for line in fh if line.strip()]
        source = f"{NEWS} ({len(base)} articles, repeated and shuffled)"
    else:
        base = [{"id": f"gen/{i}", "text": _generated_article(rng)} for i in range(500)]
        source = "generated text (shared data absent)"
    with open(path, "w", encoding="utf-8") as out:
        copy = 0
        written = 0
        while written < n:
            order = list(range(len(base)))
            rng.shuffle(order)
            for i in order[: n - written]:
                out.write(json.dumps({"id": f"{base[i]['id']}#{copy}", "text": base[i]["text"]}) + "\n")
                written += 1
            copy += 1
    return source


_WORDS = ("the council said on monday that prices of grain and steel would rise in the second quarter as "
          "exports fell while the central bank kept rates steady and analysts expected growth to slow").split()


def _generated_article(rng: random.Random) -> str:
    paras = []
    for _ in range(rng.randint(2, 4)):
        sents = [" ".join(rng.choice(_WORDS) for _ in range(rng.randint(12, 24))).capitalize() + "."
                 for _ in range(rng.randint(4, 7))]
        paras.append(" ".join(sents))
    return "\n\n".join(paras)


def placeholder_check(text: str, **_: Any) -> Any:
    """The skeleton's no-op detector: measures everything but detection."""
    from despin.report import empty_report

    return empty_report(text)


def install_placeholder() -> None:
    import despin.core

    despin.core.check = placeholder_check  # type: ignore[assignment]


def rate(fn: Callable[[str], Any], texts: list[str]) -> float:
    """docs per CPU-second of this process: the per-core figure, whatever else shares the machine."""
    t = time.process_time()
    for text in texts:
        fn(text)
    return len(texts) / (time.process_time() - t)


def minhash_rate(texts: list[str]) -> float:
    from datasketch import MinHash

    def one(text: str) -> None:
        words = re.findall(r"\w+", text.lower())
        m = MinHash(num_perm=128)
        m.update_batch([" ".join(words[i:i + 5]).encode() for i in range(max(1, len(words) - 4))])

    return rate(one, texts)


# `despin scan` in a new process, optionally with the no-op detector: end-to-end runs
# must not inherit this process's warm caches through fork.
RUNNER = """
import sys
if sys.argv[1] == "placeholder":
    import despin.core
    from despin.report import empty_report
    despin.core.check = lambda text, **kw: empty_report(text)
from despin.cli import main
main(sys.argv[2:])
"""


# One mode's per-record function in a new process, loaded as a scan worker loads it
# (`despin.scan._warm_up`): a worker runs one mode, so no mode inherits another's caches
# (a check after a screen pass in the same process also pays the garbage collector for
# the screen's cache). Prints docs per CPU-second: one pass over the documents, and a
# second (warm).
PER_CORE = """
import json, sys, time
if sys.argv[1] == "placeholder":
    import despin.core
    from despin.report import empty_report
    despin.core.check = lambda text, **kw: empty_report(text)
from despin.scan import _warm_up, annotate
mode, path, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
with open(path, encoding="utf-8") as fh:
    texts = [json.loads(line)["text"] for line, _ in zip(fh, range(n))]
_warm_up(mode, (), None)
rates = []
for _ in range(2):
    t = time.process_time()
    for text in texts:
        annotate(text, mode)
    rates.append(len(texts) / (time.process_time() - t))
print(json.dumps(rates))
"""


def per_core_in_fresh_process(path: Path, mode: str, n: int, placeholder: bool) -> tuple[float, float]:
    """docs per CPU-second of ``mode`` on the first ``n`` documents of ``path``: first pass, second pass."""
    cmd = [sys.executable, "-c", PER_CORE, "placeholder" if placeholder else "real", mode, str(path), str(n)]
    cold, warm = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return cold, warm


def scan_in_fresh_process(path: Path, out: Path, mode: str, workers: int, placeholder: bool) -> dict[str, Any]:
    cmd = [sys.executable, "-c", RUNNER, "placeholder" if placeholder else "real", "scan", str(path), "-o", str(out),
           "--quiet", "--mode", mode, "--workers", str(workers)]
    subprocess.run(cmd, check=True)
    return json.loads((out / "_summary.json").read_text(encoding="utf-8"))


# A plain MinHash pass in a new process: read the JSONL, one datasketch MinHash per
# article over word 5-grams. Prints the seconds spent hashing (reading excluded).
MINHASH_PASS = """
import json, re, sys, time
from datasketch import MinHash
with open(sys.argv[1], encoding="utf-8") as fh:
    texts = [json.loads(line)["text"] for line in fh]
t = time.perf_counter()
for text in texts:
    words = re.findall(r"\\w+", text.lower())
    m = MinHash(num_perm=128)
    m.update_batch([" ".join(words[i:i + 5]).encode() for i in range(max(1, len(words) - 4))])
print(time.perf_counter() - t)
"""


def timed_process(cmd: list[str]) -> tuple[float, str]:
    """Wall seconds of a whole process (start-up included) and its standard output."""
    t = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return time.perf_counter() - t, out


def timed_scan(cmd: list[str], out_dir: Path) -> tuple[float, float, dict[str, float]]:
    """A whole `despin scan` process: wall seconds, CPU seconds (it and its workers), and the
    summary's split of the scan's CPU (``main``: the scan process from `run_scan` on, ``workers``)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        raise subprocess.CalledProcessError(status, cmd)
    summary = json.loads((out_dir / "_summary.json").read_text(encoding="utf-8"))
    return wall, usage.ru_utime + usage.ru_stime, summary.get("cpu_s_this_run", {})


def startup_figures(work: Path, sizes: list[int], workers: int, repeats: int) -> dict[str, Any]:
    """End to end with start-up: `despin scan --mode screen` (1 and N workers) vs a MinHash pass."""
    results: dict[str, Any] = {}
    print(f"\nend to end with start-up: a whole `despin scan --mode screen` process vs a MinHash pass "
          f"(128 perms, word 5-grams) in a new process; best of {repeats}")
    for n in sizes:
        corpus = work / f"startup-{n}.jsonl"
        make_corpus(corpus, n, seed=n)
        best: dict[str, float] = {}
        walls: dict[int, list[float]] = {}
        cpus: dict[int, dict[str, float]] = {}
        load = []
        for _ in range(repeats):
            load.append(os.getloadavg()[0])
            wall, out = timed_process([sys.executable, "-c", MINHASH_PASS, str(corpus)])
            best["minhash_wall"] = min(best.get("minhash_wall", wall), wall)
            best["minhash_hashing"] = min(best.get("minhash_hashing", float(out)), float(out))
            for w in sorted({1, workers}):
                out_dir = work / f"startup-out-{n}-{w}"
                wall, cpu, split = timed_scan([sys.executable, "-m", "despin.cli", "scan", str(corpus), "-o", str(out_dir),
                                               "--mode", "screen", "--quiet", "--workers", str(w)], out_dir)
                shutil.rmtree(out_dir)
                walls.setdefault(w, []).append(wall)
                if wall <= best.get(f"screen_{w}w", wall):
                    best[f"screen_{w}w"] = wall
                    cpus[w] = {"process_and_workers": round(cpu, 3), **split}
        one, many = best["screen_1w"], best[f"screen_{workers}w"]
        row = {**{k: round(v, 3) for k, v in best.items()},
               "screen_1w_vs_minhash_wall": round(best["minhash_wall"] / one, 2),
               "screen_1w_vs_minhash_hashing": round(best["minhash_hashing"] / one, 2),
               f"screen_{workers}w_vs_minhash_wall": round(best["minhash_wall"] / many, 2),
               f"speedup_{workers}w": round(one / many, 2),
               # Each run's 1-worker time over the N-worker time right after it: the pairs
               # share the machine's load of the moment (a busy machine skews "best of").
               f"speedup_{workers}w_median_of_pairs": round(statistics.median(
                   a / b for a, b in zip(walls[1], walls[workers])), 2),
               "cpu_s_of_best_runs": {f"{w}w": cpus[w] for w in sorted(cpus)},
               "load_average_1min": [round(x, 2) for x in load]}
        results[str(n)] = row
        print(f"  {n:6d} records: screen 1 worker {one:6.2f} s, {workers} workers {many:6.2f} s "
              f"({row[f'speedup_{workers}w']:.2f}x); MinHash {best['minhash_wall']:6.2f} s whole process, "
              f"{best['minhash_hashing']:6.2f} s hashing alone; screen ({workers} workers) is "
              f"{row[f'screen_{workers}w_vs_minhash_wall']:.2f}x the whole MinHash process, screen (1 worker) "
              f"{row['screen_1w_vs_minhash_hashing']:.2f}x its hashing alone  [load {', '.join(map(str, row['load_average_1min']))}]",
              flush=True)
        print(f"         speedup, median of the {repeats} interleaved pairs: {row[f'speedup_{workers}w_median_of_pairs']:.2f}x; "
              "CPU seconds of the best runs (whole process with workers; of the scan: main process, workers): "
              + "; ".join(f"{w}: {c['process_and_workers']:.2f} ({c.get('main', float('nan')):.2f}, "
                          f"{c.get('workers', float('nan')):.2f})" for w, c in row["cpu_s_of_best_runs"].items()),
              flush=True)
    return results


class _Clock:
    """A `despin.scan.Progress` that notes when rows arrive (Ray's start-up vs steady rate)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.marks: list[tuple[float, int]] = []

    def set_total(self, total: int | None) -> None:
        self.start = time.perf_counter()

    def advance(self, n: int) -> None:
        done = (self.marks[-1][1] if self.marks else 0) + n
        self.marks.append((time.perf_counter(), done))

    def first_after(self) -> float:
        return self.marks[0][0] - self.start if self.marks else float("nan")

    def steady_rate(self) -> float:
        if len(self.marks) < 2:
            return float("nan")
        (t0, n0), (t1, n1) = self.marks[0], self.marks[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=10_000, help="documents in the corpus (default 10000)")
    ap.add_argument("--per-core-docs", type=int, default=2000, help="documents for the in-process per-core figures")
    ap.add_argument("--workers", type=int, default=2, help="N for the N-worker and Ray runs (default 2)")
    ap.add_argument("--slow-docs", type=int, default=300, help="documents for the per-core check/restore figures")
    ap.add_argument("--engine-modes", default="screen", help="modes for the end-to-end runs on all documents")
    ap.add_argument("--check-docs", type=int, default=400, help="end-to-end check runs on this many (0: none)")
    ap.add_argument("--no-ray", action="store_true", help="skip the Ray run")
    ap.add_argument("--placeholder", action="store_true", help="replace the detector by a no-op (engine overhead)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--startup-sizes", default="5,6675,50000", help="records for the end-to-end runs with start-up")
    ap.add_argument("--repeats", type=int, default=3, help="runs of each end-to-end-with-start-up figure (best kept)")
    ap.add_argument("--startup-only", action="store_true", help="only the end-to-end figures with start-up")
    args = ap.parse_args()
    if args.startup_only:
        work = Path(tempfile.mkdtemp(prefix="despin-bench-"))
        try:
            sizes = [int(x) for x in args.startup_sizes.split(",") if x]
            figures = startup_figures(work, sizes, args.workers, args.repeats)
            if args.json:
                args.json.write_text(json.dumps({"startup": figures}, indent=1) + "\n")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return

    from despin.scan import run_scan

    if args.placeholder:
        install_placeholder()
    work = Path(tempfile.mkdtemp(prefix="despin-bench-"))
    results: dict[str, Any] = {"docs": args.docs, "placeholder": args.placeholder}
    try:
        corpus = work / "corpus.jsonl"
        results["source"] = make_corpus(corpus, args.docs)
        texts = [json.loads(line)["text"] for line in open(corpus, encoding="utf-8")]
        words = sum(len(t.split()) for t in texts) / len(texts)
        print(f"corpus: {len(texts)} documents, mean {words:.0f} words, from {results['source']}")
        from despin._native import compiled_modules

        build = "compiled with mypyc" if all(compiled_modules().values()) else "pure Python (nothing compiled)"
        results["detector_build"] = build
        print(f"detector: {'PLACEHOLDER (no-op)' if args.placeholder else 'despin.core.check'} ({build})")
        sample = texts[: args.per_core_docs]
        slow_sample = sample[: args.slow_docs]
        print(f"\nper core (docs per CPU-second; a new process per mode, loaded as a scan worker is; screen and MinHash on "
              f"{len(sample)} documents, check and restore on {len(slow_sample)})")
        mh = max(minhash_rate(sample), minhash_rate(sample))  # the better of two passes: the conservative baseline
        results["minhash_docs_s"] = round(mh, 1)
        # screen keeps a per-process cache of word-type evidence: the first pass over
        # unseen documents (cold) and a second pass over the same ones (warm) bracket it.
        cold, warm = per_core_in_fresh_process(corpus, "screen", len(sample), args.placeholder)
        results["screen_docs_s_per_core_cold"] = round(cold, 1)
        results["screen_docs_s_per_core_warm"] = round(warm, 1)
        print(f"  {'screen (cold cache)':22s} {cold:10.1f} docs/s  ({cold / mh:.2f}x MinHash)")
        print(f"  {'screen (warm cache)':22s} {warm:10.1f} docs/s  ({warm / mh:.2f}x MinHash)")
        for mode in ("check", "restore"):
            # new documents only: a corpus of millions rarely repeats an article
            r, _ = per_core_in_fresh_process(corpus, mode, len(slow_sample), args.placeholder)
            results[f"{mode}_docs_s_per_core"] = round(r, 1)
            print(f"  {mode:22s} {r:10.1f} docs/s")
        print(f"  {'minhash':22s} {mh:10.1f} docs/s  (datasketch, 128 perms, word 5-grams)")

        print("\nend to end: run_scan (JSONL in, Parquet out, a new despin process each, worker start-up included)")
        runs = [(mode, corpus, len(texts)) for mode in args.engine_modes.split(",") if mode]
        if args.check_docs:
            small = work / "small.jsonl"
            with open(corpus, encoding="utf-8") as src, open(small, "w", encoding="utf-8") as dst:
                for _, line in zip(range(args.check_docs), src):
                    dst.write(line)
            runs.append(("check", small, min(args.check_docs, len(texts))))
        for mode, path, n in runs:
            for w in sorted({1, args.workers}):
                out = work / f"out-{mode}-{w}"
                s = scan_in_fresh_process(path, out, mode, w, args.placeholder)
                dps = s["docs_per_s_this_run"]
                results[f"local_{mode}_{w}w"] = {"docs": n, "docs_s": dps, "docs_s_per_worker": round(dps / w, 1),
                                                 "seconds": s["seconds_this_run"],
                                                 "peak_rss_mb_per_worker": s["peak_rss_mb_per_worker"]}
                print(f"  local {mode:7s} {n:6d} docs, {w} worker(s): {dps:9.1f} docs/s  {dps / w:9.1f} per worker"
                      f"  {s['seconds_this_run']:7.1f} s  peak RSS/worker {max(s['peak_rss_mb_per_worker'])} MB")
                shutil.rmtree(out)

        if not args.no_ray:
            import ray

            t = time.perf_counter()
            setup = {"worker_process_setup_hook": install_placeholder} if args.placeholder else {}
            ray.init(num_cpus=args.workers, include_dashboard=False, logging_level="WARNING", runtime_env=setup)
            results["ray_init_s"] = round(time.perf_counter() - t, 1)
            for mode in args.engine_modes.split(","):
                out = work / f"out-ray-{mode}"
                clock = _Clock()
                s = run_scan([corpus], out, mode=mode, engine="ray", workers=args.workers, progress=clock)
                dps = s["docs_per_s_this_run"]
                steady = clock.steady_rate()
                local = results[f"local_{mode}_{args.workers}w"]["docs_s"]
                results[f"ray_{mode}_{args.workers}cpu"] = {
                    "docs_s": dps, "seconds": s["seconds_this_run"], "first_rows_after_s": clock.first_after(),
                    "steady_docs_s": steady}
                print(f"  ray   {mode:7s} {args.workers} CPUs     : {dps:9.1f} docs/s  "
                      f"{s['seconds_this_run']:7.1f} s  ({dps / local:.2f}x local; first rows after "
                      f"{clock.first_after():.1f} s, then {steady:.1f} docs/s; ray.init "
                      f"{results['ray_init_s']} s not included)")
            ray.shutdown()
        if args.startup_sizes and not args.placeholder:
            results["startup"] = startup_figures(work, [int(x) for x in args.startup_sizes.split(",") if x],
                                                 args.workers, args.repeats)
        results["main_process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(f"\nmain process peak RSS: {results['main_process_peak_rss_mb']} MB")
        if args.json:
            args.json.write_text(json.dumps(results, indent=1) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
