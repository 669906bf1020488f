"""Honest dev proxies for unseen dictionaries, this tree against a previous release (issue 14).

    python benchmarks/quality.py --protocol proxies --limit 30
    python benchmarks/quality.py --protocol proxies --limit 30 --proxies loro-moby,wp-engine --baseline-rev 63572c8

Proxies (each on its first ``--limit`` documents; skipped, with the reason, when absent):
  loro-R            leave one resource out: `despin spin --preset dictionary` drawing from
                    resource R on news-dev rows 2000-2099 (no calibration or other benchmark
                    uses them), checked by despin with every resource but R
  wp-engine         ../shared/data/real-engines-dev, the WordPress plugin engine (measure only)
  prothemes-engine  the same articles through the "article rewriter" engine (measure only)
  nlpaug            the dev nlpaug pairs (WordNet): all resources (same-resource) and without
                    WordNet (nlpaug-no-wordnet)
  texthumanize      PyPI `texthumanize` (a Moby-derived spinner: its English table is the
                    Moby thesaurus) on news-dev rows 2000-2099: all resources and without Moby

Both trees are measured in the same run, on the same pairs: a subprocess per tree runs
benchmarks/_probe.py (reports and candidates only), and every figure is computed here
with this tree's `despin.evaluate`, so the definitions cannot differ between the columns.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from despin.evaluate import DocResult, Metrics, Pair, evaluate_pair, gold_changes, summarize, token_strings  # noqa: E402
from despin.lexicon import DEFAULT_SOURCES, without_family  # noqa: E402
from despin.report import Report  # noqa: E402
from despin.spin_dictionary import DICTIONARY_RESOURCES, dictionary_pairs  # noqa: E402

# news-dev rows for the simulated proxies: past every slice calibrate.py (rows < 300) and the
# known-list benchmark (1500-1539) read; not every 7th/10th-from-5 row is free of the dev pairs,
# which does not matter here (those files are separate proxies, measured only).
PROXY_ROWS = range(2000, 2100)
TEXTHUMANIZE_INTENSITY = 0.5
ALL_PROXIES = ("loro", "wp-engine", "prothemes-engine", "nlpaug", "texthumanize")


def _articles(data: Path) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in open(data / "news-dev" / "articles.jsonl", encoding="utf-8")]
    return [(r["id"], (r["title"] + "\n\n" if r.get("title") else "") + r["text"]) for r in rows]


def _pairs_file(path: Path, limit: int) -> list[Pair]:
    out = []
    for line in open(path, encoding="utf-8"):
        v = json.loads(line)
        out.append(Pair(str(v["id"]), v["original"], v["spun"], v.get("spinner")))
        if len(out) >= limit:
            break
    return out


def _lookup_words(pair: Pair) -> list[str]:
    """The spun words of word-for-word substitutions (equal-length diff blocks), lower case."""
    spun = token_strings(pair.spun)
    _, ops = gold_changes(spun, token_strings(pair.original))
    return sorted({spun[i].lower() for i1, i2, j1, j2 in ops if i2 - i1 == j2 - j1 for i in range(i1, i2)})


def build_proxies(data: Path, limit: int, wanted: set[str], skipped: list[str]) -> list[dict[str, Any]]:
    """The proxies: name, setting, detector resources and pairs."""
    out: list[dict[str, Any]] = []
    everything = tuple(DEFAULT_SOURCES)
    news = data / "news-dev" / "articles.jsonl"
    articles = _articles(data) if news.exists() else []
    if not articles:
        skipped.append(f"simulated proxies: {news} absent")

    def want(name: str) -> bool:
        return any(name == w or name.startswith(w + "-") for w in wanted)

    if articles:
        slice_ = [articles[k] for k in PROXY_ROWS if k < len(articles)]
        for r in DICTIONARY_RESOURCES:
            if not want(f"loro-{r}"):
                continue
            recs = dictionary_pairs(r, slice_, rate=0.3, seed=0)[:limit]
            out.append({"name": f"loro-{r}", "setting": f"dictionary from {r}, despin without it",
                        "resources": without_family(everything, r), "leave_out": r,
                        "pairs": [Pair(x["id"], x["original"], x["spun"], x["spinner"]) for x in recs]})
    engines = data / "real-engines-dev"
    for name, file in (("wp-engine", "wp-auto-spinner-engine-aiksaurus.jsonl"),
                       ("prothemes-engine", "prothemes-engine-aiksaurus.jsonl")):
        if want(name):
            if (engines / file).exists():
                out.append({"name": name, "setting": "real engine, unseen dictionary", "resources": everything,
                            "leave_out": None,
                            "pairs": _pairs_file(engines / file, limit)})
            else:
                skipped.append(f"{name}: {engines / file} absent")
    nlpaug = data / "dev-pairs" / "nlpaug-wordnet.jsonl"
    if want("nlpaug"):
        if nlpaug.exists():
            pairs = _pairs_file(nlpaug, limit)
            out.append({"name": "nlpaug", "setting": "WordNet spinner, same-resource", "resources": everything,
                        "leave_out": None,
                        "pairs": pairs})
            out.append({"name": "nlpaug-no-wordnet", "setting": "WordNet spinner, despin without WordNet",
                        "resources": without_family(everything, "wordnet"), "leave_out": "wordnet", "pairs": pairs})
        else:
            skipped.append(f"nlpaug: {nlpaug} absent")
    if want("texthumanize") and articles:
        try:
            from texthumanize import spin as th_spin
        except ImportError as e:
            skipped.append(f"texthumanize: not installed ({e}); `pip install texthumanize==0.35.0`")
        else:
            docs = [articles[k] for k in PROXY_ROWS if k < len(articles)][:limit]
            pairs = [Pair(i, t, th_spin(t, lang="en", intensity=TEXTHUMANIZE_INTENSITY, seed=20260000 + k),
                          f"texthumanize intensity={TEXTHUMANIZE_INTENSITY}") for k, (i, t) in enumerate(docs)]
            out.append({"name": "texthumanize", "setting": "Moby-derived spinner, same-resource",
                        "resources": everything, "leave_out": None, "pairs": pairs})
            out.append({"name": "texthumanize-no-moby", "setting": "Moby-derived spinner, despin without Moby",
                        "resources": without_family(everything, "moby"), "leave_out": "moby", "pairs": pairs})
    return out


def baseline_tree(rev: str, path: Path) -> Path:
    """A detached worktree of ``rev`` at ``path`` (made once, reused while it is at ``rev``)."""
    if path.exists():
        head = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
        want = subprocess.run(["git", "-C", str(ROOT), "rev-parse", rev], capture_output=True, text=True).stdout
        if head.strip() == want.strip():
            return path
        raise SystemExit(f"{path} exists at another revision; remove it (git worktree remove {path})")
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), rev], check=True,
                   capture_output=True)
    return path


def probe(tree: Path, manifest: Path, out: Path) -> float:
    """Run benchmarks/_probe.py with ``tree`` first on the path; returns its wall time."""
    env = {**os.environ, "PYTHONPATH": str(tree), "DESPIN_PURE_PYTHON": "1"}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "_probe.py"), str(manifest), str(out)],
                   cwd=tree, env=env, check=True)
    return time.perf_counter() - t0


def measure(proxies: list[dict[str, Any]], answers: Path) -> tuple[dict[str, Metrics], str]:
    """Metrics per proxy from a probe's answers, with this tree's definitions."""
    lines = open(answers, encoding="utf-8").read().splitlines()
    header = json.loads(lines[0])
    by_job: dict[str, dict[str, dict[str, Any]]] = {}
    for line in lines[1:]:
        rec = json.loads(line)
        by_job.setdefault(rec["job"], {})[rec["id"]] = rec
    out: dict[str, Metrics] = {}
    for p in proxies:
        got = by_job.get(p["name"], {})
        docs: list[DocResult] = []
        used: tuple[str, ...] = ()
        for pair in p["pairs"]:
            rec = got[pair.id]
            used = tuple(rec["resources"])
            reports = {pair.spun: Report.from_dict(rec["spun"]), pair.original: Report.from_dict(rec["original"])}
            cands: dict[str, list[str]] = rec["candidates"]
            checker: Callable[[str], Report] = reports.__getitem__
            doc = evaluate_pair(pair, checker, lambda w, c=cands: c.get(w, ()))  # type: ignore[misc]
            docs.append(replace(doc, seconds=rec["seconds"]))
        out[p["name"]] = summarize(docs, resources="+".join(used))
    return out, header["despin"]


COLUMNS = ["proxy", "setting", "despin resources", "tree", "n", "coverage", "flagged", "top-1", "top-5",
           "loc P", "loc R", "loc F1", "WER before", "WER cut", "false change", "AUC", "texts/s"]


def table(proxies: list[dict[str, Any]], results: list[tuple[str, dict[str, Metrics]]]) -> str:
    def pct(x: float) -> str:
        return f"{100 * x:.1f}%"

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for p in proxies:
        for tree, metrics in results:
            m = metrics[p["name"]]
            e = m.extras
            auc = "n/a" if m.auc != m.auc else f"{m.auc:.3f}"
            lines.append("| " + " | ".join([
                p["name"], p["setting"], e["resources"], tree, str(m.n), pct(e["coverage"]), pct(e["flagged"]),
                pct(e["top1"]), pct(e["top5"]), f"{m.loc_p:.3f}", f"{m.loc_r:.3f}", f"{m.loc_f1:.3f}",
                pct(m.wer_before), pct(m.wer_reduction), pct(m.false_change), auc, f"{m.docs_per_s:.1f}",
            ]) + " |")
    return "\n".join(lines)


def run(data: Path, limit: int, wanted: str, baseline_rev: str | None, cache: Path,
        out: Path | None, json_out: Path | None) -> None:
    t_start = time.perf_counter()
    cache.mkdir(parents=True, exist_ok=True)
    skipped: list[str] = []
    names = set(ALL_PROXIES) if wanted == "all" else set(wanted.split(","))
    proxies = build_proxies(data, limit, names, skipped)
    for s in skipped:
        print(f"skipped {s}", file=sys.stderr)
    if not proxies:
        raise SystemExit("no proxy to measure")
    manifest = []
    for p in proxies:
        path = cache / f"{p['name']}.jsonl"
        with open(path, "w", encoding="utf-8") as f:
            for pair in p["pairs"]:
                f.write(json.dumps({"id": pair.id, "original": pair.original, "spun": pair.spun,
                                    "spinner": pair.spinner, "lookup": _lookup_words(pair)}, ensure_ascii=False) + "\n")
        manifest.append({"name": p["name"], "pairs": str(path), "resources": list(p["resources"]),
                         "leave_out": p["leave_out"]})
    (cache / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    print(f"[{time.perf_counter() - t_start:5.0f}s] {len(proxies)} proxies written to {cache}", file=sys.stderr)

    trees: list[tuple[str, Path]] = [("current", ROOT)]
    if baseline_rev:
        trees.append((f"base {baseline_rev}", baseline_tree(baseline_rev, Path(f"/tmp/despin-base-{baseline_rev}"))))
    results: list[tuple[str, dict[str, Metrics]]] = []
    for label, tree in trees:
        answers = cache / f"answers-{label.replace(' ', '-')}.jsonl"
        wall = probe(tree, cache / "manifest.json", answers)
        metrics, where = measure(proxies, answers)
        print(f"[{time.perf_counter() - t_start:5.0f}s] {label}: despin from {where}, {wall:.0f} s", file=sys.stderr)
        results.append((label, metrics))
    text = table(proxies, results)
    footer = (f"\n--limit {limit}, proxies {','.join(p['name'] for p in proxies)}; {time.perf_counter() - t_start:.0f} s"
              + "".join(f"\nskipped {s}" for s in skipped))
    print(text + footer)
    if out:
        out.write_text(text + "\n" + footer + "\n", encoding="utf-8")
    if json_out:
        json_out.write_text(json.dumps([{"proxy": name, "tree": label, **m.to_dict()} for label, ms in results
                                        for name, m in ms.items()], indent=1), encoding="utf-8")
