"""Spinner profiles: learned substitution tables, their file format, merge and match.

A *profile* says what one spinner does: which spun words and phrases stand for which
originals (with counts), the context words that tell several originals apart, how
often an entry is actually applied, and what the spinner does to capital letters.
Real article spinners behave like fixed lookup tables, so a profile turns restoration
into a lookup and doubles as a high-precision detector.

A `Profile` implements `despin.config.SubstitutionSource`:

>>> p = Profile.from_counts("demo", {"sizable": {"big": 8}, "auto": {"car": 5}},
...                         kept={"sizable": 2, "big": 0, "car": 1})
>>> p.originals("sizable")
[('big', 0.8)]
>>> p.substitution_prob("auto")
1.0
>>> restore_with_profile("A sizable auto.", p, gate=False).restored
'A big car.'

File format (JSONL, UTF-8, one JSON object per line; documented in docs/learn.md):

- line 1, the header: ``{"format": "despin-profile", "version": 1, "name", "max_ngram",
  "casing", "summary"}``;
- ``{"spun": PHRASE, "originals": [{"text", "count", "capitalised", "left", "right"}]}``
  one line per entry, most frequent first;
- ``{"kept": PHRASE, "count": N}``: times a word (any word), or a phrase that appears in
  some entry, was seen unchanged in the training pairs (so the profile knows how often
  an entry is applied, and which words the spinner leaves alone);
- ``{"recase": WORD, "forms": {SURFACE: N}, "kept": N}``: words whose capitals the
  spinner removed (``forms``) versus left alone (``kept``).

Only `load`, `load_many` and `save` do I/O; everything else is pure (matching loads
wordfreq's shipped frequencies, and restoration the trigram model, on first use).
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from .errors import ProfileError
from .report import Report, Span, Suggestion, anchor_key, empty_report
from .tokenize import Token, hyphen_compounds, tokenize

FORMAT = "despin-profile"
VERSION = 1

# Context words kept per original and side for entries with one original (only a
# merge can make them ambiguous); entries with several originals keep all of theirs.
MAX_CONTEXT_WORDS = 12
# Casing counts (``Profile.casing``) of the spun words written in capitals: how many the
# spinner left as the original wrote them, and per surface how many it wrote as
# substitutes ("capitals_substitute:OK"). See `Profile.capitals_evidence`.
CAPITALS_KEPT = "capitals_kept"
CAPITALS_SUBSTITUTE = "capitals_substitute:"
# ... and of the spun words joined to a neighbour by a hyphen: left as written, and per
# compound how often the spinner wrote it as a substitute ("hyphened_substitute:ready-made").
HYPHENED_KEPT = "hyphened_kept"
HYPHENED_SUBSTITUTE = "hyphened_substitute:"
# A spinner "leaves capitals alone" when it writes them as substitutes at under this share
# of its overall rate (the dev engines: 0.3% and 1.3% of their capitals words, against 32%
# and 21% of all words); one that writes capitals substitutes keeps its entries' rates.
CAPITALS_ALONE = 0.25


@dataclass(frozen=True)
class Anchor:
    """How a corpus of one spinner's copies restores a spun word (`despin.learn.corpus_anchors`):
    as ``word`` in ``docs`` documents, with sure anchors there (the medians of their
    P(substituted), ``score``, and of the share of it their best suggestion held, ``share``).
    `check --profile` restores the word's unsure occurrences the same way
    (`despin.detector.decide.follow_corpus`)."""

    word: str
    docs: int
    score: float
    share: float


def is_capitals(word: str) -> bool:
    """A word written in capitals ("MARKET", "OK"): two letters or more, all upper case."""
    return len(word) >= 2 and word.isalpha() and word.isupper()


@dataclass
class Original:
    """One original a spun phrase stood for, with its evidence."""

    text: str
    count: int
    # Times the original began with a capital letter while the spun phrase did not
    # (spinners lower-case names: "Treasury" -> "exchequer").
    capitalised: int = 0
    left: dict[str, int] = field(default_factory=dict)
    right: dict[str, int] = field(default_factory=dict)

    def to_dict(self, all_context: bool = True) -> dict[str, Any]:
        n = None if all_context else MAX_CONTEXT_WORDS
        return {
            "text": self.text,
            "count": self.count,
            "capitalised": self.capitalised,
            "left": dict(_top(self.left, n)),
            "right": dict(_top(self.right, n)),
        }


@dataclass
class Profile:
    """A learned spinner: ``entries[spun][original] -> Original`` plus unchanged counts.

    Keys and originals are lower-cased phrases of word tokens (`despin.tokenize`)
    joined by single spaces.
    """

    name: str
    max_ngram: int
    entries: dict[str, dict[str, Original]]
    # Times each word, and each phrase that occurs in an entry (as spun or as
    # original), was seen unchanged in training text.
    kept: dict[str, int] = field(default_factory=dict)
    # Whole-profile casing counts over substitutions: original capitalised and spun
    # capitalised ("capital_kept"), original capitalised and spun lower
    # ("capital_lowered"), original lower and spun capitalised ("capital_added"),
    # both lower ("lower").
    casing: dict[str, int] = field(default_factory=dict)
    # Case-only changes: lower-cased word -> {original surface form: count}.
    recase: dict[str, dict[str, int]] = field(default_factory=dict)
    recase_kept: dict[str, int] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    # Habits as stored in the file (`despin.habits.estimate`); empty: estimated on first use.
    stored_habits: dict[str, Any] = field(default_factory=dict)
    # A corpus's own restorations, spun words and phrases -> `Anchor` (learned without pairs).
    anchors: dict[str, Anchor] = field(default_factory=dict)

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_counts(
        cls,
        name: str,
        counts: Mapping[str, Mapping[str, int]],
        kept: Mapping[str, int] | None = None,
        max_ngram: int | None = None,
    ) -> "Profile":
        """A profile from plain ``{spun: {original: count}}`` counts (tests, hand-made tables).

        >>> Profile.from_counts("t", {"in the course of": {"during": 3}}).max_ngram
        4
        """
        entries = {
            _norm(s): {_norm(o): Original(_norm(o), int(c)) for o, c in origs.items()}
            for s, origs in counts.items()
        }
        n = max_ngram or max([1] + [len(k.split()) for k in entries])
        p = cls(name=name, max_ngram=n, entries=entries, kept={_norm(k): int(v) for k, v in (kept or {}).items()})
        p.summary = p.recompute_summary()
        return p

    # ----------------------------------------------------------- SubstitutionSource
    def originals(self, spun: str) -> list[tuple[str, float]]:
        """Candidate originals of ``spun`` with P(original | spun), best first.

        The probabilities sum to `substitution_prob` (not to 1): the rest is the chance
        that ``spun`` was written by the author and left alone by the spinner.

        >>> Profile.from_counts("t", {"large": {"big": 3}}, kept={"large": 1}).originals("large")
        [('big', 0.75)]
        """
        origs = self.entries.get(_norm(spun))
        if not origs:
            return []
        total = sum(o.count for o in origs.values()) + self.kept.get(_norm(spun), 0)
        ranked = sorted(origs.values(), key=lambda o: (-o.count, o.text))
        return [(o.text, o.count / total) for o in ranked]

    def substitution_prob(self, spun: str) -> float:
        """P(``spun`` is a substitution by this spinner | it occurs in its output)."""
        return sum(p for _, p in self.originals(spun))

    def context_originals(self, spun: str, left: str | None, right: str | None) -> list[tuple[str, float]]:
        """Like `originals`, re-weighted by the spun-side neighbouring words.

        Naive Bayes over the learned left/right neighbour counts, smoothed towards the
        entry's pooled neighbours; the total mass (the substitution probability) is unchanged.

        >>> p = Profile.from_counts("t", {"bank": {"shore": 2, "lender": 2}})
        >>> p.entries["bank"]["shore"].left = {"river": 2}
        >>> p.entries["bank"]["lender"].left = {"central": 2}
        >>> p.context_originals("bank", "river", None)[0][0]
        'shore'
        """
        base = self.originals(spun)
        if len(base) < 2:
            return base
        origs = self.entries[_norm(spun)]
        mass = sum(p for _, p in base)
        scored: list[tuple[str, float]] = []
        # Smoothing towards the entry-wide neighbour distribution: a neighbour never seen
        # with any original says nothing; one seen with only one of them says a lot.
        pooled: dict[str, dict[str, int]] = {"left": {}, "right": {}}
        for o in origs.values():
            _add(pooled["left"], o.left)
            _add(pooled["right"], o.right)
        for text, p in base:
            o = origs[text]
            logp = math.log(p)
            for side, word, ctx in (("left", left, o.left), ("right", right, o.right)):
                if not word:
                    continue
                word = word.lower()
                pool = pooled[side]
                if word not in pool:
                    continue  # never seen next to any original: no evidence either way
                bg = pool[word] / sum(pool.values())
                # Witten-Bell: an original seen in many different contexts keeps more
                # mass for new ones than one seen in a single context.
                n, types = max(o.count, sum(ctx.values())), max(1, len(ctx))
                logp += math.log((ctx.get(word, 0) + types * bg) / (n + types))
            scored.append((text, logp))
        top = max(s for _, s in scored)
        z = sum(math.exp(s - top) for _, s in scored)
        out = [(t, mass * math.exp(s - top) / z) for t, s in scored]
        out.sort(key=lambda x: -x[1])
        return out

    # ------------------------------------------------------------------------ habits
    @cached_property
    def habits(self) -> dict[str, Any]:
        """The spinner's habits (`despin.habits.estimate`): relation shares, rates, casing...

        Read from the file when it stores them (same habits version), else estimated
        once from the table (loads the lexicons).
        """
        from .habits import HABITS_VERSION, estimate

        if self.stored_habits.get("version") == HABITS_VERSION:
            return dict(self.stored_habits)
        return estimate(self)

    @property
    def spin_rate(self) -> float:
        """Share of tokens this spinner changed in its training pairs (0..1)."""
        return float(self.habits.get("rate") or self.summary.get("substituted_share", 0.0))

    def candidate_weight(self, observed: str, candidate: str, relation: str) -> float:
        """Multiplicative prior on a generic candidate's q, from this spinner's habits.

        For a detector's candidate original ``candidate`` of a word ``observed`` that
        the table does not settle, found through ``relation`` (a `despin.lexicon.SOURCES`
        name, ``"inflection"``, ...): 1.0 means "no opinion". It is

        - P(the spinner replaces ``candidate``) / its token rate, from the times the
          training pairs showed the word replaced or left alone (a word it always left
          alone gets ~0, a head word it always replaced gets ~1/rate);
        - times P(a substitute the table has not seen | it replaces ``candidate``), by
          Good-Turing over that word's substitutes (a head whose substitutes were all seen
          many times is an unlikely original of a new one); for a profile learned without
          pairs, 1 − the share of the spin its table explains (its counts are estimates);
        - times how much more of the spinner's substitutions ``relation`` explains than
          the average source (`habits["relations"]`); an unknown relation counts 1.

        Clipped to [0.001, 1000].

        >>> p = Profile.from_counts("t", {"sizable": {"big": 1}, "tempest": {"storm": 1}},
        ...                         kept={"the": 50, "big": 0, "storm": 0})
        >>> p.candidate_weight("huge", "the", "wordnet") < 0.05 < 1 < p.candidate_weight("huge", "big", "x")
        True
        """
        from .habits import candidate_weight

        return candidate_weight(self, observed, candidate, relation)

    # ------------------------------------------------------------------- statistics
    @cached_property
    def applied_counts(self) -> dict[str, int]:
        """Original phrase -> times the spinner replaced it (by any substitute).

        Computed once; a profile is not meant to change after it is built or loaded.
        """
        out: dict[str, int] = {}
        for origs in self.entries.values():
            for o in origs.values():
                out[o.text] = out.get(o.text, 0) + o.count
        return out

    def entry_applied_share(self, original: str) -> float | None:
        """How often this spinner replaced ``original`` when it met it (None if never seen)."""
        o = _norm(original)
        applied = self.applied_counts.get(o, 0)
        total = applied + self.kept.get(o, 0)
        return applied / total if total else None

    def evidence(self, spun: str) -> tuple[int, int]:
        """(times ``spun`` was a substitution, times it was seen unchanged) in training.

        (0, 0) means the profile knows nothing about it; (0, n) means the spinner met
        the phrase ``n`` times and left it alone.
        """
        key = _norm(spun)
        subs = sum(o.count for o in self.entries.get(key, {}).values())
        return subs, self.kept.get(key, 0)

    def unseen_substitution_prior(self, original: str) -> float:
        """P(the spinner turns ``original`` into a substitute this profile has not seen).

        A fixed-table spinner replaces a word the same way every time: a word seen
        left alone (or replaced by known substitutes) ``n`` times is an unlikely
        original for a new substitute; 1.0 when the profile has never seen the word.

        >>> p = Profile.from_counts("t", {"sizable": {"big": 3}}, kept={"the": 40})
        >>> p.unseen_substitution_prior("the") < 0.02, p.unseen_substitution_prior("zebra")
        (True, 1.0)
        """
        o = _norm(original)
        n = self.kept.get(o, 0) + self.applied_counts.get(o, 0)
        return 1.0 if n == 0 else 0.5 / (n + 0.5)

    @property
    def applied_share(self) -> float:
        """Share of occurrences of entry originals that the spinner replaced (0..1)."""
        return float(self.summary.get("applied_share", 0.0))

    @property
    def coverage(self) -> float:
        """Share of the training substitutions (spun tokens) that the kept entries explain."""
        return float(self.summary.get("coverage", 0.0))

    @property
    def n_entries(self) -> int:
        return len(self.entries)

    @property
    def anchors_only(self) -> bool:
        """A corpus's anchors and no table (`despin learn --spun COPIES` without ``--clean``):
        `check` reads the text as it would without a profile, then follows the anchors."""
        return not self.entries and bool(self.anchors)

    def capitals_counts(self) -> tuple[int, dict[str, int]]:
        """Spun words in capitals seen in training: left as the original wrote them, and
        written as substitutes, per surface (``casing``'s capitals counts)."""
        return self._surface_counts(CAPITALS_KEPT, CAPITALS_SUBSTITUTE)

    def hyphened_counts(self) -> tuple[int, dict[str, int]]:
        """Spun words in hyphenated compounds seen in training: left as written, and the
        compounds written as substitutes, with their counts (``casing``'s hyphen counts)."""
        return self._surface_counts(HYPHENED_KEPT, HYPHENED_SUBSTITUTE)

    def _surface_counts(self, kept_key: str, prefix: str) -> tuple[int, dict[str, int]]:
        """``casing[kept_key]`` and the ``prefix + SURFACE`` counts, by surface."""
        subs = {k[len(prefix):]: n for k, n in self.casing.items() if k.startswith(prefix)}
        return self.casing.get(kept_key, 0), subs

    def hyphened_evidence(self, compound: str) -> tuple[float, float] | None:
        """For a spun word inside a hyphenated compound the spinner never wrote as a
        substitute in training: (P(it is a substitute), how many hyphened words that rests
        on), where such a compound is seldom one (its Good-Turing rate, compounds written
        once over all hyphened words, under ``CAPITALS_ALONE`` of the spinner's rate). None
        otherwise. Some engines match their dictionary between spaces and never touch
        "state-owned" (the WP dev engine: 2.6%, against 32% of all words; its dictionary's
        own compounds, "ready-made", are the surfaces it writes); others replace the parts
        of compounds (ProThemes: 15.6%, against 22%), and keep their entries' rates.

        >>> p = Profile.from_counts("t", {"nation": {"state": 3}})
        >>> p.summary["substituted_share"] = 0.3
        >>> p.casing = {"hyphened_kept": 197, "hyphened_substitute:ready-made": 2}
        >>> p.hyphened_evidence("state-owned"), p.hyphened_evidence("ready-made")
        ((0.0025, 199.0), None)
        >>> p.casing = {"hyphened_kept": 20, **{f"hyphened_substitute:nation-{k}": 1 for k in range(10)}}
        >>> p.hyphened_evidence("state-owned") is None  # it writes new compounds: a third
        True
        """
        return None if compound in self.hyphened_counts()[1] else self.unseen_compound_rate()

    def unseen_compound_rate(self) -> tuple[float, float] | None:
        """(P(a compound training never showed is a substitute), the hyphened words it rests
        on) where the spinner seldom writes such compounds; None otherwise (`hyphened_evidence`)."""
        kept, subs = self.hyphened_counts()
        n = kept + sum(subs.values())
        if not n:
            return None
        rate = (sum(1 for c in subs.values() if c == 1) + 0.5) / (n + 1)
        if rate >= CAPITALS_ALONE * float(self.summary.get("substituted_share") or 0.0):
            return None
        return rate, float(n)

    def leaves_capitals_alone(self) -> bool:
        """Did training see words in capitals, and the spinner write them as substitutes at
        under ``CAPITALS_ALONE`` of its overall rate?"""
        return self._capitals_alone(*self.capitals_counts())

    def _capitals_alone(self, kept: int, subs: dict[str, int]) -> bool:
        written = sum(subs.values())
        n = kept + written
        share = float(self.summary.get("substituted_share") or 0.0)
        return bool(n) and not (written and written >= CAPITALS_ALONE * share * n)

    def capitals_evidence(self, surface: str) -> tuple[float, float] | None:
        """For a spun word (or phrase) written in capitals that the spinner never wrote as a
        substitute in training: (P(it is a substitute), how many capitals words that rests
        on). None where the profile holds no such counts, where the spinner did write this
        surface as a substitute, or where it writes capitals substitutes at all often
        (``CAPITALS_ALONE``): then the entry's own rate stands.

        A spinner that matches its dictionary's words case-sensitively never touches a
        wire headline in capitals ("MARKET" stays); one that writes its dictionary's
        lower-case spelling leaves capitals only where it did not touch the word. Either
        way a word in capitals is a substitute only as one of the few capitals entries of
        its dictionary ("OK"), whose surfaces training showed; an unseen one is as likely
        as the surfaces seen once (Good-Turing).

        >>> p = Profile.from_counts("t", {"scheme": {"plan": 3}})
        >>> p.summary["substituted_share"] = 0.3
        >>> p.casing = {"capitals_kept": 398, "capitals_substitute:OK": 1}
        >>> p.capitals_evidence("SCHEME"), p.capitals_evidence("OK"), p.capitals_evidence("scheme")
        ((0.00375, 399.0), None, None)
        >>> p.casing = {"capitals_kept": 300, "capitals_substitute:OK": 99}
        >>> p.capitals_evidence("SCHEME") is None
        True
        """
        words = surface.split()
        if not words or not all(is_capitals(w) for w in words):
            return None
        kept, subs = self.capitals_counts()
        n = kept + sum(subs.values())
        if not self._capitals_alone(kept, subs) or any(w in subs for w in words):
            return None
        once = sum(1 for c in subs.values() if c == 1)
        return (once + 0.5) / (n + 1), float(n)

    def lowered_share(self) -> float:
        """Share of capitalised originals that the spinner wrote in lower case."""
        k, lo = self.casing.get("capital_kept", 0), self.casing.get("capital_lowered", 0)
        return lo / (k + lo) if k + lo else 0.0

    def recompute_summary(self) -> dict[str, Any]:
        """Entry-derived figures (entries, substitutions, applied share), keeping the rest."""
        s = dict(self.summary)
        subs = sum(o.count for e in self.entries.values() for o in e.values())
        s["entries"] = len(self.entries)
        s["substitutions"] = subs
        s["ambiguous_entries"] = sum(1 for e in self.entries.values() if len(e) > 1)
        s["multiword_entries"] = sum(
            1 for k, e in self.entries.items() if " " in k or any(" " in o for o in e)
        )
        originals = {o for e in self.entries.values() for o in e}
        kept_orig = sum(self.kept.get(o, 0) for o in originals)
        s["applied_share"] = round(subs / (subs + kept_orig), 6) if subs + kept_orig else 0.0
        s.setdefault("coverage", 1.0 if subs else 0.0)
        return s

    def top(self, n: int = 20) -> list[tuple[str, str, int, float]]:
        """The ``n`` most frequent (spun, best original, count, P(original|spun)) rows."""
        rows = []
        for spun, origs in self.entries.items():
            best = max(origs.values(), key=lambda o: (o.count, o.text))
            total = sum(o.count for o in origs.values()) + self.kept.get(spun, 0)
            rows.append((spun, best.text, sum(o.count for o in origs.values()), best.count / total))
        rows.sort(key=lambda r: (-r[2], r[0]))
        return rows[:n]

    # ------------------------------------------------------------------ (de)serialise
    def to_lines(self) -> Iterator[str]:
        """The JSONL lines of the file form (header first)."""
        header = {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "max_ngram": self.max_ngram,
            "casing": self.casing,
            "summary": self.summary,
        }
        header["habits"] = self.habits
        yield json.dumps(header, ensure_ascii=False)
        order = sorted(self.entries.items(), key=lambda kv: (-sum(o.count for o in kv[1].values()), kv[0]))
        for spun, origs in order:
            ranked = sorted(origs.values(), key=lambda o: (-o.count, o.text))
            yield json.dumps({"spun": spun, "originals": [o.to_dict(len(ranked) > 1) for o in ranked]}, ensure_ascii=False)
        for phrase, count in sorted(self.kept.items()):
            yield json.dumps({"kept": phrase, "count": count}, ensure_ascii=False)
        for word, forms in sorted(self.recase.items()):
            yield json.dumps(
                {"recase": word, "forms": forms, "kept": self.recase_kept.get(word, 0)}, ensure_ascii=False
            )
        for word, a in sorted(self.anchors.items()):
            yield json.dumps({"anchor": word, "restored": a.word, "docs": a.docs, "score": a.score,
                              "share": a.share}, ensure_ascii=False)

    @classmethod
    def from_lines(cls, lines: Iterable[str], source: str = "<profile>") -> "Profile":
        """Parse the file form; raises `ProfileError` naming ``source`` and the line."""
        it = iter(lines)
        try:
            first = next(it)
        except StopIteration:
            raise ProfileError(f"{source}: empty file, not a despin profile") from None
        try:
            header = json.loads(first)
        except json.JSONDecodeError:
            raise ProfileError(f"{source}: not a despin profile (line 1 is not JSON)") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ProfileError(f"{source}: not a despin profile (line 1 lacks \"format\": \"{FORMAT}\")")
        version = header.get("version")
        if version != VERSION:
            raise ProfileError(f"{source}: profile version {version!r} is not supported (this despin reads {VERSION})")
        try:
            p = cls(
                name=str(header.get("name") or Path(source).stem),
                max_ngram=int(header.get("max_ngram", 1)),
                entries={},
                casing={str(k): int(v) for k, v in dict(header.get("casing") or {}).items()},
                summary=dict(header.get("summary") or {}),
                stored_habits=dict(header.get("habits") or {}),
            )
        except (TypeError, ValueError) as e:
            raise ProfileError(f"{source}: line 1: bad header ({e})") from None
        for lineno, raw in enumerate(it, 2):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw)
                if "spun" in rec:
                    key = _norm(str(rec["spun"]))
                    if not key:
                        raise ValueError("empty spun phrase")
                    origs = p.entries.setdefault(key, {})
                    for o in rec["originals"]:
                        text = _norm(str(o["text"]))
                        count = int(o["count"])
                        if count < 0 or not text:
                            raise ValueError("negative count or empty original")
                        origs[text] = Original(
                            text,
                            count,
                            int(o.get("capitalised", 0)),
                            {str(k): int(v) for k, v in dict(o.get("left") or {}).items()},
                            {str(k): int(v) for k, v in dict(o.get("right") or {}).items()},
                        )
                elif "kept" in rec and "count" in rec:
                    p.kept[_norm(str(rec["kept"]))] = int(rec["count"])
                elif "recase" in rec:
                    word = str(rec["recase"])
                    p.recase[word] = {str(k): int(v) for k, v in dict(rec["forms"]).items()}
                    p.recase_kept[word] = int(rec.get("kept", 0))
                elif "anchor" in rec:
                    # Keyed as `follow_corpus` looks them up, not as table entries (`_norm`
                    # splits "ready-made", which `check` reads as one unit).
                    key = anchor_key(str(rec["anchor"]))
                    a = Anchor(anchor_key(str(rec["restored"])), int(rec["docs"]), float(rec["score"]),
                               float(rec["share"]))
                    if not a.word or not key or not 0 <= a.score <= 1 or not 0 <= a.share <= 1:
                        raise ValueError("an anchor needs a spun text, a text to restore, score and share in [0, 1]")
                    p.anchors[key] = a
                else:
                    raise ValueError("unknown record (expected 'spun', 'kept', 'recase' or 'anchor')")
            except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as e:
                what = e.msg if isinstance(e, json.JSONDecodeError) else (f"missing {e}" if isinstance(e, KeyError) else str(e))
                raise ProfileError(f"{source}: line {lineno}: corrupt profile record ({what})") from None
        if p.max_ngram < 1:
            raise ProfileError(f"{source}: line 1: max_ngram must be >= 1")
        return p

    def to_dict(self) -> dict[str, Any]:
        """One JSON-able object (for the HTTP API); `from_dict` reads it back."""
        return {"lines": [json.loads(line) for line in self.to_lines()]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Profile":
        return cls.from_lines((json.dumps(x) for x in d["lines"]), source="<profile>")


# --------------------------------------------------------------------------- file I/O
def save(profile: Profile, path: str | os.PathLike[str]) -> None:
    """Write ``profile`` as JSONL (atomically: a crash never leaves half a profile)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for line in profile.to_lines():
            fh.write(line + "\n")
    os.replace(tmp, path)


def load(path: str | os.PathLike[str]) -> Profile:
    """Read a profile file; `ProfileError` with the file name for anything wrong with it."""
    name = str(path)
    p = Path(path)
    if p.is_dir():
        raise ProfileError(f"{name}: is a directory, not a profile file")
    try:
        with open(p, encoding="utf-8") as fh:
            return Profile.from_lines(fh, source=name)
    except FileNotFoundError:
        raise ProfileError(f"{name}: no such profile file") from None
    except UnicodeDecodeError:
        raise ProfileError(f"{name}: not a despin profile (not UTF-8 text)") from None
    except PermissionError:
        raise ProfileError(f"{name}: permission denied") from None


def load_many(paths: Iterable[str | os.PathLike[str]]) -> list[Profile]:
    """Load profile files; a directory contributes every ``*.jsonl``/``*.profile`` file in it."""
    out: list[Profile] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if f.suffix in (".jsonl", ".profile") and f.is_file())
            if not files:
                raise ProfileError(f"{path}: directory holds no profile files (*.jsonl, *.profile)")
            out.extend(load(f) for f in files)
        else:
            out.append(load(p))
    return out


# ------------------------------------------------------------------------------ merge
def merge(profiles: Sequence[Profile], name: str | None = None) -> Profile:
    """Add the counts of several profiles (same spinner, more pairs).

    A phrase one profile never counted as unchanged adds 0 there, so merging profiles
    with disjoint vocabularies slightly overstates how often new entries apply.

    >>> a = Profile.from_counts("a", {"sizable": {"big": 2}})
    >>> b = Profile.from_counts("b", {"sizable": {"big": 3, "large": 1}})
    >>> m = merge([a, b])
    >>> m.entries["sizable"]["big"].count, m.entries["sizable"]["large"].count
    (5, 1)
    """
    if not profiles:
        raise ValueError("merge needs at least one profile")
    out = Profile(
        name=name or "+".join(p.name for p in profiles),
        max_ngram=max(p.max_ngram for p in profiles),
        entries={},
    )
    summable = ("pairs", "tokens_original", "tokens_spun", "substituted_tokens", "covered_tokens",
                "dropped_blocks", "skipped_lines", "skipped_pairs")
    for p in profiles:
        for spun, origs in p.entries.items():
            dst = out.entries.setdefault(spun, {})
            for text, o in origs.items():
                d = dst.setdefault(text, Original(text, 0))
                d.count += o.count
                d.capitalised += o.capitalised
                _add(d.left, o.left)
                _add(d.right, o.right)
        _add(out.kept, p.kept)
        _add(out.casing, p.casing)
        for w, forms in p.recase.items():
            _add(out.recase.setdefault(w, {}), forms)
        _add(out.recase_kept, p.recase_kept)
        for w, a in p.anchors.items():
            if w not in out.anchors or a.docs > out.anchors[w].docs:
                out.anchors[w] = a
        for k in summable:
            if k in p.summary:
                out.summary[k] = out.summary.get(k, 0) + p.summary[k]
    if out.summary.get("substituted_tokens"):
        out.summary["coverage"] = round(out.summary.get("covered_tokens", 0) / out.summary["substituted_tokens"], 6)
    if out.summary.get("tokens_spun"):
        out.summary["substituted_share"] = round(
            out.summary.get("substituted_tokens", 0) / out.summary["tokens_spun"], 6
        )
    out.summary["merged_from"] = [p.name for p in profiles]
    out.summary = out.recompute_summary()
    return out


def with_fallback(primary: Profile, fallback: Profile, name: str | None = None) -> Profile:
    """``primary`` plus the entries of ``fallback`` for phrases ``primary`` knows nothing about.

    For a profile learned from pairs (precise, small) backed by one learned without
    pairs (broad, noisier): the paired profile's word on a phrase, including "seen
    unchanged", always wins.

    >>> a = Profile.from_counts("a", {"sizable": {"big": 2}}, kept={"hound": 3})
    >>> b = Profile.from_counts("b", {"sizable": {"large": 9}, "hound": {"dog": 9}, "auto": {"car": 4}})
    >>> c = with_fallback(a, b)
    >>> c.originals("sizable")[0][0], c.originals("hound"), c.originals("auto")[0][0]
    ('big', [], 'car')
    """
    out = Profile(
        name=name or f"{primary.name}|{fallback.name}",
        max_ngram=max(primary.max_ngram, fallback.max_ngram),
        entries={k: dict(v) for k, v in primary.entries.items()},
        kept=dict(primary.kept),
        casing=dict(primary.casing),
        recase={k: dict(v) for k, v in primary.recase.items()},
        recase_kept=dict(primary.recase_kept),
        summary=dict(primary.summary),
        # Only the primary's anchors: behind a table learned from pairs, a corpus's anchors
        # cost ProThemes 1.5 points (100 pairs; WP +0.4; docs/learn.md, thirty-sixth session).
        anchors=dict(primary.anchors),
    )
    for spun, origs in fallback.entries.items():
        if spun in out.entries or primary.kept.get(spun, 0) > 0:
            continue
        out.entries[spun] = dict(origs)
        out.kept[spun] = fallback.kept.get(spun, 0)
        for o in origs:
            out.kept.setdefault(o, fallback.kept.get(o, 0))
    out.summary["fallback"] = fallback.name
    out.summary = out.recompute_summary()
    return out


# ------------------------------------------------------------------------------ match
@lru_cache(maxsize=1)
def _background() -> Any:
    from wordfreq import word_frequency  # core dependency; loaded on first match only

    return word_frequency


def background_prob(word: str) -> float:
    """Unigram probability of ``word`` in general English (wordfreq), floored."""
    # The floor stands for "a word wordfreq has never seen": rare, not impossible.
    return max(_background()(word, "en"), 1e-8)


def match_score(profile: Profile, tokens: Sequence[str]) -> float:
    """Mean per-token log-likelihood ratio: "``profile``'s spinner wrote this" vs plain English.

    Each token ``t`` is modelled as P(t | spinner) = P_bg(t)·keep(t) + Σ_o P_bg(o)·apply(o→t):
    the author wrote ``t`` and the spinner left it, or wrote an original ``o`` that the
    spinner turned into ``t``. A text full of the spinner's outputs scores high; a text
    still holding words this spinner always replaces scores low.
    """
    if not tokens:
        return 0.0
    model = _match_model(profile)
    total = 0.0
    for t in tokens:
        t = t.lower()
        entry = model.get(t)
        if entry is None:
            continue  # unknown to the profile: ratio 1
        keep, into = entry
        pt = background_prob(t)
        p = pt * keep + sum(background_prob(o) * a for o, a in into)
        total += math.log(max(p, 1e-12) / pt)
    return total / len(tokens)


def _match_model(profile: Profile) -> dict[str, tuple[float, list[tuple[str, float]]]]:
    # Cached on the instance (profiles do not change once built) so that matching many
    # texts against the same profiles costs one pass over the entries.
    cached = profile.__dict__.get("_match_cache")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    applied: dict[str, int] = {}
    for spun, origs in profile.entries.items():
        if " " in spun:
            continue
        for o in origs.values():
            if " " not in o.text:
                applied[o.text] = applied.get(o.text, 0) + o.count
    model: dict[str, tuple[float, list[tuple[str, float]]]] = {}

    def keep_of(word: str) -> float:
        a = applied.get(word, 0)
        # Add-0.5 smoothing: one sighting of a replacement must not make a word impossible.
        return (profile.kept.get(word, 0) + 0.5) / (profile.kept.get(word, 0) + a + 1.0) if a else 1.0

    words = set(applied)
    for spun, origs in profile.entries.items():
        if " " not in spun:
            words.add(spun)
    for w in words:
        into: list[tuple[str, float]] = []
        for o in profile.entries.get(w, {}).values():
            if " " in o.text:
                continue
            total = applied.get(o.text, 0) + profile.kept.get(o.text, 0) + 1.0
            into.append((o.text, o.count / total))
        model[w] = (keep_of(w), into)
    profile.__dict__["_match_cache"] = model
    return model


def match(text: str, profiles: Sequence[Profile]) -> list[tuple[str, float]]:
    """Rank ``profiles`` by how likely their spinner wrote ``text`` (best first).

    >>> a = Profile.from_counts("a", {"sizable": {"big": 9}}, kept={"big": 0})
    >>> b = Profile.from_counts("b", {"huge": {"big": 9}}, kept={"big": 0})
    >>> [n for n, _ in match("A sizable house and a sizable dog.", [a, b])]
    ['a', 'b']
    """
    tokens = [t.text for t in tokenize(text)]
    scored = [(p.name, match_score(p, tokens)) for p in profiles]
    scored.sort(key=lambda x: -x[1])
    return scored


# -------------------------------------------------------------------------- restore
# Pseudo-count of the times the spinner left a phrase alone, added to what the pairs showed
# (`_lm_posterior`): half a time, the Jeffreys prior's share.
PROFILE_KEPT_PRIOR = 0.5

def restore_with_profile(
    text: str,
    profiles: Profile | Sequence[Profile],
    *,
    threshold: float = 0.5,
    gate: bool = True,
    lm_weight: float = 0.5,
) -> Report:
    """Profile-only restoration: replace every phrase the profile says is a substitution.

    Greedy longest match, left to right; a phrase with P(substituted) >= ``threshold``
    becomes a span whose suggestions are its originals in context, and, as
    `despin.report.apply` decides, it is replaced when its best original is more
    likely than the phrase as written. With ``gate`` the document is left
    alone unless the best profile's `match_score` is positive, i.e. the text looks
    like that spinner's output (this is what keeps clean text byte-identical). With
    several profiles the best-matching one is used. With ``lm_weight`` > 0 the
    probabilities are posteriors (`_lm_posterior`): the profile's counts, with half a
    time more for the phrase left alone, times the trigram language model's ratio
    (`despin.lm`, over the phrase and the two words after it) between each original and
    the phrase as written, to that power; so the context decides both which original and
    whether any. 0 keeps the profile's counts alone (no language model loaded).

    >>> p = Profile.from_counts("t", {"in the course of": {"during": 4}, "sizable": {"big": 4}})
    >>> restore_with_profile("In the course of a sizable storm", p, gate=False).restored
    'During a big storm'
    """
    plist = [profiles] if isinstance(profiles, Profile) else list(profiles)
    if not text.strip() or not plist:
        return empty_report(text)
    toks = tokenize(text)
    words = [t.text for t in toks]
    if len(plist) > 1 or gate:
        ranked = sorted(((match_score(p, words), i) for i, p in enumerate(plist)), reverse=True)
        best_score, best_i = ranked[0]
        if gate and best_score <= 0.0:
            return empty_report(text)
        profile = plist[best_i]
    else:
        profile = plist[0]
    lower = [w.lower() for w in words]
    compounds = hyphen_compounds(text, toks)
    # The text as restored so far (lower case): left context for the language model.
    out: list[str] = []
    spans: list[Span] = []
    i = 0
    while i < len(toks):
        done = False
        for n in range(min(profile.max_ngram, len(toks) - i), 0, -1):
            if n > 1 and not _contiguous(text, toks[i:i + n]):
                continue
            key = " ".join(lower[i:i + n])
            if key not in profile.entries:
                continue
            left = lower[i - 1] if i > 0 else None
            right = lower[i + n] if i + n < len(toks) else None
            cands = profile.context_originals(key, left, right)
            surface = text[toks[i].start:toks[i + n - 1].end]
            position = profile.capitals_evidence(surface)
            if position is None and (compounds[i] or compounds[i + n - 1]):
                position = profile.hyphened_evidence(compounds[i] or compounds[i + n - 1])
            if position is not None and cands:
                # In capitals, or inside a compound, where the spinner seldom substitutes: its
                # rate for such words, not this word's (learned where it stood in lower case,
                # alone); see capitals_evidence and hyphened_evidence.
                total = sum(p for _, p in cands)
                cands = [(o, p * position[0] / total) for o, p in cands]
            if lm_weight > 0 and profile.summary.get("method") == "unpaired":
                # Learned without pairs: its entries were chosen by the trigram model's
                # reading of their contexts; reading it again per occurrence would count that
                # evidence twice (it cost 4.2 / 1.6 points on the `dictionary` no-pairs sets).
                cands = _lm_rerank(cands, sum(p for _, p in cands), out[-2:], lower[i + n:i + n + 2], lm_weight)
            elif lm_weight > 0:
                cands = _lm_posterior(cands, sum(profile.evidence(key)), key, out[-2:], lower[i + n:i + n + 2],
                                      lm_weight)
            p_sub = sum(p for _, p in cands)
            if p_sub < threshold:
                continue
            best = cands[0]
            out.extend((best[0] if best[1] > 1 - p_sub else key).split())
            sugg = tuple(
                Suggestion(_recase(profile, key, o, surface), p) for o, p in cands[:5]
            )
            spans.append(Span(toks[i].start, toks[i + n - 1].end, surface, p_sub, sugg, f"profile:{profile.name}"))
            i += n
            done = True
            break
        if not done:
            fixed = _recase_word(profile, words[i])
            if fixed is not None:
                form, share = fixed
                spans.append(Span(toks[i].start, toks[i].end, words[i], share, (Suggestion(form, share),),
                                  f"profile:{profile.name}:case"))
            out.append(lower[i])
            i += 1
    if not spans:
        return empty_report(text)
    from .report import apply

    # A spinner output replaces 15-50% of tokens; 20% flagged reads as certainly spun.
    score = min(1.0, len(spans) / max(1, len(toks)) * 5)
    return Report(score=score, verdict="spun", spans=tuple(spans), restored=apply(text, spans))


def _lm_posterior(
    cands: list[tuple[str, float]], seen: int, spun: str, left: list[str], right: list[str], weight: float
) -> list[tuple[str, float]]:
    """P(each original | the profile and the context): the profile's counts as the prior, the
    trigram LM (`despin.lm`, over the phrase and the two words after it) to the power
    ``weight`` as the evidence, against the phrase as written.

    The prior odds of a substitution are the entry's count against the times the spinner
    was seen leaving the phrase alone, plus half a time (``PROFILE_KEPT_PRIOR``): an entry
    seen once and never kept is a guess, not a certainty. The context then decides, for
    each phrase, whether an original reads better than the text as written (ProThemes,
    100 pairs, profile spans on 100 other documents: 389 clean words changed for 2,689
    originals restored with the counts alone, 269 for 2,852 with the context; WP 200 for
    3,860 and 141 for 3,839; scratch scripts, twenty-eighth session). Returns the
    originals best first, their probabilities summing to P(substituted | context).
    """
    if not cands:
        return cands
    # The candidates' probabilities sum to count / seen; rescale to count / (seen + prior).
    scale = seen / (seen + PROFILE_KEPT_PRIOR)
    base = _in_context(spun, left, right)
    scored = [(text, p * scale * math.exp(weight * (_in_context(text, left, right) - base))) for text, p in cands]
    z = sum(x for _, x in scored) + 1.0 - scale * sum(p for _, p in cands)
    ranked = [(o, x / z) for o, x in scored]
    ranked.sort(key=lambda x: -x[1])
    return ranked


def _lm_rerank(
    cands: list[tuple[str, float]], p_sub: float, left: list[str], right: list[str], weight: float
) -> list[tuple[str, float]]:
    """Re-rank several originals by profile probability x trigram LM^weight; same total mass
    (the choice between originals only, for a profile learned without pairs)."""
    if len(cands) < 2:
        return cands
    scores = [math.log(max(p, 1e-9)) + weight * _in_context(text, left, right) for text, p in cands]
    top = max(scores)
    z = sum(math.exp(x - top) for x in scores)
    ranked = [(o, p_sub * math.exp(x - top) / z) for (o, _), x in zip(cands, scores)]
    ranked.sort(key=lambda x: -x[1])
    return ranked


def _in_context(phrase: str, left: list[str], right: list[str]) -> float:
    """The trigram model's log-probability of ``phrase`` and the words after it, given those before."""
    from . import lm

    seq = [*left, *phrase.split(), *right]
    return lm.window_logprob(seq, len(left), len(seq))


def _contiguous(text: str, toks: Sequence[Token]) -> bool:
    # A phrase never spans punctuation: "large, red" is not the phrase "large red".
    return all(not text[a.end:b.start].strip() for a, b in zip(toks, toks[1:]))


def _recase(profile: Profile, key: str, original: str, surface: str) -> str:
    """Give ``original`` the capitals its spun ``surface`` (and the spinner's habits) imply."""
    if surface.isupper() and len(surface) > 1:
        return original.upper()
    if surface[:1].isupper():
        return original[:1].upper() + original[1:]
    o = profile.entries.get(key, {}).get(original)
    if o is not None and o.capitalised * 2 > o.count:
        # The spinner lowered this original most of the time: give the capital back.
        return original[:1].upper() + original[1:]
    return original


def _recase_word(profile: Profile, word: str) -> tuple[str, float] | None:
    """Original capitals (and their probability) for a word the spinner lower-cased."""
    forms = profile.recase.get(word)
    if not forms or not word.islower():
        return None
    form, n = max(forms.items(), key=lambda kv: (kv[1], kv[0]))
    share = n / (sum(forms.values()) + profile.recase_kept.get(word, 0))
    return (form, share) if form != word else None


# --------------------------------------------------------------------------- helpers
def _norm(phrase: str) -> str:
    return " ".join(t.text for t in tokenize(phrase.lower()))


def _top(d: Mapping[str, int], n: int | None) -> list[tuple[str, int]]:
    return sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def _add(dst: dict[str, int], src: Mapping[str, int]) -> None:
    for k, v in src.items():
        dst[k] = dst.get(k, 0) + v
