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
