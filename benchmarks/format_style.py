#!/usr/bin/env python3
"""How often the format rules of stage 7 fire, and on what.

`despin.detector.decide.number_style` says where a text writes a number against the style of
edited prose (a lone digit below ten, a number word from eleven up), `abbreviation_style`
where it abbreviates a month in running text or spells out a company suffix ("Incorporated");
`check` turns them into spans only in a text it calls spun. This prints, per rule, for the
rules alone (no detector):

- clean text: how often it fires on the clean news-dev articles (a fire there would be a
  false change if the text were also called spun), per 1,000 tokens;
- spun text: on each proxy's spun texts (the leave-one-resource-out `dictionary` spins, the
  real-engine dev spins, nlpaug, texthumanize), the number swaps of the gold diff, and per
  rule how many fires land on a changed token with the original exactly (``exact``), on a
  changed token otherwise (``other``: a phrase block or another case), and on an unchanged
  token (``clean``).

    python benchmarks/format_style.py                 # ~20 s
    python benchmarks/format_style.py --limit 100
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from despin.detector.decide import format_forms, is_number  # noqa: E402
from despin.detector.units import read_document  # noqa: E402
from despin.evaluate import Pair, gold_changes, word_for_word  # noqa: E402
from despin.tokenize import tokenize  # noqa: E402


def fires(text: str) -> dict[int, tuple[str, str]]:
    """Token index -> (rule, the form it proposes), as `check` reads them in a text it calls
    spun (`despin.detector.decide.format_forms`, on `read_document`'s tokens and lines)."""
    doc = read_document(text)
    return format_forms(text, doc.tokens, doc.upper_line)


def on_pairs(pairs: list[Pair]) -> Counter[str]:
    c: Counter[str] = Counter()
    for p in pairs:
        spun = [t.text for t in tokenize(p.spun)]
        orig = [t.text for t in tokenize(p.original)]
        changed, ops = gold_changes(spun, orig)
        one = word_for_word(ops, orig)
        c["number swaps"] += sum(1 for k, o in one.items()
                                 if spun[k] != o and (is_number(spun[k]) or is_number(o)))
        for k, (rule, form) in fires(p.spun).items():
            c[rule + " " + ("exact" if one.get(k) == form else ("other" if k in changed else "clean"))] += 1
    return c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--limit", type=int, default=100, help="pairs a proxy")
    args = ap.parse_args()
    news = args.data / "news-dev" / "articles.jsonl"
    if not news.exists():
        sys.exit(f"needs {news}")
    from quality_proxies import build_proxies

    n_tok = 0
    n_fire: Counter[str] = Counter()
    with open(news, encoding="utf-8") as fh:
        for line in fh:
            a = json.loads(line)
            text = a["title"] + "\n\n" + a["text"]
            n_tok += len(tokenize(text))
            n_fire.update(rule for rule, _ in fires(text).values())
    for rule in ("numbers", "abbreviations"):
        print(f"clean news-dev, {rule}: {n_fire[rule]} fires in {n_tok:,} tokens "
              f"({1000 * n_fire[rule] / n_tok:.3f} per 1,000)")
    skipped: list[str] = []
    wanted = {"loro", "wp-engine", "prothemes-engine", "nlpaug", "texthumanize"}
    for p in build_proxies(args.data, args.limit, wanted, skipped):
        if p["name"].endswith(("-no-wordnet", "-no-moby")):
            continue  # the same spun texts as the proxy before it
        c = on_pairs(p["pairs"])
        print(f"{p['name']:18s} {len(p['pairs'])} pairs: number swaps {c['number swaps']}; "
              + "; ".join(f"{rule} fires: exact {c[rule + ' exact']}, other changed {c[rule + ' other']}, "
                          f"clean {c[rule + ' clean']}" for rule in ("numbers", "abbreviations")))
    for s in skipped:
        print("skipped:", s)


if __name__ == "__main__":
    main()
