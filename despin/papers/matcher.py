"""Find listed tortured phrases in a paper: one Aho-Corasick pass, then the query rules.

The paper is first normalised to a token stream — lower case, every run of non-word
characters one space, words broken across a line by a hyphen ("acknowl-\\nedgment")
joined — with an offset map back to the original string, so a hit is reported at the
characters the reader sees. The normalisation is vectorised (numpy over code points) and
the scan is pyahocorasick's C loop, so matching runs at tens of MB/s whatever the list size.

>>> from despin.papers.lists import parse_list_text
>>> m = ListMatcher(parse_list_text("irregular woodland\\trandom forest"))
>>> [(h.text, h.expected) for h in m.find("We trained an Irregular\\nWood-\\nland model.")]
[('Irregular\\nWood-\\nland', 'random forest')]
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .lists import Fingerprint, Phrase

try:
    import ahocorasick
except ImportError:  # pragma: no cover - depends on extras
    ahocorasick = None  # type: ignore[assignment]

# A hyphen at the end of a line between two word characters: typesetting hyphenation.
_LINEBREAK_HYPHEN_RE = re.compile(r"[-\u00ad\u2010][ \t]*\r?\n[ \t]*")
_SOFT_HYPHEN = "\u00ad"


def _has_linebreak_hyphen(s: str) -> bool:
    # substring tests first: the regex scan alone costs more than the whole match
    if "\n" not in s:
        return False
    return any(h in s for h in ("-\n", "-\r\n", "- \n", "-\t", "\u00ad", "\u2010")) and bool(
        _LINEBREAK_HYPHEN_RE.search(s)
    )


class NormalText:
    """``text`` is `` tok tok … `` (lower case, single spaces, padded); `span` maps a
    slice of it back to the original string.

    The offset map is built on first use only: most papers have no hit, and skipping
    it keeps the scan at tens of MB/s.
    """

    __slots__ = ("_marked", "_offsets", "text")

    def __init__(self, text: str, marked: str) -> None:
        self.text = text
        self._marked = marked  # same length as " " + original + " ", separators as spaces, \x00 = dropped
        self._offsets: np.ndarray | None = None

    @property
    def offsets(self) -> np.ndarray:
        """``offsets[i]`` is the original index of ``text[i]`` (padding maps to -1 and len)."""
        if self._offsets is None and len(self.text) == len(self._marked):
            # nothing was collapsed or dropped (the common case): positions are shifted by the pad
            self._offsets = np.arange(-1, len(self.text) - 1)
        if self._offsets is None:
            m = self._marked
            a = np.frombuffer(m.encode("latin-1") if m.isascii() else m.encode("utf-32-le"),
                              dtype=np.uint8 if m.isascii() else np.uint32)
            present = np.flatnonzero(a != 0)  # "\x00": dropped (hyphenation, soft hyphens)
            space = a[present] == 32  # whitespace only: punctuation is "\x01" here and always kept
            prev_space = np.empty_like(space)
            prev_space[0] = False
            prev_space[1:] = space[:-1]
            self._offsets = present[~(space & prev_space)] - 1
        return self._offsets

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` of normalised ``text[start:end]`` (no padding spaces)."""
        if len(self.text) == len(self._marked):
            return start - 1, end - 1
        off = self.offsets
        return int(off[start]), int(off[end - 1]) + 1


# Whitespace collapses (a phrase may be broken across lines); every other non-word
# character is one separator of its own ("\x01", then a space), so "k-closest" matches
# "k closest" but no phrase matches across a comma. "\x00" marks a dropped character.
_ASCII_TABLE = {i: (" " if chr(i).isspace() else "\x01") for i in range(1, 128) if not chr(i).isalnum()}
_NON_ASCII_RUNS_RE = re.compile(r"([^\x00-\x7f]+)")
_WORD_RE = re.compile(r"[^\W_]")
_SPACES_RE = re.compile(r"  +")


def normalize(text: str, join_hyphens: bool = True) -> NormalText:
    """Lower-case token stream with an offset map (see module docstring).

    >>> n = normalize("Big-\\nData,  HUGE!")
    >>> n.text, n.span(1, 8), n.span(10, 14)
    (' bigdata  huge  ', (0, 9), (12, 16))
    """
    low = text.lower()
    if len(low) != len(text):  # a few characters ("İ") lengthen when lower-cased: keep them as they are
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    s = " " + low.replace("\x00", " ") + " "
    dropped = False
    if _has_linebreak_hyphen(s):
        s = _LINEBREAK_HYPHEN_RE.sub(_join_hyphen if join_hyphens else _keep_hyphen, s)
        dropped = "\x00" in s
    table = _ASCII_TABLE
    marked: str
    if not s.isascii():
        # str.translate leaves its ASCII fast path at the first non-ASCII character (one en
        # dash made find 6x slower: 47.3 -> 7.1 MB/s): translate the ASCII stretches with the
        # ASCII table, the runs of other characters with their own (the same characters out;
        # 400,000 random strings compared with the one-table version)
        parts = _NON_ASCII_RUNS_RE.split(s)
        # classify each distinct non-ASCII character once (a per-character regex would be 10x slower)
        extra: dict[int, str] = {}
        for c in set("".join(parts[1::2])):
            if c == _SOFT_HYPHEN and join_hyphens:
                extra[ord(c)] = "\x00"
                dropped = True
            elif not _WORD_RE.match(c):
                extra[ord(c)] = " " if c.isspace() else "\x01"
        parts[::2] = [p.translate(table) for p in parts[::2]]
        parts[1::2] = [p.translate(extra) for p in parts[1::2]]
        marked = "".join(parts)
    else:
        marked = s.translate(table)
    norm = marked.replace("\x00", "") if dropped else marked
    if "  " in norm:
        norm = _SPACES_RE.sub(" ", norm)
    return NormalText(norm.replace("\x01", " "), marked)


def _join_hyphen(m: re.Match[str]) -> str:
    s, i, j = m.string, m.start(), m.end()
    # only between two word characters: "acknowl-\nedgment", not "data -\n see"
    if i > 0 and j < len(s) and s[i - 1].isalnum() and s[j].isalnum():
        return "\x00" * (j - i)
    return m.group()


def _keep_hyphen(m: re.Match[str]) -> str:
    # a real hyphen at a line end: "k-\nclosest" reads as "k-closest"
    s, i, j = m.string, m.start(), m.end()
    if i > 0 and j < len(s) and s[i - 1].isalnum() and s[j].isalnum():
        return "-" + "\x00" * (j - i - 1)
    return m.group()


@dataclass(frozen=True)
class Hit:
    """A listed phrase found in a paper: ``text == paper[start:end]``."""

    start: int
    end: int
    text: str
    phrase: str  # the list's phrase, normalised
    fingerprint: Fingerprint

    @property
    def expected(self) -> str:
        return self.fingerprint.expected


class ListMatcher:
    """All the fingerprints of one or more lists, compiled into one automaton.

    A fingerprint fires when its query holds over the whole text; its hits are the
    occurrences of its positive phrases. Only fingerprints with at least one positive
    phrase present are evaluated (a query cannot fire on absence alone).
    """

    def __init__(self, fingerprints: Sequence[Fingerprint]) -> None:
        if ahocorasick is None:  # pragma: no cover
            from ..errors import DataError

            raise DataError("list matching needs the 'papers' extra: pip install 'despin[papers]'")
        self.fingerprints = list(fingerprints)
        self._atoms: list[Phrase] = []
        atom_id: dict[Phrase, int] = {}
        keys: dict[str, list[tuple[int, bool]]] = {}  # " key " -> [(atom id, is a proximity word)]
        for fp in self.fingerprints:
            for atom in fp.query.atoms():
                if atom in atom_id:
                    continue
                aid = atom_id[atom] = len(self._atoms)
                self._atoms.append(atom)
                if atom.slop is None:
                    keys.setdefault(f" {atom.text} ", []).append((aid, False))
                else:
                    for w in set(atom.words):
                        keys.setdefault(f" {w} ", []).append((aid, True))
        self._atom_id = atom_id
        self._proximity_ids = [i for i, a in enumerate(self._atoms) if a.slop is not None]
        # positive atom id -> fingerprints; a plain phrase fingerprint needs no query evaluation
        self._by_atom: dict[int, list[int]] = {}
        self._positive: list[tuple[int, ...]] = []
        self._plain: list[bool] = []
        for i, fp in enumerate(self.fingerprints):
            pos = tuple(atom_id[a] for a in fp.query.positive_atoms())
            self._positive.append(pos)
            self._plain.append(isinstance(fp.query.expr, Phrase))
            for aid in pos:
                self._by_atom.setdefault(aid, []).append(i)
        self._automaton = None
        if keys:
            auto = ahocorasick.Automaton()
            for k, v in keys.items():
                auto.add_word(k, (len(k), tuple(v)))
            auto.make_automaton()
            self._automaton = auto

    def __len__(self) -> int:
        return len(self.fingerprints)

    def count(self, text: str) -> int:
        """Number of raw phrase occurrences (no query rules): the fast path for benchmarks."""
        if self._automaton is None:
            return 0
        norm = normalize(text).text
        return sum(1 for _ in self._automaton.iter(norm))

    def find(self, text: str) -> list[Hit]:
        """Every hit of every fingerprint that fires on ``text``, in text order."""
        if self._automaton is None or not text:
            return []
        occ: dict[int, set[tuple[int, int]]] = {}  # exact atom -> original spans
        words: dict[str, set[tuple[int, int, int]]] = {}  # proximity word -> (token index, start, end)
        variants = [normalize(text)]
        if _has_linebreak_hyphen(text):
            # a real hyphen can fall at a line end too ("k-\nclosest"): also scan unjoined
            variants.append(normalize(text, join_hyphens=False))
        for vi, nt in enumerate(variants):
            space_pos: np.ndarray | None = None
            for end_idx, (klen, targets) in self._automaton.iter(nt.text):
                ns, ne = end_idx - klen + 2, end_idx  # without the boundary spaces
                start, end = nt.span(ns, ne)
                for aid, is_word in targets:
                    if not is_word:
                        occ.setdefault(aid, set()).add((start, end))
                    else:
                        if space_pos is None:
                            space_pos = np.flatnonzero(np.frombuffer(nt.text.encode("utf-32-le"), np.uint32) == 32)
                        tok = int(np.searchsorted(space_pos, ns))
                        words.setdefault(nt.text[ns:ne], set()).add((tok + 1_000_000_000 * vi, start, end))
        if words:
            for aid in self._proximity_ids:
                spans = _proximity(self._atoms[aid], words)
                if spans:
                    occ[aid] = spans
        present: set[Phrase] | None = None
        hits: dict[tuple[int, int, int], Hit] = {}
        for i in sorted({i for aid in occ for i in self._by_atom.get(aid, ())}):
            fp = self.fingerprints[i]
            if not self._plain[i]:
                if present is None:
                    present = {self._atoms[aid] for aid in occ}
                if not fp.query.evaluate(present):
                    continue
            for aid in self._positive[i]:
                phrase = self._atoms[aid].text
                for start, end in occ.get(aid, ()):
                    hits.setdefault((start, end, i), Hit(start, end, text[start:end], phrase, fp))
        return sorted(hits.values(), key=lambda h: (h.start, h.end, h.phrase))


def _proximity(atom: Phrase, words: dict[str, set[tuple[int, int, int]]]) -> set[tuple[int, int]]:
    """Spans where every word of ``atom`` occurs within ``len(words) + slop`` tokens."""
    need = atom.words
    if any(w not in words for w in set(need)):
        return set()
    window = len(need) + (atom.slop or 0)
    events = sorted((tok, start, end, w) for w in set(need) for tok, start, end in words[w])
    counts = {w: need.count(w) for w in set(need)}
    out: set[tuple[int, int]] = set()
    lo = 0
    have: dict[str, int] = {}
    for hi, (tok, _, _, w) in enumerate(events):
        have[w] = have.get(w, 0) + 1
        while events[lo][0] <= tok - window:
            have[events[lo][3]] -= 1
            lo += 1
        if all(have.get(x, 0) >= c for x, c in counts.items()):
            out.add((events[lo][1], events[hi][2]))
    return out


def match_all(matcher: ListMatcher, texts: Iterable[str]) -> list[list[Hit]]:
    """`ListMatcher.find` over several texts."""
    return [matcher.find(t) for t in texts]
