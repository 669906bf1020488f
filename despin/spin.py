"""A spinner simulator: labelled spun text with an exact gold alignment.

Real article spinners behave like a fixed lookup table built from a thesaurus: a word
or phrase with an entry is replaced almost every time, and almost always by the same
substitute; they expand and contract phrases, damage names, pick the wrong sense and
leave artefacts. `Spinner` imitates each of these behaviours as a named *preset*,
seeded so that a run is exactly reproducible, and records every change as an `Edit`
with character offsets into both texts.

Pure: the thesaurus is a parameter (`Thesaurus`), so tests inject a small table and
the CLI injects ``despin.lexicon`` (WordNet or Moby).

>>> th = Thesaurus.from_dict("toy", {"big": ["large"], "dog": ["hound"]})
>>> r = Spinner("table", th, rate=0.6, seed=1).spin("A big dog met a big dog.")
>>> r.spun
'A large hound met a large hound.'
>>> [e.kind for e in r.edits]
['synonym', 'synonym', 'synonym', 'synonym']
>>> unspin(r.spun, r.edits) == "A big dog met a big dog."
True
"""
from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from .tokenize import Token, tokenize

__all__ = [
    "PRESETS",
    "Edit",
    "Preset",
    "SpinResult",
    "Spinner",
    "Thesaurus",
    "analyse",
    "apply_edits",
    "match_case",
    "reinflect",
    "unspin",
]

# Function words: no thesaurus spinner we looked at touches these reliably, and
# replacing them produces text nobody would publish. Kept small on purpose.
STOPWORDS = frozenset(
    """a an the and or but nor so yet if then than that this these those there here
    i me my we us our you your he him his she her it its they them their who whom whose
    which what when where why how all any both each few more most other some such no not
    only own same too very can will just should would could may might must shall do does
    did done be been being is am are was were has have had having of at by for with about
    against between into through during before after above below to from up down in out
    on off over under again further once as until while because per via""".split()
)

# Never replaced: articles, pronouns, the copula and the commonest particles. Other
# function words form a last tier of the table, used only at high rates ("during" -> "amid").
NEVER = frozenset(
    """a an the i me my we us our you your he him his she her it its they them their who whom
    whose which what that this these those and or not no is am are was were be been being
    to of in on at by as""".split()
)

# A substitute a spinner could plausibly print: letters, inner spaces, hyphens, apostrophes.
_PLAIN = re.compile(r"^[a-z][a-z' -]*[a-z]$")
# Inflection tags tried when analysing a form, most specific first.
_TAG_ORDER = ("VBD", "VBN", "VBG", "VBZ", "NNS", "JJR", "JJS", "RBR", "RBS", "VBP", "VB", "NN", "JJ", "RB")


@dataclass(frozen=True)
class Preset:
    """How one style of spinner behaves; see `PRESETS`."""

    name: str
    # One substitute per word type for the whole run (a lookup table) vs. a fresh
    # random synonym for every occurrence.
    fixed: bool
    # Share of a table type's occurrences actually replaced ("almost always").
    apply_prob: float = 0.99
    # Preference for one word <-> multiword phrase substitutions.
    phrase_share: float = 0.0
    # Share of word types whose substitute is re-inflected (plural, tense) like the original.
    inflect: float = 0.9
    # Keep only substitutes that share a part of speech with the original.
    same_pos: bool = True
    # Probability that a word type inside a capitalised name may be replaced.
    names: float = 0.0
    # Probability that a replaced name word comes out lower-cased; half as often a
    # name word is lower-cased without being replaced.
    lower_names: float = 0.0
    # Every name word comes out lower-cased, replaced or not, and abbreviations are
    # spelled out ("Corp" -> "corporation", "U.S." -> "united states"; see ABBREVIATIONS).
    casefold_names: bool = False
    # Artefacts (doubled spaces, stray braces) per 100 tokens.
    artefacts: float = 0.0
    description: str = ""


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("table", fixed=True, description="fixed lookup table: same substitute for a word type almost always"),
        Preset("random", fixed=False, apply_prob=1.0, description="a random synonym for every occurrence"),
        Preset(
            "phrase",
            fixed=True,
            phrase_share=0.5,
            description="fixed table that prefers phrase expansion (word -> phrase) and contraction (phrase -> word)",
        ),
        Preset(
            "damage",
            fixed=True,
            phrase_share=0.3,
            inflect=0.6,
            same_pos=False,
            names=0.5,
            lower_names=0.5,
            artefacts=1.0,
            description="fixed table with the damage real spinners do: names replaced and lower-cased, "
            "wrong sense and part of speech, missing inflection, doubled spaces and stray braces",
        ),
    )
}


@dataclass(frozen=True)
class Thesaurus:
    """The synonym source a spinner draws from.

    ``synonyms(phrase_lower)`` gives forward synonyms; ``phrases`` are the multiword
    entries (for contraction); ``frequency`` (optional) biases the choice toward
    common words, as spinners that want readable output do.
    """

    name: str
    synonyms: Callable[[str], Sequence[str]]
    phrases: frozenset[str] = frozenset()
    frequency: Callable[[str], float] | None = field(default=None, compare=False)

    @classmethod
    def from_dict(cls, name: str, table: Mapping[str, Sequence[str]]) -> Thesaurus:
        """A thesaurus from a plain dict (tests, user tables).

        >>> Thesaurus.from_dict("t", {"in spite of": ["despite"]}).phrases
        frozenset({'in spite of'})
        """
        frozen = {k.lower(): tuple(v) for k, v in table.items()}
        return cls(name, lambda w: frozen.get(w, ()), frozenset(k for k in frozen if " " in k))

    @classmethod
    def from_lexicon(cls, source: str) -> Thesaurus:
        """WordNet or Moby from ``despin.lexicon``, with wordfreq as the readability prior."""
        return _lexicon_thesaurus(source)


@lru_cache(maxsize=None)
def _lexicon_thesaurus(source: str) -> Thesaurus:
    from . import lexicon

    lexicon._check_source(source)
    from wordfreq import zipf_frequency

    @lru_cache(maxsize=200_000)
    def freq(w: str) -> float:
        return zipf_frequency(w, "en")

    def syn(w: str) -> tuple[str, ...]:
        return lexicon.synonyms(w, source)

    phrases = frozenset(h for h in lexicon.headwords(source) if " " in h)
    return Thesaurus(source, syn, phrases, freq)


@dataclass(frozen=True)
class Edit:
    """One change: ``original[orig_start:orig_end]`` became ``spun[spun_start:spun_end]``."""

    orig_start: int
    orig_end: int
    spun_start: int
    spun_end: int
    original: str
    spun: str
    kind: str  # synonym | expand | contract | name | case | artefact

    def to_dict(self) -> dict[str, Any]:
        return {
            "orig_start": self.orig_start,
            "orig_end": self.orig_end,
            "spun_start": self.spun_start,
            "spun_end": self.spun_end,
            "original": self.original,
            "spun": self.spun,
            "kind": self.kind,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Edit:
        return cls(
            int(d["orig_start"]),
            int(d["orig_end"]),
            int(d["spun_start"]),
            int(d["spun_end"]),
            str(d["original"]),
            str(d["spun"]),
            str(d.get("kind", "synonym")),
        )


@dataclass(frozen=True)
class SpinResult:
    original: str
    spun: str
    edits: tuple[Edit, ...]
    n_tokens: int  # word tokens of the original
    n_changed: int  # original word tokens inside an edit (artefacts excluded)

    @property
    def alignment(self) -> list[dict[str, Any]]:
        return [e.to_dict() for e in self.edits]


def _replay(text: str, edits: Iterable[Edit], side: str) -> str:
    """Replace each edit's ``side`` span of ``text`` by the other side's words."""
    other = "spun" if side == "orig" else "original"
    out: list[str] = []
    pos = 0
    for e in sorted(edits, key=lambda e: getattr(e, f"{side}_start")):
        out.append(text[pos:getattr(e, f"{side}_start")])
        out.append(getattr(e, other))
        pos = getattr(e, f"{side}_end")
    out.append(text[pos:])
    return "".join(out)


def apply_edits(original: str, edits: Iterable[Edit]) -> str:
    """Rebuild the spun text from the original and its alignment.

    >>> apply_edits("a big dog", [Edit(2, 5, 2, 7, "big", "large", "synonym")])
    'a large dog'
    """
    return _replay(original, edits, "orig")


def place_edits(text: str, edits: Iterable[tuple[int, int, str, str]]) -> tuple[str, tuple[Edit, ...]]:
    """The spun text and its exact alignment, from ``(start, end, replacement, kind)`` edits
    on the original (non-overlapping; any order).

    >>> spun, (e,) = place_edits("a big dog", [(2, 5, "large", "synonym")])
    >>> spun, (e.spun_start, e.spun_end)
    ('a large dog', (2, 7))
    """
    parts: list[str] = []
    out: list[Edit] = []
    pos = length = 0
    for start, end, rep, kind in sorted(edits):
        gap = text[pos:start]
        parts.append(gap)
        length += len(gap)
        parts.append(rep)
        out.append(Edit(start, end, length, length + len(rep), text[start:end], rep, kind))
        length += len(rep)
        pos = end
    parts.append(text[pos:])
    return "".join(parts), tuple(out)


def unspin(spun: str, edits: Iterable[Edit]) -> str:
    """Rebuild the original from the spun text and its alignment (the inverse of spinning).

    >>> unspin("a large dog", [Edit(2, 5, 2, 7, "big", "large", "synonym")])
    'a big dog'
    """
    return _replay(spun, edits, "spun")


# --------------------------------------------------------------------------- inflection


@lru_cache(maxsize=100_000)
def analyse(word: str) -> tuple[tuple[str, str, str], ...]:
    """``(upos, lemma, tag)`` readings of a lower-case word form, most specific tag first.

    >>> analyse("bought")[0]
    ('VERB', 'buy', 'VBD')
    """
    from lemminflect import getAllInflections, getAllLemmas

    out: list[tuple[str, str, str]] = []
    for upos, lemmas in getAllLemmas(word).items():
        for lemma in lemmas:
            infl = getAllInflections(lemma, upos=upos)
            tags = [t for t in _TAG_ORDER if word in infl.get(t, ())]
            if tags:
                out.append((upos, lemma, tags[0]))
    return tuple(out)


@lru_cache(maxsize=100_000)
def _pos(word: str) -> frozenset[str]:
    from lemminflect import getAllLemmas

    return frozenset(getAllLemmas(word))


@lru_cache(maxsize=100_000)
def reinflect(substitute: str, tag: str, upos: str, strict: bool = False) -> str | None:
    """Put a lemma-form substitute into the form ``tag``; phrases inflect their head word.

    Only forms lemminflect knows are used (its guesses for unknown words give
    "firster"); without one the substitute comes back unchanged, or None if ``strict``.

    >>> reinflect("purchase", "VBD", "VERB"), reinflect("give up", "VBD", "VERB")
    ('purchased', 'gave up')
    >>> reinflect("stock market", "NNS", "NOUN"), reinflect("first", "JJR", "ADJ", strict=True)
    ('stock markets', None)
    """
    from lemminflect import getInflection

    words = substitute.split(" ")
    # English phrasal verbs inflect their first word, compound nouns their last.
    i = 0 if upos == "VERB" else len(words) - 1
    forms = getInflection(words[i], tag=tag, inflect_oov=False)
    if not forms:
        return None if strict else substitute
    words[i] = forms[0]
    return " ".join(words)


def match_case(substitute: str, like: str) -> str:
    """Give ``substitute`` the capitalisation pattern of ``like``.

    >>> match_case("large", "BIG"), match_case("large", "Big"), match_case("large", "big")
    ('LARGE', 'Large', 'large')
    """
    if len(like) > 1 and like.isupper():
        return substitute.upper()
    if like[:1].isupper():
        return substitute[:1].upper() + substitute[1:]
    return substitute


# --------------------------------------------------------------------------- spinner


def _unit(*parts: object) -> float:
    """A stable uniform number in [0, 1) from ``parts`` (Python's hash() is salted per run)."""
    h = hashlib.blake2b("\x1f".join(map(str, parts)).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(h, "big") / 2**64


@dataclass(frozen=True)
class _Site:
    first: int  # token index
    last: int  # exclusive
    key: str  # lower-cased phrase
    subs: tuple[str, ...]  # lemma form
    form: tuple[str, str] | None  # (upos, tag) to inflect into
    is_name: bool


# Share of word tokens a thesaurus can replace in news text (non-function words with
# synonyms), used to size an uncalibrated table; `Spinner.calibrate` measures it instead.
_CANDIDATE_SHARE = 0.43


class Spinner:
    """Spin text the way one preset does; the same (preset, thesaurus, rate, seed) gives the same output.

    ``rate`` is the target share of word tokens changed (0.10-0.60). The ``random``
    preset meets it in every text (as far as the text has replaceable words). Table
    presets own one global table - a word type is in it when its seeded rank is below
    ``table_share`` - so the rate holds on average over a corpus and varies from text
    to text, as with real table spinners; `calibrate` fits ``table_share`` to a corpus.
    """

    def __init__(
        self,
        preset: str | Preset,
        thesaurus: Thesaurus,
        rate: float = 0.3,
        seed: int = 0,
        table_share: float | None = None,
    ) -> None:
        if isinstance(preset, str):
            if preset not in PRESETS:
                raise ValueError(f"unknown spinner preset {preset!r}; choose from {', '.join(PRESETS)}")
            preset = PRESETS[preset]
        if not 0.0 < rate <= 1.0:
            raise ValueError(f"rate must be in (0, 1], got {rate}")
        self.preset = preset
        self.thesaurus = thesaurus
        self.rate = rate
        self.seed = seed
        # Content words rank in [0, 1), function words in [1, 2): a share above 1 reaches them.
        self.table_share = min(2.0, rate / _CANDIDATE_SHARE) if table_share is None else table_share
        self._subs_cache: dict[str, tuple[tuple[str, ...], tuple[str, str] | None]] = {}

    def _rank(self, key: str) -> float:
        """A word type's seeded place in the table; types ranked below ``table_share`` are in it."""
        u = _unit(self.seed, "type", key)
        if key in STOPWORDS:
            return 1.0 + u
        # Phrase presets put their phrase entries first in the table.
        return u * (1.0 - self.preset.phrase_share) if " " in key else u

    def _names_ok(self, key: str) -> bool:
        return _unit(self.seed, "name", key) < self.preset.names

    def calibrate(self, texts: Sequence[str], rounds: int = 3) -> Spinner:
        """A copy whose table size makes ``rate`` the share of tokens changed over ``texts``.

        >>> th = Thesaurus.from_dict("toy", {"big": ["large"], "dog": ["hound"], "red": ["crimson"],
        ...     "cat": ["feline"], "old": ["aged"], "hat": ["cap"], "wet": ["damp"], "mat": ["rug"]})
        >>> text = "one big dog, one red cat, one old hat, one wet mat"
        >>> sp = Spinner("table", th, rate=0.5).calibrate([text])
        >>> sp.table_share < 1.0, sp.spin(text).n_changed
        (True, 6)
        """
        if not self.preset.fixed or not texts:
            return self
        ranks: list[tuple[float, int]] = []
        total = 0
        for text in texts:
            toks = tokenize(text)
            total += len(toks)
            sites, _ = self._sites(text, toks, self._names_ok)
            ranks.extend((self._rank(s.key), s.last - s.first) for s in sites)
        ranks.sort()
        need = self.rate * total / self.preset.apply_prob
        best: tuple[float, Spinner] | None = None
        for _ in range(max(1, rounds)):
            acc, share = 0, 2.0
            for r, n in ranks:
                acc += n
                if acc >= need:
                    share = r + 1e-12
                    break
            spinner = Spinner(self.preset, self.thesaurus, self.rate, self.seed, share)
            spinner._subs_cache = self._subs_cache
            # Overlapping phrase and word sites make the first estimate low: correct by the measured share.
            got = sum(spinner.spin(t).n_changed for t in texts) / max(total, 1)
            if best is None or abs(got - self.rate) < best[0]:
                best = (abs(got - self.rate), spinner)
            if got <= 0 or abs(got - self.rate) < 0.005:
                break
            need *= self.rate / got
        assert best is not None
        return best[1]

    def describe(self) -> dict[str, Any]:
        """The ``spinner`` field of a pair record: everything needed to rerun it."""
        return {
            "name": "despin-spin",
            "preset": self.preset.name,
            "resource": self.thesaurus.name,
            "rate": self.rate,
            "seed": self.seed,
            "table_share": round(self.table_share, 6) if self.preset.fixed else None,
        }

    # -- candidates ---------------------------------------------------------

    def _substitutes(self, key: str) -> tuple[tuple[str, ...], tuple[str, str] | None]:
        """Plausible substitutes for a lower-case word or phrase, in lemma form, and the
        ``(upos, tag)`` to inflect the chosen one into (None: use as is)."""
        cached = self._subs_cache.get(key)
        if cached is not None:
            return cached
        p = self.preset
        syn = self.thesaurus.synonyms
        readings = analyse(key) if " " not in key else ()
        lemma_reading = next(((u, lem, t) for u, lem, t in readings if lem != key and syn(lem)), None)
        subs: list[str] = []
        form: tuple[str, str] | None = None
        avoid = set(key.split())
        if lemma_reading is not None:
            # Thesauri list lemmas: "bought" is found under "buy" and put back into the past tense,
            # except by spinners that forget to (the bare lemma form is a real spinner tell).
            upos, lemma, tag = lemma_reading
            avoid.add(lemma)
            if _unit(self.seed, "inflect", key) < p.inflect:
                form = (upos, tag)
            for s in syn(lemma):
                if not _PLAIN.match(s) or (p.same_pos and " " not in s and _pos(s) and upos not in _pos(s)):
                    continue
                subs.append(s)
        else:
            own = _pos(key) if " " not in key else frozenset()
            for s in syn(key):
                if not _PLAIN.match(s):
                    continue
                if p.same_pos and own and " " not in s and _pos(s) and not (own & _pos(s)):
                    continue
                subs.append(s)
        out = (tuple(dict.fromkeys(s for s in subs if not (set(s.split()) & avoid))), form)
        self._subs_cache[key] = out
        return out

    def _choose(self, site: _Site, rng: random.Random) -> str:
        """Pick a substitute: fixed per type for table presets, per occurrence otherwise."""
        p = self.preset
        subs = site.subs
        multi = [s for s in subs if " " in s]
        single = [s for s in subs if " " not in s]
        if p.fixed:
            u_phrase = _unit(self.seed, "phrase", site.key)
            u_pick = _unit(self.seed, "pick", site.key)
        else:
            u_phrase, u_pick = rng.random(), rng.random()
        if " " not in site.key and multi and single:
            # Prefer an expansion (one word -> phrase) as often as the preset asks.
            subs = tuple(multi) if u_phrase < p.phrase_share else tuple(single)
        elif " " in site.key and single:
            subs = tuple(single)  # contraction: phrase -> one word
        freq = self.thesaurus.frequency
        pool = list(subs)
        weights = [1.0 + max(freq(s), 0.0) for s in pool] if freq else [1.0] * len(pool)
        first: str | None = None
        while pool:
            x = u_pick * sum(weights)
            k = len(pool) - 1
            for j, w in enumerate(weights):
                x -= w
                if x < 0:
                    k = j
                    break
            pick = pool[k]
            first = first or pick
            if not site.form:
                return pick
            form = reinflect(pick, site.form[1], site.form[0], strict=True)
            if form is not None:
                return form
            # No real inflected form: try the next candidate (same draw, so still fixed per type).
            del pool[k], weights[k]
        assert first is not None
        return first  # nothing inflects: the bare form, as careless spinners print it

    def _sites(self, text: str, toks: list[Token], rng_names: Callable[[str], bool]) -> tuple[list[_Site], list[bool]]:
        p = self.preset
        n = len(toks)
        initial = [i == 0 or bool(re.search(r"[.!?:;\n\"“(]", text[toks[i - 1].end:toks[i].start])) for i in range(n)]
        is_name = [
            (t.text[:1].isupper() and not initial[i]) or (len(t.text) > 1 and t.text.isupper())
            for i, t in enumerate(toks)
        ]
        blocked = [any(c.isdigit() for c in t.text) or "_" in t.text for t in toks]
        sites: list[_Site] = []
        if p.phrase_share > 0 and self.thesaurus.phrases:
            for size in (3, 2):
                for i in range(n - size + 1):
                    j = i + size
                    if any(blocked[k] or is_name[k] for k in range(i, j)):
                        continue
                    if any(text[toks[k].end:toks[k + 1].start] != " " for k in range(i, j - 1)):
                        continue
                    key = " ".join(t.text.lower() for t in toks[i:j])
                    if key in self.thesaurus.phrases:
                        subs, form = self._substitutes(key)
                        if subs:
                            sites.append(_Site(i, j, key, subs, form, False))
        for i, t in enumerate(toks):
            key = t.text.lower()
            if blocked[i] or key in NEVER:
                continue
            if is_name[i] and not rng_names(key):
                continue
            subs, form = self._substitutes(key)
            if subs:
                sites.append(_Site(i, i + 1, key, subs, form, is_name[i]))
        return sites, is_name

    # -- spinning -----------------------------------------------------------

    def spin(self, text: str) -> SpinResult:
        """Spin one text; deterministic in (preset, thesaurus, rate, seed, text)."""
        p = self.preset
        toks = tokenize(text)
        n = len(toks)
        rng = random.Random(int(_unit(self.seed, p.name, self.rate, text) * 2**53))
        sites, is_name = self._sites(text, toks, self._names_ok)
        target = round(self.rate * n)

        taken = [False] * n
        chosen: list[tuple[_Site, str]] = []
        covered = 0

        def take(site: _Site, sub: str) -> None:
            nonlocal covered
            for k in range(site.first, site.last):
                taken[k] = True
            chosen.append((site, sub))
            covered += site.last - site.first

        if p.fixed:
            by_key: dict[str, list[_Site]] = {}
            for s in sites:
                by_key.setdefault(s.key, []).append(s)

            # Phrase entries (longer) win over the words inside them: they come first.
            for key in sorted(by_key, key=lambda k: (-k.count(" "), self._rank(k))):
                if self._rank(key) >= self.table_share:
                    continue
                for s in by_key[key]:
                    if any(taken[s.first:s.last]) or rng.random() >= p.apply_prob:
                        continue
                    take(s, self._choose(s, rng))
        else:
            order = [s for s in sites if s.key not in STOPWORDS]
            rng.shuffle(order)
            tail = [s for s in sites if s.key in STOPWORDS]
            rng.shuffle(tail)
            order += tail  # function words only when content words run out
            for s in order:
                if covered >= target:
                    break
                if not any(taken[s.first:s.last]):
                    take(s, self._choose(s, rng))

        edits: list[tuple[int, int, str, str]] = []  # orig_start, orig_end, replacement, kind
        for s, sub in chosen:
            first, last = toks[s.first], toks[s.last - 1]
            out = match_case(sub, first.text)
            kind = "contract" if s.last - s.first > 1 and " " not in sub else "expand" if (
                s.last - s.first == 1 and " " in sub
            ) else "synonym"
            if s.is_name:
                kind = "name"
                if p.casefold_names or _unit(self.seed, "lower", s.key) < p.lower_names:
                    out = sub.lower()
            edits.append((first.start, last.end, out, kind))

        if p.casefold_names:
            _casefold_edits(text, toks, is_name, taken, edits)
        elif p.lower_names > 0:
            # Spinners also lower-case words of names they do not replace ("Bank" -> "bank").
            for i, t in enumerate(toks):
                if is_name[i] and not taken[i] and t.text[:1].isupper() and t.text.lower() != t.text:
                    if rng.random() < p.lower_names * 0.1:
                        taken[i] = True
                        edits.append((t.start, t.end, t.text.lower(), "case"))

        if p.artefacts > 0:
            touched = {e[0] for e in edits} | {e[1] for e in edits}
            for i in range(n - 1):
                a, b = toks[i].end, toks[i + 1].start
                if text[a:b] != " " or a in touched or b in touched:
                    continue
                # A gap inside a contracted phrase belongs to that edit.
                if any(e[0] < a and b < e[1] for e in edits):
                    continue
                if rng.random() < p.artefacts / 100.0:
                    junk = rng.choice(("  ", " {", "} ", " [", "] ", " | "))
                    edits.append((a, b, junk, "artefact"))
                    touched.update((a, b))

        spun, out_edits = place_edits(text, edits)
        n_changed = sum(
            sum(1 for t in toks if e.orig_start <= t.start and t.end <= e.orig_end)
            for e in out_edits
            if e.kind != "artefact"
        )
        return SpinResult(text, spun, out_edits, n, n_changed)


# --- the casefold preset: names lower-cased, abbreviations spelled out ---------------------
# General English abbreviations (written for the simulator, not taken from any spinner),
# spelled out in lower case as a spinner that lower-cases names prints them.
ABBREVIATIONS: dict[str, str] = {
    "U.S.": "united states", "U.K.": "united kingdom", "U.N.": "united nations", "E.U.": "european union",
    "Corp": "corporation", "Inc": "incorporated", "Co": "company", "Ltd": "limited", "Bros": "brothers",
    "Dept": "department", "Govt": "government", "Intl": "international", "Assn": "association",
    "Jan": "january", "Feb": "february", "Mar": "march", "Apr": "april", "Aug": "august", "Sept": "september",
    "Oct": "october", "Nov": "november", "Dec": "december", "Mr": "mister", "Mrs": "missus", "Dr": "doctor",
    "St": "street", "Ave": "avenue", "Gen": "general", "Sen": "senator", "Rep": "representative",
    "mln": "million", "bln": "billion", "pct": "percent", "dlrs": "dollars", "yr": "year", "qtr": "quarter",
    "avg": "average", "approx": "approximately", "govt": "government", "vs": "versus",
}  # fmt: skip
_ABBREVIATION_RE = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True)) + r")(?![\w])"
)


def _casefold_edits(text: str, toks: list[Token], is_name: list[bool], taken: list[bool],
                    edits: list[tuple[int, int, str, str]]) -> None:
    """Spell out abbreviations and lower-case every other name word not yet replaced."""
    busy = [(a, b) for a, b, _, _ in edits]
    expanded_ends = set()
    for m in _ABBREVIATION_RE.finditer(text):
        a, b = m.span()
        if not any(x < b and a < y for x, y in busy):
            edits.append((a, b, ABBREVIATIONS[m.group(1)], "expand"))
            busy.append((a, b))
            expanded_ends.add(b)
    for i, t in enumerate(toks):
        # A capital right after an abbreviation's full stop ("U.S. Army") is a name too.
        after_abbreviation = text[t.start - 1:t.start] == " " and t.start - 1 in expanded_ends
        if (is_name[i] or after_abbreviation) and not taken[i] and t.text.lower() != t.text:
            if not any(x < t.end and t.start < y for x, y in busy):
                taken[i] = True
                edits.append((t.start, t.end, t.text.lower(), "case"))


# Registered here, apart from the table above, so that presets added there merge cleanly.
PRESETS["casefold"] = replace(
    PRESETS["damage"],
    name="casefold",
    casefold_names=True,
    description="the damage preset, with every name lower-cased and abbreviations spelled out "
    "(\"Acme Corp\" -> \"acme corporation\")",
)
