#!/usr/bin/env python3
"""Clean British text: does despin take British spellings for a spinner's work?

despin's trigram model was estimated on US text. This takes clean news articles (news-dev
rows 2000-2099, which calibration never reads), writes them a second time with British
spellings (colour, centre, organisation, defence, programme, aluminium: suffix rules,
kept only where wordfreq knows the British form), and checks both versions. Printed per
version: how many documents are called spun at the default threshold, the words flagged
per 1,000 (and the British-spelled ones among them), and the false change (word edit
distance of the restored text to the input, per token). The US version is the baseline
in the same run; a tree that reads British spellings as its model knows them shows the
same figures on both.

    python benchmarks/british.py --limit 100
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wordfreq import word_frequency  # noqa: E402

import despin  # noqa: E402
from despin.evaluate import token_strings, word_edit_distance  # noqa: E402

ARTICLES = ROOT.parent / "shared" / "data" / "news-dev" / "articles.jsonl"
ROWS = range(2000, 2100)
# American -> British suffixes (the reverse of what a British reader would see changed).
RULES = (
    ("ization", "isation"), ("izations", "isations"), ("ize", "ise"), ("ized", "ised"),
    ("izes", "ises"), ("izing", "ising"), ("yze", "yse"), ("yzed", "ysed"),
    ("or", "our"), ("ors", "ours"), ("ored", "oured"), ("oring", "ouring"), ("orable", "ourable"),
    ("orite", "ourite"), ("ter", "tre"), ("ters", "tres"), ("ense", "ence"), ("um", "ium"),
    ("ram", "ramme"), ("rams", "rammes"),
)
MIN_LETTERS = 5


def british(word: str) -> str:
    low = word.lower()
    if len(low) < MIN_LETTERS or not low.isalpha():
        return word
    for us, uk in sorted(RULES, key=lambda r: -len(r[0])):
        if low.endswith(us):
            form = low[: len(low) - len(us)] + uk
            # wordfreq counts British and American text: a real British spelling is there,
            # and rarer than the American form would be if it were just a misspelling.
            if word_frequency(form, "en") > 1e-7 and word_frequency(form, "en") > 0.02 * word_frequency(low, "en"):
                return form.capitalize() if word[0].isupper() else form
            return word
    return word


def britishise(text: str) -> tuple[str, set[str]]:
    changed: set[str] = set()

    def swap(m: re.Match[str]) -> str:
        w = m.group(0)
        b = british(w)
        if b != w:
            changed.add(b.lower())
        return b

    return re.sub(r"[A-Za-z]+", swap, text), changed


def measure(texts: list[str], marked: set[str]) -> dict[str, float]:
    spun = flagged = marked_flagged = tokens = errors = 0
    for text in texts:
        report = despin.check(text)
        spun += report.verdict == "spun"
        for s in report.spans:
            if s.score >= 0.5:
                flagged += len(s.text.split())
                marked_flagged += s.text.lower() in marked
        toks = token_strings(text)
        tokens += len(toks)
        errors += word_edit_distance(token_strings(report.restored), toks)
    return {"docs_called_spun": spun / len(texts), "flagged_per_1000": 1000 * flagged / tokens,
            "british_flagged_per_1000": 1000 * marked_flagged / tokens, "false_change": errors / tokens}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=100)
    args = ap.parse_args()
    if not ARTICLES.exists():
        sys.exit(f"no {ARTICLES}: this benchmark needs ../shared/data")
    rows = [json.loads(line) for line in open(ARTICLES, encoding="utf-8")]
    us = [(r["title"] + "\n\n" if r.get("title") else "") + r["text"] for k, r in enumerate(rows) if k in ROWS]
    us = us[: args.limit]
    uk, marked = [], set()
    for text in us:
        b, changed = britishise(text)
        uk.append(b)
        marked |= changed
    n_changed = sum(len(t.split()) for t in uk)
    t0 = time.time()
    despin.preload()
    a, b = measure(us, set()), measure(uk, marked)
    print(f"despin from {despin.__file__}; {len(us)} clean articles, {n_changed} words; "
          f"{len(marked)} British spellings written ({', '.join(sorted(marked)[:12])}, ...); {time.time() - t0:.0f}s")
    print("| version | documents called spun | words flagged / 1,000 | British-spelled flagged / 1,000 | false change |")
    print("|---|---|---|---|---|")
    for name, m in (("US spelling (as published)", a), ("British spelling", b)):
        print(f"| {name} | {m['docs_called_spun']:.1%} | {m['flagged_per_1000']:.2f} | "
              f"{m['british_flagged_per_1000']:.2f} | {m['false_change']:.3%} |")


if __name__ == "__main__":
    main()
