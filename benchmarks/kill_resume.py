"""Fault test for `despin scan --resume`: kill -9 at a random moment, resume, count lost/duplicated rows.

    python benchmarks/kill_resume.py                       # 10 cycles, 4,000 documents, screen mode
    python benchmarks/kill_resume.py --cycles 3 --docs 1000 --placeholder

Each cycle: a fresh output folder; ``despin scan`` (the CLI, in a subprocess) is killed
with SIGKILL (only the main process: its workers must die with it) at a moment drawn
uniformly over an uninterrupted run measured first (odd cycles: the whole run; even
cycles: after its first shard was committed, i.e. mid-work); then the same
command with ``--resume`` runs to completion. The output is read back and compared
with the input: records lost (no row) and duplicated (more than one row), keyed by
(file, line), plus orphaned worker processes left alive after the kill.
``--placeholder`` replaces the detector by a no-op so cycles are short (the resume
logic does not depend on the detector).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scan import RUNNER, make_corpus  # noqa: E402  (benchmarks/scan.py)

def scan_cmd(args: argparse.Namespace, corpus: Path, out: Path, resume: bool) -> list[str]:
    cmd = [sys.executable, "-c", RUNNER, "placeholder" if args.placeholder else "real", "scan", str(corpus),
           "-o", str(out), "--quiet", "--mode", args.mode, "--workers", str(args.workers),
           "--shard-size", str(args.shard_size), "--format", args.format]
    return cmd + (["--resume"] if resume else [])


def children(pid: int) -> list[int]:
    """Descendants of ``pid`` (from /proc; no extra dependency)."""
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def count_rows(out: Path, fmt: str) -> Counter[tuple[str, int]]:
    from despin.io.corpus import read_rows

    return Counter((Path(r["file"]).name, int(r["line"])) for r in read_rows(out))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cycles", type=int, default=10)
    ap.add_argument("--docs", type=int, default=4000)
    ap.add_argument("--mode", default="screen", choices=["screen", "check", "restore"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shard-size", type=int, default=200)
    ap.add_argument("--format", default="parquet", choices=["parquet", "jsonl"])
    ap.add_argument("--placeholder", action="store_true", help="no-op detector (short cycles)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="despin-kill-"))
    try:
        corpus = work / "corpus.jsonl"
        make_corpus(corpus, args.docs, seed=args.seed)
        # A few malformed lines too: they must come back exactly once as error rows.
        with open(corpus, "a", encoding="utf-8") as fh:
            fh.write("{not json\n" + json.dumps({"id": "no-text"}) + "\n")
        expected = Counter(("corpus.jsonl", i) for i in range(1, args.docs + 3))

        t = time.perf_counter()
        base = subprocess.Popen(scan_cmd(args, corpus, work / "baseline", False))
        first_commit = None
        while base.poll() is None:
            if first_commit is None and any((work / "baseline" / "_completions").glob("*.json")):
                first_commit = time.perf_counter() - t
            time.sleep(0.01)
        full = time.perf_counter() - t
        if base.returncode != 0:
            raise SystemExit("uninterrupted run failed")
        first_commit = first_commit if first_commit is not None else 0.0
        assert count_rows(work / "baseline", args.format) == expected, "uninterrupted run is wrong"
        print(f"{args.docs + 2} records, mode {args.mode}, {args.workers} workers, shard size {args.shard_size}, "
              f"detector {'placeholder' if args.placeholder else 'real'}; uninterrupted run {full:.1f} s, "
              f"first shard committed after {first_commit:.1f} s")
        print("odd cycles: kill moment uniform over the whole run; even cycles: over the working part "
              "(after the first commit), where most of a long scan's time is spent")
        print(f"{'cycle':>5} {'kill at':>8} {'shards done':>11} {'orphans':>7} {'lost':>5} {'dup':>5}")
        total_lost = total_dup = total_orphans = 0
        for cycle in range(1, args.cycles + 1):
            out = work / f"out-{cycle}"
            at = rng.uniform(0.0 if cycle % 2 else first_commit, full)
            proc = subprocess.Popen(scan_cmd(args, corpus, out, False))
            time.sleep(at)
            kids = children(proc.pid)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            time.sleep(0.5)  # PR_SET_PDEATHSIG delivery
            orphans = [k for k in kids if alive(k)]
            for k in orphans:  # never leave them behind, but count them
                os.kill(k, signal.SIGKILL)
            done = len(list((out / "_completions").glob("*.json"))) if (out / "_completions").exists() else 0
            resume = subprocess.run(scan_cmd(args, corpus, out, resume=(out / "_manifest.json").exists()))
            if resume.returncode != 0:
                print(f"cycle {cycle}: resume failed with exit code {resume.returncode}")
                return 1
            got = count_rows(out, args.format)
            lost = sum(1 for k in expected if got[k] == 0)
            dup = sum(n - 1 for n in got.values() if n > 1) + sum(n for k, n in got.items() if k not in expected)
            total_lost += lost
            total_dup += dup
            total_orphans += len(orphans)
            print(f"{cycle:>5} {at:>7.2f}s {done:>11} {len(orphans):>7} {lost:>5} {dup:>5}")
            shutil.rmtree(out)
        print(f"total: lost {total_lost}, duplicated {total_dup}, orphaned workers {total_orphans} "
              f"over {args.cycles} kill -9 cycles")
        return 0 if total_lost == total_dup == total_orphans == 0 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
