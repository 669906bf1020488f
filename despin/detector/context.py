"""Stage 3 — candidates → their odds in context: where the language model speaks.

In: the `Unit`s with their candidates (stage 2) and the document's lower-case words and
sentences. Out: per unit, ``odds`` — for each candidate ``c`` of the observed ``w``,
``q(w|c)·P_LM(window with c)/P_LM(window with w)`` — and their sum ``A``, the evidence that
``w`` was written by a spinner for some ``c``::

    A = Σ_c q(w|c) · P_LM(c, ctx) / P_LM(w, ctx)

``P_LM(·, ctx)`` is the trigram probability of the window around the unit (two words either
side). Three later passes refine the odds, after the spin rate is known (stage 4): the
neighbours of confidently restored units are scored again with those restored
(`rescore_with_neighbours`); in a document spun at a high rate, units beside likely-spun
neighbours are scored again with each neighbour read as a mixture of what it may have said
(`rescore_with_mixed_neighbours`: adjacent substitutions); and the odds of all occurrences
of a word type are pooled (`pool_type_odds`: a spinner replaces a type the same way
everywhere).
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING, Any, Sequence

from .. import lm
from .records import Candidate, Unit

if TYPE_CHECKING:
    from ..lm_trie import TrieLM

# A shorter window has fewer factors and so a higher LM probability: charge each word of
# length difference the average surprisal of news text under the trigram model (~5.5 nats).
_NATS_PER_WORD = 5.5
# A sums the odds of this many candidates (the best by prior): every candidate ranks
# suggestions (`MAX_CANDIDATES`, 32: the original is among them for 66% of a real
# dictionary's word swaps, against 51% at 16), but past ~16 the language model mostly finds
# chance alternatives that fit the context, and summed into A they flag clean words.
EVIDENCE_CANDIDATES = 16


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


def score_units(units: Sequence[Unit], low: list[str], sid: list[int]) -> None:
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

    words = lm.spelled_words_for_model(u.observed.split(" "))
    sizes = [len(words)]
    read = lm.read_for_model
    for c in u.cands:
        cw = c.words  # as the text would read with it ("5": five)
        if len(cw) == 1:
            words.append(read(cw[0]))
        else:
            words += lm.words_read_for_model(cw)
        sizes.append(len(cw))
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
        has_r2.append(_add_context(ctx, left, right))
    if not todo:
        return
    sums, n, n_win = _row_sums(blocks, ctx, has_r2, trie)
    odds = _odds(sums, n, n_win, np.concatenate([b.q for b in blocks]))
    k = 0
    for u, b in zip(todo, blocks):
        u.odds = odds[k:k + len(u.cands)]
        k += len(u.cands)
        if b.profiled:  # as in _score_unit
            u.A = _evidence(u.cands, u.odds)
        else:
            u.A = sum(u.odds[:EVIDENCE_CANDIDATES])


def _odds(logp: Any, n: Any, n_win: Any, q: Any) -> list[float]:
    """The candidates' odds from their windows' log-probabilities ``logp``: per unit a run of
    ``n_win`` rows, its observed phrase first, then each candidate; ``n``, each row's words;
    ``q``, each candidate's channel probability. ``q · P(window with it) / P(observed window)``,
    a shorter candidate charged `_NATS_PER_WORD` a word (`_score_unit`'s floats)."""
    import numpy as np

    unit = np.repeat(np.arange(len(n_win)), n_win)
    first = np.cumsum(n_win) - n_win  # each unit's observed window: the base of its odds
    cand = np.ones(len(n), bool)
    cand[first] = False
    d = (logp - logp[first][unit])[cand]
    shorter = (n[first][unit] - n)[cand]
    d = np.where(shorter > 0, d - _NATS_PER_WORD * shorter, d)
    # math.exp, not numpy's: numpy's may differ in the last bit.
    e = np.fromiter(map(math.exp, np.minimum(d, 50.0).tolist()), float, len(d))
    odds: list[float] = (q * e).tolist()
    return odds


def _add_context(ctx: list[str], left: list[str], right: list[str]) -> bool:
    """Append a window's context to ``ctx`` as `_row_sums` reads it (l2 l1 r1 r2, "" padding a
    cut); whether it has an r2."""
    if len(left) == 1:
        ctx.append("")
    ctx += left
    ctx.append(right[0])
    ctx.append(right[1] if len(right) == 2 else "")
    return len(right) == 2


def _row_sums(blocks: list[_Windows], ctx: list[str], has_r2: list[bool],
              trie: TrieLM) -> tuple[Any, Any, Any]:
    """Per window row of `_score_windows` (per block, its observed phrase then each candidate,
    in the block's context: four entries of ``ctx`` each), the sum of its trigram terms in
    `lm.context_logprob`'s order; also the rows' word counts and each block's number of rows."""
    import numpy as np

    n = np.concatenate([b.sizes for b in blocks])
    n_win = np.array([len(b.sizes) for b in blocks])
    n_ctx = len(ctx)
    ids = np.concatenate([trie.ids(ctx), *(b.ids for b in blocks)])
    oov = np.concatenate([np.zeros(n_ctx), *(b.oov for b in blocks)])
    for k in np.nonzero(ids[:n_ctx] < 0)[0].tolist():
        if ctx[k]:
            oov[k] = lm.oov_logprob(ctx[k])
    rows = np.arange(len(n))
    unit = np.repeat(np.arange(len(blocks)), n_win)
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
    return sums, n, n_win


def _score_unit(u: Unit, left: list[str], right: list[str]) -> None:
    """The unit's candidate odds in its context, one window at a time (no batch model)."""
    base = lm.context_logprob(left, lm.spelled_words_for_model(u.observed.split(" ")), right)
    one_word = [lm.read_for_model(c.words[0]) for c in u.cands if len(c.words) == 1]
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
            d = sums[n_one] - base  # (read for the model above, in one_word)
            n_one += 1
        else:
            d = lm.context_logprob(left, lm.words_read_for_model(words), right) - base
        if len(words) < n_observed:
            d -= _NATS_PER_WORD * (n_observed - len(words))
        odds.append(c.q * exp(d if d < 50.0 else 50.0))
    u.odds = odds
    u.A = _evidence(u.cands, odds)


def _evidence(cands: Sequence[Candidate], odds: list[float]) -> float:
    """A: the odds of the first `EVIDENCE_CANDIDATES` lexicon candidates (best prior first).
    Profile candidates rank suggestions but stay out of A: the detector's own evidence (and
    so ρ and the document score) must not depend on a profile's say-so."""
    total = 0.0
    n = 0
    for c, o in zip(cands, odds):
        if not c.relation.startswith("profile:"):
            total += o
            n += 1
            if n == EVIDENCE_CANDIDATES:
                break
    return total


_NEIGHBOUR_SHARE = 0.5


def rescore_with_neighbours(units: list[Unit], low: list[str], sid: list[int]) -> None:
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
    score_units([u for u in units if any(k in replaced for k in (u.i - 2, u.i - 1, u.j, u.j + 1))], low2, sid)


# The mixed neighbours (`rescore_with_mixed_neighbours`): content-word units at least
# `MIX_FLOOR` likely spun (stage 4's posterior, before calibration) are read as mixtures of
# their word and their best `MIX_TOP` one-word candidates; units at least `MIX_UNIT_FLOOR`
# likely beside them are scored again, in the `MIX_COMBINATIONS` likeliest readings of their
# two neighbours, and all of it `MIX_ROUNDS` times (the second round reads the neighbours'
# odds of the first).
# Chosen on 40 documents of each real dev engine (WER cut, the first round alone +0.8 / +0.3,
# both +0.8 / +0.9; 8 readings of a neighbour against 4 +0.3 / +0.5; no floor for the units
# scored again +0.0 / +0.1 at 50% more windows; mixing the neighbours two words away too
# −0.4 / −0.3, a geometric mixture of the readings −1.0 / −0.9). Closed-class neighbours
# (at/on, would/could: the grammar table's candidates) are read as written: mixed too, they
# cost 0.1 points on both engines and on leave-WordNet-out (`quality.py --limit 100`), and time.
# Once stage 5 has ranked the candidates, `despin.core.analyse` runs one more round with the
# neighbours' candidates weighted by that ranking and ranks again (WER cut on the engines'
# first 40 documents +1.1 / +0.3, the next 60 +1.0 / +0.3; one round at stage 3 instead of
# two then −0.15 on WP).
MIX_FLOOR = 0.15
MIX_TOP = 8
MIX_COMBINATIONS = 16
MIX_ROUNDS = 2
MIX_UNIT_FLOOR = 0.05
# ... only in documents whose fitted spin rate (stage 4) is at least this: adjacent
# substitutions go with the square of the rate, and clean text seldom gets there (3.7% of
# 300 400-word news-dev windows, 9% of the engines' 150 originals; 99% and 97% of their
# spins), so `check` on new clean text keeps its speed.
MIX_FROM_RATE = 0.12


def _readings(v: Unit, ranked: bool) -> list[tuple[float, str | None]]:
    """What a likely unit's word may have said: the word itself (None) with 1 − posterior,
    and its best `MIX_TOP` one-word candidates sharing the posterior by their odds (by its
    ranking, stage 5's, with ``ranked``)."""
    shares = v.ranking if ranked else v.odds
    total: float = sum(shares)
    if total <= 0:
        return [(1.0, None)]
    out: list[tuple[float, str | None]] = [(1.0 - v.posterior, None)]
    best = sorted(range(len(v.cands)), key=lambda k: -shares[k])[:MIX_TOP]
    for k in best:
        text = v.cands[k].text
        if " " not in text:
            out.append((v.posterior * shares[k] / total, lm.read_for_model(text)))
    norm: float = sum(p for p, _ in out)
    return [(p / norm, w) for p, w in out if p > 0]


def _mixed_contexts(left: list[str], right: list[str], lefts: list[tuple[float, str | None]],
                    rights: list[tuple[float, str | None]]) -> list[tuple[float, list[str], list[str]]]:
    """The unit's contexts with its neighbours read as mixtures (``lefts`` and ``rights``,
    `_readings`): the likeliest `MIX_COMBINATIONS` as (log weight, left, right), weights
    renormalised."""
    combos = sorted(((pl * pr, wl, wr) for pl, wl in lefts for pr, wr in rights), key=lambda x: -x[0])
    combos = combos[:MIX_COMBINATIONS]
    norm: float = sum(p for p, _, _ in combos)
    out = []
    for p, wl, wr in combos:
        ll = left if wl is None else [*left[:-1], wl]
        rr = right if wr is None else [wr, *right[1:]]
        out.append((math.log(p / norm), ll, rr))
    return out


# A unit read as itself only (no likely neighbour on that side).
_ITSELF: list[tuple[float, str | None]] = [(1.0, None)]


def _mixed_sums_plain(todo: list[tuple[Unit, list[tuple[float, list[str], list[str]]]]]) -> list[float]:
    """Per unit, per mixed context, per window (the observed phrase, then each candidate),
    the language model's log-probability, one window at a time: `_mixed_sums_batch`'s floats."""
    out: list[float] = []
    for u, contexts in todo:
        options = [lm.spelled_words_for_model(u.observed.split(" "))]
        options += [lm.words_read_for_model(c.words) for c in u.cands]
        for _, left, right in contexts:
            out += [lm.context_logprob(left, words, right) for words in options]
    return out


def _mixed_sums_batch(todo: list[tuple[Unit, list[tuple[float, list[str], list[str]]]]],
                      trie: TrieLM) -> list[float]:
    """`_mixed_sums_plain` through the batch model: every window in one `_row_sums` call."""
    blocks: list[_Windows] = []
    ctx: list[str] = []
    has_r2: list[bool] = []
    for u, contexts in todo:
        block = _windows(u, trie)
        for _, left, right in contexts:
            blocks.append(block)
            has_r2.append(_add_context(ctx, left, right))
    sums: list[float] = _row_sums(blocks, ctx, has_r2, trie)[0].tolist()
    return sums


def rescore_with_mixed_neighbours(units: list[Unit], low: list[str], sid: list[int], rho: float,
                                  rounds: int = MIX_ROUNDS, ranked: bool = False) -> None:
    """Third pass: read each unit beside a likely-spun neighbour with that neighbour as a
    mixture of what it may have said.

    `rescore_with_neighbours` restores a neighbour only where one candidate dominates; most
    adjacent substitutions have no such neighbour ("inventory marketplace": each word's
    best candidate is unsure in the other's spun context). On 40 documents of a real
    engine's spins (ProThemes dev), the originals of adjacent substitutions were the best
    suggestion for 28% of those flagged, against 39% for lone substitutions, and 41% with
    the neighbours' originals given. Here the neighbour right before and right after the
    unit (in its sentence, a content word at least `MIX_FLOOR` likely) is its word with
    P(not substituted) and each of its best candidates with P(substituted) × its share of
    the odds (`_readings`); each candidate's odds are ``q · Σ P(reading) · P_LM(window with the
    candidate) / Σ P(reading) · P_LM(window with the word)``. Only in documents whose spin
    rate ``rho`` is at least `MIX_FROM_RATE`; ``rounds`` times. With ``ranked`` (once stage 5
    has ranked the candidates, `despin.core.analyse`), the neighbours' candidates share their
    posterior by their ranking instead of their odds.
    """
    if rho < MIX_FROM_RATE:
        return
    import numpy as np

    trie = lm.batch_model()
    for _ in range(rounds):
        readings = {u.i: _readings(u, ranked) for u in units
                    if u.j - u.i == 1 and u.odds and u.posterior >= MIX_FLOOR and not u.closed}
        if not readings:
            return
        todo: list[tuple[Unit, list[tuple[float, list[str], list[str]]]]] = []
        for u in units:
            if not u.cands or not u.odds or u.posterior < MIX_UNIT_FLOOR:
                continue
            lefts = readings.get(u.i - 1) if u.i > 0 and sid[u.i - 1] == sid[u.i] else None
            rights = readings.get(u.j) if u.j < len(sid) and sid[u.j] == sid[u.j - 1] else None
            if lefts is None and rights is None:
                continue
            left, right = _context(low, sid, u.i, u.j)
            todo.append((u, _mixed_contexts(left, right, lefts or _ITSELF, rights or _ITSELF)))
        if not todo:
            return
        sums = np.array(_mixed_sums_plain(todo) if trie is None else _mixed_sums_batch(todo, trie))
        # Per window row: its log weight, and its place among the unit's windows (0: the
        # observed phrase); then log Σ_contexts weight · P_LM(window) per (unit, place).
        n_windows = np.array([1 + len(u.cands) for u, _ in todo])
        n_contexts = np.array([len(contexts) for _, contexts in todo])
        weight = np.repeat(np.array([lw for _, contexts in todo for lw, _, _ in contexts]),
                           np.repeat(n_windows, n_contexts))
        first = np.repeat(np.cumsum(n_windows) - n_windows, n_windows * n_contexts)
        block = np.repeat(np.cumsum(n_windows * n_contexts) - n_windows * n_contexts, n_windows * n_contexts)
        within = np.arange(len(sums)) - block
        key = first + within % np.repeat(n_windows, n_windows * n_contexts)
        x = sums + weight
        top = np.full(int(n_windows.sum()), -np.inf)
        np.maximum.at(top, key, x)
        total = np.zeros(len(top))
        np.add.at(total, key, np.exp(x - top[key]))
        mixed = top + np.log(total)
        sizes = np.array([n for u, _ in todo for n in (u.j - u.i, *(len(c.words) for c in u.cands))])
        odds = _odds(mixed, sizes, n_windows, np.array([c.q for u, _ in todo for c in u.cands]))
        k = 0
        for u, _ in todo:
            u.odds = odds[k:k + len(u.cands)]
            u.A = _evidence(u.cands, u.odds)
            k += len(u.cands)


# How much the other occurrences of a word type weigh in ranking one occurrence's
# candidates: a table spinner restores "hebdomadary" to the same original everywhere.
_POOL_RANKING = 0.5


def pool_type_odds(units: list[Unit]) -> None:
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
