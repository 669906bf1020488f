#!/usr/bin/env python3
"""Byte-identity of reports: one SHA-256 over `check` and `restore` of many texts.

A refactor must not change a byte of any report. Run this before and after and compare the
digests; ``--out FILE`` writes one digest per text, so two runs can be diffed to the texts
that differ. Texts: news-dev articles, the spun side of the dev pairs and of the wordswap
pairs (``../shared/data``, when present), the test cases and edge cases written for this
project, each checked plain, with a small learned profile, and (unless ``--no-batch``)
again after loading the batch language model.

    python benchmarks/identity.py --news 600 --pairs 300 --wordswap 200 --out /tmp/before.txt
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"

# Written for this project: the inputs that exercise edges of the pipeline.
EDGE_CASES = [
    "",
    "   \n\t ",
    "word",
    "The.",
    "THE MINISTRY SAID ON TUESDAY IT WOULD RAISE TAXES.\n\nThe ministry aforementioned it would augment levies.",
    "Visit https://example.com/a-b or mail press@example.org; `x = 1` {a = b; c = d}",
    "Der Vorstand hat am Dienstag beschlossen, die Dividende zu erhöhen. The board agreed.",
    "He said 42 pct of 1,500 mln dlrs went to GE and the EC in 1987.",
    "The physician informed the patient that the operation had been a achievement.\n" * 40,
    "get well get well get well soon, the inventory marketplace would get well swiftly",
    "“Quoted” (bracketed) [square]: semi; colon! question? — dash – en",
    "a " * 500,
    "The Top Priest informed journalists on Tuesday that the inventory marketplace would get well swiftly. " * 120,
]


def texts(news: int, pairs: int, wordswap: int) -> list[str]:
    out = list(EDGE_CASES)
    for name in ("synthetic.json", "negative.json", "known-failures.json"):
        for case in json.loads((ROOT / "tests" / "cases" / name).read_text(encoding="utf-8")):
            out.append(case if isinstance(case, str) else case["text"])
    if DATA.exists():
        with open(DATA / "news-dev" / "articles.jsonl", encoding="utf-8") as f:
            out += [json.loads(line)["text"] for _, line in zip(range(news), f)]
        with open(DATA / "dev-pairs" / "nlpaug-wordnet.jsonl", encoding="utf-8") as f:
            out += [json.loads(line)["spun"] for _, line in zip(range(pairs), f)]
        with open(DATA / "wordswap" / "textattack-dev.jsonl", encoding="utf-8") as f:
            out += [json.loads(line)["spun"] for _, line in zip(range(wordswap), f)]
    return out


def small_profile():
    """A profile learned from pairs written here (exercises the profile paths)."""
    from despin.learn import learn_pairs

    pairs = [
        ("The minister said the market would recover quickly.",
         "The priest aforementioned the marketplace would get well swiftly."),
        ("Officials said the company would build a new plant.",
         "Officials aforementioned the corporation would construct a novel works."),
    ] * 3
    return learn_pairs(pairs, name="identity")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--news", type=int, default=600)
    ap.add_argument("--pairs", type=int, default=300)
    ap.add_argument("--wordswap", type=int, default=200)
    ap.add_argument("--batch", action=argparse.BooleanOptionalAction, default=True,
                    help="also check every text after loading the batch language model")
    ap.add_argument("--out", type=Path, help="write one digest per text and mode here")
    args = ap.parse_args()

    import despin
    from despin import _native

    corpus = texts(args.news, args.pairs, args.wordswap)
    profile = small_profile()
    total = hashlib.sha256()
    lines: list[str] = []

    def run(mode: str, **kwargs) -> None:
        for k, text in enumerate(corpus):
            blob = json.dumps(despin.check(text, **kwargs).to_json(), sort_keys=True, ensure_ascii=False)
            digest = hashlib.sha256(blob.encode("utf-8")).hexdigest()
            total.update(digest.encode())
            lines.append(f"{mode}\t{k}\t{digest}")

    run("plain")
    run("explain-off", config=despin.Config(explain=False))
    run("profile", profile=profile)
    if args.batch:
        despin.preload()
        run("batch")
    print(f"compiled: {_native.compiled_modules()}")
    print(f"texts: {len(corpus)}; reports: {len(lines)}; sha256: {total.hexdigest()}")
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
