"""How far is ranking from its ceiling? Top-1 of the trigram ranking with the spun context
and with the original's own context put back around each substitution (an oracle).

For each word-for-word substitution of a pairs file whose original is among despin's
candidates, the candidates are ranked by q(w|c)·P_LM(window with c)/P_LM(window with w),
the detector's own evidence (`despin.detector.context`), once with the two words either side
as the spinner left them and once with the original's words there. If the oracle context
ranks the original on top far more often, joint decoding of neighbouring swaps is the lever;
if not, the language model itself is.

    python benchmarks/ranking_oracle.py ../shared/data/real-engines-dev/wp-auto-spinner-engine-aiksaurus.jsonl --limit 100
"""
from __future__ import annotations

import argparse
import difflib
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from despin import lm  # noqa: E402
from despin.config import Config  # noqa: E402
from despin.core import analyse  # noqa: E402
from despin.evaluate import token_strings  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pairs", type=Path)
    ap.add_argument("--limit", type=int, default=100)
    args = ap.parse_args()
    n = spun_ok = oracle_ok = 0
    with open(args.pairs, encoding="utf-8") as f:
        rows = [json.loads(line) for _, line in zip(range(args.limit), f)]
    for row in rows:
        spun, original = row["spun"], row["original"]
        st, ot = token_strings(spun), token_strings(original)
        low_o = [t.lower() for t in ot]
        aligned: dict[int, int] = {}
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, st, ot, autojunk=False).get_opcodes():
            if tag == "replace" and i2 - i1 == j2 - j1:
                aligned.update({i1 + k: j1 + k for k in range(i2 - i1)})
        a = analyse(spun, Config())
        low_s = [t.text.lower() for t in a.tokens]
        for u in a.units:
            if u.j - u.i != 1 or u.i not in aligned or not u.cands:
                continue
            gold = low_o[aligned[u.i]]
            texts = [c.text for c in u.cands]
            if gold not in texts:
                continue

            def best(left: list[str], right: list[str]) -> str:
                base = lm.context_logprob(left, [u.observed], right)
                scores = [math.log(c.q) + lm.context_logprob(left, c.text.split(" "), right) - base for c in u.cands]
                return texts[scores.index(max(scores))]

            j = aligned[u.i]
            n += 1
            spun_ok += best(low_s[max(0, u.i - 2):u.i], low_s[u.i + 1:u.i + 3]) == gold
            oracle_ok += best(low_o[max(0, j - 2):j], low_o[j + 1:j + 3]) == gold
    print(f"{args.pairs.name}: {n} covered word swaps in {len(rows)} documents; "
          f"top-1 with the spun context {spun_ok / max(1, n):.3f}, "
          f"with the original's context (oracle) {oracle_ok / max(1, n):.3f}")


if __name__ == "__main__":
    main()
