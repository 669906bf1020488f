"""Word tokens with character offsets into the original string.

One definition of "word" serves the detector, the simulator and the evaluator, so
their numbers are comparable: ``\\w+(?:['’]\\w+)*`` (a word with inner apostrophes).

>>> [t.text for t in tokenize("The Top Priest's aide didn't say.")]
['The', 'Top', "Priest's", 'aide', "didn't", 'say']
"""
from __future__ import annotations

import re
from typing import NamedTuple

TOKEN_RE = re.compile(r"\w+(?:['’]\w+)*")


class Token(NamedTuple):
    start: int
    end: int
    text: str


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into word tokens; ``text[t.start:t.end] == t.text`` always."""
    return [Token(m.start(), m.end(), m.group()) for m in TOKEN_RE.finditer(text)]


def hyphen_compounds(text: str, tokens: list[Token]) -> list[str]:
    """Per token, the hyphenated compound it is part of, lower-cased ("state-owned"), or
    "" for a word not joined to a neighbour by a hyphen.

    >>> hyphen_compounds("a state-owned firm", tokenize("a state-owned firm"))
    ['', 'state-owned', 'state-owned', '']
    """
    out = [""] * len(tokens)
    k = 0
    while k < len(tokens):
        j = k
        while j + 1 < len(tokens) and tokens[j + 1].start == tokens[j].end + 1 and text[tokens[j].end] == "-":
            j += 1
        if j > k:
            compound = text[tokens[k].start:tokens[j].end].lower()
            for m in range(k, j + 1):
                out[m] = compound
        k = j + 1
    return out
