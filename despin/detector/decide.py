"""Stage 7 — decide: which units become spans, what they suggest, what the restored text is.

In: the text and its `Analysis` (stages 1–6). Out: the `Report`: the calibrated document
score and verdict, the spans (units whose posterior clears ``Config.threshold``, the best
first where they overlap) with up to ``Config.max_suggestions`` ranked suggestions and a
reason naming the lexicon relation and the language model's evidence, and the restored text.

Where restoration is decided: a span is replaced in ``restored`` only where that is
expected to bring the text closer to what it said (`despin.report.replaces`: its best
suggestion more likely right than wrong, ``suggestion.score > 1 − span.score``, or for a
shorter suggestion the expected gain in words), by `despin.report.apply`.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Mapping, Sequence

from ..config import Config, SubstitutionSource
from ..report import Report, Span, Suggestion, anchor_key, apply, replaces
from ..tokenize import Token
from .posterior import final_score
from .ranking import calibrated_shares, suggestion_context
from .records import Analysis, Unit
from .units import is_function_word
from .refine import MIN_WORDS as SHORT_TEXT_WORDS


# A text with few eligible words (fewer than stage 6's ``MIN_WORDS``, which it leaves
# unrefined for the same reason) gives the spin rate (EM, stage 4) little to go on: one
# spun type among a dozen words lifts every other word's posterior to 0.4–0.5. There spans
# need the surer posterior that `Config.threshold` asked before it was set for F1 on
# article-length text.
SHORT_TEXT_THRESHOLD = 0.45

# A lower-case word inside a capitals headline: the dev sets' 700 news headlines hold none,
# and spinners write their thesaurus's lower-case entries there (the ProThemes dev engine
# left 188 in 300 headlines: 79 the original word itself, 94 a substitute). P(the spinner
# touched it); its case-only suggestion is the word in capitals, whose chance of being the
# original is what the unit's posterior leaves to "the word itself" (`_case_spans`).
CASE_SPAN = 0.9
# A lower-case word inside a name the text writes in capitals otherwise ("the World bank",
# "the Federal reserve"), by the names WordNet writes in capitals (`despin.lexicon.
# capitalised_names`), or a month name beside a number ("on march 3"). Spinners that match
# their dictionary case-insensitively write its lower-case entry there (the ProThemes dev
# engine: 1,197 such case-only changes in 300 articles, ~6% of its changed tokens; the rule
# restores 140 of them and changes 7 other words, and 14 words of the 300 clean originals).
# "may" is left out: far more often the modal.
MONTHS = frozenset(("january", "february", "march", "april", "june", "july", "august", "september",
                    "october", "november", "december"))
# A company's legal suffix, capitalised, ends its name ("Waste Management Inc"): the lower-case
# words right before it ("waste management Inc", "general electric Co") are words of the
# name a spinner matched case-insensitively and wrote in its dictionary's lower case. Edited
# prose writes no lower-case word there (all 3,000 clean news-dev articles, 834,651 tokens:
# 4 such words, two of them names that begin in lower case); on the ProThemes dev engine's
# first 100 spins the rule puts back 29 capitals and changes no other word, on the WP
# engine, nlpaug and the leave-one-resource-out spins it changes nothing.
COMPANY_SUFFIXES = frozenset(("Inc", "Corp", "Co", "Ltd", "Plc", "PLC", "Corporation", "Cos", "Bhd", "AG", "NV",
                              "LP", "LLC", "Llc"))
# Numbers written against the style of edited prose, in a text the document model calls
# spun: a lone digit for a number below ten ("1 of its plants") and a number word from
# eleven up ("fifteen"). News and most edited prose spell out one to nine and write figures
# from 10 up; a spinner whose dictionary holds number lines ("5|five") writes one form for
# the other. Left alone, as edited prose writes them too: figures beside units (5 pct,
# 7 mln dlrs, 9 a.m.), dates, names and labels (Unit 1, Chapter Eleven), ranges, lists,
# decimals and codes; "ten", which news spells out as often as not. On the 3,000 clean
# news-dev articles (834,651 tokens) the rules fire 10 times; on 100 leave-one-resource-out
# spins each (WordNet, Moby left out) on 199 / 213 of their 294 / 288 number swaps, 162 / 168
# of them the original exactly, and on no unchanged token (`benchmarks/format_style.py`).
FORMAT_SPAN = 0.9
_DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_NUMBER_WORDS = dict(zip(
    ("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
     "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"),
    map(str, (*range(11, 20), *range(20, 100, 10)))))
# Words before which a figure stays a figure (5 pct, 7 mln dlrs) ...
_FIGURE_UNITS = frozenset((
    "pct", "percent", "mln", "million", "billion", "bln", "trillion", "dlrs", "dlr", "dollars", "dollar",
    "cents", "cent", "cts", "ct", "yen", "marks", "francs", "pounds", "stg", "lire", "tonnes", "tons",
    "tonne", "pts", "points", "shares", "barrels", "bpd", "ounces", "ozs", "oz", "kg", "km", "miles",
    "feet", "grams", "degrees"))
# ... and after which ("No 3", "3 vs 2", "3 to 5", "number 2").
_FIGURE_AFTER = frozenset(("no", "vs", "to", "and", "or", "from", "by", "between", "number", "nos"))
# Between the two numbers of a range ("3 to 5 cents").
_RANGE = frozenset(("to", "or", "and"))
# Abbreviations edited prose does not write in running text, and a company suffix it does not
# spell out, in a text called spun (`abbreviation_style`): a month abbreviated in lower case
# ("apr 7"; and "Apr", which news never abbreviates), and "Incorporated" after a name ("Inc").
# With the weekdays and ordinals below, in the 3,000 clean news-dev articles the rules fire
# once ("feb. 27"; "Inc" follows a name 1,000 times, "Incorporated" never); on 100
# leave-one-resource-out spins each (WordNet, Moby left out) 71 / 29 times, 68 / 29 of them
# the original exactly, on nlpaug's 100 spins 17 times, 15 exactly; never on an unchanged
# token (`benchmarks/format_style.py`).
_MONTH_ABBREVIATIONS = {"jan": "January", "feb": "February", "apr": "April", "jun": "June", "jul": "July",
                        "aug": "August", "sep": "September", "sept": "September", "oct": "October",
                        "nov": "November", "dec": "December"}
_SPELLED_SUFFIXES = {"Incorporated": "Inc"}
# ... and, in the same way, a weekday abbreviated (news writes "Friday"; "Sat" and "Sun" are
# words too) and an ordinal below 10th in figures in running text ("4th" for "fourth"; but
# "4th qtr", "5th Avenue"). None of them glued to a slash or hyphen ("Mar/Apr", "Apr-Mar").
_WEEKDAY_ABBREVIATIONS = {"Mon": "Monday", "Tue": "Tuesday", "Tues": "Tuesday", "Wed": "Wednesday",
                          "Thu": "Thursday", "Thur": "Thursday", "Thurs": "Thursday", "Fri": "Friday"}
_ORDINALS = {"1st": "first", "2nd": "second", "3rd": "third", "4th": "fourth", "5th": "fifth", "6th": "sixth",
             "7th": "seventh", "8th": "eighth", "9th": "ninth"}
_ORDINAL_PERIODS = frozenset(("qtr", "qtrs", "quarter", "quarters", "half", "period"))
# `same_way_throughout` reads a word's occurrences as one substitution only in a text the
# document model is sure is spun: at the verdict's 0.5 it also fired in clean originals the
# model was unsure of (false change on the leave-WordNet-out originals 0.175 -> 0.203%; at
# 0.9, 0.175%), for the same restorations on the spins.
SAME_WAY_SCORE = 0.9
# ... and only from an anchor sure of its word: its best suggestion at least this share of its
# substituted mass. Below it an anchor is as often a clean word the model misread ("loss" as
# *cost* in an earnings table), and the rule would repeat the mistake. Measured (0.0 / 0.3 /
# 0.4 / 0.5, documents 0–199 of the engines and nlpaug, leave-one-resource-out rows
# 2100–2199): WP +1.49 / +1.15 / +0.98 / +0.76, ProThemes +0.60 / +0.63 / +0.63 / +0.59,
# leave-WordNet-out +0.71 / +0.79 / +0.71 / +0.58, leave-Moby-out +0.64 / +0.82 / +0.81 /
# +0.66, nlpaug −0.54 / −0.27 / −0.30 / −0.22 points of WER cut.
SAME_WAY_ANCHOR = 0.3

# A corpus anchor (`despin.learn.corpus_anchors`, a profile's ``anchors``): a spun word or
# phrase (lower case, single spaces) -> (the text the corpus restores it as, the anchors' P(substituted), the share of it
# their best suggestion holds), both the medians over the documents that restored it so.
CorpusAnchors = Mapping[str, "tuple[str, float, float]"]



def build_report(text: str, a: Analysis, config: Config, same_way: bool = True) -> Report:
    """The report of stage 7; ``same_way=False`` (under a learned profile, whose table is the
    spinner's own consistency) leaves out `same_way_throughout`."""
    score = final_score(a)
    verdict = "spun" if score >= 0.5 else "clean"
    if not config.explain:
        return Report(score=score, verdict=verdict, spans=(), restored=text)
    chosen: list[Unit] = []
    taken: set[int] = set()
    threshold = config.threshold
    if a.n_eligible < SHORT_TEXT_WORDS:
        threshold = max(threshold, SHORT_TEXT_THRESHOLD)
    for u in sorted(a.units, key=lambda u: -u.posterior):
        if u.posterior < threshold:
            break
        # A unit kept only for a profile's "left unchanged" evidence has nothing to suggest.
        if not u.cands or any(k in taken for k in range(u.i, u.j)):
            continue
        chosen.append(u)
        taken.update(range(u.i, u.j))
    counts = _type_counts(a)
    context = suggestion_context(a)
    found = [_span(text, a, u, config, counts, context) for u in chosen]
    # A flagged lower-case word of a capitals headline whose best suggestion is too unsure to
    # apply: the word itself in capitals first (right whenever the spinner wrote the word
    # itself; where it wrote a substitute, no worse than the lower case), its candidates after.
    found = [_case_first(s) if u.case_break and not replaces(s) else s for u, s in zip(chosen, found)]
    if same_way and score >= SAME_WAY_SCORE:
        found = same_way_throughout(found)
    posterior = _token_posteriors(a)
    found = _name_case(text, a, chosen, found, taken, posterior)
    found += _case_spans(a, taken, posterior)
    if verdict == "spun":
        found = _format_spans(text, a, found, posterior)
    spans = tuple(sorted(found, key=lambda s: s.start))
    return Report(score=score, verdict=verdict, spans=spans, restored=apply(text, spans))


def _token_posteriors(a: Analysis) -> dict[int, float]:
    """Per token, the highest posterior of the units over it (absent: no unit)."""
    posterior: dict[int, float] = {}
    for u in a.units:
        for k in range(u.i, u.j):
            posterior[k] = max(posterior.get(k, 0.0), u.posterior)
    return posterior


def _case_span(a: Analysis, k: int, word: str, posterior: dict[int, float], reason: str) -> Span:
    """A case-only span on token ``k``: P(the spinner touched it) ``CASE_SPAN``, and ``word``
    (the token in its right case) as likely the original as the unit's posterior leaves to
    "the word itself"."""
    t = a.tokens[k]
    return Span(t.start, t.end, t.text, CASE_SPAN, (Suggestion(word, CASE_SPAN * (1.0 - posterior.get(k, 0.0))),),
                reason)


def _case_spans(a: Analysis, taken: set[int], posterior: dict[int, float]) -> list[Span]:
    """Case-only spans: each lower-case word of a capitals headline that no span covers
    (``taken``), with the word in capitals as its suggestion."""
    return [_case_span(a, k, t.text.upper(), posterior,
                       "case: a lower-case word in a capitals headline (a spinner writes its "
                       "thesaurus's entries in lower case); the word itself, in capitals")
            for k, t in enumerate(a.tokens)
            if a.upper_line[k] and k not in taken and t.text.isalpha() and t.text.islower()]


def number_style(text: str, tokens: Sequence[Token], k: int) -> str | None:
    """The number token ``k`` as edited prose writes it where the text writes it the other
    way (the rules above `FORMAT_SPAN`), else None.

    >>> from despin.tokenize import tokenize
    >>> t = "He said 1 of the 3 plants, Unit 2, makes fifteen pct more than 7 mln dlrs, or fifteen."
    >>> toks = tokenize(t)
    >>> [(toks[k].text, number_style(t, toks, k)) for k in (2, 5, 8, 10, 14, 18)]
    [('1', 'one'), ('3', 'three'), ('2', None), ('fifteen', '15'), ('7', None), ('fifteen', '15')]
    """
    tok = tokens[k]
    word = tok.text
    before = text[tok.start - 1:tok.start] if tok.start else ""
    after, after2 = text[tok.end:tok.end + 1], text[tok.end + 1:tok.end + 2]
    if before and before in ".,-/:$£#*+":
        return None  # 2.5, 1,000, 3-D, 1/2, $5
    if after and (after in "-/:%)*" or (after in ".," and after2 and not after2.isspace())):
        return None  # 2-for-1, 1/2, 5%, 1), 2.5, 6.Juli
    initial = _starts_sentence(text, tokens, k)
    following = tokens[k + 1].text.lower() if k + 1 < len(tokens) else ""
    previous = tokens[k - 1].text if k else ""
    if (following in _RANGE and _is_number(tokens, k + 2) and k + 3 < len(tokens)
            and tokens[k + 3].text.lower() in _FIGURE_UNITS):
        return None  # 3 to 5 cents: a range takes its unit's figures
    if len(word) == 1 and "0" <= word <= "9":
        if (following in _FIGURE_UNITS or following.isdigit() or following in MONTHS
                or previous.lower() in MONTHS or previous.lower() in _MONTH_ABBREVIATIONS
                or previous.lower() in _FIGURE_AFTER
                or text[tok.end:tok.end + 5].lstrip()[:4] in ("a.m.", "p.m.")):
            return None
        label = previous[:1].isupper() and not initial
        if label and not (k > 1 and _starts_sentence(text, tokens, k - 1)):
            return None  # Unit 1, Sismik 1: a label (not "It said. Then 2 ...")
        spelled = _DIGIT_WORDS[int(word)]
        named = (previous.lower() == "of" and k > 1 and tokens[k - 2].text[:1].isupper()
                 and not (k > 2 and _starts_sentence(text, tokens, k - 2)))
        return spelled.capitalize() if initial or named else spelled  # the Group of Seven
    if word.islower() and word in _NUMBER_WORDS and not initial:
        if following in _NUMBER_WORDS or following in _DIGIT_WORDS or previous.lower() in _NUMBER_WORDS:
            return None  # twenty five, ten to eleven
        return _NUMBER_WORDS[word]
    return None


def abbreviation_style(text: str, tokens: Sequence[Token], k: int, capitals: bool = False) -> str | None:
    """Token ``k`` as edited prose writes it where the text abbreviates a month or a weekday
    it writes in full, spells out a company suffix it abbreviates, or writes an ordinal below
    10th in figures (``_MONTH_ABBREVIATIONS``, ``_SPELLED_SUFFIXES``, ``_WEEKDAY_ABBREVIATIONS``,
    ``_ORDINALS``), else None; ``capitals``: the token stands on a capitals line.

    >>> from despin.tokenize import tokenize
    >>> t = "Talks end on apr 7, said Acme Incorporated, and the Feb figures."
    >>> toks = tokenize(t)
    >>> [(toks[k].text, abbreviation_style(t, toks, k)) for k in (3, 7, 10)]
    [('apr', 'April'), ('Incorporated', 'Inc'), ('Feb', None)]
    """
    tok = tokens[k]
    word = tok.text
    if text[tok.start - 1:tok.start] in ("/", "-") or text[tok.end:tok.end + 1] in ("/", "-"):
        return None  # Mar/Apr, Apr-Mar: a table's periods
    month = _MONTH_ABBREVIATIONS.get(word.lower()) if word.islower() or word == "Apr" else None
    full = month or _WEEKDAY_ABBREVIATIONS.get(word)
    if full is not None:
        return full.upper() if capitals else full
    ordinal = _ORDINALS.get(word.lower())
    if ordinal is not None and not capitals:
        following = tokens[k + 1].text if k + 1 < len(tokens) else ""
        previous = tokens[k - 1].text.lower() if k else ""
        if (following.lower() in _ORDINAL_PERIODS or following[:1].isupper() or previous in MONTHS
                or previous in _MONTH_ABBREVIATIONS):
            return None  # 4th qtr, 5th Avenue, March 4th
        return ordinal.capitalize() if _starts_sentence(text, tokens, k) else ordinal
    suffix = _SPELLED_SUFFIXES.get(word)
    if suffix is not None and k and tokens[k - 1].text[:1].isupper():
        return suffix.upper() if capitals else suffix
    return None


# Every number word the rules read: theirs, and "ten", which they leave alone.
_NUMBERS = frozenset((*_DIGIT_WORDS, "ten", *_NUMBER_WORDS))


def is_number(word: str) -> bool:
    """A number in figures or one of the number words the format rules read (any case)."""
    return word.isdigit() or word.lower() in _NUMBERS


def _is_number(tokens: Sequence[Token], i: int) -> bool:
    return 0 <= i < len(tokens) and is_number(tokens[i].text)


def _starts_sentence(text: str, tokens: Sequence[Token], i: int) -> bool:
    """Does token ``i`` open the text, a sentence or a line (its capital says nothing)?"""
    return i == 0 or any(c in text[tokens[i - 1].end:tokens[i].start] for c in ".!?\n")


def format_forms(text: str, tokens: Sequence[Token],
                 upper_line: Sequence[bool]) -> dict[int, tuple[str, str]]:
    """Token index -> (rule, form) for each token `number_style` ("numbers") or
    `abbreviation_style` ("abbreviations") would write otherwise; ``upper_line``, per token:
    on a capitals line (`despin.detector.units.Document.upper_line`), where numbers are left
    alone (headlines write "UP 5 PCT")."""
    forms: dict[int, tuple[str, str]] = {}
    for k, t in enumerate(tokens):
        w = t.text
        if len(w) == 1 or w in _NUMBER_WORDS:
            if not upper_line[k] and (form := number_style(text, tokens, k)) is not None:
                forms[k] = ("numbers", form)
        elif (w.lower() in _MONTH_ABBREVIATIONS or w in _SPELLED_SUFFIXES or w in _WEEKDAY_ABBREVIATIONS
              or w.lower() in _ORDINALS):
            if (form := abbreviation_style(text, tokens, k, upper_line[k])) is not None:
                forms[k] = ("abbreviations", form)
    return forms


def _format_spans(text: str, a: Analysis, found: list[Span], posterior: dict[int, float]) -> list[Span]:
    """Spans for the tokens `number_style` and `abbreviation_style` would write otherwise: a
    held single-word span over one gets that form as its first suggestion; a token no span
    covers, a span of its own (P(substituted) ``FORMAT_SPAN``; the form as likely the original
    as the unit's posterior leaves to "the word itself"), as `format_forms` reads them."""
    forms = format_forms(text, a.tokens, a.upper_line)
    if not forms:
        return found
    out = list(found)
    for k, (rule, form) in forms.items():
        reason = _NUMBER_REASON if rule == "numbers" else _ABBREVIATION_REASON
        t = a.tokens[k]
        over = [n for n, s in enumerate(found) if s.start < t.end and t.start < s.end]
        if not over:
            out.append(Span(t.start, t.end, t.text, FORMAT_SPAN,
                            (Suggestion(form, FORMAT_SPAN * (1.0 - posterior.get(k, 0.0))),), reason))
        elif len(over) == 1 and (s := found[over[0]]).start == t.start and s.end == t.end and not replaces(s):
            out[over[0]] = _case_first(s, form, reason)
    return out


_NUMBER_REASON = ("format: edited prose spells out numbers below ten and writes figures from 10 up; a "
                  "spinner whose dictionary holds number lines writes one form for the other")
_ABBREVIATION_REASON = ("format: edited prose writes months in full and abbreviates a company suffix; a "
                        "spinner whose dictionary holds abbreviation lines writes one form for the other")


def _case_first(span: Span, word: str | None = None, reason: str | None = None) -> Span:
    """``span``, kept as written, with the word itself in its right form first: in capitals
    (a lower-case word in a capitals headline), or as ``word`` (capitalised inside a name; a
    number or abbreviation in the form edited prose writes, `_format_spans`), scored as
    `_case_spans` scores it, before its own suggestions (less that form, if one of them)."""
    same = CASE_SPAN * (1.0 - span.score)
    if word is None:
        word = span.text.upper()
        reason = "case: a lower-case word in a capitals headline; the word itself, in capitals"
    rest = tuple(s for s in span.suggestions if s.text != word)
    return Span(span.start, span.end, span.text, CASE_SPAN, (Suggestion(word, same), *rest),
                f"{reason}, unless it is a substitute ({span.reason})")


def _name_case(text: str, a: Analysis, chosen: list[Unit], found: list[Span], taken: set[int],
               posterior: dict[int, float]) -> list[Span]:
    """Capitals inside names (`MONTHS`, `despin.lexicon.capitalised_names`), read on the text
    as it will be restored: a lower-case word of a name the restored text writes in capitals
    otherwise. A word a span replaces takes the capital in that span's suggestion; a flagged
    word left as it is gets itself, capitalised, as its first suggestion; any other word a
    case-only span. Words on a capitals line are `_case_spans`' business."""
    view: list[str | None] = [t.text for t in a.tokens]
    owner: dict[int, tuple[int, int]] = {}  # token -> (span index, word of its suggestion)
    held: dict[int, int] = {}  # token -> index of the single-word span that keeps it as written
    for n, (u, span) in enumerate(zip(chosen, found)):
        if not replaces(span):
            if u.j - u.i == 1:
                held[u.i] = n
            continue
        words = span.suggestions[0].text.split(" ")
        if len(words) == u.j - u.i:
            for d, k in enumerate(range(u.i, u.j)):
                view[k] = words[d]
                owner[k] = (n, d)
        else:
            for k in range(u.i, u.j):
                view[k] = None  # (a phrase of another length: no name is read across it)
    fixes = _name_fixes(text, a, view)
    if not fixes:
        return found
    out = list(found)
    extra: list[Span] = []
    for k, (word, reason) in sorted(fixes.items()):
        if a.upper_line[k]:
            continue
        if k in owner:
            n, d = owner[k]
            top = out[n].suggestions[0]
            words = top.text.split(" ")
            words[d] = word
            out[n] = replace(out[n], suggestions=(Suggestion(" ".join(words), top.score), *out[n].suggestions[1:]))
        elif k in held:
            out[held[k]] = _case_first(out[held[k]], word, reason)
        elif k not in taken:
            extra.append(_case_span(a, k, word, posterior, reason))
    return out + extra


def _name_fixes(text: str, a: Analysis, view: list[str | None]) -> dict[int, tuple[str, str]]:
    """Token -> (the word capitalised, the reason) for the lower-case words of ``view`` (the
    tokens as restored; None where a phrase of another length replaces them) inside a name
    WordNet writes in capitals of which ``view`` writes another word in capitals, before a
    company's capitalised suffix (`COMPANY_SUFFIXES`), and for month names beside a number."""
    from ..lexicon import capitalised_names

    toks = a.tokens
    low = [w.lower() if w is not None else "" for w in view]
    names = capitalised_names()
    name_reason = ("case: a lower-case word in a name the text writes in capitals (a spinner writes its "
                   "dictionary's lower-case entry there); the word itself, capitalised")
    month_reason = "case: a month's name in lower case beside a number; the word itself, capitalised"
    fix: dict[int, tuple[str, str]] = {}
    for i in range(len(toks) - 1):
        for name in names.get(f"{low[i]} {low[i + 1]}", ()):
            n = len(name)
            if i + n > len(toks) or any(low[i + k] != name[k].lower() for k in range(n)):
                continue
            if any(text[toks[k].end:toks[k + 1].start] != " " for k in range(i, i + n - 1)):
                continue  # words of one name stand next to each other
            written = [(view[k] or "")[:1].isupper() for k in range(i, i + n)]
            if not any(written) or all(written):
                continue  # not written as a name here at all, or written as one already
            for k in range(n):
                w = view[i + k] or ""
                if name[k][:1].isupper() and w.isalpha() and w.islower():
                    fix[i + k] = (name[k], name_reason)
    suffix_reason = ("case: a lower-case word of a company's name before its capitalised suffix (a spinner "
                     "writes its dictionary's lower-case entry there); the word itself, capitalised")
    for i in range(1, len(toks)):
        if toks[i].text not in COMPANY_SUFFIXES:
            continue
        j = i - 1
        while j >= 0 and text[toks[j].end:toks[j + 1].start] == " ":
            v = view[j] or ""
            if not (v.isalpha() and v.islower()) or is_function_word(v):
                break
            fix[j] = (v[:1].upper() + v[1:], suffix_reason)
            j -= 1
    for i, w in enumerate(low):
        v = view[i] or ""
        if w in MONTHS and v.islower() and (
            (i + 1 < len(toks) and toks[i + 1].text.isdigit()) or (i > 0 and toks[i - 1].text.isdigit())
        ):
            fix[i] = (v[:1].upper() + v[1:], month_reason)
    return fix


def _span(
    text: str, a: Analysis, u: Unit, config: Config, counts: dict[str, int], context: tuple[float, float, float]
) -> Span:
    start, end = a.tokens[u.i].start, a.tokens[u.j - 1].end
    observed = text[start:end]
    total = sum(u.ranking)
    ranked = sorted(zip(u.cands, u.ranking), key=lambda x: -x[1])[: config.max_suggestions]
    shares = [odd / total for _, odd in ranked] if total > 0 else []
    if shares:
        shares = calibrated_shares(u, shares, counts.get(u.observed, 1), context)
    # In a capitals headline a suggestion takes the line's case, not the pasted entry's.
    shape = observed.upper() if u.case_break else observed
    suggestions = tuple(
        Suggestion(match_case(c.text, shape), u.posterior * share) for (c, _), share in zip(ranked, shares)
    )
    top = ranked[0][0]
    k = u.cands.index(top)
    gain = math.log(max(u.odds[k] / top.q, 1e-300))
    if top.relation == "inflection":
        reason = f"inflection: '{u.observed}' may be a spinner's re-inflection of '{top.text}'"
    elif top.relation.startswith("profile:"):
        reason = f"{top.relation}: this spinner wrote '{u.observed}' for '{top.text}' when learned"
    else:
        reason = f"{top.relation}: '{top.text}' lists '{u.observed}' as a synonym"
    if gain > 0:
        reason += f"; the language model prefers '{top.text}' here by {gain:+.1f} nats"
    else:
        reason += f"; the context is neutral or favours the text as written ({gain:+.1f} nats)"
    if u.rank and u.rank[k] > u.odds[k]:
        reason += f"; the text also uses '{top.text}' elsewhere"
    if counts.get(u.observed, 1) > 1:
        reason += "; the same word is flagged elsewhere in this text"
    return Span(start, end, observed, u.posterior, suggestions, reason)


def same_way_throughout(spans: list[Span]) -> list[Span]:
    """A spinner that works from a table replaces a word the same way wherever it stands, so
    where one occurrence of a flagged word is restored as ``w``, the others whose suggestions
    hold ``w`` are read the same way: P(substituted) is that of the surest such occurrence
    (the *anchor*, the one whose best suggestion holds the largest share of its substituted
    mass, ``b / p``, at least `SAME_WAY_ANCHOR`), and ``w``'s score is that share times it.
    Such an occurrence is changed only where that makes `replaces` apply ``w`` (so never a
    word in capitals or a plural whose suggestion is none: `replaces` refuses them on a
    thesaurus's word); every other span is returned as it was. One-word spans only.

    Why: of the occurrences left as written beside a restored one, with ``w`` first among
    their suggestions, 85 of 261 were that substitution and 24 the author's own word (WP dev
    engine, documents 0–99; ProThemes 70 / 32 of 154); per-occurrence trigram windows ("of
    that day" for *of that year*) miss what the rest of the text shows. Measured in
    docs/eval.md (thirty-fifth session): WER cut +0.6 to +1.3 points on the real engines and
    leave-one-resource-out spins, −0.3 on nlpaug (a spinner that draws per occurrence from
    the checker's own WordNet). Not under a learned profile (`build_report`'s ``same_way``):
    its table is that spinner's own consistency, and the rule on top of it measured +0.3 /
    +0.5 points (WP, 10 / 100 pairs) and −0.7 / −0.5 (ProThemes).

    >>> a = Span(0, 3, "day", 0.9, (Suggestion("year", 0.6),))
    >>> b = Span(20, 23, "day", 0.5, (Suggestion("week", 0.2), Suggestion("year", 0.1)))
    >>> same_way_throughout([a, b])[1].suggestions[0]
    Suggestion(text='year', score=0.6)
    """
    anchors: dict[str, tuple[str, float, float, str]] = {}  # word type -> (w, p, b / p, the anchor's text)
    for s in spans:
        if " " in s.text or not replaces(s):
            continue
        share = s.suggestions[0].score / s.score if s.score > 0 else 0.0
        key = s.text.lower()
        if share >= SAME_WAY_ANCHOR and (key not in anchors or share > anchors[key][2]):
            anchors[key] = (s.suggestions[0].text.lower(), s.score, share, s.text)
    if not anchors:
        return spans
    return _follow(spans, anchors, "same way throughout: '{}' is restored as '{}' elsewhere in this text")


def follow_corpus(spans: list[Span], anchors: CorpusAnchors) -> list[Span]:
    """`same_way_throughout` with a corpus's anchors: a span (a word, or a phrase the corpus
    anchored as a unit) whose suggestions hold the word the corpus restores its type as (``anchors``: type -> (word, P(substituted),
    share), `despin.learn.corpus_anchors`) takes P(substituted) = max(its own, the anchors')
    and that word at share × it, and is changed only where that makes `replaces` apply it.

    Why: a spinner writes the same substitute for a word across all its copies, so where
    `check` restored "informed" as *told* in several of them with sure anchors, the copies
    whose own window left it unsure read it the same way. Measured (docs/learn.md, thirty-
    sixth session): on top of a profile learned without pairs (`despin learn --spun`), WER
    cut +0.4 to +1.7 points on the dev engines and the tuning spinners (WP +10.75 over `check`
    alone, +9.01 without the anchors).

    >>> b = Span(20, 23, "day", 0.5, (Suggestion("week", 0.2), Suggestion("year", 0.1)))
    >>> follow_corpus([b], {"day": ("year", 0.9, 0.5)})[0].suggestions[0]
    Suggestion(text='year', score=0.45)
    """
    return _follow(spans, {k: (w, p, share, k) for k, (w, p, share) in anchors.items()},
                   "same way throughout: '{}' is restored as '{}' across this corpus", phrases=True)


def _follow(spans: list[Span], anchors: Mapping[str, tuple[str, float, float, str]], why: str,
            phrases: bool = False) -> list[Span]:
    """Move each span whose suggestions hold its type's anchor word first (see
    `same_way_throughout`); ``why`` is the reason's pattern (anchor's text, the word).
    One-word spans only unless ``phrases`` (keys then lower case, single spaces)."""
    out: list[Span] = []
    for s in spans:
        key = anchor_key(s.text)
        found = anchors.get(key)
        texts = [x.text.lower() for x in s.suggestions]
        if found is None or (" " in key and not phrases):
            out.append(s)
            continue
        w, anchor_p, share, anchor_text = found
        if w not in texts or (texts[0] == w and replaces(s)):
            out.append(s)  # no such suggestion, or already applied
            continue
        k = texts.index(w)
        p = max(s.score, anchor_p)
        x = s.suggestions[k]
        b = max(x.score, share * p)
        if k > 0 and b <= s.suggestions[0].score:
            out.append(s)
            continue
        moved = replace(s, score=p, suggestions=(replace(x, score=b), *s.suggestions[:k], *s.suggestions[k + 1:]),
                        reason=why.format(anchor_text, x.text) + (f"; {s.reason}" if k == 0 else ""))
        out.append(moved if replaces(moved) else s)
    return out


def _type_counts(a: Analysis) -> dict[str, int]:
    """How many units each observed word type has in the text."""
    seen: dict[str, int] = {}
    for u in a.units:
        seen[u.observed] = seen.get(u.observed, 0) + 1
    return seen


def match_case(candidate: str, observed: str) -> str:
    """Give ``candidate`` the casing pattern of ``observed``.

    >>> match_case("prime minister", "Top Priest"), match_case("cocoa", "DRINKING CHOCOLATE")
    ('Prime Minister', 'COCOA')
    """
    letters = [c for c in observed if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return candidate.upper()
    words = observed.split()
    if words and all(w[:1].isupper() for w in words) and len(words) > 1:
        return " ".join(w[:1].upper() + w[1:] for w in candidate.split(" "))
    if observed[:1].isupper():
        return candidate[:1].upper() + candidate[1:]
    return candidate


def merge_profile_spans(text: str, report: Report, profiles: Sequence[SubstitutionSource]) -> Report:
    """Spans a learned table is sure of come first; the detector fills in the rest; then the
    profiles' corpus anchors (`follow_corpus`) where the text reads as spun.

    `despin.profile.restore_with_profile` applies a profile only when the text looks like
    that spinner's output (its match score), so clean text is left alone. Detector spans on
    words the profile saw the spinner leave unchanged are dropped.
    """
    from ..profile import Profile, restore_with_profile

    learned = [p for p in profiles if isinstance(p, Profile)]
    if not learned:
        return report
    tables = [p for p in learned if not p.anchors_only]
    found = restore_with_profile(text, tables) if tables else Report(score=report.score, verdict=report.verdict, spans=(), restored=text)
    # Where the detector would also replace the same words, but by another original, its
    # reading wins: its candidates hold the profile's originals and the lexicons' beside
    # them, ranked by its context model (100 pairs, 50 held-out documents: the detector
    # right and the profile wrong on 75 words against 22 the other way on WP, 28 against
    # 19 on ProThemes; twenty-eighth session).
    same = {(s.start, s.end): s for s in report.spans if replaces(s)}
    spans = [_detector_reading(s, same.get((s.start, s.end))) for s in found.spans]
    taken = [(s.start, s.end) for s in spans]

    def kept_by_spinner(s: Span) -> bool:
        return any(subs == 0 and kept >= 3 for subs, kept in (p.evidence(s.text) for p in tables))

    for s in report.spans:
        if not any(a < s.end and s.start < b for a, b in taken) and not (found.spans and kept_by_spinner(s)):
            spans.append(s)
    spans.sort(key=lambda s: s.start)
    score = max(report.score, found.score) if found.spans else report.score
    # A profile learned without pairs holds its corpus's own restorations (`Profile.anchors`;
    # the first profile that has a word decides it), followed in a text read as spun.
    anchors = {w: (x.word, x.score, x.share) for p in reversed(learned) for w, x in p.anchors.items()}
    if anchors and score >= 0.5:
        spans = follow_corpus(spans, anchors)
    return Report(
        score=score,
        verdict="spun" if score >= 0.5 else "clean",
        spans=tuple(spans),
        restored=apply(text, spans),
        source=report.source,
    )


def _detector_reading(learned: Span, detector: Span | None) -> Span:
    """``detector`` where it would replace ``learned``'s words by another original, else ``learned``."""
    # The caller passes only detector spans that `replaces` (so they have suggestions).
    if detector is None or not replaces(learned):
        return learned
    if detector.suggestions[0].text.lower() == learned.suggestions[0].text.lower():
        return learned
    return detector
