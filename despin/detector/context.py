"""Where restoration is decided: a noisy-channel model of a thesaurus spinner.

For each observed word or phrase ``w`` with candidate originals ``c`` (see
`despin.candidates`), in its sentence context::

    P(w was written by the spinner) = ρ·A / (ρ·A + 1 − ρ),   A = Σ_c q(w|c) · P_LM(c, ctx) / P_LM(w, ctx)

where ``P_LM(·, ctx)`` is the trigram probability of the window around the unit (two words
either side) and ρ the document's spin rate, estimated by EM on the document itself: a clean
text drives ρ towards 0 and so flags almost nothing, a spun one raises it. Spinners replace
the same word type the same way everywhere, so the evidence of all occurrences of a type is
pooled before deciding (self-learning inside one document).
"""
from __future__ import annotations

import math
import operator
import re
from functools import lru_cache
from itertools import repeat
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from . import lm
from .calibration import logistic
from .candidates import Candidate, _prior, candidates, listed_phrases
from .config import Config, SubstitutionSource
from .tokenize import Token, tokenize

if TYPE_CHECKING:
    from .lm_trie import TrieLM

# Spans a spinner never touches and we must never "restore".
_PROTECTED = re.compile(
    r"(?:https?://|ftp://|www\.)\S+"  # URLs
    r"|\S+@\S+\.\w+"  # e-mail addresses
    r"|`[^`\n]*`"  # inline code
    r"|\{[^{}\n]*[;=][^{}\n]*\}"  # code blocks with statements
)
_SENTENCE_BREAK = re.compile(r"[.!?;:\n\"“”()\[\]]")
# Words this frequent (zipf ≥ 6.5: the, of, and, to, in, is, ...) are the skeleton of the
# text; flagging them costs many false changes for little recall.
_FUNCTION_ZIPF = 6.5
_RHO_INIT = 0.15
_RHO_MIN, _RHO_MAX = 0.02, 0.6
_EM_STEPS = 4
# Occurrences of one type are not independent evidence (similar contexts): temper the sum.
_TYPE_POOL = 0.6
# A shorter window has fewer factors and so a higher LM probability: charge each word of
# length difference the average surprisal of news text under the trigram model (~5.5 nats).
_NATS_PER_WORD = 5.5
# Capitalised words inside a sentence are mostly names: spinners do damage them, but a
# wrong "restoration" of a name costs more than a missed one.
_NAME_PRIOR = 0.3
# A lower-case unit inside an upper-case line (a headline) is what a spinner leaves when it
# pastes a thesaurus entry: strong evidence of substitution.
_CASE_BREAK = 20.0


@dataclass
class Unit:
    """A run of tokens [i, j) that may be one substitution."""

    i: int
    j: int
    observed: str  # lower-case phrase
    cands: tuple[Candidate, ...]
    odds: list[float] = field(default_factory=list)  # q(w|c)·P(c,ctx)/P(w,ctx) per candidate
    A: float = 0.0
    log_odds: float = 0.0  # log posterior odds of "substituted"
    posterior: float = 0.0
    name: bool = False  # capitalised inside a sentence
    case_break: bool = False  # lower-case inside an upper-case headline
    # What learned profiles say: P(substituted) and how many observations back it.
    profile_prob: float = 0.0
    profile_support: float = 0.0
    # The odds that rank suggestions (odds with the document's own words as evidence,
    # see _document_words); empty: rank by ``odds``. Never used for the posterior.
    rank: list[float] = field(default_factory=list)

    @property
    def ranking(self) -> list[float]:
        return self.rank or self.odds


@dataclass
class Analysis:
    tokens: list[Token]
    units: list[Unit]
    rho: float
    llr: float  # log-likelihood ratio of the fitted mixture against "nothing spun"
    n_eligible: int

    def doc_features(self) -> list[float]:
        """Document-level features for the calibrated document score."""
        singles = [u for u in self.units if u.j - u.i == 1]
        n = max(1, self.n_eligible)
        flagged = sum(u.posterior >= 0.5 for u in self.units)
        top = sorted((u.posterior for u in singles), reverse=True)[: max(1, n // 10)]
        return [
            self.rho,
            self.llr / n,
            flagged / n,
            sum(top) / max(1, len(top)),
            math.log(n),
        ]


# Closed-class words (pronouns, determiners, conjunctions, prepositions): thesauri list
# them loosely ("she" under "you"), and a wrong change to the skeleton of a sentence costs
# more than a missed one. Modals too; other auxiliaries stay eligible: spinners do
# rewrite "was".
_CLOSED_CLASS = frozenset(
    """i me my mine myself you your yours yourself he him his himself she her hers herself it its
    itself we us our ours ourselves they them their theirs themselves this that these those who
    whom whose which what a an the and or but nor so yet if than then because while although
    though unless until since as of at by for from in into onto on off out over under with
    within without about above across after against along among around before behind below
    beneath beside between beyond down during except inside near outside per through
    throughout to toward towards up upon via not no will would shall should can could may might
    must""".split()
)


_FUNCTION_LOGP = math.log(10 ** (_FUNCTION_ZIPF - 9))


def _is_function_word(word: str) -> bool:
    return word in _CLOSED_CLASS or lm.unigram(word) >= _FUNCTION_LOGP


_VOWELS = frozenset("aeiouy")


def eligible_word(low: str) -> bool:
    """May this lower-case word be a substitute at all? (The screen asks the same.)

    Numbers, codes, non-Latin scripts and single letters are immutable; so are words
    without a vowel, which are abbreviations (pct, mln, dlrs), not thesaurus words.

    >>> eligible_word("marketplace"), eligible_word("mln"), eligible_word("1987")
    (True, False, False)
    """
    return low.isascii() and low.replace("'", "").isalpha() and len(low) > 1 and not _VOWELS.isdisjoint(low)


def _sentence_ids(text: str, tokens: Sequence[Token]) -> list[int]:
    ids, sid = [], 0
    for k, t in enumerate(tokens):
        if k and _SENTENCE_BREAK.search(text, tokens[k - 1].end, t.start):
            sid += 1
        ids.append(sid)
    return ids


def analyse(
    text: str,
    config: Config,
    profiles: Sequence[SubstitutionSource] = (),
) -> Analysis:
    tokens = tokenize(text)
    low = [t.text.lower() for t in tokens]
    n = len(tokens)
    protected = [False] * n
    spans = [(m.start(), m.end()) for m in _PROTECTED.finditer(text)]
    if spans:
        for k, t in enumerate(tokens):
            protected[k] = any(s < t.end and t.start < e for s, e in spans)
    sid = _sentence_ids(text, tokens)
    upper_line = _upper_lines(text, tokens)
    ok = [(not protected[k]) and eligible_word(low[k]) for k in range(n)]
    for k, t in enumerate(tokens):
        # Acronyms and codes (EC, GE, NATO) in ordinary text are names, not words to replace.
        if ok[k] and len(t.text) > 1 and t.text.isupper() and not upper_line[k]:
            ok[k] = False
    _mask_foreign_sentences(low, sid, ok)

    sources = tuple(config.resources)
    units: list[Unit] = []
    n_eligible = 0
    for i in range(n):
        if not ok[i]:
            continue
        for length in range(1, config.max_ngram + 1):
            j = i + length
            if j > n or not ok[j - 1] or sid[j - 1] != sid[i]:
                break
            phrase = " ".join(low[i:j])
            if length == 1:
                if _is_function_word(phrase):
                    break  # the skeleton: neither replaced alone nor the edge of a phrase
                n_eligible += 1
            elif _is_function_word(low[j - 1]) or (not profiles and phrase not in listed_phrases(sources)):
                continue  # (a phrase no lexicon lists has no candidates: skip the cache look-ups)
            if profiles:
                pcands, pprob, psupport = _profile_candidates(phrase, profiles)
                cands = pcands + _plausible_candidates(phrase, sources)
            else:
                pprob = psupport = 0.0
                cands = _plausible_candidates(phrase, sources)
            if cands or psupport:
                units.append(Unit(i, j, phrase, cands, profile_prob=pprob, profile_support=psupport))

    _score_units(units, low, sid)
    for u in units:
        first = tokens[u.i].text
        if upper_line[u.i]:
            u.case_break = not any(tokens[k].text.isupper() for k in range(u.i, u.j))
        elif first[:1].isupper() and u.i > 0 and sid[u.i - 1] == sid[u.i]:
            u.name = True

    # The spin rate by EM, on the uncalibrated channel posterior (the calibrated one uses ρ
    # as a feature, so it must not feed back into it).
    rho = _RHO_INIT
    terms = _channel_terms(units)
    single_terms = [t for u, t in zip(units, terms) if u.j - u.i == 1]
    for _ in range(_EM_STEPS):
        # (A prior in pseudo-words pulling ρ down for short texts was measured: any weight
        # that helped tweet-length texts cost more on paragraph-length ones.)
        rho = sum(map(logistic, _channel_log_odds(rho, single_terms))) / max(1, n_eligible)
        rho = min(_RHO_MAX, max(_RHO_MIN, rho))
    _channel_posteriors(units, rho, terms)
    llr = sum(math.log1p(rho * (u.A - 1.0)) for u in units if u.j - u.i == 1)
    if config.explain:
        _rescore_with_neighbours(units, low, sid)
        _pool_suggestions(units)
    _posteriors(units, rho)
    if config.explain:
        _document_words(units, low)
    analysis = Analysis(tokens, units, rho, llr, n_eligible)
    if profiles:
        _apply_profile_evidence(analysis)
    return analysis


def _apply_profile_evidence(a: Analysis) -> None:
    """Let learned substitution rates decide units, in proportion to how spun the text is.

    A profile says how often the spinner's *output* word was a substitute; in a text the
    spinner never touched, "say" is just "say". So the profile's rate is gated by the
    document's own calibrated P(spun) (computed without the profile's say-so).
    """
    from .core import document_score

    gate = document_score(a)
    for u in a.units:
        if u.profile_support:
            n = u.profile_support
            learned = (n * u.profile_prob + _PROFILE_PRIOR_WEIGHT * u.posterior) / (n + _PROFILE_PRIOR_WEIGHT)
            u.posterior = gate * learned + (1 - gate) * u.posterior


# A candidate whose prior odds against the observed word, log q(w|c) + log P(c) − log P(w),
# are below this is skipped: its context would have to overturn e^7 to matter, and the
# language model calls it saves are most of the detector's time.
_PRIOR_CUT = -7.0


@lru_cache(maxsize=200_000)
def _plausible_candidates(phrase: str, sources: tuple[str, ...]) -> tuple[Candidate, ...]:
    found = candidates(phrase, sources)
    if not found:
        return ()  # most word pairs and triples: no prior to compute
    floor = _prior(phrase) + _PRIOR_CUT
    return tuple(
        c for c in found
        if math.log(c.q) + _prior(c.text) >= floor and not _spelling_variant(phrase, c)
    )


def _spelling_variant(observed: str, c: Candidate) -> bool:
    """privatise/privatize, colour/color: a thesaurus lists both, a spinner did not swap them."""
    if c.relation == "inflection" or len(observed) < 5 or abs(len(observed) - len(c.text)) > 1:
        return False
    diff = sum(a != b for a, b in zip(observed, c.text)) + abs(len(observed) - len(c.text))
    return diff <= 1 or (observed.endswith("our") and c.text == observed[:-3] + "or")


def _upper_lines(text: str, tokens: Sequence[Token]) -> list[bool]:
    """Per token: is it on a line written mostly in capitals (a wire headline)?"""
    out: list[bool] = []
    line_end = -1  # where the current line ends: tokens before it are on it (one look-up a line)
    flag = False
    for t in tokens:
        if t.start > line_end:
            ls = text.rfind("\n", 0, t.start) + 1
            line_end = text.find("\n", ls)
            if line_end < 0:
                line_end = len(text)
            letters = [c for c in text[ls:line_end] if c.isalpha()]
            flag = len(letters) >= 8 and sum(c.isupper() for c in letters) > 0.6 * len(letters)
        out.append(flag)
    return out


def _mask_foreign_sentences(low: list[str], sid: list[int], ok: list[bool]) -> None:
    """Leave non-English passages alone: sentences where most words are unknown to the LM."""
    by_sentence: dict[int, list[int]] = {}
    for k, s in enumerate(sid):
        by_sentence.setdefault(s, []).append(k)
    for ks in by_sentence.values():
        words = [low[k] for k in ks if low[k].isalpha()]
        if len(words) >= 3 and sum(not lm.in_vocabulary(w) for w in words) > 0.5 * len(words):
            for k in ks:
                ok[k] = False


# A learned table is the strongest evidence there is (a spinner replaces a word the same
# way every time): its candidates outrank any thesaurus candidate, and its observed rate
# of substitution decides the unit once it rests on a few observations.
_PROFILE_Q = 1000.0
_PROFILE_PRIOR_WEIGHT = 2.0


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


def _support(p: SubstitutionSource, phrase: str, seen: bool) -> float:
    """How many observations a profile has of ``phrase`` (as substitute or kept as is)."""
    entries = getattr(p, "entries", None)
    kept = getattr(p, "kept", None)
    if entries is None or kept is None:
        return 5.0 if seen else 0.0
    return float(sum(getattr(o, "count", 1) for o in entries.get(phrase, {}).values()) + kept.get(phrase, 0))


def _context(low: list[str], sid: list[int], i: int, j: int) -> tuple[list[str], list[str]]:
    left: list[str] = []
    k = i - 1
    while len(left) < 2:
        if k < 0 or sid[k] != sid[i]:
            left.insert(0, lm.BOS)
            break
        left.insert(0, low[k])
        k -= 1
    right: list[str] = []
    k = j
    while len(right) < 2:
        if k >= len(low) or sid[k] != sid[j - 1]:
            right.append(lm.EOS)
            break
        right.append(low[k])
        k += 1
    return left, right


def _score_units(units: Sequence[Unit], low: list[str], sid: list[int]) -> None:
    """`_score_unit` for each unit; with the batch language model loaded, `_score_windows`
    scores every window of the document in one array look-up. The same floats either way."""
    trie = lm.batch_model()
    if trie is None:
        for u in units:
            _score_unit(u, *_context(low, sid, u.i, u.j))
        return
    _score_windows(units, low, sid, trie)


@dataclass(frozen=True)
class _Windows:
    """A unit type's windows for the batch model, window after window: its observed phrase,
    then each candidate. Built once per type and model (the look-ups of ~1,000 candidate
    words a document are the batch path's largest Python cost otherwise)."""

    # The arrays are numpy's, typed Any: numpy is imported on first use, and a dataclass's
    # annotations must resolve when the module runs compiled (setup.py, mypyc).
    cands: tuple[Candidate, ...]  # whose windows these are (checked by identity before reuse)
    words: list[str]
    ids: Any  # `TrieLM.ids` of words
    oov: Any  # `lm.oov_logprob` of the words outside the vocabulary, else 0.0
    sizes: Any  # words per window
    q: Any  # per candidate, its channel probability
    profiled: bool  # profile candidates come first (see analyse) and stay out of A


# Per batch model, observed phrase -> its windows; cleared past a bound to keep memory flat.
_WINDOWS: dict[str, _Windows] = {}
_WINDOWS_OF: list[TrieLM] = []
_WINDOWS_MAX = 100_000


def _windows(u: Unit, trie: TrieLM) -> _Windows:
    if not _WINDOWS_OF or _WINDOWS_OF[0] is not trie:
        _WINDOWS.clear()
        _WINDOWS_OF[:] = [trie]
    w = _WINDOWS.get(u.observed)
    if w is not None and w.cands is u.cands:
        return w
    import numpy as np

    words = u.observed.split(" ")
    sizes = [len(words)]
    for c in u.cands:
        words += c.words
        sizes.append(len(c.words))
    ids = trie.ids(words)
    oov = np.zeros(len(words))
    for k in np.nonzero(ids < 0)[0].tolist():
        oov[k] = lm.oov_logprob(words[k])
    w = _Windows(u.cands, words, ids, oov, np.array(sizes), np.array([c.q for c in u.cands]),
                 u.cands[0].relation.startswith("profile:"))
    if len(_WINDOWS) >= _WINDOWS_MAX:
        _WINDOWS.clear()
    _WINDOWS[u.observed] = w
    return w


def _score_windows(units: Sequence[Unit], low: list[str], sid: list[int], trie: TrieLM) -> None:
    """`_score_unit` for all units at once, through the batch model.

    Each window (the observed phrase, then each candidate, with the unit's context) is a row
    ``l2 l1 w1 … wn r1 [r2]`` of positions into one word list (the units' contexts, then their
    `_windows`): "" pads a left context cut by the sentence start, as `lm.context_logprob`
    pads its history, and a right context cut by the sentence end has one term fewer. All
    rows' trigrams are scored in one call, then summed column by column: the terms of
    `lm.context_logprob`, added in its order (a row's trailing 0.0 padding adds nothing),
    so the odds are `_score_unit`'s floats.
    """
    import numpy as np

    todo: list[Unit] = []
    blocks: list[_Windows] = []
    ctx: list[str] = []  # per unit: l2 l1 r1 r2
    has_r2: list[bool] = []
    for u in units:
        if not u.cands:
            u.odds, u.A = [], 0.0  # as _score_unit leaves it (a unit kept for a profile's evidence)
            continue
        left, right = _context(low, sid, u.i, u.j)
        todo.append(u)
        blocks.append(_windows(u, trie))
        if len(left) == 1:
            ctx.append("")
        ctx += left
        ctx.append(right[0])
        ctx.append(right[1] if len(right) == 2 else "")
        has_r2.append(len(right) == 2)
    if not todo:
        return
    n = np.concatenate([b.sizes for b in blocks])
    n_win = np.array([len(b.sizes) for b in blocks])
    n_ctx = len(ctx)
    ids = np.concatenate([trie.ids(ctx), *(b.ids for b in blocks)])
    oov = np.concatenate([np.zeros(n_ctx), *(b.oov for b in blocks)])
    for k in np.nonzero(ids[:n_ctx] < 0)[0].tolist():
        if ctx[k]:
            oov[k] = lm.oov_logprob(ctx[k])
    rows = np.arange(len(n))
    unit = np.repeat(np.arange(len(todo)), n_win)
    # The window's word positions, -1 past its last term.
    pos = np.full((len(n), int(n.max()) + 4), -1)
    pos[:, 0] = 4 * unit
    pos[:, 1] = 4 * unit + 1
    n_mid = len(ids) - n_ctx
    row_of_word = np.repeat(rows, n)
    pos[row_of_word, 2 + np.arange(n_mid) - (np.cumsum(n) - n)[row_of_word]] = n_ctx + np.arange(n_mid)
    pos[rows, 2 + n] = 4 * unit + 2
    r2 = np.array(has_r2)[unit]
    pos[rows[r2], 3 + n[r2]] = 4 * unit[r2] + 3

    term = pos[:, 2:] >= 0
    w, h1, h2 = pos[:, 2:][term], pos[:, 1:-1][term], pos[:, :-2][term]
    words: list[str] = []  # all the words, for the rare keys pocketsphinx answers

    def key_of(k: int) -> tuple[str, str, str]:
        if not words:
            words.extend(ctx)
            for b in blocks:
                words.extend(b.words)
        return words[w[k]], words[h1[k]], words[h2[k]]

    logp = np.zeros(term.shape)
    logp[term] = lm.batch_logprob_ids(ids[w], ids[h1], ids[h2], oov[w], key_of)
    sums = logp[:, 0] + logp[:, 1]
    for col in range(2, pos.shape[1] - 2):
        sums += logp[:, col]

    first = np.cumsum(n_win) - n_win  # each unit's observed window: the base of its odds
    cand = np.ones(len(n), bool)
    cand[first] = False
    d = (sums - sums[first][unit])[cand]
    shorter = (n[first][unit] - n)[cand]
    d = np.where(shorter > 0, d - _NATS_PER_WORD * shorter, d)
    # math.exp, not numpy's: numpy's may differ in the last bit.
    e = np.fromiter(map(math.exp, np.minimum(d, 50.0).tolist()), float, len(d))
    odds = (np.concatenate([b.q for b in blocks]) * e).tolist()
    k = 0
    for u, b in zip(todo, blocks):
        u.odds = odds[k:k + len(u.cands)]
        k += len(u.cands)
        if b.profiled:  # as in _score_unit
            u.A = sum(o for c, o in zip(u.cands, u.odds) if not c.relation.startswith("profile:"))
        else:
            u.A = sum(u.odds)


def _score_unit(u: Unit, left: list[str], right: list[str]) -> None:
    """The unit's candidate odds in its context, one window at a time (no batch model)."""
    base = lm.context_logprob(left, u.observed.split(" "), right)
    one_word = [c.words[0] for c in u.cands if len(c.words) == 1]
    if len(left) == 2 and len(right) == 2:
        # The common case, unrolled for one-word candidates: three trigrams each. The
        # same cache, keys and sums as lm.context_logprob.
        get, lookup = lm._CACHE.get, lm._lookup
        l2, l1 = left
        r1, r2 = right
        sums = []
        for w in one_word:
            k = (w, l1, l2)
            p1 = get(k)
            if p1 is None:
                p1 = lookup(k)
            k = (r1, w, l1)
            p2 = get(k)
            if p2 is None:
                p2 = lookup(k)
            k = (r2, r1, w)
            p3 = get(k)
            if p3 is None:
                p3 = lookup(k)
            sums.append(p1 + p2 + p3)
    else:
        sums = [lm.context_logprob(left, (w,), right) for w in one_word]
    # The odds against the observed window (``base``); multiword candidates are scored here.
    n_observed = u.j - u.i
    exp = math.exp
    odds = []
    n_one = 0  # one-word candidates so far: their index in sums
    for c in u.cands:
        words = c.words
        if len(words) == 1:
            d = sums[n_one] - base
            n_one += 1
        else:
            d = lm.context_logprob(left, words, right) - base
        if len(words) < n_observed:
            d -= _NATS_PER_WORD * (n_observed - len(words))
        odds.append(c.q * exp(d if d < 50.0 else 50.0))
    u.odds = odds
    # Profile candidates rank suggestions but stay out of A: the detector's own evidence
    # (and so ρ and the document score) must not depend on a profile's say-so.
    u.A = sum(o for c, o in zip(u.cands, odds) if not c.relation.startswith("profile:"))


_NEIGHBOUR_SHARE = 0.5


def _rescore_with_neighbours(units: list[Unit], low: list[str], sid: list[int]) -> None:
    """Second pass: judge each unit with its likely-spun neighbours restored.

    Adjacent substitutions ("inventory marketplace" for "stock market") each look odd in
    the other's spun context; replacing confident neighbours by their best candidate lets
    the language model see the pair together.
    """
    replaced: dict[int, str] = {}
    for u in units:
        if u.j - u.i == 1 and u.posterior >= 0.5 and u.odds:
            top = max(u.odds)
            best = u.cands[u.odds.index(top)].text
            # Only a dominant restoration is a safe context for the neighbours.
            if " " not in best and top >= _NEIGHBOUR_SHARE * u.A:
                replaced[u.i] = best
    if not replaced:
        return
    low2 = list(low)
    for k, w in replaced.items():
        low2[k] = w
    _score_units([u for u in units if any(k in replaced for k in (u.i - 2, u.i - 1, u.j, u.j + 1))], low2, sid)


# How much the other occurrences of a word type weigh in ranking one occurrence's
# candidates: a table spinner restores "hebdomadary" to the same original everywhere.
_POOL_RANKING = 0.5


def _pool_suggestions(units: list[Unit]) -> None:
    """Rank each occurrence's candidates with the evidence of the type's other occurrences."""
    by_type: dict[str, list[Unit]] = {}
    for u in units:
        if u.A > 0:
            by_type.setdefault(u.observed, []).append(u)
    log, exp = math.log, math.exp
    own_weight = 1 - _POOL_RANKING
    for group in by_type.values():
        n = len(group)
        if n < 2:
            continue
        mean_share: dict[str, float] = {}
        get = mean_share.get
        shares = []
        for u in group:
            # _log(o / A), inlined: this loop runs for every candidate of every repeated type.
            logs = [log(x if x >= 1e-30 else 1e-30) for x in map(operator.truediv, u.odds, repeat(u.A))]
            shares.append(logs)
            for c, lo in zip(u.cands, logs):
                text = c.text
                mean_share[text] = get(text, 0.0) + lo / n
        for u, logs in zip(group, shares):
            raw = [exp(own_weight * lo + _POOL_RANKING * mean_share[c.text]) for c, lo in zip(u.cands, logs)]
            total = sum(raw)
            A = u.A
            u.odds = [A * r / total for r in raw]


# Bounds on how much the document's own use of a word can favour it as an original.
_DOC_WORD_MAX = 16.0


def _document_words(units: list[Unit], low: list[str]) -> None:
    """Self-learning, for ranking: is an original the document also uses a likelier one?

    A spinner that draws a substitute per occurrence leaves the original word standing
    elsewhere in the text ("market" once as "marketplace", twice as itself); a table
    spinner replaces it everywhere, so there the evidence is void. Which of the two this
    document is, is read off its confident units: how much more often their best
    candidate occurs elsewhere in the text than their other candidates do. That ratio,
    clipped to [1, 16], multiplies the odds of every candidate the text uses elsewhere.
    """
    counts: dict[str, int] = {}
    for w in low:
        counts[w] = counts.get(w, 0) + 1
    n1 = e1 = n0 = e0 = 0
    for u in units:
        if u.posterior < 0.8 or not u.odds:
            continue
        best = max(u.odds)
        if best < 0.7 * sum(u.odds):
            continue
        for c, o in zip(u.cands, u.odds):
            if " " in c.text:
                continue
            used = c.text in counts
            if o == best:
                n1, e1 = n1 + 1, e1 + used
            else:
                n0, e0 = n0 + 1, e0 + used
    ratio = ((e1 + 0.5) / (n1 + 1)) / ((e0 + 0.5) / (n0 + 1))
    boost = max(1.0, min(_DOC_WORD_MAX, ratio))
    if boost == 1.0:
        return
    for u in units:
        if u.odds and any(c.text in counts for c in u.cands):
            raw = [o * boost if c.text in counts else o for c, o in zip(u.cands, u.odds)]
            # Typed sums: compiled (mypyc), sum(a) / sum(b) of floats fails, taken for ints.
            before: float = sum(u.odds)
            after: float = sum(raw)
            scale = before / after
            u.rank = [r * scale for r in raw]


def _log(x: float) -> float:
    return math.log(max(x, 1e-30))


def unit_features(u: Unit, rho: float, pooled: float, count: int) -> list[float]:
    """Per-unit features for the calibrated posterior (see scripts/calibrate.py)."""
    best = max(u.odds) if u.odds else 1e-30
    top = u.cands[u.odds.index(best)] if u.odds else None
    la = max(-30.0, min(30.0, _log(u.A)))
    first = u.observed.partition(" ")[0]
    return [
        la,  # channel-weighted LM evidence
        max(-30.0, min(30.0, _log(best))),
        math.log(rho / (1 - rho)),  # the document's spin rate, by EM
        max(-30.0, min(30.0, pooled)),  # evidence from the other occurrences of this type
        math.log(count),
        lm.unigram(first) / 10.0,  # rare words are typical spinner output
        (lm.unigram(top.words[0]) / 10.0) if top else -3.0,
        float(u.name),
        float(u.case_break),
        float(u.j - u.i - 1),  # observed phrase length beyond one word
        float(len(top.words) - 1) if top else 0.0,
        float(top is not None and top.relation.startswith("profile:")),
        float(lm.in_vocabulary(first)),
    ]


def suggestion_context(a: Analysis) -> tuple[float, float, float]:
    """Document-level evidence for the suggestion model: does despin's thesaurus explain
    this spinner? Where it does, the flagged units' best candidates tend to dominate and
    to be strongly preferred by the language model."""
    shares, gains = [], []
    for u in a.units:
        if u.posterior >= 0.5 and u.odds:
            odds = u.ranking
            total = sum(odds)
            best = max(odds)
            top = u.cands[odds.index(best)]
            shares.append(_log(best / total))
            gains.append(max(-30.0, min(30.0, _log(best / top.q))) / 10.0)
    n = max(1, len(shares))
    return (math.log(a.rho / (1 - a.rho)) / 5.0, sum(shares) / n, sum(gains) / n)


def suggestion_features(u: Unit, count: int, context: tuple[float, float, float]) -> list[float]:
    """Features of a unit's best candidate for P(it is exactly the original | unit spun).

    The language model's share among the candidates is not that probability: when the
    spinner's thesaurus is not ours the original is often not a candidate at all, and the
    share is then confidently wrong. ``scripts/calibrate.py`` fits a logistic model of
    these on simulated spins whose thesaurus the detector has and has not.
    """
    odds = u.ranking
    total = sum(odds)
    ranked = sorted(odds, reverse=True)
    best = ranked[0]
    top = u.cands[odds.index(best)]
    second = ranked[1] if len(ranked) > 1 else 0.0
    first_observed = u.observed.split(" ")[0]
    return [
        _log(best / total),
        _log(second / total) / 10.0,
        max(-30.0, min(30.0, _log(best / top.q))) / 10.0,  # the language model's gain for it
        math.log(top.q),
        (lm.unigram(top.text.split(" ")[0]) - lm.unigram(first_observed)) / 10.0,
        math.log(len(u.cands)),
        float(top.relation == "inflection"),
        float(top.relation == "moby"),
        float(top.relation.startswith("profile:")),
        max(-10.0, min(10.0, u.log_odds)) / 10.0,
        math.log(count),
        float(len(top.text.split(" ")) - (u.j - u.i)),
        *context,
    ]


def _channel_terms(units: list[Unit]) -> list[tuple[float, float, float, float]]:
    """Per unit, the parts of the uncalibrated log-odds that do not depend on ρ."""
    totals: dict[str, float] = {}
    own = [_log(u.A) for u in units]
    for u, o in zip(units, own):
        totals[u.observed] = totals.get(u.observed, 0.0) + o
    case = math.log(_CASE_BREAK)
    return [
        (o, math.log(_NAME_PRIOR if u.name else 1.0), case if u.case_break else 0.0,
         _TYPE_POOL * (totals[u.observed] - o))
        for u, o in zip(units, own)
    ]


def _channel_posteriors(units: list[Unit], rho: float, terms: list[tuple[float, float, float, float]]) -> None:
    """The uncalibrated noisy-channel posterior with pooled type evidence (EM's E-step)."""
    for u, lo in zip(units, _channel_log_odds(rho, terms)):
        u.log_odds = lo
        u.posterior = logistic(lo)


def _channel_log_odds(rho: float, terms: list[tuple[float, float, float, float]]) -> list[float]:
    """Per unit, the uncalibrated log-odds of "substituted" at spin rate ρ (EM's steps need only these)."""
    prior = math.log(rho / (1 - rho))
    return [prior + own + name + case + pool for own, name, case, pool in terms]


def _posteriors(units: list[Unit], rho: float) -> None:
    """The calibrated unit posterior (``unit_features`` through the fitted logistic model);
    without a calibration file, the noisy-channel one."""
    from .calibration import unit_weights

    weights = unit_weights()
    if weights is None:
        _channel_posteriors(units, rho, _channel_terms(units))
        return
    by_type: dict[str, list[Unit]] = {}
    for u in units:
        by_type.setdefault(u.observed, []).append(u)
    bias, slopes = weights[0], weights[1:]
    for group in by_type.values():
        logs = [_log(u.A) for u in group]
        total = sum(logs)
        for u, own in zip(group, logs):
            f = unit_features(u, rho, total - own, len(group))
            u.log_odds = bias + sum(map(operator.mul, slopes, f))  # the sum of w·x in order, as ever
            u.posterior = logistic(u.log_odds)
