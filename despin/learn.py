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

Unpaired (`learn_unpaired`): from many documents of one spinner and clean text of the
same kind, the spun words the spinner over-uses, mapped to the lexicon candidates it made
disappear that fit their pooled contexts best (trigram model, and the clean text's word pairs).

Pure: callers do the reading (`despin.io.text.iter_jsonl`) and writing (`despin.profile.save`).
"""
from __future__ import annotations

import itertools
import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Callable, Container, Iterable, Iterator, Sequence

from .profile import (CAPITALS_KEPT, CAPITALS_SUBSTITUTE, HYPHENED_KEPT, HYPHENED_SUBSTITUTE, Anchor, Original, Profile,
                      is_capitals)
from .tokenize import hyphen_compounds, tokenize

if TYPE_CHECKING:
    import numpy as np

    from .report import Report

DEFAULT_MAX_NGRAM = 4
# `corpus_anchors`: a spun word is restored the corpus's way where `check` anchored it as one
# word in at least ANCHOR_DOCS copies, and in at least ANCHOR_AGREE of the copies that anchor
# it at all. Measured on the no-pairs sets (docs/learn.md, thirty-sixth session): 2 / 0.5
# against 3 / 0.5 and 2 / 0.7, within 0.4 points of WER cut of each other, 2 / 0.5 the best
# on three of the four spinners.
ANCHOR_DOCS = 2
ANCHOR_AGREE = 0.5


def _is_cap(word: str) -> bool:
    return word[:1].isupper()


def _add_surface_counts(casing: Counter[str], kept_key: str, kept: int, prefix: str, written: Counter[str]) -> None:
    """Write a position's counts into a profile's ``casing`` (`Profile.capitals_counts`,
    `Profile.hyphened_counts` read them back): the words left, and per surface those
    written as substitutes; nothing where training saw no such word."""
    if kept or written:
        casing[kept_key] = kept
        for surface, n in written.items():
            casing[prefix + surface] = n


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
    # Spun words written in capitals: left as the original wrote them, and those the
    # spinner wrote as substitutes, by surface ("OK" for "approval").
    capitals_kept: int = 0
    capitals_substituted: Counter[str] = field(default_factory=Counter)
    # Spun words joined to a neighbour by a hyphen: left as written, and the compounds the
    # spinner wrote as substitutes, per compound ("ready-made" for "prepared").
    hyphened_kept: int = 0
    hyphened_substituted: Counter[str] = field(default_factory=Counter)
    pairs: int = 0
    skipped: int = 0
    tokens_original: int = 0
    tokens_spun: int = 0
    substituted_tokens: int = 0

    def add(self, original: str, spun: str) -> None:
        """Align one pair and keep what it teaches."""
        o_tok = [t.text for t in tokenize(original)]
        s_tokens = tokenize(spun)
        s_tok = [t.text for t in s_tokens]
        compounds = hyphen_compounds(spun, s_tokens)
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
                    if o == s and is_capitals(s):
                        self.capitals_kept += 1
                self.hyphened_kept += sum(1 for c in compounds[j1:j2] if c)
                continue
            self.capitals_substituted.update(w for w in s_tok[j1:j2] if is_capitals(w))
            self.hyphened_substituted.update({c for c in compounds[j1:j2] if c})
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
        _add_surface_counts(casing, CAPITALS_KEPT, self.capitals_kept, CAPITALS_SUBSTITUTE, self.capitals_substituted)
        _add_surface_counts(casing, HYPHENED_KEPT, self.hyphened_kept, HYPHENED_SUBSTITUTE, self.hyphened_substituted)
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
# Candidate originals of a spun word: plain words, or (word, P(spun | word)) pairs.
CandidateFn = Callable[[str], Sequence["str | tuple[str, float]"]]
# Scores one candidate original against the spun word over its contexts: the mean over
# (two words left, two words right) contexts of log P(original here) - log P(spun word here).
ContextGainFn = Callable[[str, str, Sequence[tuple[Sequence[str], Sequence[str]]]], float]


def lexicon_candidates(sources: Sequence[str]) -> CandidateFn:
    """Candidate originals of a spun word from ``sources``: the detector's candidates
    (`despin.detector.candidates.candidates`: inverse synonyms, inflections re-applied),
    single words only, with their prior q.

    >>> "weekly" in dict(lexicon_candidates(["wordnet"])("hebdomadary"))
    True
    """
    from . import lexicon
    from .detector.candidates import candidates as detector_candidates

    for s in sources:
        lexicon._check_source(s)
    srcs = tuple(sources)

    def candidates(word: str) -> list[tuple[str, float]]:
        return [(c.text, c.q) for c in detector_candidates(word, srcs) if " " not in c.text]

    return candidates


def trigram_gain(original: str, spun: str, contexts: Sequence[tuple[Sequence[str], Sequence[str]]]) -> float:
    """Mean log-probability gain of ``original`` over ``spun`` in the spun word's contexts,
    by despin's trigram model (`despin.lm.context_logprob`, the two following words included),
    every word read as the model reads it (`despin.lm.read_for_model`: "mln" as "million",
    "5" as "five"), as the detector's windows are.

    >>> trigram_gain("said", "aforesaid", [(["the", "company"], ["it", "would"])]) > 3
    True
    >>> trigram_gain("mln", "million", [(["five"], ["dlrs"])])
    0.0
    """
    from . import lm

    if not contexts:
        return 0.0
    total = 0.0
    # A spun phrase ("get over") is read word by word, as the text has it.
    o = [lm.read_for_model(w) for w in original.split(" ")]
    s = [lm.read_for_model(w) for w in spun.split(" ")]
    for left, right in contexts:
        lr, rr = lm.words_read_for_model(left), lm.words_read_for_model(right)
        total += lm.context_logprob(lr, o, rr) - lm.context_logprob(lr, s, rr)
    return total / len(contexts)


@dataclass(frozen=True)
class UnpairedSettings:
    """Thresholds of `learn_unpaired`, set on the `dictionary` spinner preset (leave-one-
    resource-out, ``benchmarks/learn.py --no-pairs``; the real engines are measured only);
    precision first, since a wrong entry is applied at every occurrence of its word."""

    # A spun word needs this many occurrences and this share of them unexplained by its
    # clean-text frequency (the share it was written by the spinner).
    min_occurrences: int = 2
    min_share: float = 0.3
    # ... and it must be spread over documents: seen in at least ``doc_factor`` times as
    # many documents as clean text predicts, plus ``doc_slack``. A topic word repeated in
    # one or two copies is over-represented by its tokens, not by its documents; a table
    # spinner's substitute shows up wherever its head would.
    doc_factor: float = 1.0
    doc_slack: float = 2.0
    # A candidate original must be expected this many times in the spun corpus, yet seen
    # at most this share of that: a "replace every hit" engine leaves none of its heads,
    # one that picks uniformly from a line holding the head itself keeps 1/k of a k-word
    # line's hits, and a head that is also another head's substitute comes back that way.
    min_expected: float = 1.0
    max_kept_ratio: float = 0.8
    # The spun word's excess over its clean frequency, against its original's missing
    # occurrences: a head's hits are split among its substitutes, so more than this is
    # more than the original can explain.
    max_mass: float = 2.0
    # Context fit of the chosen original: its mean trigram gain over the spun word (nats
    # per occurrence), and its lead over the runner-up candidate. Waived where the model
    # reads both words alike ("mln" / "million", "5" / "five"): the frequencies decide.
    # 2.5 since the thirty-second session (1.5 before): with spun phrases learned, the tuning
    # rows gained 0.0 / +0.3 points (300 copies; docs/learn.md).
    min_gain: float = 2.5
    min_margin: float = 0.5
    # Contexts scored per spun word (the first ones in corpus order).
    max_contexts: int = 40
    # Share of general-English frequency (wordfreq) mixed into the clean-text frequency,
    # so a word the clean sample happens to lack is not "expected never".
    background: float = 0.1
    # A word is stored as left alone (its kept count) only when seen at least this share of
    # its expected count, less Poisson noise (two standard deviations): a word seen less
    # often than clean text has it is one the spinner replaces in part (an engine that may
    # pick the head itself), and a kept count would tell `check --profile` it never does
    # (the habits prior then damps every detector candidate that restores it: on ProThemes
    # copies a profile of right entries only still cut 1.2 points less than `check` alone).
    min_natural_ratio: float = 1.0
    # The table is estimated by EM over every occurrence (`_decipher`): rounds, the weight of
    # one context's trigram log-ratio (its windows overlap its neighbours' and the model is
    # over-sure: 0.5 measured better than 1.0 on the tuning spins), and the weight, in
    # contexts, of the frequency prior (the excess share says how often the word is a
    # substitute at all).
    em_rounds: int = 15
    context_weight: float = 0.5
    prior_contexts: float = 2.0
    # An entry is kept when its original has at least this share of the word's occurrences
    # and stands for at least this many of them.
    min_prob: float = 0.4
    min_tokens: float = 1.5
    # Rounds of deciphering again with the learned entries restored in every context (a
    # spinner that changes a third of the words leaves few contexts clean): one round lifted
    # the tuning rows 0.1-0.3 points and the real engines 0.7 / 1.1 (300 copies each); a
    # second added nothing on the tuning rows.
    repair_rounds: int = 1
    # A candidate from the corpora themselves, beyond the lexicons: the missing content
    # word whose contexts in the clean text (the words around it) are most like the spun
    # word's in the spun text, at cosine ``min_similarity`` or more (`_ContextFeatures`).
    # A spinner's dictionary relates words no shipped lexicon relates, yet its substitute
    # still stands where its head stood. Measured on the tuning spins (100 copies, learned
    # from 300): one such candidate a word lifted check --profile by 13 points (Moby left
    # out) and 4 (WordNet left out); two or three, fewer (their rivalry costs right entries
    # more than they add); function words as candidates cost more than they gave (the
    # model prefers "in" or "but" to almost any word).
    corpus_candidates: int = 1
    min_similarity: float = 0.3
    # Context features: the most frequent English words (wordfreq); contexts are counted in
    # the first ``context_tokens`` words of each corpus (memory: ~100 bytes a word).
    context_vocabulary: int = 10000
    context_tokens: int = 2_000_000
    # The clean text's own phrasing, added to every context's trigram gain: this weight times
    # log P(candidate | word before) + log P(word after | candidate) from the clean text's
    # word pairs (`_CleanBigrams`, add-``bigram_smoothing`` towards its unigram), less the same
    # for the spun word. The general trigram model knows news phrasing only in part ("prime
    # minister", "the company said"); the clean text is of the kind the spinner copied.
    # Measured on the tuning spins (100 copies, learned from 300): +1.1 (Moby left out) and
    # +0.8 points (WordNet left out) at weight 1; 0.25 and 0.5 less, 2 no more; the pairs two
    # words away as well, no better (docs/learn.md).
    clean_bigram_weight: float = 1.0
    bigram_smoothing: float = 10.0
    # Spun phrases of up to this many words are learned as one type ("get over" for
    # "share"): a run of letters-only words that some lexicon lists as a synonym, seen at
    # least ``phrase_min_occurrences`` times and over-represented against the clean text
    # by the tests a word passes (``min_share``, the document test). Such phrases are joined
    # into one token in both corpora before anything is counted (`_join_phrases`), so they
    # compete with the words for their originals in `_decipher`. Phrases are found in the spun
    # corpus's first ``context_tokens`` words (counted in the whole clean text). 1 learns words
    # only. Measured (300 copies, `check --profile` on them): +3.1 points on both tuning rows;
    # 2 or 4 words, 2 or 5 occurrences within 0.3 of that (docs/learn.md).
    phrase_words: int = 3
    phrase_min_occurrences: int = 3


@dataclass(frozen=True)
class _SpunType:
    """A spun word type under `_decipher`: its count, expected natural count, candidate
    originals, and per context the trigram gain of each candidate over the word."""

    count: int
    expected: float
    originals: list[str]
    gains: list[list[float]]
    # Candidates the model reads as the word itself ("mln" for "million").
    same: set[str]
    # Candidates no lexicon proposed, only the corpora's contexts.
    from_corpus: frozenset[str] = frozenset()


def learn_unpaired(
    spun_texts: Iterable[str],
    clean_texts: Iterable[str],
    candidates: CandidateFn,
    *,
    name: str = "unpaired",
    settings: UnpairedSettings = UnpairedSettings(),
    gain: ContextGainFn | None = None,
) -> Profile:
    """Learn a spinner's table from its output alone, with clean text of the same kind.

    A fixed-table spinner replaces a word the same way everywhere, and a "replace every
    hit" engine leaves none of its head words behind. So, against the clean text's
    frequencies scaled to the spun corpus:

    - a spun word type ``s`` written by the spinner is **over-represented**: its excess
      over the expected count is the share of its occurrences that are substitutes; and
      it is so across documents, not in a few copies about one topic (its document count
      against the clean text's document frequency);
    - its original ``o`` (a candidate from ``candidates(s)``: inverse synonyms; or, for a
      word those know, the missing content word whose clean-text contexts are nearest
      ``s``'s in the spun text, `_ContextFeatures`) is **under-represented**: expected
      often, seen (almost) never;
    - every occurrence of ``s`` is the original or one of those candidates, and which one
      is estimated for the whole corpus at once (`_decipher`, a decipherment by EM): each
      occurrence weighs the candidates by how much better the trigram model finds them in
      its context (``gain``, `trigram_gain` by default, plus the clean text's own word
      pairs around it, `_CleanBigrams`), the type's table pools them, and
      the originals share out what they lost: a head claimed by more substitutes than it
      is missing is scaled down for all of them, one missing more than is claimed is
      scaled up (so "new" does not absorb every word the model would rather read as "new");
    - the chosen ``o`` holds at least ``min_prob`` of ``s``'s occurrences, the excess of
      ``s`` is at most ``max_mass`` × ``o``'s missing occurrences, and ``o`` fits the
      contexts of ``s`` clearly (mean gain and lead over the runner-up), unless the model
      reads both alike.

    Its count is the occurrences the table gives ``o``, its ``kept`` count those it leaves
    ``s`` (so P(substituted | s) is the table's), and the kept counts of the originals and
    of every word seen at its natural rate (not less: a word seen less often than expected
    is one the spinner replaces in part) tell `despin.profile.match_score` (the gate of
    `check --profile`) and the habits prior what the spinner leaves alone.

    >>> clean = ["the big dog barked at the big house"] * 20 + ["a dog ran"] * 10
    >>> spun = ["the sizable dog barked at the sizable house"] * 8 + ["a dog ran"] * 4
    >>> toy_gain = lambda o, s, ctx: 6.0 if o == "big" else 0.0
    >>> p = learn_unpaired(spun, clean, lambda w: ["big", "dog"] if w == "sizable" else [], gain=toy_gain)
    >>> p.originals("sizable")
    [('big', 1.0)]
    """
    from . import lm
    from .detector.units import is_function_word
    from .profile import background_prob

    st = settings
    gain_fn = gain or trigram_gain
    features = _ContextFeatures(st.context_vocabulary) if st.corpus_candidates > 0 else None
    # Both corpora are read once, as streams (they may be large). The spun corpus's first
    # ``context_tokens`` words are held to find its phrases; the clean text gives its counts,
    # its phrases' counts and its first ``context_tokens`` words, which the context features
    # and the word pairs read once the phrases are known.
    spun_iter = iter(spun_texts)
    spun_head: list[list[str]] = []
    head_tokens = 0
    spun_capitals: Counter[str] = Counter()
    clean_capitals: Counter[str] = Counter()
    if st.phrase_words > 1:
        for text in spun_iter:
            spun_head.append(_lower_words(text, spun_capitals))
            head_tokens += len(spun_head[-1])
            if head_tokens >= st.context_tokens:
                break
    spun_phrases = _phrase_counts(spun_head, st) if spun_head else _PhraseCounts()
    clean_counts: Counter[str] = Counter()
    clean_docs: Counter[str] = Counter()
    clean_phrases = _PhraseCounts()
    clean_head: list[list[str]] = []
    n_clean_docs = clean_tokens = 0
    for text in clean_texts:
        words = _lower_words(text, clean_capitals)
        clean_counts.update(words)
        clean_docs.update(set(words))
        n_clean_docs += 1
        if spun_phrases.counts:
            clean_phrases.add(words, st.phrase_words, spun_phrases.counts)
        if clean_tokens < st.context_tokens:
            clean_head.append(words)
            clean_tokens += len(words)
    phrases = _select_phrases(spun_phrases, clean_phrases, len(spun_head), n_clean_docs, head_tokens,
                              sum(clean_counts.values()), candidates, st)
    if phrases:
        clean_head = [_join_phrases(ws, phrases, st.phrase_words) for ws in clean_head]
        for g in phrases:  # a joined phrase's words are no longer counted as words
            clean_counts[g], clean_docs[g] = clean_phrases.counts[g], clean_phrases.docs[g]
            for w in g.split(" "):
                clean_counts[w] = max(0, clean_counts[w] - clean_phrases.counts[g])

    def spun_documents() -> Iterator[list[str]]:
        for words in itertools.chain(spun_head, (_lower_words(text, spun_capitals) for text in spun_iter)):
            yield _join_phrases(words, phrases, st.phrase_words) if phrases else words

    spun_counts: Counter[str] = Counter()
    spun_docs: Counter[str] = Counter()
    contexts: dict[str, list[tuple[list[str], list[str]]]] = defaultdict(list)
    n_spun_docs = spun_tokens = 0
    for doc in spun_documents():
        words = ["<s>", "<s>"] + doc + ["</s>", "</s>"]
        n_spun_docs += 1
        spun_docs.update(set(words[2:-2]))
        for i in range(2, len(words) - 2):
            w = words[i]
            spun_counts[w] += 1
            ctx = contexts[w]
            if len(ctx) < st.max_contexts:
                if phrases:  # the two words each side, a joined phrase read as its words
                    ctx.append((" ".join(words[i - 2:i]).split(" ")[-2:],
                                " ".join(words[i + 1:i + 3]).split(" ")[:2]))
                else:
                    ctx.append((words[i - 2:i], words[i + 1:i + 3]))
        if features and spun_tokens < st.context_tokens:
            features.add(words[2:-2], features.spun)
            spun_tokens += len(words) - 4
    bigrams = _CleanBigrams() if st.clean_bigram_weight > 0 else None
    for words in clean_head:
        if features:
            features.add(words, features.clean)
        if bigrams:
            bigrams.add(words)
    n_spun, n_clean = sum(spun_counts.values()), sum(clean_counts.values())
    if not n_spun or not n_clean:
        return _unpaired_profile(name, {}, {}, n_spun, n_clean, 0, 0.0)

    def expected(w: str) -> float:
        p = clean_counts.get(w, 0) / n_clean
        return n_spun * ((1 - st.background) * p + st.background * background_prob(w))

    def missing(w: str) -> float:
        return max(0.5, expected(w) - spun_counts.get(w, 0))

    def vanished(o: str) -> bool:
        """Expected in the spun corpus, yet (almost) absent: one of the spinner's heads."""
        e_o = expected(o)
        return e_o >= st.min_expected and (spun_counts.get(o, 0) + 0.5) / (e_o + 0.5) <= st.max_kept_ratio

    excess_total = 0.0
    over: list[str] = []
    for s, n_s in spun_counts.items():
        e_s = expected(s)
        if _letters(s) and n_s > e_s:
            excess_total += n_s - e_s
        if n_s < st.min_occurrences or not _word_like(s):
            continue
        if _over_represented(n_s, e_s, spun_docs[s], clean_docs.get(s, 0), n_spun_docs, n_clean_docs, st):
            over.append(s)
    alike: dict[str, list[str]] = {}
    if features:
        heads = [o for o in features.clean
                 if o.isalpha() and len(o) > 1 and not is_function_word(o) and vanished(o)]
        alike = features.nearest(over, heads, st.corpus_candidates, st.min_similarity)
    listed_originals: dict[str, tuple[list[str], list[str]]] = {}
    for s in over:
        originals: list[str] = []
        listed = candidates(s)
        for c in listed:
            o = (c if isinstance(c, str) else c[0]).lower()
            if o == s or o in originals or not _word_like(o) or (len(o) < 2 and not o.isdigit()):
                continue
            if not vanished(o):
                continue  # the spinner did not make this word disappear: not one of its heads
            originals.append(o)
        # Only for a word the lexicons know: a spinner writes its dictionary's words, and a
        # name or code over-represented in a few copies is the copies' topic.
        nearest = alike.get(s, []) if listed and _letters(s) else []
        from_corpus = [o for o in nearest if o != s and o not in originals]
        originals += from_corpus
        if originals:
            listed_originals[s] = (originals, from_corpus)
    if bigrams:
        asked = set(listed_originals)
        for originals, _ in listed_originals.values():
            asked.update(originals)
        gain_fn = bigrams.with_gain(gain_fn, asked, st.clean_bigram_weight, st.bigram_smoothing)
    types: dict[str, _SpunType] = {}
    for s, (originals, from_corpus) in listed_originals.items():
        gains = _context_gains(s, originals, contexts[s], gain_fn)
        reading = lm.read_for_model(s)
        same = {o for o in originals if lm.read_for_model(o) == reading}
        types[s] = _SpunType(spun_counts[s], expected(s), originals, gains, same, frozenset(from_corpus))

    def settle(scored: dict[str, _SpunType]) -> tuple[dict[str, dict[str, Original]], dict[str, int]]:
        return _choose(scored, _decipher(scored, expected, spun_counts, st), contexts, missing, st)

    entries, kept = settle(types)
    for _ in range(st.repair_rounds):
        # Score the contexts again with the words just learned restored in them: a spun
        # neighbour ("sizable tempest") hides how well "storm" fits.
        learned = {s: next(iter(origs)) for s, origs in entries.items()}
        entries, kept = settle({
            s: replace(t, gains=_context_gains(s, t.originals, contexts[s], gain_fn, learned, t.gains))
            for s, t in types.items()
        })
    # Words seen about as often as clean text has them: the spinner leaves them alone.
    for s, n_s in spun_counts.items():
        if s in entries or not s.isalpha():
            continue
        e_s = expected(s)
        if n_s <= 1.5 * e_s + 1 and n_s >= st.min_natural_ratio * e_s - 2 * math.sqrt(e_s):
            kept[s] = n_s
    # How often each chosen original still shows in the spun corpus: how often the
    # spinner leaves it (for the match gate: clean text is full of such heads).
    for origs in entries.values():
        for o in origs:
            kept[o] = spun_counts.get(o, 0)
    out = _unpaired_profile(name, entries, kept, n_spun, n_clean, len(types), excess_total)
    out.casing = _capitals_from_corpora(entries, spun_capitals, clean_capitals, n_spun / max(1, n_clean))
    return out


def _lower_words(text: str, capitals: Counter[str]) -> list[str]:
    """The lower-case words of ``text``; its words written in capitals counted into ``capitals``."""
    toks = [t.text for t in tokenize(text)]
    capitals.update(w for w in toks if is_capitals(w))
    return [w.lower() for w in toks]


def _capitals_from_corpora(entries: dict[str, dict[str, Original]], spun: Counter[str], clean: Counter[str],
                           scale: float) -> dict[str, int]:
    """The capitals counts of a profile (`Profile.capitals_evidence`), without pairs: an
    entry's spun word written in capitals more often than clean text has it (beyond Poisson
    noise, two standard deviations) is a surface the spinner writes as a substitute; every
    other capitals word of the spun corpus counts as left. A spinner that matches its
    dictionary case-sensitively (or writes lower case) leaves its entries' words in
    capitals at their natural rate; one that keeps capitals writes them in excess."""
    out: dict[str, int] = {}
    written = 0
    for s in entries:
        w = s.upper()
        if " " in s or w not in spun:
            continue
        expected = clean.get(w, 0) * scale
        excess = spun[w] - expected
        if excess > 2 * math.sqrt(expected + 1):
            out[CAPITALS_SUBSTITUTE + w] = round(excess)
            written += round(excess)
    total = sum(spun.values())
    if total:
        out[CAPITALS_KEPT] = max(0, total - written)
    return out


def _choose(types: dict[str, _SpunType], tables: dict[str, list[float]],
            contexts: dict[str, list[tuple[list[str], list[str]]]], missing: Callable[[str], float],
            st: UnpairedSettings) -> tuple[dict[str, dict[str, Original]], dict[str, int]]:
    """The entries `learn_unpaired` keeps from the deciphered ``tables`` (see there), with
    their context words, and the kept count of each entry's word."""
    entries: dict[str, dict[str, Original]] = {}
    kept: dict[str, int] = {}
    for s, t in types.items():
        table = tables[s]
        best = max(range(len(t.originals)), key=lambda k: table[k + 1])
        o, share = t.originals[best], table[best + 1]
        if share < st.min_prob or t.count * share < st.min_tokens:
            continue
        if (t.count - t.expected) / missing(o) > st.max_mass:
            continue  # more substitutes than this head could have produced
        if o not in t.same:
            mean = [sum(g[k] for g in t.gains) / len(t.gains) for k in range(len(t.originals))]
            # A lexicon's candidate need only lead the other lexicon candidates: the corpus's
            # are chosen for standing where it stands, so they fit its contexts by design.
            rivals = [m for k, m in enumerate(mean)
                      if k != best and (o in t.from_corpus or t.originals[k] not in t.from_corpus)]
            runner_up = max(rivals or [0.0])
            if mean[best] < st.min_gain or mean[best] - runner_up < st.min_margin:
                continue
        found = Original(o, max(1, round(t.count * share)))
        for left, right in contexts[s]:
            if left[-1] != "<s>":
                found.left[left[-1]] = found.left.get(left[-1], 0) + 1
            if right[0] != "</s>":
                found.right[right[0]] = found.right.get(right[0], 0) + 1
        entries[s] = {o: found}
        kept[s] = round(t.count * table[0])
    return entries, kept


def _context_gains(spun: str, originals: Sequence[str], contexts: Sequence[tuple[list[str], list[str]]],
                   gain: ContextGainFn, learned: dict[str, str] | None = None,
                   unchanged: list[list[float]] | None = None) -> list[list[float]]:
    """Per context of ``spun``, the gain of each original over it (``gain`` on that context
    alone). With ``learned``, the contexts read with those words restored; a context holding
    none of them keeps its row of ``unchanged`` (its gains as first scored)."""
    rows: list[list[float]] = []
    for k, (left, right) in enumerate(contexts):
        if learned and any(w in learned for w in (*left, *right)):
            ctx = ([learned.get(w, w) for w in left], [learned.get(w, w) for w in right])
        elif unchanged is not None:
            rows.append(unchanged[k])
            continue
        else:
            ctx = (left, right)
        rows.append([gain(o, spun, [ctx]) for o in originals])
    return rows


class _CleanBigrams:
    """The clean text's adjacent word pairs, as evidence of which candidate stood between two
    words: ``log P(o | left) + log P(right | o)``, each the pair's count smoothed towards the
    clean unigram (add-``alpha``). Counted only for the pairs that hold a word the learner
    asks about (`with_gain`), from the word ids of the clean text kept as one array (4 bytes
    a word); documents are bounded by ``<s>`` / ``</s>``, as the spun contexts are.

    >>> b = _CleanBigrams()
    >>> for _ in range(5):
    ...     b.add("the prime minister said".split())
    >>> g = b.with_gain(lambda o, s, ctx: 0.0, {"minister", "priest"}, 1.0, 10.0)
    >>> g("minister", "priest", [(["<s>", "prime"], ["said", "</s>"])]) > 2
    True
    """

    def __init__(self) -> None:
        from array import array

        self.ids: dict[str, int] = {"<s>": 0, "</s>": 1}
        self.stream = array("i")

    def add(self, words: list[str]) -> None:
        """Append one clean document's (lower-case) words."""
        ids = self.ids
        self.stream.append(0)
        self.stream.extend(ids.setdefault(w, len(ids)) for w in words)
        self.stream.append(1)

    def with_gain(self, gain: ContextGainFn, asked: set[str], weight: float, alpha: float) -> ContextGainFn:
        """``gain`` plus ``weight`` times the pairs' log-ratio of original over spun word, per
        context (mean over the contexts), for originals and spun words among ``asked``."""
        import numpy as np

        stream = np.frombuffer(self.stream, dtype=np.int32) if len(self.stream) else np.zeros(0, np.int32)
        n_vocab = len(self.ids)
        unigram = np.bincount(stream, minlength=n_vocab) if len(stream) else np.zeros(n_vocab, np.int64)
        wanted = np.zeros(n_vocab, dtype=bool)
        for w in asked:
            k = self.ids.get(w)
            if k is not None:
                wanted[k] = True
        a, b = stream[:-1], stream[1:]
        keep = wanted[a] | wanted[b]
        keys, counts = np.unique(a[keep].astype(np.int64) * n_vocab + b[keep], return_counts=True)
        pairs = dict(zip(keys.tolist(), counts.tolist()))
        total = float(unigram.sum())
        ids = self.ids

        def count(w: int) -> float:
            return float(unigram[w]) if w >= 0 else 0.0

        def prob(w: int) -> float:
            return (count(w) + 0.5) / (total + 0.5 * n_vocab)

        def score(word: str, left: str, right: str) -> float:
            w, l, r = ids.get(word, -1), ids.get(left, -1), ids.get(right, -1)
            before = pairs.get(l * n_vocab + w, 0) if l >= 0 and w >= 0 else 0
            after = pairs.get(w * n_vocab + r, 0) if r >= 0 and w >= 0 else 0
            return (math.log((before + alpha * prob(w)) / (count(l) + alpha))
                    + math.log((after + alpha * prob(r)) / (count(w) + alpha)))

        def combined(original: str, spun: str, contexts: Sequence[tuple[Sequence[str], Sequence[str]]]) -> float:
            g = gain(original, spun, contexts)
            if not contexts:
                return g
            extra = 0.0
            for left, right in contexts:
                l, r = (left[-1] if left else "<s>"), (right[0] if right else "</s>")
                extra += score(original, l, r) - score(spun, l, r)
            return g + weight * extra / len(contexts)

        return combined


class _ContextFeatures:
    """Bags of the words around each word type, one bag for the spun corpus and one for the
    clean text, and the nearest clean words of a spun word by the cosine of those bags:
    where a substitute stands, its head stood.

    The features of an occurrence are the words at each of the positions two to the left
    and right, and the words three to five away on either side as one more bag; only the
    ``vocabulary`` most frequent English words (wordfreq) count, each feature weighed by the
    square root of its count. On the Moby-out tuning spin the original of a substitution is
    the nearest missing word for 73 % of its tokens; with log counts and 1,000 words 48 %;
    with one more feature for every other word 6 % (it drowns the rest; docs/learn.md).
    """

    _SLOTS = {-2: 0, -1: 1, 1: 2, 2: 3, -5: 4, -4: 4, -3: 4, 3: 4, 4: 4, 5: 4}
    _PAD = 5

    def __init__(self, vocabulary: int) -> None:
        from wordfreq import top_n_list

        self.index = {w: k for k, w in enumerate(top_n_list("en", vocabulary))}
        self.width = len(self.index)
        self.spun: dict[str, Counter[int]] = defaultdict(Counter)
        self.clean: dict[str, Counter[int]] = defaultdict(Counter)

    def add(self, words: list[str], into: dict[str, Counter[int]]) -> None:
        """Count the contexts of the words of one document into ``into``."""
        pad = self._PAD
        ids = [-1] * pad + [self.index.get(w, -1) for w in words] + [-1] * pad
        width, slots = self.width, tuple(self._SLOTS.items())
        for i, w in enumerate(words):
            bag = into[w]
            for off, slot in slots:
                f = ids[i + pad + off]
                if f >= 0:
                    bag[slot * width + f] += 1

    @staticmethod
    def _unit(bag: Counter[int]) -> tuple["np.ndarray", "np.ndarray"]:
        import numpy as np

        cols = np.fromiter(bag.keys(), dtype=np.int64, count=len(bag))
        vals = np.sqrt(np.fromiter(bag.values(), dtype=np.float64, count=len(bag)))
        return cols, vals / max(float(np.linalg.norm(vals)), 1e-12)

    def nearest(self, spun: Sequence[str], clean: Sequence[str], k: int, floor: float) -> dict[str, list[str]]:
        """Per spun word, up to ``k`` clean words by cosine, best first, each ≥ ``floor``."""
        import numpy as np

        heads = [w for w in clean if self.clean.get(w)]
        if not spun or not heads:
            return {}
        # The clean words' bags as postings: feature -> (word, weight), sorted by feature.
        parts = [self._unit(self.clean[w]) for w in heads]
        feats = np.concatenate([c for c, _ in parts])
        owner = np.repeat(np.arange(len(heads)), [len(c) for c, _ in parts])
        weight = np.concatenate([v for _, v in parts])
        order = np.argsort(feats, kind="stable")
        feats, owner, weight = feats[order], owner[order], weight[order]
        out: dict[str, list[str]] = {}
        for s in spun:
            bag = self.spun.get(s)
            if not bag:
                continue
            cols, vals = self._unit(bag)
            lo, hi = np.searchsorted(feats, cols, "left"), np.searchsorted(feats, cols, "right")
            hit = hi > lo
            if not hit.any():
                continue
            lo, hi, vals = lo[hit], hi[hit], vals[hit]
            idx = np.concatenate([np.arange(a, b) for a, b in zip(lo.tolist(), hi.tolist())])
            sims = np.bincount(owner[idx], weights=weight[idx] * np.repeat(vals, hi - lo), minlength=len(heads))
            top = np.argsort(-sims, kind="stable")[:k]
            out[s] = [heads[c] for c in top.tolist() if sims[c] >= floor]
        return out


def _word_like(w: str) -> bool:
    """A word (letters), a phrase of such words, or a number written in digits ("5" for "five")."""
    return _letters(w) or w.isdigit()


def _letters(w: str) -> bool:
    """Letters only: a word, or a phrase of such words joined by single spaces."""
    return all(part.isalpha() for part in w.split(" "))


class _PhraseCounts:
    """Occurrences and documents of runs of 2 to ``phrase_words`` words (letters only)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.docs: Counter[str] = Counter()

    def add(self, words: Sequence[str], longest: int, only: Container[str] | None = None) -> None:
        """Count one document's phrases (only those in ``only``, when given)."""
        seen: set[str] = set()
        for i in range(len(words) - 1):
            if not words[i].isalpha():
                continue
            for k in range(2, min(longest, len(words) - i) + 1):
                if not words[i + k - 1].isalpha():
                    break
                g = " ".join(words[i:i + k])
                if only is None or g in only:
                    self.counts[g] += 1
                    seen.add(g)
        self.docs.update(seen)


def _phrase_counts(spun: Sequence[Sequence[str]], st: UnpairedSettings) -> _PhraseCounts:
    """The spun corpus's phrases seen at least ``st.phrase_min_occurrences`` times."""
    found = _PhraseCounts()
    for words in spun:
        found.add(words, st.phrase_words)
    for g in [g for g, n in found.counts.items() if n < st.phrase_min_occurrences]:
        del found.counts[g], found.docs[g]
    return found


def _select_phrases(spun: _PhraseCounts, clean: _PhraseCounts, n_spun_docs: int, n_clean_docs: int,
                    n_spun: int, n_clean: int, candidates: CandidateFn, st: UnpairedSettings) -> set[str]:
    """The phrases of 2 to ``st.phrase_words`` words that `learn_unpaired` reads as one spun
    type: letters only, seen ``st.phrase_min_occurrences`` times or more, over-represented
    against the clean text as a substitute word is (``min_share`` of the occurrences
    unexplained, spread over documents), and listed as a synonym by some lexicon
    (``candidates`` proposes an original for it): a dictionary spinner writes its
    dictionary's phrases, and a run of words that merely follows a spun word ("sizable
    house") is no lexicon's phrase.

    >>> spun, clean = _PhraseCounts(), _PhraseCounts()
    >>> for _ in range(4):
    ...     spun.add(["we", "get", "over", "it"], 3)
    ...     clean.add(["we", "share", "it"], 3)
    >>> sorted(_select_phrases(spun, clean, 4, 4, 16, 12, lambda p: ["share"] if p == "get over" else [],
    ...                        UnpairedSettings()))
    ['get over']
    """
    return {g for g, n in spun.counts.items()
            if _over_represented(n, n_spun * clean.counts[g] / max(1, n_clean), spun.docs[g], clean.docs[g],
                                 n_spun_docs, n_clean_docs, st)
            and candidates(g)}


def _over_represented(n: int, expected: float, docs: int, clean_docs: int, n_spun_docs: int, n_clean_docs: int,
                      st: UnpairedSettings) -> bool:
    """Over-represented as a spinner's substitute is: ``min_share`` or more of its ``n``
    occurrences unexplained by the ``expected`` count, and spread over documents (in at least
    ``doc_factor`` times as many spun documents as the clean text's document frequency
    predicts, plus ``doc_slack``): a topic word repeated in a few copies is over-represented
    by its tokens only, a substitute shows up wherever its head would.

    >>> st = UnpairedSettings()
    >>> _over_represented(10, 2.0, 8, 1, 10, 10, st), _over_represented(10, 2.0, 2, 1, 10, 10, st)
    (True, False)
    """
    return (1.0 - expected / n >= st.min_share
            and docs >= st.doc_factor * n_spun_docs * clean_docs / max(1, n_clean_docs) + st.doc_slack)


def _join_phrases(words: list[str], phrases: set[str], longest: int) -> list[str]:
    """``words`` with every phrase of ``phrases`` joined into one token, longest first, left
    to right.

    >>> _join_phrases("we get over it".split(), {"get over"}, 3)
    ['we', 'get over', 'it']
    """
    out: list[str] = []
    i, n = 0, len(words)
    while i < n:
        for k in range(min(longest, n - i), 1, -1):
            g = " ".join(words[i:i + k])
            if g in phrases:
                out.append(g)
                i += k
                break
        else:
            out.append(words[i])
            i += 1
    return out


def _decipher(types: dict[str, _SpunType], expected: Callable[[str], float], seen: Counter[str],
              st: UnpairedSettings) -> dict[str, list[float]]:
    """Per spun type, P(the word itself) then P(each candidate original) over its
    occurrences, by EM over the whole corpus.

    E-step: each context shares its occurrence among "left as written" and the candidates,
    in proportion to the type's table times exp(``context_weight`` · trigram gain). M-step:
    the type's table is the mean of its occurrences' shares plus ``prior_contexts`` of the
    frequency prior (the excess share: how often the word is a substitute at all, spread
    evenly over the candidates), each candidate's part scaled by its original's factor.
    The factors couple the types: an original claimed (Σ count · share over the types
    that list it) beyond the occurrences it is missing (expected, less those seen as
    itself that its own table keeps as written) is scaled down, one missing more than is
    claimed scaled up (damped: the square root of the ratio, between 1e-3 and 1e3).

    >>> t = _SpunType(10, 1.0, ["big", "dog"], [[4.0, 0.0]] * 10, set())
    >>> table = _decipher({"sizable": t}, lambda w: 9.0 if w == "big" else 0.0, Counter(), UnpairedSettings())
    >>> round(table["sizable"][1], 2) > 0.8 > table["sizable"][2]
    True
    """
    tables: dict[str, list[float]] = {}
    priors: dict[str, list[float]] = {}
    for s, t in types.items():
        keep = min(0.98, max(0.02, t.expected / t.count))
        m = len(t.originals)
        priors[s] = [st.prior_contexts * keep] + [st.prior_contexts * (1 - keep) / m] * m
        tables[s] = [keep] + [(1 - keep) / m] * m
    factor: dict[str, float] = defaultdict(lambda: 1.0)
    w = st.context_weight
    for _ in range(st.em_rounds):
        for s, t in types.items():
            table = tables[s]
            acc = [0.0] * len(table)
            for g in t.gains:
                shares = [table[0]] + [p * math.exp(w * max(-30.0, min(30.0, x))) for p, x in zip(table[1:], g)]
                z = sum(shares)
                for k, x in enumerate(shares):
                    acc[k] += x / z
            prior = priors[s]
            vals = [acc[0] + prior[0]] + [(a + p) * factor[o] for a, p, o in zip(acc[1:], prior[1:], t.originals)]
            z = sum(vals)
            tables[s] = [v / z for v in vals]
        claimed: dict[str, float] = defaultdict(float)
        for s, t in types.items():
            for o, p in zip(t.originals, tables[s][1:]):
                claimed[o] += t.count * p
        for o, c in claimed.items():
            own = tables[o][0] if o in tables else 1.0
            lost = max(0.5, expected(o) - seen.get(o, 0) * own)
            factor[o] = max(1e-3, min(1e3, factor[o] * math.sqrt(lost / max(c, 1e-9))))
    return tables


def _unpaired_profile(name: str, entries: dict[str, dict[str, Original]], kept: dict[str, int],
                      n_spun: int, n_clean: int, considered: int, excess: float) -> Profile:
    longest = max([1] + [len(s.split(" ")) for s in entries])
    p = Profile(name=name, max_ngram=longest, entries=entries, kept=dict(sorted(kept.items())))
    subs = sum(o.count for e in entries.values() for o in e.values())
    p.summary = {
        "method": "unpaired",
        "tokens_spun": n_spun,
        "clean_tokens": n_clean,
        "types_considered": considered,
        # Tokens over-represented against the clean text: the spin rate as the corpus shows it.
        "substituted_tokens": round(excess),
        "substituted_share": round(excess / n_spun, 6) if n_spun else 0.0,
        "covered_tokens": subs,
        "coverage": round(subs / excess, 6) if excess else 0.0,
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


def corpus_anchors(
    reports: Iterable[Report],
    *,
    min_docs: int = ANCHOR_DOCS,
    min_agree: float = ANCHOR_AGREE,
) -> dict[str, Anchor]:
    """How a corpus of one spinner's copies restores its spun words: `check`'s reports of the
    copies in, `Profile.anchors` out.

    A span (a word, or a phrase `check` reads as one unit: "get well") is an anchor where
    `check` applies its best suggestion ``w`` with a sure share of its substituted mass
    (``b / p`` ≥ `SAME_WAY_ANCHOR`) in a text it is sure is spun (score ≥ `SAME_WAY_SCORE`),
    as `despin.detector.decide.same_way_throughout` picks anchors inside one text. A spun
    word or phrase whose anchors in at least ``min_docs`` documents name one ``w`` in at
    least ``min_agree`` of the documents that anchor it becomes ``Anchor(w, docs, median
    P(substituted), median share)``; `check --profile` then restores its unsure occurrences
    as ``w`` wherever their suggestions hold it (`despin.detector.decide.follow_corpus`).

    >>> from despin.report import Report, Span, Suggestion
    >>> def rep(word, sugg):
    ...     return Report(0.95, "spun", (Span(0, len(word), word, 0.9, (Suggestion(sugg, 0.6),)),), sugg)
    >>> a = corpus_anchors([rep("informed", "told"), rep("informed", "told"), rep("informed", "said")])
    >>> a["informed"]
    Anchor(word='told', docs=2, score=0.9, share=0.6666666666666666)
    >>> corpus_anchors([rep("novel", "new")])
    {}
    """
    from .detector.decide import SAME_WAY_ANCHOR, SAME_WAY_SCORE
    from .report import anchor_key, replaces

    seen: dict[str, Counter[str]] = defaultdict(Counter)
    evidence: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for rep in reports:
        if rep.score < SAME_WAY_SCORE:
            continue
        done: set[tuple[str, str]] = set()
        for s in rep.spans:
            if not replaces(s) or s.score <= 0:
                continue
            share = s.suggestions[0].score / s.score
            key = (anchor_key(s.text), anchor_key(s.suggestions[0].text))
            if share < SAME_WAY_ANCHOR or key in done:
                continue
            done.add(key)
            seen[key[0]][key[1]] += 1
            evidence[key].append((s.score, share))
    out: dict[str, Anchor] = {}
    for word, names in seen.items():
        (w, docs), = names.most_common(1)
        if docs >= min_docs and docs >= min_agree * sum(names.values()):
            ev = evidence[(word, w)]
            out[word] = Anchor(w, docs, statistics.median(p for p, _ in ev), statistics.median(x for _, x in ev))
    return out


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
