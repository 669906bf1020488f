"""Stage 1 — text → the words that may be substitutes.

In: the text. Out: a `Document` (`despin.detector.records`): its tokens with offsets,
lower-cased, their sentence, whether each stands on a capitals line, and whether each may be
a substitute at all.

What may never be "restored": URLs, e-mail addresses and code; numbers, codes, non-Latin
scripts and single letters; acronyms in ordinary text (names); non-English sentences.
"""
from __future__ import annotations

import math
import re
from typing import Sequence

from .. import lm
from ..tokenize import Token, hyphen_compounds, tokenize
from .records import Document, Unit

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


def is_function_word(word: str) -> bool:
    """Is this lower-case word part of a sentence's skeleton (closed class or zipf ≥ 6.5)?"""
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


def read_document(text: str) -> Document:
    """Tokens, sentences, capitals lines, the tokens that may be substitutes, and each token's
    hyphenated compound (the candidates of a whole compound, and a learned profile's habits,
    read them)."""
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
    return Document(tokens, low, sid, upper_line, ok, hyphen_compounds(text, tokens))


def mark_names_and_headlines(units: Sequence[Unit], doc: Document) -> None:
    """Flag units that are capitalised inside a sentence (mostly names) and lower-case units
    inside a capitals headline (what a spinner leaves when it pastes a thesaurus entry)."""
    tokens, upper_line, sid = doc.tokens, doc.upper_line, doc.sid
    for u in units:
        first = tokens[u.i].text
        if upper_line[u.i]:
            u.case_break = not any(tokens[k].text.isupper() for k in range(u.i, u.j))
        elif first[:1].isupper() and u.i > 0 and sid[u.i - 1] == sid[u.i]:
            u.name = True


def _sentence_ids(text: str, tokens: Sequence[Token]) -> list[int]:
    ids, sid = [], 0
    for k, t in enumerate(tokens):
        if k and _SENTENCE_BREAK.search(text, tokens[k - 1].end, t.start):
            sid += 1
        ids.append(sid)
    return ids


def _upper_lines(text: str, tokens: Sequence[Token]) -> list[bool]:
    """Per token: is it on a line written mostly in capitals (a wire headline)?"""
    out: list[bool] = []
    line_end = -1  # where the current line ends: tokens before it are on it (one look-up a line)
    flag = False
    for k, t in enumerate(tokens):
        if t.start > line_end:
            ls = text.rfind("\n", 0, t.start) + 1
            line_end = text.find("\n", ls)
            if line_end < 0:
                line_end = len(text)
            letters = [c for c in text[ls:line_end] if c.isalpha()]
            upper = sum(c.isupper() for c in letters)
            flag = len(letters) >= 8 and (upper > 0.6 * len(letters)
                                          or (upper > 0.25 * len(letters) and _capital_words(tokens, k, line_end) >= 2))
        out.append(flag)
    return out


def _capital_words(tokens: Sequence[Token], first: int, line_end: int) -> int:
    """How many distinct common English words a line writes in capitals ("DENIES", "OF"):
    a capitals headline a spinner has half lowered ("KLM DENIES press report OF merger"; the
    ProThemes dev engine lowers every word it touches, and left 179 of 300 titles under the
    60% capitals rule). Acronyms are seldom common words; 4 of 13,684 clean news-dev body lines
    hold two (with the 25% share of capitals), against 261 of the 300 spun titles. The line's
    words are ``tokens[first:]`` that start before ``line_end``."""
    seen = set()
    for j in range(first, len(tokens)):
        if tokens[j].start >= line_end:
            break
        w = tokens[j].text
        if len(w) >= 2 and w.isalpha() and w.isupper():
            low = w.lower()
            if lm.in_vocabulary(low) and lm.unigram(low) > -14.0:
                seen.add(low)
    return len(seen)


def _mask_foreign_sentences(low: list[str], sid: list[int], ok: list[bool]) -> None:
    """Leave non-English passages alone: sentences where most words are unknown to the LM,
    or where many are, English's closed-class words are scarce and some word is spelled
    with letters English does not use (a German sentence's "die", "am", "an" are English
    words too: read as English, "an" at its end would be swapped by the grammar table; wire
    headlines full of tickers are unknown-heavy and terse too, but written in ASCII)."""
    by_sentence: dict[int, list[int]] = {}
    for k, s in enumerate(sid):
        by_sentence.setdefault(s, []).append(k)
    for ks in by_sentence.values():
        words = [low[k] for k in ks if low[k].isalpha()]
        if len(words) < 3:
            continue
        unknown = sum(not lm.in_vocabulary(w) for w in words)
        foreign = unknown > 0.5 * len(words)
        if not foreign and len(words) >= 6 and unknown > 0.25 * len(words):
            foreign = sum(w in _CLOSED_CLASS for w in words) < 0.15 * len(words) and not all(
                w.isascii() for w in words
            )
        if foreign:
            for k in ks:
                ok[k] = False
