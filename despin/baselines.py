"""Two simple checkers every despin figure is read against (``despin eval --baseline``).

- `KnownListChecker` ("known-list"): flags only exact entries of a supplied substitution
  list (``spun<TAB>original``, as tortured-phrase lists are distributed) and restores
  them to the listed original. Precise where the list is right, blind elsewhere.
- `ThesaurusUnigramChecker` ("thesaurus-unigram"): flags a word when some word that
  lists it as a synonym (an inverse synonym: a candidate original) is more frequent by
  a margin in wordfreq's Zipf scale, and restores it to the most frequent candidate.
  What a first attempt without context or profiles does.

Both are callables ``text -> Report``, like ``despin.check``.

>>> known = KnownListChecker(parse_list("counterfeit consciousness\\tartificial intelligence\\n"))
>>> known("Counterfeit consciousness is here.").restored
'Artificial intelligence is here.'
>>> inv = {"large": ("big",)}
>>> uni = ThesaurusUnigramChecker(inverse=lambda w: inv.get(w, ()),
...                               zipf={"big": 5.5, "large": 5.2, "hound": 3.0}.get)
>>> uni("a large hound").spans
()
>>> uni.margin = 0.2; uni._cache.clear()
>>> uni("a large hound").restored
'a big hound'
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from .errors import DataError
from .report import Report, Span, Suggestion, empty_report
from .spin import STOPWORDS, analyse, match_case, reinflect
from .tokenize import Token, tokenize

BASELINES = ("known-list", "thesaurus-unigram")


def parse_list(text: str, name: str = "<list>") -> dict[str, str]:
    """Parse ``spun<TAB>original`` lines (blank lines and ``#`` comments skipped) into a dict.

    Keys and values are normalised to lower-case words joined by single spaces, the
    form `KnownListChecker` matches on. A line without a tab raises `DataError`.

    >>> parse_list("# demo\\nSizable\\tbig\\n")
    {'sizable': 'big'}
    """
    out: dict[str, str] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        spun, sep, orig = line.partition("\t")
        key, value = _norm(spun), orig.strip()
        if not sep or not key or not value:
            raise DataError(f"{name}:{lineno}: expected 'spun<TAB>original'")
        out.setdefault(key, value)  # first entry wins, as in the lists users keep
    return out


def _norm(phrase: str) -> str:
    return " ".join(t.text.lower() for t in tokenize(phrase))


def _doc_report(text: str, toks: Sequence[Token], spans: list[Span]) -> Report:
    """Score = share of word tokens flagged: monotone in the evidence, comparable across texts."""
    if not spans:
        return empty_report(text)
    flagged = sum(1 for t in toks for s in spans if s.start < t.end and t.start < s.end)
    out: list[str] = []
    pos = 0
    for s in spans:
        out.append(text[pos:s.start])
        out.append(s.suggestions[0].text)
        pos = s.end
    out.append(text[pos:])
    score = flagged / max(len(toks), 1)
    return Report(score=score, verdict="spun", spans=tuple(spans), restored="".join(out))


class KnownListChecker:
    """Flag exact (case-insensitive, whole-word) occurrences of listed spun phrases.

    >>> KnownListChecker({"sizable": "big"})("A Sizable dog, a sizableness.").restored
    'A Big dog, a sizableness.'
    """

    name = "known-list"

    def __init__(self, entries: Mapping[str, str]) -> None:
        self.entries = {_norm(k): v for k, v in entries.items() if _norm(k)}
        self.max_words = max((k.count(" ") + 1 for k in self.entries), default=1)

    def __call__(self, text: str) -> Report:
        toks = tokenize(text)
        spans: list[Span] = []
        i = 0
        while i < len(toks):
            for n in range(min(self.max_words, len(toks) - i), 0, -1):  # longest match first
                j = i + n
                if any(text[toks[k].end:toks[k + 1].start].strip() for k in range(i, j - 1)):
                    continue  # a phrase does not match across punctuation
                key = " ".join(t.text.lower() for t in toks[i:j])
                orig = self.entries.get(key)
                if orig is not None:
                    start, end = toks[i].start, toks[j - 1].end
                    sug = Suggestion(match_case(orig, toks[i].text), 1.0)
                    spans.append(Span(start, end, text[start:end], 1.0, (sug,), "known-list"))
                    i = j
                    break
            else:
                i += 1
        return _doc_report(text, toks, spans)


class ThesaurusUnigramChecker:
    """Flag words whose most frequent inverse synonym beats them by ``margin`` Zipf units.

    ``inverse`` and ``zipf`` default to `despin.lexicon.inverse_synonyms` over
    ``resources`` and `wordfreq.zipf_frequency`; tests inject small tables.
    """

    name = "thesaurus-unigram"

    def __init__(
        self,
        resources: Sequence[str] = ("wordnet", "moby"),
        margin: float = 1.0,
        inverse: Callable[[str], Sequence[str]] | None = None,
        zipf: Callable[[str], float | None] | None = None,
    ) -> None:
        self.resources = tuple(resources)
        # One Zipf unit = ten times as frequent: a spinner's substitute is usually the rarer word.
        self.margin = margin
        if inverse is None:
            from . import lexicon

            res = self.resources
            inverse = lambda w: lexicon.inverse_synonyms(w, res)  # noqa: E731
        if zipf is None:
            from wordfreq import zipf_frequency

            zipf = lambda w: zipf_frequency(w, "en")  # noqa: E731
        self.inverse = inverse
        self.zipf = zipf
        self._cache: dict[str, tuple[tuple[str, float], ...]] = {}

    def _freq(self, w: str) -> float:
        return float(self.zipf(w) or 0.0)

    def candidates(self, word: str) -> tuple[tuple[str, float], ...]:
        """Originals more frequent than lower-case ``word`` by the margin, best first, with Zipf gain."""
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        own = self._freq(word)
        cands: dict[str, None] = dict.fromkeys(c for c in self.inverse(word) if " " not in c)
        # Thesauri list lemmas: "purchased" is looked up as "purchase" and the candidate
        # ("buy") put back into the past tense ("bought").
        for upos, lemma, tag in analyse(word):
            if lemma != word:
                for c in self.inverse(lemma):
                    if " " not in c:
                        cands.setdefault(reinflect(c, tag, upos) or c)
        cands.pop(word, None)
        scored = sorted(((c, self._freq(c) - own) for c in cands), key=lambda x: (-x[1], x[0]))
        out = tuple((c, gain) for c, gain in scored if gain >= self.margin)[:5]
        self._cache[word] = out
        return out

    def __call__(self, text: str) -> Report:
        toks = tokenize(text)
        spans: list[Span] = []
        for i, t in enumerate(toks):
            w = t.text.lower()
            if w in STOPWORDS or not t.text.isalpha() and not re.fullmatch(r"[A-Za-z]+['’][A-Za-z]+", t.text):
                continue
            # Capitalised words inside a sentence are mostly names: leave them alone.
            if t.text[:1].isupper() and i > 0 and not re.search(r"[.!?\n]", text[toks[i - 1].end:t.start]):
                continue
            cands = self.candidates(w)
            if not cands:
                continue
            top = cands[0][1]
            sugs = tuple(Suggestion(match_case(c, t.text), min(1.0, g / (top * 1.0))) for c, g in cands)
            spans.append(Span(t.start, t.end, t.text, min(1.0, top / 4.0), sugs, "thesaurus-unigram"))
        return _doc_report(text, toks, spans)


def make_baseline(
    name: str, *, resources: Sequence[str] = ("wordnet", "moby"), entries: Mapping[str, str] | None = None
) -> Callable[[str], Report]:
    """Build a baseline checker by name (``despin eval --baseline NAME``)."""
    if name == "known-list":
        if entries is None:
            raise DataError("the known-list baseline needs a list: pass --list FILE (spun<TAB>original)")
        return KnownListChecker(entries)
    if name == "thesaurus-unigram":
        return ThesaurusUnigramChecker(resources)
    raise DataError(f"unknown baseline {name!r}; choose from {', '.join(BASELINES)}")


def list_from_pairs(pairs: Iterable[tuple[str, str]], max_words: int = 3, min_count: int = 1) -> dict[str, str]:
    """A known-substitution list from (spun, original) pairs: each spun phrase's most frequent original.

    What a user with a pile of caught copies has. Gold by the evaluator's own
    token diff, so a list built from training pairs never sees test pairs.

    >>> list_from_pairs([("a large dog", "a big dog"), ("large cats", "big cats")])
    {'large': 'big'}
    """
    import difflib
    from collections import Counter

    counts: dict[str, Counter[str]] = {}
    for spun, orig in pairs:
        s = [t.text for t in tokenize(spun)]
        o = [t.text for t in tokenize(orig)]
        sm = difflib.SequenceMatcher(None, s, o, autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag == "replace" and i2 - i1 <= max_words and j2 - j1 <= max_words:
                key = " ".join(x.lower() for x in s[i1:i2])
                counts.setdefault(key, Counter())[" ".join(x.lower() for x in o[j1:j2])] += 1
    return {k: c.most_common(1)[0][0] for k, c in sorted(counts.items()) if c.most_common(1)[0][1] >= min_count}
