"""Load tortured-phrase lists: plain TSV and the screeners' fingerprint syntax.

Two line formats, mixed freely in one file (``#`` starts a comment line, blank lines
are skipped):

* **plain TSV** — ``tortured<TAB>correct``, e.g. ``irregular woodland<TAB>random forest``;
* **fingerprint** — a query in the syntax of the public screeners, then a TAB and the
  expected (correct) text. A query is made of double-quoted phrases combined with
  ``AND``, ``OR``, ``NOT`` and parentheses (``NOT`` binds tightest, then ``AND``, then
  ``OR``; two terms side by side mean ``AND``). ``"a b"~N`` is a *proximity* phrase: all
  its words within a window of ``len(words) + N`` word tokens, in any order (Lucene's slop).

A fingerprint fires on a paper when its query is true over the whole paper, as in the
screeners; the phrases reported are the positive (non-negated) ones that occur.

>>> fps = parse_list_text('irregular woodland\\trandom forest\\n'
...                       '"profound learning" NOT "profound learning of"\\tdeep learning\\n')
>>> [(fp.expected, fp.query.phrases()) for fp in fps]
[('random forest', ('irregular woodland',)), ('deep learning', ('profound learning',))]
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError
from ..io.text import read_text_file

# Same normal form as the matcher: lower case, a run of whitespace one space, every other
# non-word character (hyphen, apostrophe, comma) a space of its own.
_SPACE_RE = re.compile(r"\s+")
_PUNCT_RE = re.compile(r"[^\w\s]|_")


def normalize_phrase(phrase: str) -> str:
    """The matcher's normal form of a phrase.

    >>> normalize_phrase("  K-Closest\\nNeighbors' ")
    'k closest neighbors'
    """
    return _PUNCT_RE.sub(" ", _SPACE_RE.sub(" ", phrase.lower()).strip()).strip()


@dataclass(frozen=True)
class Phrase:
    """A quoted phrase; ``slop`` is None for an exact phrase, N for ``"a b"~N``."""

    text: str  # normalised
    slop: int | None = None

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.text.split())


@dataclass(frozen=True)
class Not:
    arg: Expr


@dataclass(frozen=True)
class And:
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    args: tuple[Expr, ...]


Expr = Phrase | Not | And | Or


@dataclass(frozen=True)
class Query:
    """A parsed fingerprint query."""

    expr: Expr

    def atoms(self) -> tuple[Phrase, ...]:
        """Every phrase in the query, negated or not, in order."""
        out: list[Phrase] = []
        _walk(self.expr, False, out, None)
        return tuple(dict.fromkeys(out))

    def positive_atoms(self) -> tuple[Phrase, ...]:
        """Phrases that count as evidence when present (not under an odd number of NOTs)."""
        out: list[Phrase] = []
        _walk(self.expr, False, None, out)
        return tuple(dict.fromkeys(out))

    def phrases(self) -> tuple[str, ...]:
        return tuple(p.text for p in self.positive_atoms())

    def evaluate(self, present: set[Phrase] | frozenset[Phrase]) -> bool:
        """True when the query holds given the set of phrases present in the paper.

        >>> q = parse_query('"a b" AND NOT "c"')
        >>> q.evaluate({Phrase("a b")}), q.evaluate({Phrase("a b"), Phrase("c")})
        (True, False)
        """
        return _eval(self.expr, present)


def _walk(e: Expr, negated: bool, every: list[Phrase] | None, positive: list[Phrase] | None) -> None:
    if isinstance(e, Phrase):
        if every is not None:
            every.append(e)
        if positive is not None and not negated:
            positive.append(e)
    elif isinstance(e, Not):
        _walk(e.arg, not negated, every, positive)
    else:
        for a in e.args:
            _walk(a, negated, every, positive)


def _eval(e: Expr, present: set[Phrase] | frozenset[Phrase]) -> bool:
    if isinstance(e, Phrase):
        return e in present
    if isinstance(e, Not):
        return not _eval(e.arg, present)
    if isinstance(e, And):
        return all(_eval(a, present) for a in e.args)
    return any(_eval(a, present) for a in e.args)


@dataclass(frozen=True)
class Fingerprint:
    """One list entry: a query, the text it should have been, and where it came from."""

    query: Query
    expected: str
    source: str  # "FILE:LINE"

    @property
    def label(self) -> str:
        return " / ".join(self.query.phrases())


# --- query parser -------------------------------------------------------------------

_QTOKEN_RE = re.compile(
    r'\s*(?:(?P<phrase>"[^"]*")(?:~(?P<slop>\d+))?|(?P<op>AND|OR|NOT)\b|(?P<paren>[()])|(?P<bad>\S+))'
)


class QuerySyntaxError(ValueError):
    pass


def parse_query(query: str) -> Query:
    """Parse a fingerprint query.

    >>> parse_query('"irregular woodland"~2 OR ("arbitrary" AND "woods")').expr
    Or(args=(Phrase(text='irregular woodland', slop=2), And(args=(Phrase(text='arbitrary', slop=None), Phrase(text='woods', slop=None)))))
    """
    tokens: list[tuple[str, str | Phrase]] = []
    pos = 0
    query = query.strip()
    while pos < len(query):
        m = _QTOKEN_RE.match(query, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        if m.group("phrase") is not None:
            text = normalize_phrase(m.group("phrase")[1:-1])
            if not text:
                raise QuerySyntaxError("empty quoted phrase")
            slop = int(m.group("slop")) if m.group("slop") is not None else None
            tokens.append(("phrase", Phrase(text, slop)))
        elif m.group("op") is not None:
            tokens.append(("op", m.group("op")))
        elif m.group("paren") is not None:
            tokens.append(("paren", m.group("paren")))
        else:
            raise QuerySyntaxError(f"unexpected {m.group('bad')!r} (phrases must be double-quoted)")
    if not tokens:
        raise QuerySyntaxError("empty query")
    parser = _Parser(tokens)
    expr = parser.parse_or()
    if parser.i != len(tokens):
        raise QuerySyntaxError(f"unexpected {tokens[parser.i][1]!r}")
    if not Query(expr).positive_atoms():
        raise QuerySyntaxError("a query needs at least one phrase that is not negated")
    return Query(expr)


class _Parser:
    def __init__(self, tokens: list[tuple[str, str | Phrase]]) -> None:
        self.tokens = tokens
        self.i = 0

    def _peek(self) -> tuple[str, str | Phrase] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def parse_or(self) -> Expr:
        args = [self.parse_and()]
        while self._peek() == ("op", "OR"):
            self.i += 1
            args.append(self.parse_and())
        return args[0] if len(args) == 1 else Or(tuple(args))

    def parse_and(self) -> Expr:
        args = [self.parse_not()]
        while True:
            t = self._peek()
            if t == ("op", "AND"):
                self.i += 1
                args.append(self.parse_not())
            elif t is not None and (t[0] == "phrase" or t == ("paren", "(") or t == ("op", "NOT")):
                args.append(self.parse_not())  # implicit AND
            else:
                break
        return args[0] if len(args) == 1 else And(tuple(args))

    def parse_not(self) -> Expr:
        if self._peek() == ("op", "NOT"):
            self.i += 1
            return Not(self.parse_not())
        return self.parse_atom()

    def parse_atom(self) -> Expr:
        t = self._peek()
        if t is None:
            raise QuerySyntaxError("query ends too early")
        self.i += 1
        if t[0] == "phrase":
            assert isinstance(t[1], Phrase)
            return t[1]
        if t == ("paren", "("):
            e = self.parse_or()
            if self._peek() != ("paren", ")"):
                raise QuerySyntaxError("missing ')'")
            self.i += 1
            return e
        raise QuerySyntaxError(f"unexpected {t[1]!r}")


# --- list files -----------------------------------------------------------------------

_HEADERS = {("tortured", "correct"), ("tortured", "expected"), ("phrase", "expected"), ("fingerprint", "expected")}


def parse_list_text(text: str, name: str = "<list>") -> list[Fingerprint]:
    """Parse a list file's text; raises `DataError` naming ``name:line`` on a bad line."""
    out: list[Fingerprint] = []
    first = True
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        left, _, right = line.partition("\t")
        left, right = left.strip(), right.strip()
        if first and (left.lower(), right.lower()) in _HEADERS:
            first = False
            continue
        first = False
        where = f"{name}:{lineno}"
        if left.startswith(("{", "[")):
            # A JSONL or JSON file passed as a list: its lines would become "phrases" silently.
            raise DataError(f"{where}: looks like JSON, not a list line (tortured phrase<TAB>correct term, "
                            "or a fingerprint query)")
        if left.startswith(('"', "(", "NOT ")):
            try:
                query = parse_query(left)
            except QuerySyntaxError as e:
                raise DataError(f"{where}: bad fingerprint query: {e}") from None
        else:
            phrase = normalize_phrase(left)
            if not phrase:
                raise DataError(f"{where}: empty tortured phrase")
            query = Query(Phrase(phrase))
        out.append(Fingerprint(query, right, where))
    return out


def load_list(path: str | os.PathLike[str]) -> list[Fingerprint]:
    """Read one list file (TSV or fingerprints); `InputError`/`DataError` name the file."""
    return parse_list_text(read_text_file(path), str(path))


def load_lists(paths: Iterable[str | os.PathLike[str]]) -> list[Fingerprint]:
    """Read several list files into one list, in order."""
    out: list[Fingerprint] = []
    for p in paths:
        if Path(p).is_dir():
            raise DataError(f"{p}: a list must be a file, not a directory")
        out.extend(load_list(p))
    return out


def pairs(fingerprints: Iterable[Fingerprint]) -> list[tuple[str, str]]:
    """(tortured phrase, expected) for every positive phrase: what beyond-list learning uses.

    >>> pairs(parse_list_text('"bosom peril" OR "bosom danger"\\tbreast cancer'))
    [('bosom peril', 'breast cancer'), ('bosom danger', 'breast cancer')]
    """
    return [(p, fp.expected) for fp in fingerprints for p in fp.query.phrases() if fp.expected]
