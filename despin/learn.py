"""Learn a spinner profile from (original, spun) pairs, or from unpaired corpora.

From pairs: each pair is aligned on lower-cased word tokens with
``difflib.SequenceMatcher`` (autojunk off, the evaluator's alignment); every
``replace`` block becomes one or more substitution entries spun -> original. Blocks
of equal length are split 1:1 (table spinners substitute word by word); unequal
blocks become phrase entries (one word <-> several, up to ``max_ngram`` tokens a
side) after peeling off known one-word substitutions at their ends. Unchanged text
is counted too, so the profile knows how often each entry is applied.

>>> pairs = [("The big dog ran during the storm.", "The sizable dog ran in the course of the storm."),
...          ("A big house.", "A sizable house.")]
>>> p = learn_pairs(pairs, name="demo")
>>> p.originals("sizable"), p.originals("in the course of")
([('big', 1.0)], [('during', 1.0)])

Unpaired (type-level decipherment, `learn_unpaired`): for every spun word type with
inverse-synonym candidates, choose the original that maximises a bigram language
model's likelihood over all the word's contexts in the spun corpus, with the model
estimated on clean text.

Pure: callers do the reading (`despin.io.text.iter_jsonl`) and writing (`despin.profile.save`).
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Callable, Iterable, Sequence

from .profile import Original, Profile
from .tokenize import tokenize

DEFAULT_MAX_NGRAM = 4


def _is_cap(word: str) -> bool:
    return word[:1].isupper()


@dataclass
class _Block:
    """A replace block of one pair: original and spun surface tokens with spun-side context."""

    orig: list[str]
    spun: list[str]
    left: str | None
    right: str | None


@dataclass
class Learner:
    """Accumulates pairs; `profile` turns them into a `Profile`.

    >>> lr = Learner(name="x")
    >>> lr.add("a big cat", "a large cat")
    >>> lr.profile().originals("large")
    [('big', 1.0)]
    """

    name: str = "profile"
    max_ngram: int = DEFAULT_MAX_NGRAM
    min_count: int = 1
    blocks: list[_Block] = field(default_factory=list)
    # Every word seen unchanged, counted as pairs arrive: "the spinner met this word
    # and left it" rules it out as the original of an unseen substitute.
    kept_words: Counter[str] = field(default_factory=Counter)
    # Unchanged runs of two or more lower-cased tokens, space-joined (a string costs a
    # tenth of a token list), for the "kept" counts of multiword entries.
    runs: list[str] = field(default_factory=list)
    case_forms: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    case_same: Counter[str] = field(default_factory=Counter)
    pairs: int = 0
    skipped: int = 0
    tokens_original: int = 0
    tokens_spun: int = 0
    substituted_tokens: int = 0

    def add(self, original: str, spun: str) -> None:
        """Align one pair and keep what it teaches."""
        o_tok = [t.text for t in tokenize(original)]
        s_tok = [t.text for t in tokenize(spun)]
        if not o_tok or not s_tok:
            self.skipped += 1
            return
        self.pairs += 1
        self.tokens_original += len(o_tok)
        self.tokens_spun += len(s_tok)
        o_low = [w.lower() for w in o_tok]
        s_low = [w.lower() for w in s_tok]
        ops = SequenceMatcher(None, o_low, s_low, autojunk=False).get_opcodes()
        for tag, i1, i2, j1, j2 in ops:
            if tag == "equal":
                self.kept_words.update(s_low[j1:j2])
                if j2 - j1 > 1:
                    self.runs.append(" ".join(s_low[j1:j2]))
                for k in range(i2 - i1):
                    o, s = o_tok[i1 + k], s_tok[j1 + k]
                    if o != s:
                        # Same word, capitals changed: spinners lower-case names.
                        self.case_forms[s_low[j1 + k]][o] += 1
                        self.substituted_tokens += 1
                    elif _is_cap(o) is False:
                        self.case_same[s_low[j1 + k]] += 1
                continue
            self.substituted_tokens += j2 - j1
            if tag != "replace":
                continue  # pure insertions/deletions carry no substitution to learn
            left = s_low[j1 - 1] if j1 > 0 else None
            right = s_low[j2] if j2 < len(s_low) else None
            self.blocks.append(_Block(o_tok[i1:i2], s_tok[j1:j2], left, right))

    def profile(self) -> Profile:
        """The profile learned so far."""
        units, dropped = self._units()
        entries: dict[str, dict[str, Original]] = {}
        casing: Counter[str] = Counter()
        for orig, spun, left, right in units:
            key = " ".join(w.lower() for w in spun)
            val = " ".join(w.lower() for w in orig)
            o = entries.setdefault(key, {}).setdefault(val, Original(val, 0))
            o.count += 1
            oc, sc = _is_cap(orig[0]), _is_cap(spun[0])
            if oc and not sc:
                o.capitalised += 1
                casing["capital_lowered"] += 1
            elif oc and sc:
                casing["capital_kept"] += 1
            elif sc and not oc:
                casing["capital_added"] += 1
            else:
                casing["lower"] += 1
            if left:
                o.left[left] = o.left.get(left, 0) + 1
            if right:
                o.right[right] = o.right.get(right, 0) + 1
        substituted_by_units = sum(len(s) for _, s, _, _ in units)
        # --min-count: rare (spun, original) pairs are often alignment noise.
        covered = 0
        for key in list(entries):
            origs = {t: o for t, o in entries[key].items() if o.count >= self.min_count}
            if origs:
                entries[key] = origs
                covered += sum(o.count for o in origs.values()) * len(key.split())
            else:
                del entries[key]
        kept = self._kept_counts(entries)
        recase = {w: dict(c) for w, c in self.case_forms.items() if sum(c.values()) >= self.min_count}
        p = Profile(
            name=self.name,
            max_ngram=max([1] + [len(k.split()) for k in entries]),
            entries=entries,
            kept=kept,
            casing=dict(casing),
            recase=recase,
            recase_kept={w: self.case_same.get(w, 0) for w in recase},
        )
        p.summary = {
            "pairs": self.pairs,
            "skipped_pairs": self.skipped,
            "tokens_original": self.tokens_original,
            "tokens_spun": self.tokens_spun,
            "substituted_tokens": self.substituted_tokens,
            "substituted_share": round(self.substituted_tokens / self.tokens_spun, 6) if self.tokens_spun else 0.0,
            "covered_tokens": covered,
            "coverage": round(covered / self.substituted_tokens, 6) if self.substituted_tokens else 0.0,
            "aligned_tokens": substituted_by_units,
            "dropped_blocks": dropped,
            "min_count": self.min_count,
        }
        p.summary = p.recompute_summary()
        return p

    # ------------------------------------------------------------------ internals
    def _units(self) -> tuple[list[tuple[list[str], list[str], str | None, str | None]], int]:
        """Split replace blocks into substitution units (orig tokens, spun tokens, left, right)."""
        one_to_one: Counter[tuple[str, str]] = Counter()
        for b in self.blocks:
            if len(b.orig) == len(b.spun):
                for o, s in zip(b.orig, b.spun):
                    one_to_one[(s.lower(), o.lower())] += 1
        units: list[tuple[list[str], list[str], str | None, str | None]] = []
        dropped = 0
        for b in self.blocks:
            spun_ctx = [b.left] + [w.lower() for w in b.spun] + [b.right]
            if len(b.orig) == len(b.spun):
                for k, (o, s) in enumerate(zip(b.orig, b.spun)):
                    units.append(([o], [s], spun_ctx[k], spun_ctx[k + 2]))
                continue
            # Unequal block: peel known one-word substitutions off both ends, keep the core.
            oi, oj, si, sj = 0, len(b.orig), 0, len(b.spun)
            while oj - oi > 1 and sj - si > 1 and one_to_one[(b.spun[si].lower(), b.orig[oi].lower())] >= 2:
                units.append(([b.orig[oi]], [b.spun[si]], spun_ctx[si], spun_ctx[si + 2]))
                oi, si = oi + 1, si + 1
            while oj - oi > 1 and sj - si > 1 and one_to_one[(b.spun[sj - 1].lower(), b.orig[oj - 1].lower())] >= 2:
                units.append(([b.orig[oj - 1]], [b.spun[sj - 1]], spun_ctx[sj - 1], spun_ctx[sj + 1]))
                oj, sj = oj - 1, sj - 1
            if oj - oi <= self.max_ngram and sj - si <= self.max_ngram:
                units.append((b.orig[oi:oj], b.spun[si:sj], spun_ctx[si], spun_ctx[sj + 1]))
            else:
                dropped += 1  # too long to be one phrase substitution: ambiguous, skip
        return units, dropped

    def _kept_counts(self, entries: dict[str, dict[str, Original]]) -> dict[str, int]:
        wanted = set(entries)
        for origs in entries.values():
            wanted.update(origs)
        by_len: dict[int, set[str]] = defaultdict(set)
        for w in wanted:
            by_len[len(w.split())].add(w)
        kept: Counter[str] = Counter(self.kept_words)
        multi = {n: phrases for n, phrases in by_len.items() if n > 1}
        if multi:
            for joined in self.runs:
                run = joined.split(" ")
                for n, phrases in multi.items():
                    for i in range(len(run) - n + 1):
                        g = " ".join(run[i:i + n])
                        if g in phrases:
                            kept[g] += 1
        out = {w: kept.get(w, 0) for w in wanted}
        out.update(kept)
        return dict(sorted(out.items()))


def learn_pairs(
    pairs: Iterable[tuple[str, str]],
    *,
    name: str = "profile",
    max_ngram: int = DEFAULT_MAX_NGRAM,
    min_count: int = 1,
) -> Profile:
    """Learn a profile from ``(original, spun)`` text pairs (see module docstring)."""
    lr = Learner(name=name, max_ngram=max_ngram, min_count=min_count)
    for original, spun in pairs:
        lr.add(original, spun)
    return lr.profile()


# ------------------------------------------------------------------------ unpaired
@dataclass
class BigramLM:
    """Add-k smoothed bigram model over lower-cased tokens, with unigram back-off weights.

    >>> lm = BigramLM.from_texts(["the big dog", "the big cat"])
    >>> lm.logp("the", "big") > lm.logp("the", "cat")
    True
    """

    unigrams: Counter[str]
    bigrams: Counter[tuple[str, str]]
    total: int
    k: float = 0.1

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> "BigramLM":
        uni: Counter[str] = Counter()
        bi: Counter[tuple[str, str]] = Counter()
        for text in texts:
            words = ["<s>"] + [t.text.lower() for t in tokenize(text)] + ["</s>"]
            uni.update(words)
            bi.update(zip(words, words[1:]))
        return cls(uni, bi, sum(uni.values()))

    def unigram(self, w: str) -> float:
        return (self.unigrams.get(w, 0) + self.k) / (self.total + self.k * (len(self.unigrams) + 1))

    def logp(self, prev: str, w: str) -> float:
        """log P(w | prev): interpolated bigram/unigram (Jelinek-Mercer, lambda 0.7)."""
        c_prev = self.unigrams.get(prev, 0)
        p_bi = self.bigrams.get((prev, w), 0) / c_prev if c_prev else 0.0
        return math.log(0.7 * p_bi + 0.3 * self.unigram(w))


# Candidate originals of a spun word: plain words, or (word, P(spun | word)) pairs.
CandidateFn = Callable[[str], Sequence["str | tuple[str, float]"]]


def lexicon_candidates(sources: Sequence[str]) -> CandidateFn:
    """Inverse synonyms from `despin.lexicon`, each with P(spun | original) = 1 / its synonyms.

    >>> dict(lexicon_candidates(["wordnet"])("hebdomadary"))["weekly"] > 0
    True
    """
    from . import lexicon

    for s in sources:
        lexicon._check_source(s)

    def candidates(word: str) -> list[tuple[str, float]]:
        best: dict[str, float] = {}
        for src in sources:
            for o, n in lexicon.inverse_entries(word, src):
                best[o] = max(best.get(o, 0.0), 1.0 / max(n, 1))
        return list(best.items())

    return candidates


def learn_unpaired(
    spun_texts: Iterable[str],
    clean_texts: Iterable[str],
    candidates: CandidateFn,
    *,
    name: str = "unpaired",
    min_occurrences: int = 2,
    min_gain: float = 1.0,
    rate: float = 0.3,
) -> Profile:
    """Type-level decipherment: estimate a substitution table without pairs.

    For each spun word type ``w`` seen at least ``min_occurrences`` times, every
    candidate original ``o`` from ``candidates(w)`` (inverse synonyms) is scored by
    the clean-text bigram model over *all* of w's contexts together:
    ``Σ_contexts log P(o|left) + log P(right|o)``, and w itself is a candidate too
    (the spinner left it alone). Because a table spinner replaces a type the same way
    everywhere, pooling the contexts makes the choice far surer than one context alone.
    An entry is kept when the best original beats leaving ``w`` alone by ``min_gain``
    nats per occurrence; its count is the number of occurrences. ``candidates`` may
    give ``(original, P(spun | original))`` pairs (e.g. 1 / number of synonyms of the
    original); ``rate`` is the spinner's assumed share of replaced words.

    >>> clean = ["the big dog barked", "a big house stood", "the big car"] * 5
    >>> spun = ["the sizable dog barked", "a sizable house"]
    >>> p = learn_unpaired(spun, clean, lambda w: ["big", "large"] if w == "sizable" else [])
    >>> p.originals("sizable")[0][0]
    'big'
    """
    lm = BigramLM.from_texts(clean_texts)
    contexts: dict[str, list[tuple[str, str]]] = defaultdict(list)
    n_tokens = 0
    for text in spun_texts:
        words = ["<s>"] + [t.text.lower() for t in tokenize(text)] + ["</s>"]
        n_tokens += len(words) - 2
        for i in range(1, len(words) - 1):
            contexts[words[i]].append((words[i - 1], words[i + 1]))
    entries: dict[str, dict[str, Original]] = {}
    kept: dict[str, int] = {}
    decided = 0
    for w, ctxs in contexts.items():
        if len(ctxs) < min_occurrences or not w.isalpha():
            continue
        channel: dict[str, float] = {}
        for c in candidates(w):
            cand, prob = (c, 1.0) if isinstance(c, str) else (c[0], float(c[1]))
            cand = cand.lower()
            # An original the clean text never uses cannot be supported by its contexts.
            if cand and cand != w and " " not in cand and lm.unigrams.get(cand, 0) > 0:
                channel[cand] = max(channel.get(cand, 0.0), prob)
        if not channel:
            continue
        decided += 1

        def score(o: str) -> float:
            return sum(lm.logp(left, o) + lm.logp(o, right) for left, right in ctxs)

        # The table is chosen once per type, so the channel term counts once, not per
        # occurrence: P(w | o) for a substitution, P(w | w) = 1 - rate for none.
        own = score(w) + math.log(1.0 - rate)
        best_o, best_s = max(((o, score(o) + math.log(rate * p)) for o, p in channel.items()), key=lambda x: x[1])
        if (best_s - own) / len(ctxs) >= min_gain:
            found = Original(best_o, len(ctxs))
            for left, right in ctxs:
                if left != "<s>":
                    found.left[left] = found.left.get(left, 0) + 1
                if right != "</s>":
                    found.right[right] = found.right.get(right, 0) + 1
            entries[w] = {best_o: found}
            kept[w] = 0
            # How often the chosen original still shows in the spun corpus says how
            # often the spinner leaves it alone.
            kept[best_o] = len(contexts.get(best_o, ()))
    p = Profile(name=name, max_ngram=1, entries=entries, kept=kept)
    subs = sum(o.count for e in entries.values() for o in e.values())
    p.summary = {
        "method": "unpaired",
        "tokens_spun": n_tokens,
        "types_considered": decided,
        "substituted_tokens": subs,
        "covered_tokens": subs,
        "coverage": 1.0 if subs else 0.0,
        "clean_tokens": lm.total,
    }
    p.summary = p.recompute_summary()
    return p


# ------------------------------------------------------------- corpus self-learning
def learn_from_spans(
    spans: Iterable[tuple[str, str | None, float]],
    *,
    name: str = "corpus",
    min_score: float = 0.8,
    min_count: int = 2,
) -> Profile:
    """A corpus-level profile from a first pass's confident spans: ``(text, suggestion, score)``.

    A spinner replaces a word the same way across a whole corpus, so a substitution the
    detector is sure of in several documents is evidence for it everywhere: the profile
    learned here, passed back to a second pass (`despin scan --profile`), turns it into a
    table look-up for the documents where the detector alone was unsure.

    >>> p = learn_from_spans([("hebdomadary", "weekly", 0.95)] * 3 + [("novel", "new", 0.5)])
    >>> p.originals("hebdomadary")
    [('weekly', 1.0)]
    >>> p.originals("novel")
    []
    """
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for text, suggestion, score in spans:
        if suggestion and score >= min_score and suggestion.lower() != text.lower():
            counts[" ".join(text.lower().split())][" ".join(suggestion.lower().split())] += 1
    kept = {k: v for k, v in counts.items() if sum(v.values()) >= min_count}
    return Profile.from_counts(name, {k: dict(v) for k, v in kept.items()})


def spans_from_scan(output: str) -> Iterable[tuple[str, str | None, float]]:
    """Read the spans of a `despin scan` output folder (JSONL or Parquet parts)."""
    import glob
    import os

    from .errors import InputError
    from .io.text import iter_jsonl

    parts = sorted(glob.glob(os.path.join(output, "part-*")))
    if not parts:
        raise InputError(f"{output}: no scan output (part-* files) found")
    for part in parts:
        if part.endswith(".jsonl"):
            rows: Iterable[dict] = (r.value for r in iter_jsonl(part) if r.value is not None)
        elif part.endswith(".parquet"):
            import pyarrow.parquet as pq

            rows = pq.read_table(part, columns=["spans"]).to_pylist()
        else:
            continue
        for row in rows:
            for s in row.get("spans") or ():
                yield str(s.get("text", "")), s.get("suggestion"), float(s.get("score", 0.0))
