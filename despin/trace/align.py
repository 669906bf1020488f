"""Word alignment of a spun copy to its source, robust to reordered and dropped paragraphs.

Each paragraph of the copy is paired with the source paragraph that shares most of its
words, in source order where that is nearly as good, or by position between two paired
paragraphs when it is spun past recognition (so reordering, dropping and excerpting
cost nothing; see `_pairs`), then aligned word by word with `difflib.SequenceMatcher`
on lower-cased tokens. The result is a list of `AlignedSpan`: ``equal`` stretches and
bounded ``replace`` stretches (a spinner's substitutions, each mapped wholesale to the
source's words), with character offsets on both sides. Unmatched stretches beyond the
bounds (boilerplate, a dropped paragraph) are left out rather than guessed.

>>> spun = "The firm said profits rose sharply in March."
>>> src = "The company said profits rose steeply in March."
>>> [(spun[a.spun_start:a.spun_end], src[a.source_start:a.source_end])
...  for a in align(spun, src) if a.op == "replace"]
[('firm', 'company'), ('sharply', 'steeply')]
"""
from __future__ import annotations

import difflib
from bisect import bisect_left
import re
from dataclasses import dataclass
from typing import Sequence

from ..tokenize import Token, tokenize
from .shingles import SKELETON_WORDS, paragraphs

# Longest stretch (in words, either side) taken as one substitution. Spinners swap one
# word for up to ~4 ("during" -> "in the course of") and neighbouring swaps merge into
# one stretch: at 50% with phrase expansion, stretches of 7-12 words are common (6 cut
# the WER reduction from 0.78 to 0.68). A stretch must sit between two aligned words,
# so a longer one is an edit or boilerplate, and restoring it would be a guess...
MAX_PHRASE = 12
# ...unless the two paragraphs clearly correspond (a third of the content words in
# common, or paired by position between two pairs): then a long stretch between two
# aligned words is the spinner's run of neighbouring phrase swaps, and the source's
# words are the restoration (phrase@50%: WER cut 0.948 -> 0.965 with 40 here).
LONG_PHRASE = 40
# At the very start or end of a paragraph (one anchor only), at most this many words a
# side (`MAX_PHRASE` in paragraphs that clearly correspond).
EDGE_PHRASE = 6
# A copy paragraph is aligned only to a source paragraph sharing this share of its words.
MIN_PARAGRAPH_OVERLAP = 0.3
# A shorter copy paragraph (a title, a byline) is aligned only to a source paragraph of
# about its length: three words match words of a long paragraph too easily.
MIN_PARAGRAPH_TOKENS = 6
# Closed-class words: shared by any two paragraphs, so no evidence that they correspond.
_FUNCTION = frozenset(SKELETON_WORDS) | {"is", "was", "are", "were", "be", "been", "it", "he", "said", "not", "as", "or", "but", "its", "will", "has", "have", "had"}
# A copy paragraph paired by position (see `_pairs`) must still share this share of its words.
FILL_OVERLAP = 0.1
# Texts with at least this many numbers must agree on half of them (see `similarity`).
MIN_NUMBERS = 5
# A source must align this share of the copy's content words (words outside `_FUNCTION`),
# or its similarity is 0: a short sentence aligned to an unrelated paragraph on "the",
# "that the", "had been", "a" alone scored 0.56. True sources of casefold/damage/phrase
# copies at 50% align >= 0.106 (seed 1, 1,200 copies); false candidates that reach 0.40
# on held-out copies >= 0.2.
MIN_CONTENT_SHARE = 0.05


@dataclass(frozen=True)
class AlignedSpan:
    """``spun[spun_start:spun_end]`` corresponds to ``source[source_start:source_end]``."""

    spun_start: int
    spun_end: int
    source_start: int
    source_end: int
    op: str  # "equal" or "replace"

    def to_dict(self, spun: str | None = None, source: str | None = None) -> dict[str, object]:
        d: dict[str, object] = {
            "op": self.op,
            "spun_start": self.spun_start,
            "spun_end": self.spun_end,
            "source_start": self.source_start,
            "source_end": self.source_end,
        }
        if spun is not None:
            d["spun"] = spun[self.spun_start : self.spun_end]
        if source is not None:
            d["source"] = source[self.source_start : self.source_end]
        return d


# A region is (op, i1, i2, j1, j2) over token indices of one paragraph pair; op is
# "equal", "case" (same word, other case), "replace" or "skip" (left unaligned).
Region = tuple[str, int, int, int, int]


def _regions(a: Sequence[Token], b: Sequence[Token], max_phrase: int, edge_phrase: int = EDGE_PHRASE) -> list[Region]:
    """Token regions: equal runs (case-exact) and bounded replaces; the rest dropped."""
    al = [t.text.lower() for t in a]
    bl = [t.text.lower() for t in b]
    ops = difflib.SequenceMatcher(None, al, bl, autojunk=False).get_opcodes()
    out: list[Region] = []
    consumed = False  # the first word of this equal run was folded into a substitution
    for k, (op, i1, i2, j1, j2) in enumerate(ops):
        if op == "equal" and consumed:
            i1, j1, consumed = i1 + 1, j1 + 1, False
            if i1 >= i2:
                continue
        if op == "equal":
            # A spinner may lower-case a name: same word, different case -> restore it.
            start = i1
            for d in range(i2 - i1):
                if a[i1 + d].text != b[j1 + d].text:
                    if start < i1 + d:
                        out.append(("equal", start, i1 + d, j1 + start - i1, j1 + d))
                    out.append(("case", i1 + d, i1 + d + 1, j1 + d, j1 + d + 1))
                    start = i1 + d + 1
            if start < i2:
                out.append(("equal", start, i2, j1 + start - i1, j2))
            continue
        if i2 - i1 > max_phrase or j2 - j1 > max_phrase:
            out.append(("skip", i1, i2, j1, j2))
            continue
        # Only substitutions anchored on both sides are trusted, or short ones flush
        # with both texts' edges: at the edge of an excerpt an open-ended stretch is
        # the rest of the source, not a substitution.
        inside = 0 < k < len(ops) - 1
        at_edges = (k > 0 or (i1 == 0 and j1 == 0)) and (k < len(ops) - 1 or (i2 == len(a) and j2 == len(b)))
        # A spinner's phrase at a paragraph start ("He referred" -> "Helium have to doe
        # with") is kept; the source running on past an excerpt's edge (one copy word
        # against six source words) is not: the source side may exceed the copy's by 2.
        short = 0 < i2 - i1 <= edge_phrase and 0 < j2 - j1 <= min(edge_phrase, i2 - i1 + 2)
        if k == 0 and j1 == j2 == 0 and i2 <= edge_phrase and len(ops) > 1 and ops[1][0] == "equal":
            # Words the spinner put before a paragraph's first word ("Hashemite Kingdom
            # of Jordan"): fold in the following word instead of the preceding one.
            out.append(("replace", 0, i2 + 1, 0, 1))
            consumed = True
            continue
        if not (inside or (at_edges and short)):
            out.append(("skip", i1, i2, j1, j2))
            continue
        if i1 == i2 or j1 == j2:
            # Insertion/deletion: fold in the preceding word so the span is non-empty
            # on both sides ("gave up" -> "gave").
            prev = out[-1] if out else None
            if prev and prev[0] in ("replace", "case") and prev[2] == i1 and prev[4] == j1:
                out[-1] = ("replace", prev[1], i2, prev[3], j2)
                continue
            if prev and prev[0] == "equal" and prev[2] == i1 and prev[4] == j1:
                _, pi1, pi2, pj1, pj2 = prev
                if pi2 - pi1 > 1:
                    out[-1] = ("equal", pi1, pi2 - 1, pj1, pj2 - 1)
                else:
                    out.pop()
                out.append(("replace", pi2 - 1, i2, pj2 - 1, j2))
                continue
            out.append(("skip", i1, i2, j1, j2))
            continue
        prev = out[-1] if out else None
        if prev and prev[0] == "replace" and prev[2] == i1 and prev[4] == j1:
            out[-1] = ("replace", prev[1], i2, prev[3], j2)
        else:
            out.append(("replace", i1, i2, j1, j2))
    return out


def _split(tokens: Sequence[Token], pars: list[tuple[int, int]]) -> list[list[Token]]:
    """The tokens of each paragraph (tokens and paragraphs are both in text order)."""
    starts = [t.start for t in tokens]
    return [list(tokens[bisect_left(starts, s) : bisect_left(starts, e)]) for s, e in pars]


def _pairs(spun: str, source: str, a: list[Token], b: list[Token]) -> list[tuple[list[Token], list[Token], bool]]:
    """Pair each copy paragraph with its best-matching source paragraph.

    Three passes: (1) each copy paragraph takes the source paragraph sharing most of
    its words (by cosine over word sets, so a long source paragraph does not win on
    size alone), preferring the paragraph after its predecessor's when that one is
    nearly as good (copies mostly keep the source order); (2) a paragraph spun so
    heavily that it shares few words with anything is paired by position when it sits
    between two paired neighbours whose source paragraphs enclose exactly as many
    unpaired ones (a run of copy paragraphs i0 < k < i1 between pairs i0->j0 and
    i1->j1 with i1 - i0 == j1 - j0), or likewise at the end of both texts.

    The flag says whether the pair is *solid*: a third of the copy paragraph's content
    words (not `_FUNCTION` words) in the source paragraph, or paired by position
    between two pairs. Only solid pairs take substitutions longer than `MAX_PHRASE`.
    """
    sp, so = paragraphs(spun), paragraphs(source)
    if len(sp) <= 1 or len(so) <= 1:
        return [(a, b, _solid({t.text.lower() for t in a}, {t.text.lower() for t in b}))]
    src_pars = _split(b, so)
    src_low = [[t.text.lower() for t in p] for p in src_pars]
    src_sets = [set(p) for p in src_low]
    copy_pars = [toks for toks in _split(a, sp) if toks]
    match: list[int | None] = []
    solid: list[bool] = []
    prev_j: int | None = None
    for toks in copy_pars:
        low = [t.text.lower() for t in toks]
        words = set(low)
        j: int | None = None
        if len(toks) < MIN_PARAGRAPH_TOKENS:
            # A title or byline: only a source paragraph of about its length sharing
            # half its words (a spun title), never a body paragraph that happens to
            # contain its three words.
            short = [
                k for k, p in enumerate(src_low)
                if len(p) <= 2 * len(low) + 2 and 2 * len(words & src_sets[k]) >= len(words)
            ]
            if short:
                j = max(short, key=lambda k: len(words & src_sets[k]))
        else:
            shared = [len(words & ss) for ss in src_sets]
            cos = [x / ((len(words) * max(1, len(ss))) ** 0.5) for x, ss in zip(shared, src_sets)]
            best = max(range(len(cos)), key=cos.__getitem__)
            nxt = None if prev_j is None else prev_j + 1
            if nxt is not None and nxt < len(cos) and nxt != best and cos[nxt] >= 0.8 * cos[best]:
                best = nxt
            second = max((x for k, x in enumerate(shared) if k != best), default=0)
            # Heavy phrase spinning leaves a paragraph few of its words; a clear winner
            # (twice the runner-up) is still its source paragraph.
            if shared[best] >= MIN_PARAGRAPH_OVERLAP * len(words) or (
                shared[best] >= MIN_PARAGRAPH_OVERLAP / 2 * len(words) and shared[best] >= 2 * second
            ):
                j = best
        match.append(j)
        solid.append(j is not None and _solid(words, src_sets[j]))
        if j is not None:
            prev_j = j
    _fill_gaps(match, solid, copy_pars, src_pars, src_sets)
    return [(copy_pars[i], src_pars[j], solid[i]) for i, j in enumerate(match) if j is not None]


def _solid(words: set[str], source_words: set[str]) -> bool:
    """A third of the content words in common: any English paragraph shares a third of
    its function words with any other (appended boilerplate did with a news paragraph)."""
    content = words - _FUNCTION
    return len(content & source_words) >= MIN_PARAGRAPH_OVERLAP * len(content)


def _fill_gaps(
    match: list[int | None], solid: list[bool], copy_pars: list[list[Token]], src_pars: list[list[Token]], src_sets: list[set[str]]
) -> None:
    """Pair unpaired copy paragraphs by position between (or after) paired ones, in place."""
    used = {j for j in match if j is not None}
    paired = [i for i, j in enumerate(match) if j is not None]
    if not paired:
        return
    # (copy run start, end, source run start): runs strictly between two pairs, and the
    # run after the last pair when both texts have the same number of paragraphs left.
    # Pairs by position between two pairs are solid; after the last one they are not
    # (appended boilerplate sits there).
    runs = []
    for i0, i1 in zip(paired, paired[1:]):
        j0, j1 = match[i0], match[i1]
        assert j0 is not None and j1 is not None
        if i1 - i0 > 1 and i1 - i0 == j1 - j0:
            runs.append((i0 + 1, i1, j0 + 1, True))
    last = paired[-1]
    j_last = match[last]
    assert j_last is not None
    if last + 1 < len(match) and len(match) - last == len(src_pars) - j_last:
        runs.append((last + 1, len(match), j_last + 1, False))
    for i_start, i_end, j_start, between in runs:
        for i in range(i_start, i_end):
            j = j_start + i - i_start
            toks, src = copy_pars[i], src_pars[j]
            words = {t.text.lower() for t in toks}
            # Still some evidence: comparable length and a few shared words (a spun
            # paragraph keeps its function words; appended boilerplate shares few).
            if (
                j not in used
                and len(toks) >= MIN_PARAGRAPH_TOKENS
                and len(src) <= 3 * len(toks) and len(toks) <= 3 * len(src)
                and len(words & src_sets[j]) >= max(2, FILL_OVERLAP * len(words))
            ):
                match[i] = j
                solid[i] = between
                used.add(j)


def _all_regions(
    spun: str, source: str, max_phrase: int, a: list[Token] | None = None, long_phrase: int = LONG_PHRASE,
    b: list[Token] | None = None,
) -> list[tuple[list[Token], list[Token], list[Region]]]:
    a = tokenize(spun) if a is None else a
    b = tokenize(source) if b is None else b
    if not a or not b:
        return []
    return [
        (pa, pb, _regions(pa, pb, long_phrase, max(EDGE_PHRASE, max_phrase))
         if solid and long_phrase > max_phrase else _regions(pa, pb, max_phrase))
        for pa, pb, solid in _pairs(spun, source, a, b)
    ]


def align(spun: str, source: str, max_phrase: int = MAX_PHRASE, long_phrase: int = LONG_PHRASE) -> list[AlignedSpan]:
    """Aligned stretches of ``spun`` and ``source``, in the order of ``spun``.

    Offsets are ``str`` indices; ``equal`` spans are the same words (same case),
    ``replace`` spans a substitution of at most ``max_phrase`` words a side, or
    ``long_phrase`` in paragraphs that clearly correspond (see `_pairs`).
    """
    out: list[AlignedSpan] = []
    for pa, pb, regions in _all_regions(spun, source, max_phrase, long_phrase=long_phrase):
        for op, i1, i2, j1, j2 in regions:
            if op == "skip":
                continue
            kind = "replace" if op == "case" else op
            out.append(AlignedSpan(pa[i1].start, pa[i2 - 1].end, pb[j1].start, pb[j2 - 1].end, kind))
    return out


def _weight(token: Token) -> float:
    # Numbers and names are what a spinner leaves alone and what tells two look-alike
    # sources apart (Reuters earnings reports share every word but the figures): with
    # equal weights a spun report matched a twin report at 0.55; weighted, at most 0.33.
    t = token.text
    if _DIGIT.search(t):
        return 3.0
    return 2.0 if t[:1].isupper() else 1.0


_DIGIT = re.compile(r"\d")


def similarity(spun: str, source: str, spun_tokens: list[Token] | None = None) -> float:
    """Weighted share of the words of ``spun`` aligned unchanged (case aside) to ``source``.

    Words with digits count 3, capitalised words 2, others 1; 0..1; 0 when fewer than
    `MIN_CONTENT_SHARE` of its content words align (function words alone prove
    nothing). When ``spun`` has
    at least `MIN_NUMBERS` numbers and fewer than half align, the share is scaled by
    twice that fraction: a spinner leaves figures alone, so a text that disagrees on
    most of them is a look-alike report (Reuters files "LME copper closes at N" daily),
    not a copy. Pass ``spun_tokens`` (``tokenize(spun)``) when comparing one text with
    many sources.

    >>> similarity("the firm said profits rose", "The company said profits rose")
    0.8
    >>> similarity("Sales rose 5 to 12 from 3 on 7 and 9", "Sales rose 6 to 13 from 4 on 8 and 10")
    0.0
    """
    return similarity_and_reach(spun, source, spun_tokens)[0]


def similarity_and_reach(spun: str, source: str, spun_tokens: list[Token] | None = None) -> tuple[float, float]:
    """`similarity` and the *reach*: the share of the source's words aligned unchanged
    (case aside), from the same alignment.

    The reach tells near-duplicate sources apart when they explain a copy equally well:
    Reuters refiled stories with a paragraph or a ticker more, and the copy of the
    shorter version aligns the same words to both, but leaves more of the longer one
    unexplained (3 of 4 misses in 1,500 casefold copies were such ties, lost on the id).

    >>> similarity_and_reach("the firm said profits rose", "The company said profits rose. Rain fell.")
    (0.8, 0.5714)
    """
    toks = tokenize(spun) if spun_tokens is None else spun_tokens
    weights = {t.start: _weight(t) for t in toks}
    total = sum(weights.values())
    if not total:
        return 0.0, 0.0
    source_toks = tokenize(source)
    numbers = sum(1 for w in weights.values() if w == 3.0)
    same = 0.0
    numbers_same = 0
    reached = 0
    content_same = 0
    for pa, pb, regions in _all_regions(spun, source, MAX_PHRASE, toks, b=source_toks):
        for op, i1, i2, j1, j2 in regions:
            if op in ("equal", "case"):
                ws = [weights[t.start] for t in pa[i1:i2]]
                same += sum(ws)
                numbers_same += ws.count(3.0)
                reached += j2 - j1
                content_same += sum(1 for t in pa[i1:i2] if t.text.lower() not in _FUNCTION)
    share = same / total
    if numbers >= MIN_NUMBERS and numbers_same < numbers / 2:
        share *= 2 * numbers_same / numbers
    content = sum(1 for t in toks if t.text.lower() not in _FUNCTION)
    # Function words alone are no evidence: any two English paragraphs share them.
    if content_same < MIN_CONTENT_SHARE * content:
        share = 0.0
    return round(share, 4), round(reached / len(source_toks), 4) if source_toks else 0.0
