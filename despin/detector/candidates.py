"""Stage 2 — eligible words → units with candidate originals.

In: a `Document` (stage 1) and the lexicons and profiles to draw from. Out: the `Unit`s, runs
of one to ``Config.max_ngram`` eligible words of one sentence that some lexicon or profile
lists as a substitute, each with its `Candidate` originals; and the number of eligible words.

Candidate originals come from the inverted lexicons, inflected. A spinner replaced an original ``c`` by one of ``c``'s synonyms ``w``. Seeing ``w``, the
candidates are the entries that list ``w`` (or ``w``'s lemma) as a synonym, plus the other
inflections of ``w`` itself (spinners often write a synonym's dictionary form: "said" →
"say"). Each candidate carries the channel probability q(w | c) ≈ 1 / |synonyms(c)|:
a thesaurus spinner picks one of ``c``'s synonyms roughly uniformly.

>>> any(c.text == "weekly" for c in candidates("hebdomadary", ("wordnet",)))
True
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Sequence

from .. import lexicon, lm
from ..config import Config, SubstitutionSource
from .records import Candidate, Document, Unit
from .units import is_function_word

# Keep this many candidates per observed type (ranked by unigram prior × channel × shared
# categories, `shared_categories`) to rank as suggestions: the original of a real dictionary's
# word swap is among the best 32 for 70% of them (real-engine dev spins, WP; 66% ranked by
# prior × channel alone, when 48 gained 0.1-0.3 points of WER cut). Only the best
# `context.EVIDENCE_CANDIDATES` count as evidence of substitution.
MAX_CANDIDATES = 32
# Weight of an inflected form that does not match the observed word's inflection:
# some spinners re-inflect, some do not; the language model decides between forms.
_OTHER_FORM = 0.5


@lru_cache(maxsize=100_000)
def _lemmas(word: str) -> tuple[str, ...]:
    from lemminflect import getAllLemmas

    out: dict[str, None] = {}
    for lemmas in getAllLemmas(word).values():
        for lemma in lemmas:
            out.setdefault(lemma.lower())
    return tuple(out)


@lru_cache(maxsize=200_000)
def _inflection_table(lemma: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``(tag, forms)`` pairs for a known lemma (no guessing for unknown words: too slow)."""
    from lemminflect import getAllInflections

    return tuple((tag, tuple(f.lower() for f in fs)) for tag, fs in getAllInflections(lemma).items())


@lru_cache(maxsize=100_000)
def _tags_of(word: str) -> frozenset[str]:
    """Penn tags under which ``word`` is an inflection of one of its lemmas."""
    return frozenset(tag for lemma in _lemmas(word) for tag, fs in _inflection_table(lemma) if word in fs)


@lru_cache(maxsize=200_000)
def forms(phrase: str) -> tuple[str, ...]:
    """The phrase and the inflections of its head word (first word: "get well" → "got well")."""
    words = phrase.split(" ")
    out: dict[str, None] = {phrase: None}
    for _, fs in _inflection_table(words[0]):
        for f in fs:
            out.setdefault(" ".join([f, *words[1:]]))
    return tuple(out)


_BASE_TAGS = frozenset({"VB", "VBP", "NN", "JJ", "RB"})


@lru_cache(maxsize=200_000)
def _inflected(orig: str, observed_tags: frozenset[str]) -> tuple[tuple[str, float], ...]:
    """Forms of ``orig`` with weights: the observed inflection counts fully."""
    words = orig.split(" ")
    table = dict(_inflection_table(words[0]))
    preferred: set[str] = set()
    for tag in observed_tags:
        for f in table.get(tag, ()):
            preferred.add(" ".join([f, *words[1:]]))
    if not observed_tags or observed_tags <= _BASE_TAGS:
        preferred.add(orig)  # observed is a base form: the original's base form fits
    return tuple((f, 1.0 if f in preferred else _OTHER_FORM) for f in forms(orig))


# Lemma-level candidates kept before inflecting (ranked by unigram prior × channel).
_MAX_LEMMAS = 60
# Entries read from each inverted list (per source and look-up key).
_PER_LIST = 40


@lru_cache(maxsize=100_000)
def candidates(phrase: str, sources: tuple[str, ...]) -> tuple[Candidate, ...]:
    """Candidate originals of an observed lower-case word or phrase, best prior first.

    Single words come from the precomputed table when it matches ``sources`` (the same
    answer as computing them: a test checks a sample), else they are computed.

    >>> candidates("comissaria", TABLE_SOURCES), candidates("stock exchange market", TABLE_SOURCES)
    ((), ())
    """
    if is_possessive(phrase):
        return _possessive_candidates(phrase, sources)
    row = _table_row(phrase, sources)
    if row is not None:
        return _parse_row(row)
    if " " in phrase and phrase not in listed_phrases(sources):
        return ()  # most word pairs and triples are no entry's synonym
    return compute_candidates(phrase, sources)


def is_possessive(phrase: str) -> bool:
    """Is this one word with a possessive "'s" (or a contraction written so)?"""
    return phrase.endswith("'s") and " " not in phrase


def _possessive_candidates(phrase: str, sources: tuple[str, ...]) -> tuple[Candidate, ...]:
    """A possessive's candidates are its stem's, possessive ("outfit's" -> "company's"): the
    one-word candidates of a content word whose possessive the language model knows (which
    leaves out contractions such as "it's" and "let's", and forms no text writes)."""
    stem = phrase[:-2]
    if not stem or is_function_word(stem) or phrase == "let's":
        return ()
    out = []
    for c in candidates(stem, sources):
        text = c.text + "'s"
        if " " not in c.text and "-" not in c.text and lm.in_vocabulary(text):
            out.append(Candidate(text, c.q, c.relation, c.shared))
    return tuple(out)


def _table_row(phrase: str, sources: tuple[str, ...]) -> str | None:
    """The precomputed row of a single word when the table serves ``sources``; None where
    it does not (phrases, other sources, no current table).

    The table is the vocabulary: a word outside it (a name, a rare form) gets the empty
    row, no candidates (measured: 1 of the 5,584 such words in 3,000 news articles had
    one, a self-inflection), and costs no lemminflect call.
    """
    if " " in phrase or sources != TABLE_SOURCES:
        return None
    table = _table()
    if not table:
        return None
    return table.get(phrase, "")


@lru_cache(maxsize=8)
def listed_phrases(sources: tuple[str, ...]) -> frozenset[str]:
    """The phrases (two words or more) some source's inverse lexicon lists: the only ones with
    candidates. One set look-up lets the detector skip the other word pairs and triples."""
    return frozenset(k for s in sources for k in lexicon._raw("inverse", s) if " " in k)


# The precomputed table: single words of the wordfreq top 150k, the inverse lexicons'
# keys and their inflections, built by scripts/build_candidates.py. Candidate generation
# costs ~0.5 ms a new word type (lemminflect deep-copies its tables), a quarter of the
# detector's time on new text; a table row costs a split.
TABLE_SOURCES: tuple[str, ...] = lexicon.DEFAULT_SOURCES
TABLE_VERSION = 5  # bump with any change to compute_candidates or its constants (2: plausibility flags, 3: loose relations last, 4: shared categories, 5: their count in the row)
_TABLE_FILE = "candidates.tsv.gz"


def table_header() -> str:
    """The header a current table must carry: version, limits, channel weights (every q depends
    on them), and the lexicons' digests."""
    import hashlib
    from importlib import resources

    digests = []
    for source in TABLE_SOURCES:
        data = resources.files("despin").joinpath("data", f"inverse-{source}.tsv.gz").read_bytes()
        digests.append(f"{source}={hashlib.sha1(data).hexdigest()[:12]}")
    weights = ",".join(f"{source}:{source_weight(source)}" for source in TABLE_SOURCES)
    limits = (f"max={MAX_CANDIDATES},loose={LOOSE_EXTRA},lemmas={_MAX_LEMMAS},per_list={_PER_LIST},other_form={_OTHER_FORM}"
              f",categories={CATEGORY_SOURCE}:{_CATEGORY_WEIGHT}:{_PER_LIST_CATEGORIES}"
              f",prior_cut={_PRIOR_CUT} weights={weights}")
    return f"# despin candidates v{TABLE_VERSION} {limits} {' '.join(digests)}"


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    """``word -> raw row``; empty (so everything is computed) when absent or stale."""
    import gzip
    from importlib import resources

    try:
        data = resources.files("despin").joinpath("data", _TABLE_FILE).read_bytes()
    except FileNotFoundError:
        return {}
    text = gzip.decompress(data).decode("utf-8")
    head, _, body = text.partition("\n")
    if head != table_header():
        return {}  # built for other lexicons or other limits: correct answers come from computing
    out: dict[str, str] = {}
    for line in body.split("\n"):
        word, sep, row = line.partition("\t")
        if sep:
            out[word] = row
    return out


def format_row(phrase: str, cands: tuple[Candidate, ...]) -> str:
    """One table row: ``text;q;relation;shared`` items joined by ``|`` (q as an exact float repr);
    a candidate the detector would not consider (`_plausible`) is marked ``;x``, so that
    the detector's question costs a split, not a prior and a spelling check per candidate."""
    return "|".join(f"{c.text};{c.q!r};{c.relation};{c.shared}" + ("" if _plausible(phrase, c) else ";x")
                    for c in cands)


def _parse_row(row: str, plausible_only: bool = False) -> tuple[Candidate, ...]:
    if not row:
        return ()
    out = []
    for item in row.split("|"):
        fields = item.split(";")
        if plausible_only and len(fields) == 5:
            continue
        out.append(Candidate(fields[0], float(fields[1]), fields[2], int(fields[3])))
    return tuple(out)


# The channel's weight on each lexicon: q(w|c) = weight(source) / |synonyms(c) in source|.
# Fixed per source, not 1/(number of sources): a small grammar table added to the resources
# must not halve the evidence of every thesaurus candidate (measured: adding five sources
# with equal shares cut localisation recall 0.75 -> 0.35 on the real-engine dev spins).
# The two broad thesauri share the unit mass as before; the relations beyond WordNet's
# synsets are looser, so they weigh half as much.
SOURCE_WEIGHTS = {
    "wordnet": 0.5,
    "moby": 0.5,
    "wordnet-similar": 0.25,
    "wordnet-derived": 0.25,
    "mythes-related": 0.25,
}


# The relations beyond the thesauri's synonym lists: their candidates come after the
# thesauri's, at most LOOSE_EXTRA a word. Ranked among the others by prior × channel
# they displaced real originals (coverage of the real-engine dev spins 65.1% -> 63.1%).
LOOSE_SOURCES = frozenset({"wordnet-similar", "wordnet-derived", "mythes-related"})
LOOSE_EXTRA = 3


def source_weight(source: str) -> float:
    """The channel weight of a lexicon source (grammar and format tables: 0.5, as a thesaurus)."""
    return SOURCE_WEIGHTS.get(source, 0.5)


def compute_candidates(phrase: str, sources: tuple[str, ...]) -> tuple[Candidate, ...]:
    """:func:`candidates` computed from the lexicons and lemminflect (no table).

    The thesauri's candidates come first (the best `MAX_CANDIDATES`); the looser relations
    (`LOOSE_SOURCES`) add at most `LOOSE_EXTRA` of their own after them, so they reach
    originals no thesaurus lists without pushing out those it does. Asked alone, the looser
    relations are ranked as any source is."""
    single = " " not in phrase
    keys = [phrase]
    tags: frozenset[str] = frozenset()
    if single:
        tags = _tags_of(phrase)
        keys += [lemma for lemma in _lemmas(phrase) if lemma != phrase]
    core = tuple(s for s in sources if s not in LOOSE_SOURCES) or sources
    found = tuple(_ranked(phrase, core, keys, tags, with_lemmas=True)[:MAX_CANDIDATES])
    loose = tuple(s for s in sources if s not in core)
    if loose:
        have = {c.text for c in found}
        extra = [c for c in _ranked(phrase, loose, keys, tags, with_lemmas=False) if c.text not in have]
        found += tuple(extra[:LOOSE_EXTRA])
    if CATEGORY_SOURCE in sources and single:
        found = tuple(Candidate(c.text, c.q, c.relation, shared_categories(phrase, c.text)) for c in found)
    return found


def _ranked(phrase: str, sources: tuple[str, ...], keys: list[str], tags: frozenset[str],
            with_lemmas: bool) -> list[Candidate]:
    """The candidates ``sources`` give ``phrase`` (looked up under ``keys``), best prior first."""
    single = " " not in phrase
    share = {source: source_weight(source) for source in sources}
    categories = CATEGORY_SOURCE in sources and single
    per_list = _PER_LIST_CATEGORIES if categories else _PER_LIST
    raw: dict[str, tuple[float, str]] = {}
    for source in sources:
        for key in keys:
            # Lists come sorted by plausibility (scripts/build_lexicon.py): the head suffices.
            for orig, n in lexicon.inverse_entries(key, source)[:per_list]:
                q = share[source] / n
                if orig not in raw or raw[orig][0] < q:
                    raw[orig] = (q, source)
    boost: dict[str, float] = {}
    if categories:
        boost = {orig: _CATEGORY_WEIGHT * math.log1p(shared_categories(phrase, orig)) for orig in raw}
    top = sorted(raw.items(), key=lambda kv: -(_prior(kv[0]) + math.log(kv[1][0]) + boost.get(kv[0], 0.0)))
    top = top[:_MAX_LEMMAS]

    best: dict[str, Candidate] = {}
    bonus: dict[str, float] = {}

    def add(text: str, q: float, relation: str, extra: float = 0.0) -> None:
        if text != phrase and (text not in best or q > best[text].q):
            best[text] = Candidate(text, q, relation)
            bonus[text] = extra

    for orig, (q, source) in top:
        if single:
            for form, w in _inflected(orig, tags):
                add(form, q * w, source, boost.get(orig, 0.0))
        else:
            add(orig, q, source)
    if with_lemmas and sources and single and phrase in _lemmas(phrase):
        # The spinner may have written the dictionary form of the original itself ("said"
        # → "say"). Only a dictionary form is such evidence: "bankers" is no spinner's
        # rendering of "banker".
        for lemma in _lemmas(phrase):
            q = max(share[s] / (len(lexicon.synonyms(lemma, s)) + 1) for s in sources)
            for form in forms(lemma):
                add(form, q, "inflection")
    return sorted(best.values(), key=lambda c: -(_prior(c.text) + math.log(c.q) + bonus.get(c.text, 0.0)))


# Spinners' dictionaries are cut from category thesauri (Roget-like "meanings"): a head's
# alternatives are the words that share several of its categories. Moby's entries are such
# categories, so the candidates are ordered by prior × channel × (1 + the number of Moby
# entries that list both the observed word and the candidate, plus 3 for each that lists the
# other) before the best 32 are kept. Measured (`compute_candidates`, 100 documents a proxy,
# word swaps): the original among the 32 for 70.1% of the WP engine's swaps (65.6% without),
# 64.4% of ProThemes' (59.4%), 71.8% of the WordNet leave-one-out dictionary's (69.6%); among
# the best 8: 40.4% (34.1%), 38.0% (31.1%), 54.5% (52.1%). Weight 2 gained more on the engines
# and lost on the leave-one-out dictionary. Without Moby in the resources nothing changes.
CATEGORY_SOURCE = "moby"
_CATEGORY_WEIGHT = 1.0
# Entries read from each inverted list when the categories re-order them (they reach deeper).
_PER_LIST_CATEGORIES = 400


@lru_cache(maxsize=20_000)
def _categories(word: str) -> frozenset[str]:
    """The category-thesaurus entries that list ``word`` or one of its lemmas. (Only computed
    candidates need them: the default resources read the count from the table.)"""
    out: set[str] = set()
    for key in {word, *_lemmas(word)}:
        out.update(orig for orig, _ in lexicon.inverse_entries(key, CATEGORY_SOURCE))
    return frozenset(out)


def shared_categories(observed: str, candidate: str) -> int:
    """How many category-thesaurus entries list both words, plus 3 for each that lists the
    other (lemmas included)."""
    mine, theirs = _categories(observed), _categories(candidate)
    lem_o = {observed, *_lemmas(observed)}
    lem_c = {candidate, *_lemmas(candidate)}
    return len(mine & theirs) + 3 * (not lem_c.isdisjoint(mine)) + 3 * (not lem_o.isdisjoint(theirs))


@lru_cache(maxsize=500_000)
def _prior(text: str) -> float:
    return sum(lm.unigram(w) for w in text.split(" "))


def find_units(
    doc: Document, config: Config, profiles: Sequence[SubstitutionSource] = ()
) -> tuple[list[Unit], int]:
    """The units of ``doc`` that have candidate originals (or a profile's evidence), in text
    order, and the number of eligible words (the denominator of the spin rate)."""
    low, sid, ok = doc.low, doc.sid, doc.ok
    n = len(low)
    sources = tuple(config.resources)
    closed_sources = tuple(s for s in sources if s in CLOSED_CLASS_SOURCES)
    units: list[Unit] = []
    n_eligible = 0
    listed = listed_phrases(sources)
    for i in range(n):
        if not ok[i]:
            continue
        skeleton = is_function_word(low[i])
        in_compound = bool(doc.compound) and bool(doc.compound[i])
        for length in range(1, config.max_ngram + 1):
            j = i + length
            if j > n or not ok[j - 1] or sid[j - 1] != sid[i]:
                break
            phrase = " ".join(low[i:j])
            compound: tuple[Candidate, ...] = ()
            if length == 1:
                if skeleton:
                    # The skeleton: a unit only through the grammar table (real dictionaries
                    # swap at/on, would/could, these/those), and the edge of a phrase only
                    # where a lexicon lists that phrase ("in general", below).
                    if closed_sources and lm.unigram(phrase) < _CLOSED_MAX_LOGP:
                        found = _plausible_candidates(phrase, closed_sources)
                        if found:
                            units.append(Unit(i, j, phrase, found, closed=True))
                    if phrase in NEVER_AN_EDGE:
                        break
                    continue
                n_eligible += 1
            else:
                if in_compound:
                    compound = _compound_candidates(_compound_key(doc, i, j), sources)
                if not compound and (low[j - 1] in NEVER_AN_EDGE or (phrase not in listed and (
                    not profiles or skeleton or is_function_word(low[j - 1])
                ))):
                    # A phrase no lexicon lists has no candidates (skip the cache look-ups); one
                    # with a skeleton word at its edge is a unit only where a lexicon lists it
                    # ("get over", "in general": spinners' phrasal verbs and adverbials).
                    continue
            if profiles:
                pcands, pprob, psupport = _profile_candidates(phrase, profiles)
                pprob, psupport = _capitals_evidence(doc, i, j, profiles, pprob, psupport)
                if doc.compound and (doc.compound[i] or doc.compound[j - 1]):
                    # Inside a hyphenated compound, for a spinner that seldom writes one.
                    pprob, psupport = _position_evidence("hyphened_evidence", doc.compound[i] or doc.compound[j - 1],
                                                         profiles, pprob, psupport)
                generic = compound or _plausible_candidates_as_read(phrase, sources)
                if generic:
                    # Beside a table's own originals too: a spinner that draws among several
                    # substitutes per head writes a known substitute for heads the pairs never
                    # showed with it (100 pairs, held-out WP documents 100-159 and 200-259:
                    # 60.3 -> 61.6% and 56.9 -> 58.1%; ProThemes 49.6 -> 49.4% and 47.8 -> 48.1%).
                    generic = _weighted_by_habits(phrase, generic, profiles)
                cands = pcands + generic
            else:
                pprob = psupport = 0.0
                cands = compound or _plausible_candidates_as_read(phrase, sources)
            if cands or psupport:
                units.append(Unit(i, j, phrase, cands, profile_prob=pprob, profile_support=psupport))
    return units, n_eligible


def _compound_key(doc: Document, i: int, j: int) -> str:
    """The hyphenated compound ("ready-made") that tokens [i, j) are, whole; "" if they are not
    one. Thesauri list such compounds under the hyphenated spelling, not as the words the
    tokenizer reads apart, and dictionaries write them for single words ("ready-made",
    "well-made" for *made*: on the WP dev engine's first 100 spins the original of 38 of the 54
    compounds it wrote is among the compound's candidates, and none of them was a unit)."""
    key = doc.compound[i] if doc.compound else ""
    return key if key and "-".join(doc.low[i:j]) == key else ""


def _compound_candidates(key: str, sources: tuple[str, ...]) -> tuple[Candidate, ...]:
    """The lexicons' candidates of a whole hyphenated compound ``key`` (`_compound_key`; none
    for ""), less its variants that keep one of its parts ("long-run" for "long-term",
    "hi-tech" for "high-tech": spellings and near-synonyms a thesaurus lists side by side, not
    a spinner's swaps). A unit's words apart get theirs as any phrase does."""
    if not key:
        return ()
    parts = set(key.split("-"))
    return tuple(c for c in _plausible_candidates_as_read(key, sources)
                 if "-" not in c.text or not parts.intersection(c.text.split("-")))


# Skeleton words that begin or end no phrase a spinner writes for a word: articles,
# demonstratives, conjunctions and the auxiliaries (a thesaurus's "the country" or "be
# sure" are listed, but a dictionary's phrasal verbs and adverbials end in particles and
# begin with prepositions: "get over", "in general"). On 100 clean news articles they were
# the edge of 31% of the skeleton-edged phrase units and of none of the WP engine's
# multiword substitutions but a handful.
NEVER_AN_EDGE = frozenset(
    """the a an this that these those and or but nor because than if whether be is are was
    were been being have has had do does did""".split()
)

# Sources of closed-class substitutions (which function word can stand in for which): the
# only candidates a function word gets (thesauri list function words loosely: "she" under
# "you"). A content word keeps its function-word candidates: WordNet spinners write
# "approximately" for "about" (dropping them cut nlpaug's WER cut 19.1% -> 12.9%).
CLOSED_CLASS_SOURCES = frozenset({"function"})
# The most frequent English words (Zipf ≥ 7: the, of, to, in, for, that, is, a, and) are
# not closed-class units: a dictionary swaps them rarely ("the" is no thesaurus entry), a
# swap of one is seldom told from its context by a trigram model, and as units they were
# over half of all closed-class units, a quarter of the time of checking new text.
_CLOSED_MAX_LOGP = math.log(0.01)
# Formatting substitutions: digits and number words, abbreviations and what they stand for.
FORMAT_SOURCES = frozenset({"numbers", "abbreviations"})

# A candidate whose prior odds against the observed word, log q(w|c) + log P(c) − log P(w),
# are below this is skipped: its context would have to overturn e^7 to matter, and the
# language model calls it saves are most of the detector's time.
_PRIOR_CUT = -7.0


@lru_cache(maxsize=200_000)
def _plausible_candidates(phrase: str, sources: tuple[str, ...]) -> tuple[Candidate, ...]:
    row = _table_row(phrase, sources)
    if row is not None:
        # The table marks the implausible ones (the same test, run when it was built).
        found = _parse_row(row, plausible_only=True)
    else:
        found = candidates(phrase, sources)
        if not found:
            return ()  # most word pairs and triples: no prior to compute
        found = tuple(c for c in found if _plausible(phrase, c))
    return found


@lru_cache(maxsize=200_000)
def _plausible_candidates_as_read(phrase: str, sources: tuple[str, ...]) -> tuple[Candidate, ...]:
    """`_plausible_candidates` of a British spelling are those of the American form the
    language model reads it as (`lm.spelled_for_model`): the thesauri list "favorable" with
    all its synonyms and "favourable" with few, so only the looser relations spoke for
    "favourable", with a channel that made "good" look like its certain original. The two
    spellings are never each other's original ("aluminium")."""
    american = lm.spelled_for_model(phrase) if " " not in phrase else phrase
    if american == phrase:
        return _plausible_candidates(phrase, sources)
    return tuple(c for c in _plausible_candidates(american, sources) if c.text != phrase)


def _plausible(phrase: str, c: Candidate) -> bool:
    """Is ``c`` worth the language model's time as an original of ``phrase``?"""
    return math.log(c.q) + _prior(c.text) >= _prior(phrase) + _PRIOR_CUT and not _spelling_variant(phrase, c)


def _spelling_variant(observed: str, c: Candidate) -> bool:
    """privatise/privatize, colour/color, labor/labour: a thesaurus lists both, a spinner did
    not swap them."""
    if c.relation == "inflection" or len(observed) < 5 or abs(len(observed) - len(c.text)) > 1:
        return False
    diff = sum(a != b for a, b in zip(observed, c.text)) + abs(len(observed) - len(c.text))
    return diff <= 1 or (observed.endswith("our") and c.text == observed[:-3] + "or") or (
        c.text.endswith("our") and observed == c.text[:-3] + "or")


# A learned table is the strongest evidence there is (a spinner replaces a word the same
# way every time): its candidates outrank any thesaurus candidate.
_PROFILE_Q = 1000.0


def _profile_candidates(
    phrase: str, profiles: Sequence[SubstitutionSource]
) -> tuple[tuple[Candidate, ...], float, float]:
    out: list[Candidate] = []
    prob, support = 0.0, 0.0
    for p in profiles:
        if phrase.count(" ") >= p.max_ngram:
            continue
        origs = p.originals(phrase)
        out.extend(Candidate(c, max(pr, 1e-6) * _PROFILE_Q, f"profile:{p.name}") for c, pr in origs)
        n = _support(p, phrase, bool(origs))
        if n > support:
            prob, support = sum(pr for _, pr in origs), n
    return tuple(out), prob, support


def _capitals_evidence(doc: Document, i: int, j: int, profiles: Sequence[SubstitutionSource],
                       prob: float, support: float) -> tuple[float, float]:
    """A unit written in capitals (a wire headline's words, an acronym): what the profiles
    learned of the spinner's capitals words (`despin.profile.Profile.capitals_evidence`)
    instead of the word's own rate, which was learned where it stood in lower case. With
    100 pairs of the WP dev engine (it matches its dictionary case-sensitively and never
    touches a headline in capitals) the table's entries changed 41 headline words of 60
    held-out documents, all of them wrongly."""
    words = [t.text for t in doc.tokens[i:j]]
    if not words[0].isupper():
        return prob, support  # the common case, decided without joining the words
    return _position_evidence("capitals_evidence", " ".join(words), profiles, prob, support)


def _position_evidence(method: str, key: str, profiles: Sequence[SubstitutionSource], prob: float,
                       support: float) -> tuple[float, float]:
    """What the profiles say of a unit in a position their spinner treats apart (in
    capitals, inside a hyphenated compound: `Profile.capitals_evidence`,
    `Profile.hyphened_evidence`, asked by ``method`` for ``key``): the best-supported
    answer replaces the word's own (prob, support); none keeps it."""
    best: tuple[float, float] | None = None
    for p in profiles:
        evidence = getattr(p, method, None)
        found = evidence(key) if evidence is not None else None
        if found is not None and (best is None or found[1] > best[1]):
            best = found
    return best if best is not None else (prob, support)


def _weighted_by_habits(
    phrase: str, cands: tuple[Candidate, ...], profiles: Sequence[SubstitutionSource]
) -> tuple[Candidate, ...]:
    """Each generic candidate's q times what the spinner's habits say of it
    (`despin.profile.Profile.candidate_weight`: does it replace that word, with new
    substitutes, through that relation)."""
    out = list(cands)
    for p in profiles:
        weight = getattr(p, "candidate_weight", None)
        if weight is not None:
            out = [Candidate(c.text, c.q * weight(phrase, c.text, c.relation), c.relation, c.shared) for c in out]
    return tuple(out)


def _support(p: SubstitutionSource, phrase: str, seen: bool) -> float:
    """How many observations a profile has of ``phrase`` (as substitute or kept as is)."""
    entries = getattr(p, "entries", None)
    kept = getattr(p, "kept", None)
    if entries is None or kept is None:
        return 5.0 if seen else 0.0
    return float(sum(getattr(o, "count", 1) for o in entries.get(phrase, {}).values()) + kept.get(phrase, 0))
