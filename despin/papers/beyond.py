"""Tortured phrases that no list contains: flag them and propose the correct term.

A tortured phrase is a term whose words went through a thesaurus ("random forest" →
"irregular woodland"). Seeing a phrase ``t``, we ask the noisy-channel question: which
term ``c`` would a thesaurus have turned into ``t``?

    score(c) = log q(t | c) + log P(c)

* **channel** ``q(t | c)``, word by word: the word kept (``P_KEEP``), a substitution
  learned from the user's lists (a list is a table of spun word pairs: "counterfeit" ←
  "artificial" teaches about every phrase with "counterfeit" in it, listed or not), or
  an inverse synonym from the lexicon (``despin.lexicon``, WordNet + Moby,
  q ≈ 1/|synonyms(c)|, lemmatised and re-inflected with lemminflect); multiword
  lexicon entries too ("electronic brain" ← "computer").
* **term prior** ``P(c)``: a mixture of a *term list* — the correct side of the user's
  lists, WordNet multiword entries, ``--terms`` files and frequent word pairs of a
  ``--corpus`` of clean papers — and the trigram language model (``despin.lm``), which
  knows general collocations ("artificial intelligence", "breast cancer").

A window of running text is flagged when its best restoration beats reading it as
written, ``score(c*) - score(t) + bonus >= margin``, where ``score(t)`` treats every word
as kept and ``bonus`` rewards a restoration made only of substitutions the lists show
(`BeyondDetector.listed_bonus`) and one that replaces a rare word
(`BeyondDetector.rare_word_bonus`). The margin was set on the development list
(docs/papers.md), to keep clean scientific sentences and correct terms unflagged.

>>> d = BeyondDetector.build(known_pairs=[("counterfeit consciousness", "artificial intelligence"),
...                                       ("irregular woodland", "random forest")])
>>> [s.text for s in d.suggest("counterfeit woodland")[:1]]
['artificial forest']
"""
from __future__ import annotations

import difflib
import itertools
import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ..report import Suggestion

# Channel weights (dev-set tuned, docs/papers.md). Listed tortured phrases keep about a
# quarter of their words ("image discernment" ← "image recognition").
P_KEEP = 0.25
# Pseudo-count of P_KEEP in a word's keep probability (see BeyondDetector.p_keep); 2 rather
# than 4: words the lists show kept inside tortured phrases are kept 0.8-0.9 of the time in
# held-out phrases, and 4 pulled them down to 0.5-0.7 (fold 1: +1.5 points flagged).
KEEP_PRIOR = 2.0
LEARNED_WEIGHT = 0.6
LEXICON_WEIGHT = 0.1
# Add-k smoothing of the learned P(observed | original): one pair is weak evidence.
LEARNED_SMOOTHING = 1.0
# Term prior: share of the term list in the mixture with the language model.
TERM_WEIGHT = 0.5
# Per word of a candidate: in the field's term vocabulary / only seen as a substitute.
TERM_WORD_BONUS = 1.5
TORTURED_WORD_PENALTY = 1.5
# A term the user's lists give as correct (not merely a dictionary entry), per occurrence.
KNOWN_TERM_BONUS = 0.0
FORWARD_WEIGHT = 0.05
# Term matching also tries synonyms of synonyms of the first TWO_HOP_FANOUT candidates.
TWO_HOP_DISCOUNT = 0.5
TWO_HOP_FANOUT = 30
# Candidate originals kept per observed word, and beam width per phrase.
MAX_WORD_CANDIDATES = 25
BEAM = 40
# Log-odds of the proposed term over the phrase as written (plus `LISTED_BONUS`) at which a
# window is flagged. Set from benchmarks/tortured.py's trade-off table (5-fold dev, 200
# held-out phrases a fold, 217 clean sentences): the lowest value that keeps the correct terms
# in the same sentences flagged <= 2% and clean sentences <= 5 per 1,000 — at 12: 1.9% and
# 3.7 / 1,000 (44.6% of held-out phrases flagged, top-1 25.2%); at 11: 2.5% and 12.9.
MARGIN = 12.0
# A window is flagged only with evidence beyond a better-sounding restoration: its best
# restoration is a known term, or one of its words is a known substitute this strongly.
TORTURED_STRENGTH = 0.5
# A changed word not seen with this very substitution must be at least this sure a substitute.
PLAUSIBLE_STRENGTH = 0.5
# Without list evidence, a restoration must read this much more as a fixed expression
# (sum of adjacent-word PMI, natural log) than the observed words. inf = off.
COLLOCATION_GAIN = math.inf
GENERAL_COLLOCATION_GAIN = 4.0  # when no list is given (dev-set: 24% flagged, 8% clean false flags)
# Natural-log PMI above which two adjacent words read as a collocation, not a swap.
COLLOCATION_PMI = 3.0
MAX_WINDOW = 4
# A window is not flagged when its changed words and up to TERM_CONTEXT words around them form
# a known term of at least this weight (1 = the lists' correct side or --terms; WordNet's 0.2).
TERM_CONTEXT = 2
TERM_CONTEXT_WEIGHT = 0.2
# Discount of a substitution learned for a relative of the observed word (spelling, inflection).
BACKOFF_WEIGHT = 0.5
# Weight of the surrounding words' language-model evidence when ranking a window's restorations.
CONTEXT_WEIGHT = 1.0
SOURCES = ("wordnet", "moby")
# Restorations whose every change is a listed substitution: log-odds bonus per unit of the
# strongest known-substitute strength among the changed words (`BeyondDetector.listed_bonus`;
# 5-fold dev at the same precision: 44.6% of held-out phrases flagged against 36.4% without).
LISTED_BONUS = 6.0
# Restorations that replace a word rarer than RARE_WORD_LOGPROB (natural-log unigram frequency,
# wordfreq: under about 1 in 1.2 million words) get RARE_WORD_BONUS more log-odds: a thesaurus
# hands the spinner "mesmeric", "brainpower", "crossbreed" for everyday terms, and the term prior
# does not see how unusual the word is. Folds 1 and 2 (300 held-out phrases each, findings at
# log-odds 4-12 re-scored): +19 held-out phrases flagged at margin 12, +1 correct term, no clean
# sentence; a cut at -13 added 3 clean sentences (docs/papers.md).
RARE_WORD_LOGPROB = -14.0
RARE_WORD_BONUS = 4.0

# Function words never start or end a tortured phrase we look for (they do occur
# inside: "nature of the art"); checking them would multiply work and false flags.
STOPWORDS = frozenset(
    ["a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "without", "within", "into", "onto", "upon", "over", "under", "and", "or", "nor", "but", "so", "yet", "if", "then", "than", "that", "this", "these", "those", "there", "here", "which", "who", "whom", "whose", "what", "when", "where", "why", "how", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "done", "has", "have", "had", "having", "can", "could", "may", "might", "must", "shall", "should", "will", "would", "it", "its", "it's", "we", "our", "us", "you", "your", "they", "their", "them", "he", "his", "she", "her", "i", "me", "my", "not", "no", "as", "also", "both", "each", "either", "neither", "all", "any", "some", "such", "only", "very", "more", "most", "less", "least", "much", "many", "few", "other", "another", "same", "own", "again", "further", "once", "et", "al", "e", "g", "i", "e", "fig", "figs", "table", "eq", "ref", "refs", "however", "thus", "hence", "therefore", "while", "whereas", "although", "though", "because", "since", "about", "above", "below", "between", "among", "through", "during", "before", "after", "up", "down", "out", "off", "via", "per", "vs", "one", "two", "three"]
)
_WORD_RE = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_BREAK_RE = re.compile(r"[^\w\s'’-]|\n\s*\n")  # punctuation or a blank line ends a window


def _clean_expected(text: str) -> str:
    """A list's expected text as a term: hints in brackets and question marks dropped.

    >>> _clean_expected("region of interest (roi)"), _clean_expected("rythm pattern (?)")
    ('region of interest', 'rythm pattern')
    """
    text = re.sub(r"\([^)]*\)|\[[^]]*\]", " ", text.lower())
    text = re.sub(r"[?\"\\()\[\]{}]", " ", text)
    text = text.split(";")[0].split(" / ")[0]
    return " ".join(text.split()).strip(" ,.")


@lru_cache(maxsize=200_000)
def _lemmas(word: str) -> tuple[str, ...]:
    from lemminflect import getAllLemmas

    return tuple(dict.fromkeys(l.lower() for ls in getAllLemmas(word).values() for l in ls if l.lower() != word))


@lru_cache(maxsize=200_000)
def _tags(word: str) -> tuple[tuple[str, str], ...]:
    """(lemma, Penn tag) pairs under which ``word`` is an inflected form."""
    from lemminflect import getAllInflections

    out = []
    for lemma in _lemmas(word):
        for tag, forms in getAllInflections(lemma).items():
            if word in (f.lower() for f in forms):
                out.append((lemma, tag))
    return tuple(out)


@lru_cache(maxsize=200_000)
def _inflect(lemma: str, tag: str) -> str | None:
    from lemminflect import getInflection

    words = lemma.split(" ")
    # multiword originals inflect their head: the last word of a noun phrase, the first of a verb phrase
    head = len(words) - 1 if tag.startswith("NN") else 0
    forms = getInflection(words[head], tag=tag)
    if not forms:
        return None
    words[head] = forms[0].lower()
    return " ".join(words)


@lru_cache(maxsize=200_000)
def lexicon_candidates(word: str, sources: tuple[str, ...] = SOURCES) -> tuple[tuple[str, float], ...]:
    """Inverse synonyms of ``word`` (or of its lemma, re-inflected) with q ≈ 1/|synonyms|.

    >>> dict(lexicon_candidates("woodlands", ("wordnet",))).get("forests", 0) > 0
    True
    """
    from .. import lexicon

    out: dict[str, float] = {}
    if not sources:
        return ()  # no thesaurus: only what the lists teach
    share = 1.0 / len(sources)

    def add(c: str, q: float) -> None:
        if c != word and q > out.get(c, 0.0):
            out[c] = q

    for source in sources:
        for orig, n in lexicon.inverse_entries(word, source):
            add(orig, share / n)
        for lemma, tag in _tags(word):
            for orig, n in lexicon.inverse_entries(lemma, source):
                form = _inflect(orig, tag)
                if form:
                    add(form, share / n)
    return tuple(sorted(out.items(), key=lambda kv: -kv[1]))


@lru_cache(maxsize=200_000)
def forward_candidates(word: str, sources: tuple[str, ...] = SOURCES) -> tuple[tuple[str, float], ...]:
    """The word's own synonyms (thesaurus relations are mostly symmetric), q = 1/|synonyms|."""
    from .. import lexicon

    out: dict[str, float] = {}
    for source in sources:
        syns = lexicon.synonyms(word, source)
        for c in syns:
            if c != word:
                out[c] = max(out.get(c, 0.0), 1.0 / (len(syns) * len(sources)))
    return tuple(out.items())


SOURCE_NAMES = {"wordnet": "WordNet", "moby": "Moby"}


@dataclass(frozen=True)
class Substitution:
    """One change a finding proposes: the paper's ``observed`` word(s) stand for ``original``.

    ``kind`` is the evidence: ``listed`` (the user's lists show this very substitution),
    ``listed-variant`` (they show it for another spelling or inflection of the word),
    ``thesaurus`` (a dictionary relates the two), ``thesaurus-2`` (a synonym of a synonym)
    or ``none``; ``detail`` says it in words an editor can check.
    """

    observed: str
    original: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.observed} <- {self.original} ({self.detail})"


@dataclass(frozen=True)
class UnlistedHit:
    """A tortured phrase no list holds: where it is, the terms it may stand for, and why.

    ``log_odds``: how much likelier (natural log) the first suggestion is than the phrase as
    written, context included; ``substitutions`` are the first suggestion's word-level changes;
    ``evidence`` the finding's reasons in words.
    """

    start: int
    end: int
    text: str
    suggestions: tuple[Suggestion, ...]
    confidence: float
    log_odds: float = 0.0
    substitutions: tuple[Substitution, ...] = ()
    evidence: tuple[str, ...] = ()


@dataclass
class BeyondDetector:
    """The beyond-lists detector; build it once with `build`, then `find` / `suggest`."""

    learned: dict[str, Counter[str]] = field(default_factory=dict)  # tortured word -> correct words
    correct_counts: Counter[str] = field(default_factory=Counter)  # correct word -> aligned occurrences
    learned_phrases: dict[str, Counter[str]] = field(default_factory=dict)  # tortured phrase -> terms
    terms: Counter[str] = field(default_factory=Counter)  # term -> weight
    sources: tuple[str, ...] = SOURCES
    margin: float = MARGIN
    tortured_strength: float = TORTURED_STRENGTH
    collocation_gain: float = COLLOCATION_GAIN
    use_lm: bool = True
    # a word the lists never show substituted borrows the strength of a listed form of it
    strength_backoff: bool = True
    rare_bonus: float = RARE_WORD_BONUS  # see `rare_word_bonus`
    kept: Counter[str] = field(default_factory=Counter)  # word -> times a list pair keeps it as is
    # (substitute, original) -> one listed pair that shows it: the evidence an editor can check
    examples: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # terms the user's lists give as correct (not dictionary entries or --terms)
        self._list_terms: Counter[str] = Counter()
        for cs in self.learned_phrases.values():
            self._list_terms.update(cs)
        self._term_total = float(sum(self.terms.values())) or 1.0
        # words of the field's terms, and words seen only on the tortured side of a list
        self._term_words: set[str] = {w for t, n in self.terms.items() if n >= 1 for w in t.split(" ")}
        self._tortured_words: set[str] = set(self.learned) - self._term_words
        self._term_word_counts: Counter[str] = Counter(w for t, n in self.terms.items() if n >= 1 for w in t.split(" "))
        # how sure we are that a word is a thesaurus substitute: seen substituted n_t times
        # on the tortured side of the lists, n_c times inside correct terms
        self._tortured_strength: dict[str, float] = {}
        for w, cs in self.learned.items():
            n_t = sum(cs.values())
            self._tortured_strength[w] = n_t / (n_t + self._term_word_counts[w] + 1.0)
        self._term_index: dict[tuple[int, int, str], set[str]] = defaultdict(set)
        for t in self.terms:
            ws = t.split(" ")
            for i, w in enumerate(ws):
                self._term_index[(len(ws), i, w)].add(t)
        # lemma -> (learned single-word key, its Penn tag or "" for a base form)
        self._learned_by_lemma: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for w in self.learned:
            if " " in w:
                continue
            self._learned_by_lemma[w].append((w, ""))
            for lemma, tag in _tags(w):
                self._learned_by_lemma[lemma].append((w, tag))
        self._cache: dict[str, tuple[Suggestion, ...]] = {}
        self._word_cache: dict[str, list[tuple[str, float]]] = {}
        self._term_word_cache: dict[str, dict[str, float]] = {}
        self._keep_cache: dict[str, float] = {}
        self._direct_cache: dict[str, frozenset[str]] = {}
        self._cover_cache: dict[str, frozenset[int]] = {}
        self._strength_cache: dict[str, tuple[float, str]] = {}

    # --- building ----------------------------------------------------------------

    @classmethod
    def build(
        cls,
        known_pairs: Iterable[tuple[str, str]] = (),
        terms: Iterable[str] = (),
        sources: tuple[str, ...] = SOURCES,
        wordnet_terms: bool = True,
        **kwargs: object,
    ) -> BeyondDetector:
        """Learn from ``(tortured, expected)`` pairs (the user's lists) and term lists.

        Pairs are aligned into substituted units of one to three words (`align_pair`);
        every pair's expected text joins the term list, and so do WordNet's multiword entries.
        """
        learned: dict[str, Counter[str]] = defaultdict(Counter)
        correct_counts: Counter[str] = Counter()
        learned_phrases: dict[str, Counter[str]] = defaultdict(Counter)
        term_counts: Counter[str] = Counter()
        clean_pairs: list[tuple[list[str], list[str]]] = []
        for tortured, expected in known_pairs:
            t = _words(tortured)
            c = _clean_expected(expected)
            if not t or not c:
                continue
            term_counts[c] += 1
            learned_phrases[" ".join(t)][c] += 1
            clean_pairs.append((t, c.split(" ")))
        # Two passes: the first aligns with the lexicon alone, the second also trusts the
        # word pairs the first one found (a spinner's habits make its own dictionary).
        seen: set[tuple[str, str]] = set()
        for _ in range(2):
            learned = defaultdict(Counter)
            correct_counts = Counter()
            kept: Counter[str] = Counter()
            first = set()
            examples: dict[tuple[str, str], tuple[str, str]] = {}
            for t, cw in clean_pairs:
                for a, b in align_pair(t, cw, sources, seen):
                    correct_counts[b] += 1
                    if a == b:
                        kept[a] += 1
                    else:
                        learned[a][b] += 1
                        first.add((a, b))
                        examples.setdefault((a, b), (" ".join(t), " ".join(cw)))
                        if " " not in a and " " not in b and "-" in a and a.count("-") == b.count("-"):
                            for x, y in zip(a.split("-"), b.split("-")):  # "go-validation" ← "cross-validation"
                                if x != y:
                                    learned[x][y] += 1
                                    correct_counts[y] += 1
                                    examples.setdefault((x, y), (" ".join(t), " ".join(cw)))
            seen = first
        for term in terms:
            c = _clean_expected(term)
            if c:
                term_counts[c] += 1
        if wordnet_terms:
            from .. import lexicon

            for h in lexicon.headwords("wordnet"):
                if " " in h and h not in term_counts:
                    term_counts[h] += 0.2  # type: ignore[assignment]  # general vocabulary: a weaker prior
        if not learned and "collocation_gain" not in kwargs:
            # no list to learn a spinner from: the language model's collocations are the only evidence
            kwargs["collocation_gain"] = GENERAL_COLLOCATION_GAIN
        if not learned:
            # the rare-word bonus was measured with lists; without them it flagged 0.9% of the
            # clean sentences, against none (benchmarks/tortured.py's no-list row)
            kwargs.setdefault("rare_bonus", 0.0)
        kwargs.setdefault("kept", kept)
        kwargs.setdefault("examples", examples)
        return cls(dict(learned), correct_counts, dict(learned_phrases), term_counts, sources, **kwargs)  # type: ignore[arg-type]

    # --- channel -------------------------------------------------------------------

    def word_candidates(self, word: str) -> list[tuple[str, float]]:
        """Candidate originals of one observed word with channel probabilities, best first
        (the `MAX_WORD_CANDIDATES` most likely a priori)."""
        ranked = self._word_candidates_all(word)
        return ranked[:MAX_WORD_CANDIDATES]

    def _word_candidates_all(self, word: str) -> list[tuple[str, float]]:
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        out: dict[str, float] = {word: self.p_keep(word)}
        for c, q in self._learned_candidates(word):
            out[c] = out.get(c, 0.0) + q
        for c, q in lexicon_candidates(word, self.sources):
            out[c] = out.get(c, 0.0) + LEXICON_WEIGHT * q
        for c, q in forward_candidates(word, self.sources):
            out[c] = out.get(c, 0.0) + FORWARD_WEIGHT * q
        if "-" in word:  # substitute one part of a hyphenated compound
            parts = word.split("-")
            for i, p in enumerate(parts):
                for c, q in self._word_candidates_all(p)[:8]:
                    if c != p and " " not in c:
                        form = "-".join(parts[:i] + [c] + parts[i + 1:])
                        out[form] = out.get(form, 0.0) + q * 0.5
        ranked = sorted(out.items(), key=lambda kv: -(math.log(kv[1]) + 0.3 * _unigram(kv[0])))
        self._word_cache[word] = ranked
        return ranked

    def substitute_strength(self, word: str) -> tuple[float, str]:
        """How sure we are that ``word`` is a thesaurus substitute, and the listed word that
        says so: the word itself when the lists show it substituted, else (when
        `strength_backoff`) its strongest relative the lists show — another inflection or
        spelling ("items" ← "item"), or a part of a hyphenated compound ("gated-repetitive"
        ← "repetitive") — counted against the word's own uses inside correct terms.

        >>> d = BeyondDetector.build([("bosom peril", "breast cancer")], wordnet_terms=False)
        >>> d.substitute_strength("perils")
        (0.5, 'peril')
        """
        got = self._strength_cache.get(word)
        if got is not None:
            return got
        own = self._tortured_strength.get(word)
        if own is not None or not self.strength_backoff:
            got = (own or 0.0, word)
        else:
            got = (0.0, word)
            for rel in self._relatives(word):
                s = self._tortured_strength.get(rel)
                if s is None:
                    continue
                n_t = sum(self.learned[rel].values())
                s = n_t / (n_t + self._term_word_counts[rel] + self._term_word_counts[word] + 1.0)
                if s > got[0]:
                    got = (s, rel)
        self._strength_cache[word] = got
        return got

    def _relatives(self, word: str) -> Iterable[str]:
        """Listed single words that are another form of ``word``: inflections of its lemma,
        US spellings, and (for a hyphenated compound) its parts and their forms."""
        parts = word.split("-") if "-" in word else []
        for w in [word, *_spelling_variants(word), *(p for p in parts if len(p) > 2)]:
            if w != word:
                yield w
            for lemma, _ in _tags(w) + ((w, ""),):
                for key, _ in self._learned_by_lemma.get(lemma, ()):
                    if key != word:
                        yield key

    def _strength(self, word: str) -> float:
        return self.substitute_strength(word)[0]

    def p_keep(self, word: str) -> float:
        """Probability that the spinner left ``word`` as it was: `P_KEEP` a priori, moved
        by how often the lists show the word kept (inside a tortured phrase) or replaced."""
        n_sub = sum(self.learned.get(word, {}).values())
        n_kept = self.kept.get(word, 0)
        return (n_kept + P_KEEP * KEEP_PRIOR) / (n_kept + n_sub + KEEP_PRIOR)

    def _learned_candidates(self, word: str) -> list[tuple[str, float]]:
        """Originals the lists show ``word`` substituting for, with channel probabilities.

        An unseen word backs off, at a discount, to a seen relative: its US spelling
        ("organisations" → "organizations"), another inflection of the same lemma
        re-inflected ("organisation" ← "organisations" ← "networks" gives "network"), or
        the adjective of an adverb ("shrewdly" → "shrewd").
        """
        out: dict[str, float] = {}

        def add(c: str, n: float, weight: float) -> None:
            q = weight * LEARNED_WEIGHT * n / (self.correct_counts[c] + LEARNED_SMOOTHING)
            out[c] = max(out.get(c, 0.0), q)

        for c, n in self.learned.get(word, {}).items():
            add(c, n, 1.0)
        if out or " " in word:
            return list(out.items())
        for v in _spelling_variants(word):
            for c, n in self.learned.get(v, {}).items():
                add(c, n, BACKOFF_WEIGHT)
        for w in [word, *_spelling_variants(word)]:
            for lemma, tag in _tags(w) + ((w, ""),):
                for key, key_tag in self._learned_by_lemma.get(lemma, ()):
                    if key == w:
                        continue
                    for c, n in self.learned[key].items():
                        form = _reinflect(c, key_tag, tag)
                        if form:
                            add(form, n, BACKOFF_WEIGHT)
        if not out and word.endswith("ly") and len(word) > 5:
            stem = word[:-3] + "y" if word.endswith("ily") else word[:-2]
            for c, n in self.learned.get(stem, {}).items():
                add(c, n, BACKOFF_WEIGHT * 0.5)
        return list(out.items())

    # --- prior ---------------------------------------------------------------------

    def log_prior(self, phrase: str) -> float:
        """log P(phrase) as a term: term list mixed with the language model, plus a
        bonus per word of the field's vocabulary (words of known terms) and a penalty per
        word only ever seen as a thesaurus substitute."""
        p_term = self.terms.get(phrase, 0.0) / self._term_total
        lm = _lm_logprob(phrase) if self.use_lm else -40.0
        words = phrase.split(" ")
        bonus = TERM_WORD_BONUS * sum(w in self._term_words for w in words) - TORTURED_WORD_PENALTY * sum(
            w in self._tortured_words for w in words
        )
        if p_term > 0:
            if self.terms[phrase] >= 1.0:
                bonus += KNOWN_TERM_BONUS
            return bonus + float(_logaddexp(math.log(TERM_WEIGHT * p_term), math.log(1 - TERM_WEIGHT) + lm))
        return bonus + math.log(1 - TERM_WEIGHT) + lm

    # --- search --------------------------------------------------------------------

    def suggest(self, phrase: str, k: int = 5) -> tuple[Suggestion, ...]:
        """Ranked restorations of a (suspected) tortured phrase; scores are log-odds
        against reading the phrase as written (positive = restoration preferred).

        >>> d = BeyondDetector.build([("bosom peril", "breast cancer")], wordnet_terms=False)
        >>> d.suggest("bosom peril")[0].text
        'breast cancer'
        """
        words = _words(phrase)
        key = " ".join(words)
        if key in self._cache:
            return self._cache[key][:k]
        scored = self._search(words)
        base = self._keep_score(key)
        out = tuple(Suggestion(c, s - base) for c, s in scored if c != key)
        self._cache[key] = out
        return out[:k]

    def _keep_score(self, key: str) -> float:
        if key not in self._keep_cache:
            self._keep_cache[key] = sum(math.log(self.p_keep(w)) for w in key.split(" ")) + self.log_prior(key)
        return self._keep_cache[key]

    def _search(self, words: list[str]) -> list[tuple[str, float]]:
        n = len(words)
        cands = [self.word_candidates(w) for w in words]
        pool: dict[str, float] = {}  # candidate -> channel log q
        # 1. beam over positions, channel + language model; multiword units via lexicon/learned
        beams: list[list[tuple[float, float, tuple[str, ...]]]] = [[] for _ in range(n + 1)]
        beams[0] = [(0.0, 0.0, ())]
        for i in range(n):
            if not beams[i]:
                continue
            beams[i].sort(key=lambda b: -b[0])
            for total, chan, prefix in beams[i][:BEAM]:
                for c, q in cands[i]:
                    cw = tuple(c.split(" "))
                    lq = math.log(q)
                    beams[i + 1].append((total + lq + self._lm_step(prefix, cw), chan + lq, prefix + cw))
                for j in range(i + 2, min(n, i + 3) + 1):
                    sub = " ".join(words[i:j])
                    for c, q in self._phrase_units(sub):
                        cw = tuple(c.split(" "))
                        lq = math.log(q)
                        beams[j].append((total + lq + self._lm_step(prefix, cw), chan + lq, prefix + cw))
        beams[n].sort(key=lambda b: -b[0])
        for _, chan, ws in beams[n][: BEAM * 2]:
            c = " ".join(ws)
            pool[c] = max(pool.get(c, -1e9), chan)
        # 2. terms of the same length whose every word is a candidate for its position
        for t, chan in self._term_matches(tuple(words)).items():
            pool[t] = max(pool.get(t, -1e9), chan)
        # 3. whole phrase: learned (a sub-list of the user's lists) and lexicon entries
        for c, q in self._phrase_units(" ".join(words)):
            pool[c] = max(pool.get(c, -1e9), math.log(q))
        scored = [(c, chan + self.log_prior(c)) for c, chan in pool.items()]
        scored.sort(key=lambda x: -x[1])
        return scored

    def _term_matches(self, words: tuple[str, ...]) -> dict[str, float]:
        """Known terms of the same length whose every word is a candidate original of the
        observed word at its position, with their channel log-probabilities."""
        n = len(words)
        if not self.terms:
            return {}
        sets: list[set[str]] = []
        qmaps: list[dict[str, float]] = []
        for i, w in enumerate(words):
            qm = self._term_word_candidates(w)
            qmaps.append(qm)
            hits: set[str] = set()
            for c in qm:
                hits |= self._term_index.get((n, i, c), set())
            if not hits:
                return {}
            sets.append(hits)
        return {t: sum(math.log(qmaps[i][w]) for i, w in enumerate(t.split(" "))) for t in set.intersection(*sets)}

    def _term_word_candidates(self, word: str) -> dict[str, float]:
        """Single-word candidates for term matching: one thesaurus step, and two (a synonym
        of a synonym, at a discount) — a known term constrains the choice enough."""
        cached = self._term_word_cache.get(word)
        if cached is not None:
            return cached
        qm = {c: q for c, q in self._word_candidates_all(word) if " " not in c}
        if TWO_HOP_DISCOUNT > 0:
            for c1, q1 in list(qm.items())[:TWO_HOP_FANOUT]:
                if c1 == word:
                    continue
                for c2, q2 in lexicon_candidates(c1, self.sources) + forward_candidates(c1, self.sources):
                    if " " not in c2 and c2 not in qm:
                        q = q1 * q2 * TWO_HOP_DISCOUNT
                        if q > qm.get(c2, 0.0):
                            qm[c2] = q
        self._term_word_cache[word] = qm
        return qm

    def _worth_searching(self, phrase: str) -> bool:
        """Cheap test before the beam search: could `has_evidence` hold for any restoration?"""
        words = phrase.split(" ")
        if self.collocation_gain < math.inf:
            return not self._reads_as_term(phrase)
        if max((self._strength(w) for w in words), default=0.0) >= self.tortured_strength:
            return not self._reads_as_term(phrase)
        return any(self.terms.get(t, 0.0) >= 1.0 for t in self._term_matches(tuple(words))) and not self._reads_as_term(phrase)

    def _phrase_units(self, phrase: str) -> list[tuple[str, float]]:
        out: dict[str, float] = {}
        for c, q in self._learned_candidates(phrase) if " " in phrase else ():
            out[c] = out.get(c, 0.0) + q
        learned = self.learned_phrases.get(phrase)
        if learned:
            total = sum(learned.values())
            for c, cnt in learned.items():
                out[c] = out.get(c, 0.0) + LEARNED_WEIGHT * cnt / total
        for c, q in lexicon_candidates(phrase, self.sources):
            out[c] = out.get(c, 0.0) + LEXICON_WEIGHT * q
        return list(out.items())

    def _lm_step(self, prefix: tuple[str, ...], words: tuple[str, ...]) -> float:
        if not self.use_lm:
            return 0.0
        return _lm_step(prefix[-2:], words)

    def plausible(self, observed: str, candidate: str) -> bool:
        """Could a spinner like the one behind the user's lists have made ``observed`` from
        ``candidate``? Yes for a known term; otherwise every changed word must be a word the
        lists show being substituted (so carrier words around a phrase stay as they are).
        """
        ow, cw = observed.split(" "), candidate.split(" ")
        if self.terms.get(candidate, 0.0) >= 1.0:
            # a known term, but not through a synonym of a synonym of a carrier word
            return len(ow) != len(cw) or all(
                o == c or self._substitute_seen(o, c) or c in self._direct(o) for o, c in zip(ow, cw)
            )
        if len(ow) != len(cw):
            return self.terms.get(candidate, 0.0) > 0.0
        if all(o == c or self._substitute_seen(o, c) for o, c in zip(ow, cw)):
            return True
        return self._collocation_gain(observed, candidate) >= self.collocation_gain

    def _direct(self, word: str) -> frozenset[str]:
        """One-step candidate originals of ``word`` (learned or thesaurus)."""
        got = self._direct_cache.get(word)
        if got is None:
            got = self._direct_cache[word] = frozenset(c for c, _ in self._word_candidates_all(word))
        return got

    def _collocation_gain(self, observed: str, candidate: str) -> float:
        """How much more the restoration reads as a fixed expression than the observed words:
        the language model's pointwise mutual information between adjacent content words."""
        if not self.use_lm or self.collocation_gain == math.inf:
            return -math.inf
        return _collocation(candidate) - _collocation(observed)

    def _substitute_seen(self, o: str, c: str) -> bool:
        # the pair itself is in the lists, or ``o`` is a word the lists show substituted often
        return c in self.learned.get(o, ()) or self._strength(o) >= PLAUSIBLE_STRENGTH

    def has_evidence(self, observed: str, candidate: str) -> bool:
        """Is there evidence beyond "the restoration sounds better" that ``observed`` is tortured?

        Spelling variants ("neighbours" / "neighbors") never count: a thesaurus does not make them.
        """
        if _spelling_variant(observed, candidate) or _squeezed(observed) == _squeezed(candidate):
            return False
        ow, cw = observed.split(" "), candidate.split(" ")
        cover = self._term_cover(observed)
        if len(ow) != len(cw):
            if len(cover) == len(ow):
                return False
        elif {k for k, (o, c) in enumerate(zip(ow, cw)) if o != c} <= cover:
            # every changed word sits in a known term or collocation ("cloud computing")
            return False
        if self.terms.get(candidate, 0.0) >= 1.0 and self.terms.get(observed, 0.0) == 0.0:
            return True
        if self._collocation_gain(observed, candidate) >= self.collocation_gain:
            return True
        return max((self._strength(w) for w in observed.split(" ")), default=0.0) >= self.tortured_strength

    def _reads_as_term(self, observed: str) -> bool:
        """Every word of the phrase lies in a known term or in a collocation the language
        model knows ("cloud computing", "finite element method")."""
        return len(self._term_cover(observed)) == observed.count(" ") + 1

    def _term_cover(self, observed: str) -> frozenset[int]:
        """Positions of the words inside a known term of two or more words, or inside a
        pair of adjacent words the language model reads as a collocation."""
        got = self._cover_cache.get(observed)
        if got is not None:
            return got
        ws = observed.split(" ")
        cover: set[int] = set()
        for i in range(len(ws)):
            for j in range(i + 2, len(ws) + 1):
                if " ".join(ws[i:j]) in self.terms:
                    cover.update(range(i, j))
        if self.use_lm:
            for i, (a, b) in enumerate(itertools.pairwise(ws)):
                if a not in STOPWORDS and b not in STOPWORDS and _lm(b, (a,)) - _lm(b, ()) >= COLLOCATION_PMI:
                    cover.update((i, i + 1))
        got = self._cover_cache[observed] = frozenset(cover)
        return got

    # --- evidence ------------------------------------------------------------------

    def substitution(self, observed: str, original: str) -> Substitution:
        """Why ``observed`` may stand for ``original``: the strongest evidence there is.

        >>> d = BeyondDetector.build([("counterfeit consciousness", "artificial intelligence")],
        ...                          wordnet_terms=False)
        >>> str(d.substitution("counterfeit", "artificial"))
        "counterfeit <- artificial (listed once: 'counterfeit consciousness' -> 'artificial intelligence')"
        """
        n = self.learned[observed][original] if observed in self.learned else 0
        if n:
            ex = self.examples.get((observed, original))
            times = "once" if n == 1 else f"{n} times"
            return Substitution(observed, original, "listed",
                                f"listed {times}" + (f": '{ex[0]}' -> '{ex[1]}'" if ex else ""))
        if " " in observed or " " in original:
            if original in self.learned_phrases.get(observed, Counter()):
                return Substitution(observed, original, "listed", "a listed pair")
        if any(c == original for c, _ in self._learned_candidates(observed)):
            return Substitution(observed, original, "listed-variant",
                                "listed for another spelling or inflection of the word")
        for source in self.sources:
            if any(c == original for c, _ in lexicon_candidates(observed, (source,))) or any(
                c == original for c, _ in forward_candidates(observed, (source,))
            ):
                return Substitution(observed, original, "thesaurus", f"{SOURCE_NAMES.get(source, source)} synonym")
        if "-" in observed and observed.count("-") == original.count("-"):
            parts = [self.substitution(a, b) for a, b in zip(observed.split("-"), original.split("-")) if a != b]
            if len(parts) == 1:
                return Substitution(observed, original, parts[0].kind, parts[0].detail + " (part of the compound)")
        if original in self._term_word_candidates(observed):
            return Substitution(observed, original, "thesaurus-2", "a synonym of a synonym")
        return Substitution(observed, original, "none", "no listed or dictionary relation")

    def substitutions(self, observed: str, candidate: str) -> tuple[Substitution, ...]:
        """The word-level changes from ``observed`` to ``candidate`` (a whole unit when their
        lengths differ)."""
        ow, cw = observed.split(" "), candidate.split(" ")
        if len(ow) != len(cw):
            return (self.substitution(observed, candidate),)
        return tuple(self.substitution(o, c) for o, c in zip(ow, cw) if o != c)

    def evidence(self, observed: str, candidate: str, log_odds: float) -> tuple[str, ...]:
        """A finding's reasons in words: how established the term is, the strongest known
        substitute among the phrase's words, and how much likelier the term reads."""
        out = []
        n_list = self._list_terms.get(candidate, 0)
        if n_list:
            out.append(f"'{candidate}' is the correct term of {n_list} listed pair" + ("s" if n_list > 1 else ""))
        elif self.terms.get(candidate, 0.0) >= 1.0:
            out.append(f"'{candidate}' is one of your terms (--terms/--corpus)")
        elif self.terms.get(candidate, 0.0) > 0.0:
            out.append(f"'{candidate}' is a WordNet term")
        strongest = max(observed.split(" "), key=self._strength)
        strength, listed = self.substitute_strength(strongest)
        if strength > 0.0:
            n_t = sum(self.learned[listed].values())
            as_ = "" if listed == strongest else f" (as '{listed}')"
            out.append(f"'{strongest}'{as_} replaces a word in {n_t} listed pair" + ("s" if n_t > 1 else "")
                       + f" (a known substitute, strength {strength:.2f})")
        bonus = self.listed_bonus(observed, candidate)
        rare, rare_word = self.rare_word_bonus(observed, candidate)
        reads = log_odds - bonus - rare
        out.append(f"the term reads {_times(reads)} likelier than the phrase as written (log-odds {reads:.1f})")
        if bonus:
            out.append(f"every change is a listed substitution: +{bonus:.1f} to the log-odds ({log_odds:.1f} in all)")
        if rare:
            freq = (f"about 1 in {round(math.exp(-_unigram(rare_word)), -5):,.0f} words of general English"
                    if _unigram(rare_word) > _lm_module().FLOOR else "not in the general-English word list")
            out.append(f"'{rare_word}' is a rare word ({freq}): +{rare:.1f} to the log-odds ({log_odds:.1f} in all)")
        return tuple(out)

    # --- running text --------------------------------------------------------------

    def find(self, text: str) -> list[UnlistedHit]:
        """Unlisted tortured phrases in ``text``, with their suggestions and evidence.

        Confidence is ``1 - exp(-(margin excess))``-like in 0..1 (sigmoid of the log-odds
        above the flagging margin).
        """
        found: list[tuple[float, int, int, tuple[Suggestion, ...]]] = []
        for seg_start, seg in _segments(text):
            toks = [(m.start() + seg_start, m.end() + seg_start, m.group().lower()) for m in _WORD_RE.finditer(seg)]
            for i in range(len(toks)):
                if toks[i][2] in STOPWORDS or not _is_wordy(toks[i][2]):
                    continue
                for j in range(i + 2, min(len(toks), i + MAX_WINDOW) + 1):
                    last = toks[j - 1][2]
                    if last in STOPWORDS or not _is_wordy(last):
                        continue
                    phrase = " ".join(t[2] for t in toks[i:j])
                    if not self._worth_searching(phrase):
                        continue
                    sugg = tuple(x for x in self.suggest(phrase, k=50) if self.plausible(phrase, x.text))
                    if sugg and CONTEXT_WEIGHT:
                        left = tuple(t[2] for t in toks[max(0, i - 2):i])
                        right = tuple(t[2] for t in toks[j:j + 2])
                        base = _context_delta(left, phrase, right)
                        sugg = tuple(sorted(
                            (Suggestion(x.text, x.score + CONTEXT_WEIGHT * (_context_delta(left, x.text, right) - base))
                             for x in sugg),
                            key=lambda x: -x.score))
                    if sugg:
                        sugg = self._add_bonus(phrase, sugg)
                    sugg = sugg[:5]
                    if sugg and sugg[0].score >= self.margin and self.has_evidence(phrase, sugg[0].text):
                        a, b, sugg = self._trim(toks[i:j], sugg)
                        if self._weak_restoration([t[2] for t in toks[i + a:i + b]], sugg[0].text):
                            continue
                        if self._inside_known_term([t[2] for t in toks], i + a, i + b):
                            continue  # "mixture model" in "gaussian mixture model" is the term itself
                        found.append((sugg[0].score, toks[i + a][0], toks[i + b - 1][1], sugg))
        # keep the strongest of overlapping windows
        found.sort(key=lambda f: -f[0])
        taken: list[tuple[int, int]] = []
        out = []
        for score, s, e, sugg in found:
            if any(s < b and a < e for a, b in taken):
                continue
            taken.append((s, e))
            conf = 1.0 / (1.0 + math.exp(-(score - self.margin) / 2.0))
            observed = " ".join(_words(text[s:e]))
            out.append(UnlistedHit(s, e, text[s:e], sugg, conf, score, self.substitutions(observed, sugg[0].text),
                                   self.evidence(observed, sugg[0].text, score)))
        out.sort(key=lambda f: f.start)
        return out


    def _add_bonus(self, phrase: str, sugg: tuple[Suggestion, ...]) -> tuple[Suggestion, ...]:
        """The window's suggestions with the first one's `listed_bonus` and `rare_word_bonus`
        added to every score (the order stays as the channel and the prior made it)."""
        bonus = self.listed_bonus(phrase, sugg[0].text) + self.rare_word_bonus(phrase, sugg[0].text)[0]
        return tuple(Suggestion(x.text, x.score + bonus) for x in sugg) if bonus else sugg

    def rare_word_bonus(self, observed: str, candidate: str) -> tuple[float, str]:
        """`rare_bonus` (`RARE_WORD_BONUS`) when a word the restoration replaces is rarer in general English
        than `RARE_WORD_LOGPROB` (and that word), else ``(0.0, "")``.

        >>> d = BeyondDetector.build([("crossbreed model", "hybrid model")], wordnet_terms=False)
        >>> d.rare_word_bonus("crossbreed model", "hybrid model"), d.rare_word_bonus("mixed model", "hybrid model")
        ((4.0, 'crossbreed'), (0.0, ''))
        """
        if not self.rare_bonus or not self.use_lm:
            return 0.0, ""
        ow, cw = observed.split(" "), candidate.split(" ")
        changed = [o for o, c in zip(ow, cw) if o != c] if len(ow) == len(cw) else ow
        rarest = min(changed, key=_unigram, default="")
        if rarest and _unigram(rarest) < RARE_WORD_LOGPROB:
            return self.rare_bonus, rarest
        return 0.0, ""

    def listed_bonus(self, observed: str, candidate: str) -> float:
        """Evidence beyond the language model that ``observed`` is tortured: when every change
        to ``candidate`` is a substitution the lists show, `LISTED_BONUS` × the strongest
        known-substitute strength among the changed words (natural-log odds).

        A word the lists show substituted often and never inside a correct term ("peril") is
        rarely written by choice; a restoration made only of such listed swaps is what the
        spinner behind the lists does. Measured on held-out phrases (docs/papers.md): at the
        same precision it flags a fifth more of them.
        """
        ow, cw = observed.split(" "), candidate.split(" ")
        changed = [o for o, c in zip(ow, cw) if o != c] if len(ow) == len(cw) else ow
        strength = max((self._strength(w) for w in changed), default=0.0)
        if strength <= 0.0 or not LISTED_BONUS or not self._listed_only(observed, candidate):
            return 0.0
        return LISTED_BONUS * strength

    def _listed_only(self, observed: str, candidate: str) -> bool:
        """Is every change from ``observed`` to ``candidate`` a substitution the lists show
        (for the word or another of its forms)?"""
        subs = self.substitutions(observed, candidate)
        return bool(subs) and all(x.kind in ("listed", "listed-variant") for x in subs)

    def _weak_restoration(self, observed: Sequence[str], candidate: str) -> bool:
        """Restorations that read the text differently rather than undo a thesaurus: one that
        changes a function word ("measures within" → "amounts in"; a spinner swaps content
        words), or that changes two or more words into no known term ("helps operators plan" →
        "assistance agents design"). Measured on fold 0 (300 held-out phrases, margin 9): the
        first costs no held-out phrase, the second 2.4 points flagged; both remove clean-text
        false flags seen on every fold."""
        cw = candidate.split(" ")
        if len(cw) != len(observed):
            return False
        changed = [o for o, c in zip(observed, cw) if o != c]
        if any(o in STOPWORDS for o in changed):
            return True
        return len(changed) >= 2 and self.terms.get(candidate, 0.0) <= 0.0

    def _inside_known_term(self, words: Sequence[str], lo: int, hi: int) -> bool:
        """Do the words ``lo:hi`` lie inside a known term of the user's lists or ``--terms``
        together with up to `TERM_CONTEXT` words around them? Such words are the term as written."""
        for a in range(max(0, lo - TERM_CONTEXT), lo + 1):
            for b in range(hi, min(len(words), hi + TERM_CONTEXT) + 1):
                if (a, b) != (lo, hi) and self.terms.get(" ".join(words[a:b]), 0.0) >= TERM_CONTEXT_WEIGHT:
                    return True
        return False

    def _trim(
        self, toks: Sequence[tuple[int, int, str]], sugg: tuple[Suggestion, ...]
    ) -> tuple[int, int, tuple[Suggestion, ...]]:
        """Shrink a window to the words its best restoration changes ("used prostate peril
        screening" → "prostate peril"), widened to a known term when one covers them."""
        words = [t[2] for t in toks]
        best = sugg[0].text.split(" ")
        if len(best) != len(words):
            return 0, len(words), sugg
        changed = [k for k, (o, c) in enumerate(zip(words, best)) if o != c]
        if not changed:
            return 0, len(words), sugg
        lo, hi = changed[0], changed[-1] + 1
        spans = sorted(((a, b) for a in range(lo + 1) for b in range(hi, len(words) + 1)), key=lambda ab: ab[1] - ab[0])
        a, b = next(((a, b) for a, b in spans if self.terms.get(" ".join(best[a:b]), 0.0) > 0), (lo, hi))
        if (a, b) == (0, len(words)):
            return a, b, sugg
        trimmed: dict[str, Suggestion] = {}
        for x in sugg:
            xw = x.text.split(" ")
            # other suggestions keep only if they agree with the words cut away
            if len(xw) == len(words) and xw[:a] == words[:a] and xw[b:] == words[b:]:
                t = " ".join(xw[a:b])
                trimmed.setdefault(t, Suggestion(t, x.score))
        return a, b, tuple(trimmed.values()) or sugg[:1]


# Alignment scores (per block of 1-3 tortured words against 1-3 correct words).
_ALIGN_SAME = 3.0
_ALIGN_RELATED = 2.0
_ALIGN_SWAP = 0.3  # one word for one word, no dictionary evidence: the common spinner move
_ALIGN_UNEVEN = -0.7  # per extra word of an unrelated uneven block
_ALIGN_MAX_BLOCK = 3


def _related(a: str, b: str, sources: tuple[str, ...], seen: set[tuple[str, str]]) -> bool:
    """Does a thesaurus (or the lists' first alignment pass) relate ``b`` to ``a``?"""
    if (a, b) in seen:
        return True
    return any(c == b for c, _ in lexicon_candidates(a, sources)) or any(c == a for c, _ in forward_candidates(b, sources))


def align_pair(
    tortured: Sequence[str],
    correct: Sequence[str],
    sources: tuple[str, ...] = SOURCES,
    seen: set[tuple[str, str]] | None = None,
) -> list[tuple[str, str]]:
    """Align a listed (tortured, correct) pair into substituted units, 1-3 words each side.

    A monotone alignment maximising identical words, thesaurus relations and one-for-one
    swaps; uneven blocks ("picking up" ← "learning") are kept only when anchored by
    identical or related words elsewhere, or related themselves. Pairs without such an
    anchor and of different lengths give nothing: their alignment would be a guess.

    >>> align_pair("quick picking up".split(), "quick learning".split(), ("wordnet",))
    [('quick', 'quick'), ('picking up', 'learning')]
    >>> align_pair("irregular woodland".split(), "random forest".split(), ("wordnet",))
    [('irregular', 'random'), ('woodland', 'forest')]
    >>> align_pair("with zorb".split(), "magnetic cell sorting".split(), ("wordnet",))
    []
    """
    seen = seen or set()
    n, m = len(tortured), len(correct)
    NEG = -1e9
    best = [[NEG] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int, bool] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if best[i][j] == NEG:
                continue
            for a in range(1, _ALIGN_MAX_BLOCK + 1):
                if i + a > n:
                    break
                for b in range(1, _ALIGN_MAX_BLOCK + 1):
                    if j + b > m:
                        break
                    t, c = " ".join(tortured[i:i + a]), " ".join(correct[j:j + b])
                    anchored = True
                    if a == b == 1 and t == c:
                        sc = _ALIGN_SAME
                    elif _related(t, c, sources, seen):
                        sc = _ALIGN_RELATED
                    elif a == b == 1:
                        sc, anchored = _ALIGN_SWAP, False
                    else:
                        sc, anchored = _ALIGN_UNEVEN * (a + b - 2), False
                    if best[i][j] + sc > best[i + a][j + b]:
                        best[i + a][j + b] = best[i][j] + sc
                        back[i + a][j + b] = (a, b, anchored)
    if best[n][m] == NEG:
        return []
    blocks: list[tuple[str, str, bool, bool]] = []
    i, j = n, m
    while i or j:
        a, b, anchored = back[i][j]  # type: ignore[misc]
        blocks.append((" ".join(tortured[i - a:i]), " ".join(correct[j - b:j]), anchored, a == b == 1))
        i, j = i - a, j - b
    blocks.reverse()
    any_anchor = any(anc for _, _, anc, _ in blocks)
    if not any_anchor and n != m:
        return []
    return [(t, c) for t, c, anc, one in blocks if anc or one or (any_anchor and t.count(" ") + c.count(" ") <= 2)]


def _spelling_variants(word: str) -> list[str]:
    """US spellings of a British-spelled word, for look-ups only ("organisations" → "organizations").

    >>> _spelling_variants("organisations"), _spelling_variants("behaviour")
    (['organizations'], ['behavior'])
    """
    out = []
    for a, b in (("isation", "ization"), ("ise", "ize"), ("ised", "ized"), ("ising", "izing"), ("our", "or"), ("yse", "yze")):
        if a in word:
            v = word.replace(a, b)
            if v != word and v not in out:
                out.append(v)
    return out


def _reinflect(phrase: str, from_tag: str, to_tag: str) -> str | None:
    """Carry ``phrase`` (an original seen for a word tagged ``from_tag``) to ``to_tag``:
    its head word's lemma under ``from_tag``, inflected as ``to_tag`` ("" = base form).

    >>> _reinflect("networks", "NNS", ""), _reinflect("network", "", "NNS")
    ('network', 'networks')
    """
    if from_tag == to_tag:
        return phrase
    words = phrase.split(" ")
    noun = (from_tag or to_tag).startswith("NN")
    head = len(words) - 1 if noun else 0
    lemma = words[head]
    if from_tag:
        lemmas = [l for l, t in _tags(lemma) if t == from_tag]
        if not lemmas:
            return None
        lemma = lemmas[0]
    words[head] = lemma
    if not to_tag:
        return " ".join(words)
    return _inflect(" ".join(words), to_tag)


def _squeezed(phrase: str) -> str:
    """``phrase`` without spaces and hyphens: "ad hoc" and "ad-hoc" are one spelling."""
    return phrase.replace(" ", "").replace("-", "")


def _spelling_variant(a: str, b: str) -> bool:
    """Same words up to spelling or inflection ("optimisation" / "optimization", "species north")."""
    aw, bw = a.split(" "), b.split(" ")
    if len(aw) != len(bw):
        return False
    return all(x == y or difflib.SequenceMatcher(None, x, y).ratio() >= 0.8 for x, y in zip(aw, bw))


def _segments(text: str) -> Iterable[tuple[int, str]]:
    """Stretches of text without punctuation: a tortured phrase never spans a comma."""
    pos = 0
    for m in _BREAK_RE.finditer(text):
        if m.start() > pos:
            yield pos, text[pos:m.start()]
        pos = m.end()
    if pos < len(text):
        yield pos, text[pos:]


def _times(log_odds: float) -> str:
    """``exp(log_odds)`` for a reader: "about 150 times", "over a million times".

    >>> _times(5.0), _times(20.0)
    ('about 150 times', 'over a million times')
    """
    x = math.exp(min(log_odds, 50.0))
    if x >= 1e6:
        return "over a million times"
    digits = len(str(int(x))) - 2
    return f"about {round(x, -digits if digits > 0 else 0):,.0f} times"


def _is_wordy(w: str) -> bool:
    return len(w) > 1 and not w.isdigit() and any(ch.isalpha() for ch in w)


def _words(phrase: str) -> list[str]:
    return [m.group().lower() for m in _WORD_RE.finditer(phrase)]


def _logaddexp(a: float, b: float) -> float:
    m = max(a, b)
    return m + math.log(math.exp(a - m) + math.exp(b - m))


@lru_cache(maxsize=1)
def _lm_module():  # type: ignore[no-untyped-def]
    from .. import (
        lm,  # loaded on first use: `despin papers --no-beyond` never pays for it
    )

    return lm


@lru_cache(maxsize=500_000)
def _unigram(phrase: str) -> float:
    lm = _lm_module()
    return sum(lm.unigram(w) for w in phrase.split(" "))


@lru_cache(maxsize=2_000_000)
def _lm(word: str, hist: tuple[str, ...]) -> float:
    lm = _lm_module()
    p = lm.logprob(word, hist)
    if p < _LM_SANE and hist:
        # pocketsphinx answers ~-5e4 when a history word is outside its vocabulary:
        # back off to the word alone rather than let one rare word decide everything
        p = lm.logprob(word, ())
    return max(p, lm.FLOOR - 5.0)


_LM_SANE = -60.0


@lru_cache(maxsize=200_000)
def _collocation(phrase: str) -> float:
    ws = phrase.split(" ")
    return sum(_lm(b, (a,)) - _lm(b, ()) for a, b in itertools.pairwise(ws) if a not in STOPWORDS and b not in STOPWORDS)


@lru_cache(maxsize=1_000_000)
def _lm_step(hist: tuple[str, ...], words: tuple[str, ...]) -> float:
    total = 0.0
    for w in words:
        total += _lm(w, hist[-2:])
        hist = hist + (w,)
    return total


@lru_cache(maxsize=500_000)
def _context_delta(left: tuple[str, ...], phrase: str, right: tuple[str, ...]) -> float:
    """What the words around a phrase add to its language-model score: log P(phrase | left)
    - log P(phrase) + log P(right | phrase). "we discuss how" reads better than "we air how"."""
    ws = phrase.split(" ")
    seq = list(left) + ws + list(right)
    total = 0.0
    for k in range(len(left), len(seq)):
        total += _lm(seq[k], tuple(seq[max(0, k - 2):k]))
    return total - _lm_logprob(phrase)


@lru_cache(maxsize=500_000)
def _lm_logprob(phrase: str) -> float:
    ws = phrase.split(" ")
    return sum(_lm(w, tuple(ws[max(0, k - 2):k])) for k, w in enumerate(ws))


# --- term sources -----------------------------------------------------------------------


def load_terms(path: str | os.PathLike[str]) -> list[str]:
    """One term per line (a TSV's first column); ``#`` comments skipped."""
    from ..io.text import read_text_file

    out = []
    for line in read_text_file(path).splitlines():
        line = line.split("\t")[0].strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def corpus_terms(texts: Iterable[str], min_count: int = 3, max_terms: int = 50_000) -> list[str]:
    """Frequent content-word pairs and triples of clean papers: the field's terms.

    >>> corpus_terms(["We fit a random forest. The random forest won. A random forest again."])
    ['random forest']
    """
    counts: Counter[str] = Counter()
    for text in texts:
        for _, seg in _segments(text):
            ws = _words(seg)
            for n in (2, 3):
                for i in range(len(ws) - n + 1):
                    g = ws[i:i + n]
                    if g[0] in STOPWORDS or g[-1] in STOPWORDS or not all(map(_is_wordy, (g[0], g[-1]))):
                        continue
                    counts[" ".join(g)] += 1
    return [t for t, c in counts.most_common(max_terms) if c >= min_count]


def load_corpus_terms(dirs: Sequence[str | os.PathLike[str]], min_count: int = 3) -> list[str]:
    """`corpus_terms` over every readable paper under ``dirs`` (unreadable ones skipped)."""
    from ..errors import InputError
    from .extract import extract_text, iter_papers

    def texts() -> Iterable[str]:
        for p in iter_papers(dirs):
            try:
                yield extract_text(p)
            except InputError:
                continue

    return corpus_terms(texts(), min_count)
