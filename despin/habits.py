"""A spinner's habits: what a profile learned from pairs says about words its table lacks.

A table learned from 100 pairs holds the substitutions those pairs showed; a new article
holds many it never showed (on a real dictionary spinner, a third of the held-out
substitutions). Those are not random: the spinner's dictionary draws on some thesaurus,
replaces the same head words over and over, and leaves other words alone. `estimate`
measures that from the profile itself:

- ``relations``: for each lexicon source (`despin.lexicon.SOURCES`), the share of the
  spinner's one-word substitutions (tokens) whose original that source lists for the
  substitute (directly or through their lemmas); ``inflection`` (same lemma),
  ``spinner_table`` (the table itself links them the other way round or through a shared
  substitute) and ``none`` (nothing explains it);
- ``rate``: the share of tokens it changed; ``new_type_substituted``: of the word types
  seen once in training, the share that were substitutes (how likely an unseen word is a
  substitute, Good-Turing style); ``new_mapping``: the share of substitutions whose
  (original -> substitute) mapping was seen once (how often a known head word gets a
  substitute the table has not seen); ``new_original``: the share whose original was
  replaced once (how often the original is a head word the table does not hold);
- ``alternatives_per_original``, ``kept_share_of_replaced`` (how often it leaves a word it
  replaces elsewhere), ``lowered_share`` (names lower-cased), ``function_word_share``,
  ``inflection_matched`` (the substitute carries the original's inflection),
  ``phrase_lengths`` (original words > spun words: count).

`Profile.candidate_weight` turns them into a prior over a detector's generic candidates
(for the words the table holds too: a known substitute may stand for a head the pairs never
showed with it).

>>> from despin.profile import Profile
>>> p = Profile.from_counts("t", {"sizable": {"big": 8}, "tempest": {"storm": 3}}, kept={"the": 40, "big": 0})
>>> h = estimate(p)
>>> h["new_type_substituted"], h["alternatives_per_original"]
(0.0, 1.0)
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .profile import Profile

# Bumped when the meaning of a stored habit changes; a profile with another version has
# its habits re-estimated on load.
HABITS_VERSION = 1
# Words seen unchanged this often (and never as a substitute) are the spinner's "leave
# alone" words: no generalisation proposes them as substitutes.
_KEPT_ENOUGH = 2
# Candidate weights are ratios against a generic detector's assumption; clipped so one
# habit never decides alone (a weight of 1000 already outweighs any language model odds
# seen in news text).
_WEIGHT_RANGE = (1e-3, 1e3)


# ----------------------------------------------------------------------------- estimate
def estimate(profile: "Profile") -> dict[str, Any]:
    """The habits of ``profile``'s spinner (see the module docstring), as plain JSON data."""
    from . import lexicon

    single: Counter[tuple[str, str]] = Counter()
    phrase_lengths: Counter[str] = Counter()
    for spun, origs in profile.entries.items():
        for o in origs.values():
            phrase_lengths[f"{len(o.text.split())}>{len(spun.split())}"] += o.count
            if " " not in spun and " " not in o.text:
                single[(spun, o.text)] += o.count
    subs = sum(single.values())
    relations: Counter[str] = Counter()
    inflection_matched = inflection_total = 0
    reverse = _reverse(profile)
    for (spun, orig), n in single.items():
        found = False
        for src in lexicon.SOURCES:
            if orig in _lexicon_originals(spun, src):
                relations[src] += n
                found = True
        if _lemmas(spun) & _lemmas(orig):
            relations["inflection"] += n
            found = True
        if orig in _table_originals(profile, reverse, spun, exclude=orig):
            relations["spinner_table"] += n
            found = True
        if not found:
            relations["none"] += n
        t_s, t_o = _tags(spun), _tags(orig)
        if t_s and t_o:
            inflection_total += n
            inflection_matched += n * bool(t_s & t_o)
    # Good-Turing: the share of events seen once estimates the chance the next is new.
    mappings = [o.count for origs in profile.entries.values() for o in origs.values()]
    total_subs = sum(mappings)
    applied = profile.applied_counts
    per_type: dict[str, int] = {}
    for spun, origs in profile.entries.items():
        if " " not in spun:
            per_type[spun] = sum(o.count for o in origs.values())
    seen_once = subs_once = 0
    for w in set(per_type) | {w for w in profile.kept if " " not in w}:
        n_sub, n_kept = per_type.get(w, 0), profile.kept.get(w, 0)
        if n_sub + n_kept == 1:
            seen_once += 1
            subs_once += n_sub
    replaced = [o for o, n in applied.items() if n > 0]
    kept_of_replaced = sum(profile.kept.get(o, 0) for o in replaced)
    top = _function_words()
    return {
        "version": HABITS_VERSION,
        "rate": float(profile.summary.get("substituted_share", 0.0)),
        "relations": {k: round(v / subs, 4) for k, v in sorted(relations.items())} if subs else {},
        "new_type_substituted": round(subs_once / seen_once, 4) if seen_once else 0.0,
        "new_mapping": round(sum(1 for m in mappings if m == 1) / total_subs, 4) if total_subs else 0.0,
        "new_original": round(sum(1 for n in applied.values() if n == 1) / total_subs, 4) if total_subs else 0.0,
        "alternatives_per_original": round(
            sum(1 for origs in profile.entries.values() for _ in origs) / len(applied), 3) if applied else 0.0,
        "kept_share_of_replaced": round(kept_of_replaced / (kept_of_replaced + sum(applied.values())), 4)
        if applied else 0.0,
        "lowered_share": round(profile.lowered_share(), 4),
        "function_word_share": round(sum(n for o, n in applied.items() if o in top) / total_subs, 4)
        if total_subs else 0.0,
        "inflection_matched": round(inflection_matched / inflection_total, 4) if inflection_total else 0.0,
        "phrase_lengths": dict(phrase_lengths.most_common(12)),
    }


# ------------------------------------------------------------------- candidate weights
def candidate_weight(profile: "Profile", observed: str, candidate: str, relation: str) -> float:
    """Multiplicative prior on a generic candidate's q (see `Profile.candidate_weight`)."""
    h = profile.habits
    rate = max(float(h.get("rate") or 0.0), 0.01)
    cand = candidate.lower()
    applied = profile.applied_counts.get(cand, 0)
    kept = profile.kept.get(cand, 0)
    # P(the spinner replaces the candidate), Beta-smoothed towards the token rate, and
    # P(it picks a substitute the table has not seen | it replaces it), Good-Turing per head.
    p_replace = (applied + rate) / (applied + kept + 1.0)
    origs_of_obs = profile.entries.get(observed.lower(), {})
    if cand in origs_of_obs or applied == 0:
        p_new = 1.0  # a mapping the table holds, or a head it has never seen replaced
    elif profile.summary.get("method") == "unpaired":
        # Learned without pairs, the table holds only the substitutes its precision-first
        # tests let through, with counts estimated from frequencies: no singletons to read
        # (a head learned from one frequent substitute would look fully known). A new
        # substitute of a known head is then as likely as the table's share of the spin
        # it does not explain.
        p_new = max(0.05, 1.0 - float(profile.summary.get("coverage", 0.0)))
    else:
        once = sum(1 for origs in profile.entries.values() for o in origs.values()
                   if o.text == cand and o.count == 1)
        p_new = (once + 0.5) / (applied + 1.0)
    weight = p_replace * p_new / rate
    shares = h.get("relations") or {}
    if relation in shares and shares:
        known = [shares.get(s, 0.0) for s in (*_sources(), "inflection")]
        mean = sum(known) / len(known) if known else 0.0
        if mean > 0:
            weight *= (shares[relation] + 0.01) / (mean + 0.01)
    lo, hi = _WEIGHT_RANGE
    return min(hi, max(lo, weight))


# ------------------------------------------------------------------------------ helpers
def _sources() -> tuple[str, ...]:
    from . import lexicon

    return tuple(lexicon.SOURCES)


def _reverse(profile: "Profile") -> dict[str, set[str]]:
    """original -> the substitutes the spinner wrote for it (single words)."""
    cached = profile.__dict__.get("_reverse_cache")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    out: dict[str, set[str]] = {}
    for spun, origs in profile.entries.items():
        if " " in spun:
            continue
        for o in origs:
            if " " not in o:
                out.setdefault(o, set()).add(spun)
    profile.__dict__["_reverse_cache"] = out
    return out


def _table_originals(profile: "Profile", reverse: dict[str, set[str]], word: str,
                     exclude: str | None) -> set[str]:
    """Originals the spinner's own table links to ``word`` beyond a direct entry.

    A thesaurus is roughly symmetric: a word the spinner replaced by X is a candidate
    original of X; and two heads that share a substitute are synonyms of each other.
    ``exclude`` leaves one mapping out (when measuring how well this explains the table).
    """
    out = set(reverse.get(word, ()))
    for o in profile.entries.get(word, {}):
        if o == exclude:
            continue
        for alt in reverse.get(o, ()):
            if alt != word:
                out.update(x for x in profile.entries.get(alt, {}) if x != exclude)
    out.discard(word)
    return out


@lru_cache(maxsize=100_000)
def _lexicon_entries(word: str, source: str) -> tuple[tuple[str, int], ...]:
    from . import lexicon

    return lexicon.inverse_entries(word, source)


@lru_cache(maxsize=100_000)
def _lexicon_originals(word: str, source: str) -> frozenset[str]:
    """Originals ``source`` lists for ``word``, directly or between lemmas."""
    out = {o for o, _ in _lexicon_entries(word, source)}
    for lemma in _lemmas(word):
        for o, _ in _lexicon_entries(lemma, source):
            out.add(o)
            out.update(_forms(o))
    return frozenset(out)


@lru_cache(maxsize=100_000)
def _lemmas(word: str) -> frozenset[str]:
    from lemminflect import getAllLemmas

    return frozenset(x.lower() for lemmas in getAllLemmas(word).values() for x in lemmas) | {word}


@lru_cache(maxsize=100_000)
def _inflections(lemma: str) -> dict[str, tuple[str, ...]]:
    from lemminflect import getAllInflections

    return {tag: tuple(f.lower() for f in fs) for tag, fs in getAllInflections(lemma).items()}


@lru_cache(maxsize=100_000)
def _forms(word: str) -> frozenset[str]:
    return frozenset(f for lemma in _lemmas(word) for fs in _inflections(lemma).values() for f in fs)


@lru_cache(maxsize=100_000)
def _tags(word: str) -> frozenset[str]:
    """Penn tags under which ``word`` is a form of one of its lemmas."""
    return frozenset(tag for lemma in _lemmas(word) for tag, fs in _inflections(lemma).items() if word in fs)


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    from wordfreq import top_n_list

    # The 150 most frequent English words are almost all closed-class (articles,
    # pronouns, prepositions, auxiliaries): a spinner that touches them has a
    # dictionary with function words.
    return frozenset(top_n_list("en", 150))
