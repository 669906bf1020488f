"""The ``dictionary`` spinner preset: how real dictionary spinners work, built from one resource.

Real article spinners (a WordPress auto-spinner plugin, the "article rewriter" engine of
SEO sites) read a fixed dictionary file, ``head|alt1|alt2|...`` a line, and walk it in
file order: phrases first, longest first, then single words by frequency. Every hit of a
line is replaced, never by the head itself, and every occurrence of a head in one
document gets the same alternative. Their dictionaries are broad and noisy (loosely
related words, another part of speech), hold function words ("at" -> "on",
"would" -> "could") and formatting ("5" -> "five", "pct" -> "percent"), and they
lower-case or break the names they touch ("UK" -> "united kingdom").

`DictionarySpinner` builds such a dictionary from ONE ``despin.lexicon`` resource (plus
the small grammar tables below, written for this module) and applies it that way, with
the exact gold alignment of the other presets (`despin.spin.Edit`). The dictionary is a
pure function of (resource, seed, zipf floor): an entry is decided per head the first
time a text needs it, so no dictionary file is written, yet every document of a run
sees the same dictionary. ``rate`` is met on average by `DictionarySpinner.calibrate`,
which moves the frequency floor of the thesaurus entries (as a real dictionary's size).

>>> from despin.spin import Thesaurus, unspin
>>> th = Thesaurus.from_dict("toy", {"buy": ["purchase"], "stock market": ["bourse"]})
>>> sp = DictionarySpinner(th, seed=1, zipf_floor=0.0)
>>> r = sp.spin("They buy at the stock market and would buy again.")
>>> r.spun
'They purchase on the bourse and would purchase again.'
>>> unspin(r.spun, r.edits)
'They buy at the stock market and would buy again.'
"""
from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .spin import STOPWORDS, SpinResult, Thesaurus, _unit, analyse, match_case, place_edits, reinflect
from .tokenize import Token, tokenize

__all__ = [
    "ABBREVIATIONS",
    "DICTIONARY_RESOURCES",
    "FUNCTION_SWAPS",
    "NUMBER_WORDS",
    "DictionarySpinner",
    "dictionary_pairs",
]

# The thesauri a leave-one-resource-out dictionary is drawn from (scripts/calibrate.py and
# benchmarks/quality.py): the broad ones; the other sources are WordNet relations or tables.
DICTIONARY_RESOURCES: tuple[str, ...] = ("wordnet", "moby")

# --------------------------------------------------------------------------- grammar tables
# Written from English grammar for this module (never from any spinner's output): which
# closed-class words can stand in for which in some context. A real dictionary spinner
# applies such a line everywhere, context or not, which is exactly the damage to imitate.
FUNCTION_SWAPS: dict[str, tuple[str, ...]] = {
    # prepositions of place and time
    "at": ("on", "in"),
    "on": ("upon", "at"),
    "in": ("within", "inside"),
    "about": ("regarding", "concerning", "around"),
    "around": ("about", "roughly"),
    "over": ("above", "more than"),
    "under": ("below", "beneath", "less than"),
    "above": ("over", "beyond"),
    "below": ("under", "beneath"),
    "before": ("prior to", "ahead of"),
    "after": ("following", "subsequent to"),
    "during": ("throughout", "amid"),
    "between": ("among",),
    "among": ("between", "amongst"),
    "through": ("via", "by way of"),
    "towards": ("toward", "to"),
    "until": ("till", "up to"),
    "without": ("with no",),
    "within": ("inside", "in"),
    "against": ("versus",),
    # conjunctions and connectives
    "because": ("since", "as"),
    "since": ("because", "as"),
    "although": ("though", "even though"),
    "though": ("although",),
    "while": ("whereas", "whilst"),
    "if": ("whether",),
    "but": ("however", "yet"),
    "also": ("additionally", "as well"),
    "however": ("nevertheless", "but"),
    "therefore": ("thus", "so"),
    # modals
    "would": ("could", "might"),
    "could": ("would", "might"),
    "might": ("could", "may"),
    "may": ("might", "could"),
    "can": ("could", "may"),
    "will": ("shall", "would"),
    "should": ("ought to", "must"),
    "must": ("should", "have to"),
    # determiners, quantifiers, comparatives
    "more": ("greater", "extra"),
    "less": ("fewer", "lower"),
    "fewer": ("less",),
    "many": ("numerous", "a lot of"),
    "several": ("a number of", "various"),
    "some": ("certain", "a few"),
    "each": ("every",),
    "every": ("each",),
    "other": ("different", "additional"),
    "another": ("one more", "an additional"),
    "these": ("those",),
    "those": ("these",),
    "very": ("really", "extremely"),
    "only": ("just", "merely"),
    "just": ("only", "simply"),
    "nearly": ("almost", "close to"),
    "almost": ("nearly",),
    "again": ("once more",),
    "still": ("yet",),
    # the copula in the past, "was" -> "became" as spinners print it
    "was": ("became", "had been"),
    "were": ("became", "had been"),
}

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen twenty").split()
_TENS = {30: "thirty", 40: "forty", 50: "fifty", 60: "sixty", 70: "seventy", 80: "eighty", 90: "ninety",
         100: "one hundred"}
# Digits <-> number words, both directions (a dictionary line is a set of equivalents).
NUMBER_WORDS: dict[str, tuple[str, ...]] = {}
for _n, _w in [*enumerate(_ONES), *_TENS.items()]:
    NUMBER_WORDS[str(_n)] = (_w,)
    NUMBER_WORDS[_w] = (str(_n),)

# Common English abbreviations, matched with their case as written ("US" is not "us").
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "pct": ("percent",),
    "percent": ("pct", "per cent"),
    "mln": ("million",),
    "bln": ("billion",),
    "dlrs": ("dollars",),
    "govt": ("government",),
    "Corp": ("Corporation",),
    "Inc": ("Incorporated",),
    "Ltd": ("Limited",),
    "Co": ("Company",),
    "UK": ("United Kingdom", "Britain"),
    "US": ("United States", "America"),
    "Jan": ("January",),
    "Feb": ("February",),
    "Dec": ("December",),
    "approx": ("approximately",),
    "dept": ("department",),
}

# A substitute a dictionary could hold: letters, inner spaces, hyphens, apostrophes.
_PLAIN = re.compile(r"^[a-z][a-z' -]*[a-z]$")
# Sentence or line boundary before a token: its capital letter says nothing about names.
_INITIAL = re.compile(r"[.!?:;\n\"“(]")
# A number token glued to more digits ("5.5", "1,000") is no standalone number.
_NUMBER_GLUE = re.compile(r"[.,/:]\d")
_GLUED_BEFORE = re.compile(r"\d[.,/:]$")


@dataclass(frozen=True)
class DictionaryStyle:
    """The knobs of a dictionary spinner, with values read off the engines' behaviour."""

    # Longest head matched, in words (the engines' phrase heads are 2-3 words; some 4).
    max_words: int = 4
    # Alternatives a line holds: 2 + a geometric draw with this mean, clamped to 2-8
    # (the plugin dictionary the issue measured has a mean of 2.9 a line).
    extra_alternatives: float = 1.0
    # Share of eligible thesaurus heads present (a real dictionary is never complete).
    keep: float = 0.9
    # Share of inflected forms ("said", "markets") with their own line, alternatives inflected alike.
    inflected: float = 0.7
    # Share of the grammar-table lines (function words, numbers, abbreviations) present;
    # at 0.7 function words made ~40% of the edits on news, so they are rarer.
    function_words: float = 0.5
    numbers: float = 0.8
    abbreviations: float = 0.7
    # A head inside a capitalised name (mid-sentence capital, all capitals) is matched with
    # this probability per head type; a replaced name word is lower-cased with `lower_names`.
    names: float = 0.4
    lower_names: float = 0.5
    # Words next to a hyphen are matched per head type with this probability (one engine
    # leaves them alone, the other replaces parts of hyphenated words).
    hyphenated: float = 0.5
    # Probability that a document uses the line's first alternative; else a uniform pick
    # among the others (per document and head: all its occurrences alike).
    first_alternative: float = 0.5


@dataclass(frozen=True)
class _Entry:
    head: str  # lower case (case-sensitive abbreviations as written)
    alternatives: tuple[str, ...]
    order: float  # sort key inside one head length: lower comes first in the file
    kind: str  # synonym | function | number | abbreviation


class DictionarySpinner:
    """Spin text with a fixed dictionary built from one thesaurus, the way real engines do.

    Same interface as `despin.spin.Spinner` (``spin``, ``calibrate``, ``describe``); the
    same (thesaurus, rate, seed, zipf floor, style) gives byte-identical output.
    """

    def __init__(
        self,
        thesaurus: Thesaurus,
        rate: float = 0.3,
        seed: int = 0,
        zipf_floor: float = 3.0,
        style: DictionaryStyle = DictionaryStyle(),
    ) -> None:
        if not 0.0 < rate <= 1.0:
            raise ValueError(f"rate must be in (0, 1], got {rate}")
        self.thesaurus = thesaurus
        self.rate = rate
        self.seed = seed
        self.zipf_floor = zipf_floor
        self.style = style
        # head -> (entry or None, zipf of its rarest word); the floor is applied on top,
        # so calibration can move it without rebuilding entries.
        self._cache: dict[str, tuple[_Entry | None, float]] = {}

    # -- the dictionary ----------------------------------------------------------

    def _zipf(self, word: str) -> float:
        freq = self.thesaurus.frequency
        if freq is None:
            # A table without frequencies (tests, user tables): a stable pseudo-frequency.
            return 1.0 + 6.0 * _unit("zipf", word)
        return float(freq(word))

    def _alternatives(self, head: str, pool: Sequence[str], form: tuple[str, str] | None) -> tuple[str, ...]:
        """Draw a line's alternatives from the thesaurus's synonyms: common words and the
        head's own part of speech are likelier, but any listed synonym can be drawn."""
        from .spin import _pos

        own_words = set(head.split())
        own_pos = _pos(head) if " " not in head else frozenset()
        cands: list[str] = []
        weights: list[float] = []
        for s in dict.fromkeys(pool):
            if not _PLAIN.match(s) or s == head or s.count(" ") >= self.style.max_words or set(s.split()) == own_words:
                continue
            if form is not None:
                inflected = reinflect(s, form[1], form[0], strict=True)
                if inflected is None:
                    continue
                s = inflected
            words = s.split()
            z = min(self._zipf(w) for w in words)
            w = (1.0 + max(z, 0.0)) ** 3
            if own_pos and " " not in s and _pos(s) and own_pos & _pos(s):
                w *= 3.0
            cands.append(s)
            weights.append(w)
        if not cands:
            return ()
        rng = random.Random(int(_unit(self.seed, "alts", head) * 2**53))
        k = 2 + int(-math.log(1.0 - rng.random()) * self.style.extra_alternatives)
        k = max(1, min(8, k, len(cands)))
        out: list[str] = []
        while len(out) < k:
            x = rng.random() * sum(weights)
            j = len(cands) - 1
            for i, w in enumerate(weights):
                x -= w
                if x < 0:
                    j = i
                    break
            out.append(cands.pop(j))
            weights.pop(j)
        return tuple(dict.fromkeys(out))

    def _lookup(self, head: str) -> tuple[_Entry | None, float]:
        """The dictionary line for ``head`` (None: no line) and its rarest word's zipf."""
        hit = self._cache.get(head)
        if hit is not None:
            return hit
        st = self.style
        entry: _Entry | None = None
        zipf = 99.0  # grammar-table lines do not depend on the floor
        if head in ABBREVIATIONS:
            if _unit(self.seed, "abbr", head) < st.abbreviations:
                entry = _Entry(head, ABBREVIATIONS[head], 0.0, "abbreviation")
        elif head in NUMBER_WORDS:
            if _unit(self.seed, "number", head) < st.numbers:
                entry = _Entry(head, NUMBER_WORDS[head], 0.0, "number")
        elif head in FUNCTION_SWAPS:
            if _unit(self.seed, "function", head) < st.function_words:
                entry = _Entry(head, FUNCTION_SWAPS[head], -self._zipf(head), "function")
        elif not all(w in STOPWORDS for w in head.split()) and _unit(self.seed, "keep", head) < st.keep:
            words = head.split()
            zipf = min(self._zipf(w) for w in words)
            syn = self.thesaurus.synonyms
            alts: tuple[str, ...] = ()
            if len(words) > 1:
                if head in self.thesaurus.phrases:
                    alts = self._alternatives(head, syn(head), None)
            else:
                alts = self._alternatives(head, syn(head), None)
                if not alts and _unit(self.seed, "inflected", head) < st.inflected:
                    # "said" has no line of its own in a lemma thesaurus: the builder adds the
                    # form with the lemma's alternatives inflected alike ("say" -> "state": "stated").
                    for upos, lemma, tag in analyse(head):
                        if lemma != head and syn(lemma):
                            alts = self._alternatives(head, syn(lemma), (upos, tag))
                            if alts:
                                break
            if alts:
                entry = _Entry(head, alts, -self._zipf(head), "synonym")
        out = (entry, zipf)
        self._cache[head] = out
        return out

    def entry(self, head: str) -> tuple[str, ...]:
        """The alternatives the dictionary lists for ``head`` (lower case; abbreviations as
        written), or () when it has no line at the current floor."""
        e, zipf = self._lookup(head)
        return e.alternatives if e is not None and zipf >= self.zipf_floor else ()

    # -- matching ------------------------------------------------------------------

    def _hits(self, text: str, toks: list[Token]) -> list[tuple[tuple[int, float, str], int, int, _Entry]]:
        """Every head occurrence in ``text``: (file-order key, first token, last token, entry)."""
        st = self.style
        n = len(toks)
        gap_ok = [text[toks[k].end:toks[k + 1].start] == " " for k in range(n - 1)]
        hits = []
        for i in range(n):
            for size in range(min(st.max_words, n - i), 0, -1):
                j = i + size
                if size > 1 and not all(gap_ok[i:j - 1]):
                    continue  # only a phrase written with single spaces between its words
                words = [t.text for t in toks[i:j]]
                candidates = [" ".join(words)] if size == 1 and words[0] in ABBREVIATIONS else []
                candidates.append(" ".join(w.lower() for w in words))
                for head in candidates:
                    e, zipf = self._lookup(head)
                    if e is None or zipf < self.zipf_floor:
                        continue
                    if e.kind == "abbreviation" and head != " ".join(words):
                        continue  # abbreviations keep their case
                    if e.kind == "number" and not self._standalone(text, toks[i]):
                        continue
                    if any(c.isdigit() for w in words for c in w) and e.kind != "number":
                        continue
                    hits.append(((-size, e.order, head), i, j, e))
                    break
        hits.sort(key=lambda h: (h[0], h[1]))
        return hits

    @staticmethod
    def _standalone(text: str, tok: Token) -> bool:
        """Is a number token free of glued digits on both sides ("5", not "5.5" or "1,000")?"""
        return not _NUMBER_GLUE.match(text, tok.end) and not _GLUED_BEFORE.search(text, 0, tok.start)

    def spin(self, text: str) -> SpinResult:
        """Spin one text: walk the dictionary in file order, replacing every hit."""
        st = self.style
        toks = tokenize(text)
        n = len(toks)
        doc = _unit("doc", text)
        initial = [i == 0 or bool(_INITIAL.search(text[toks[i - 1].end:toks[i].start])) for i in range(n)]
        is_name = [
            (t.text[:1].isupper() and not initial[i]) or (len(t.text) > 1 and t.text.isupper())
            for i, t in enumerate(toks)
        ]
        taken = [False] * n
        edits: list[tuple[int, int, str, str]] = []
        for (_, _, head), i, j, e in self._hits(text, toks):
            if any(taken[i:j]):
                continue  # an earlier line (longer, or earlier in the file) already took a word
            name = e.kind != "abbreviation" and any(is_name[i:j])
            if name and _unit(self.seed, "name", head) >= st.names:
                continue
            start, end = toks[i].start, toks[j - 1].end
            hyphen = text[start - 1:start] == "-" or text[end:end + 1] == "-"
            if hyphen and _unit(self.seed, "hyphen", head) >= st.hyphenated:
                continue
            alts = e.alternatives
            u = _unit(self.seed, "pick", head, doc)
            if len(alts) == 1 or u < st.first_alternative:
                alt = alts[0]
            else:
                alt = alts[1 + int((u - st.first_alternative) / (1.0 - st.first_alternative) * (len(alts) - 1))]
            first = toks[i].text
            if e.kind == "abbreviation":
                out = alt
            elif name and _unit(self.seed, "lower", head) < st.lower_names:
                out = alt.lower()
                # Engines re-capitalise a sentence's first letter.
                out = match_case(out, first[:1]) if initial[i] else out
            else:
                out = match_case(alt, first if " " not in alt or not first.isupper() else first[:1])
            if out == text[start:end]:
                continue
            for k in range(i, j):
                taken[k] = True
            kind = e.kind
            if kind == "synonym":
                kind = "name" if name else "contract" if j - i > 1 and " " not in alt else (
                    "expand" if j - i == 1 and " " in alt else "synonym")
            edits.append((start, end, out, kind))
        spun, out_edits = place_edits(text, edits)
        n_changed = sum(1 for k in range(n) if taken[k])
        return SpinResult(text, spun, out_edits, n, n_changed)

    # -- rate -------------------------------------------------------------------------

    def with_floor(self, zipf_floor: float) -> DictionarySpinner:
        """The same dictionary with another frequency floor (sharing the built entries)."""
        other = DictionarySpinner(self.thesaurus, self.rate, self.seed, zipf_floor, self.style)
        other._cache = self._cache
        return other

    def calibrate(self, texts: Sequence[str], rounds: int = 8) -> DictionarySpinner:
        """A copy whose zipf floor makes ``rate`` the share of tokens changed over ``texts``
        (bisection: a lower floor gives a bigger dictionary and more changes)."""
        if not texts:
            return self
        total = sum(len(tokenize(t)) for t in texts) or 1

        def share(floor: float) -> float:
            sp = self.with_floor(floor)
            return sum(sp.spin(t).n_changed for t in texts) / total

        lo, hi = 0.0, 7.5
        best = (abs(share(self.zipf_floor) - self.rate), self.zipf_floor)
        for _ in range(max(1, rounds)):
            mid = (lo + hi) / 2
            got = share(mid)
            if abs(got - self.rate) < best[0]:
                best = (abs(got - self.rate), mid)
            if got > self.rate:
                lo = mid
            else:
                hi = mid
        return self.with_floor(round(best[1], 4))

    def describe(self) -> dict[str, Any]:
        """The ``spinner`` field of a pair record: everything needed to rerun it."""
        return {
            "name": "despin-spin",
            "preset": "dictionary",
            "resource": self.thesaurus.name,
            "rate": self.rate,
            "seed": self.seed,
            "zipf_floor": self.zipf_floor,
        }


@lru_cache(maxsize=8)
def _calibrated(resource: str, rate: float, seed: int, texts: tuple[str, ...]) -> DictionarySpinner:
    return DictionarySpinner(Thesaurus.from_lexicon(resource), rate=rate, seed=seed).calibrate(texts)


def dictionary_pairs(
    resource: str,
    articles: Iterable[tuple[str, str]],
    *,
    rate: float = 0.3,
    seed: int = 0,
    calibration_docs: int = 50,
) -> list[dict[str, Any]]:
    """Pair records ``{"id", "original", "spun", "alignment", "spinner"}`` of the dictionary
    preset drawing from ``resource`` (a ``despin.lexicon.SOURCES`` name) over ``articles``
    (``(id, text)``, e.g. a fixed slice of news-dev), as `despin spin --preset dictionary`
    writes them. The floor is fitted on the first ``calibration_docs`` articles given.
    For scripts/calibrate.py and benchmarks/quality.py: deterministic in its arguments.
    """
    docs = [(i, t) for i, t in articles if t.strip()]
    spinner = _calibrated(resource, rate, seed, tuple(t for _, t in docs[:calibration_docs]))
    described = spinner.describe()
    out = []
    for doc_id, text in docs:
        r = spinner.spin(text)
        out.append({"id": doc_id, "original": text, "spun": r.spun, "alignment": r.alignment, "spinner": described})
    return out
