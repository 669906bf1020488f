"""An on-disk trace index: documents in SQLite, MinHash LSH band tables beside them.

Layout of an index directory::

    manifest.json           format name, version, parameters, the list of band segments
    index.sqlite            docs(rowid, id, text zlib)
    bands-NNNNN.keys.npy    sorted int64 band keys of one segment (one per band per signature)
    bands-NNNNN.docs.npy    int32 document rowid of each key

A build writes one segment, each `add` one more (merged into one when there are many);
segment files never change once written and the manifest is replaced atomically and
written last, so readers in other processes always see a complete index, and a build
that died half way is reported as incomplete. Lookups are `numpy.searchsorted` on
memory-mapped keys: opening reads no more than the manifest.

MinHash signatures come from ``datasketch`` (affine32 permutations); band keys live in
our own sorted arrays because datasketch's in-memory LSH holds one Python set per
bucket (about 1 KB per band per document at 100k documents) and has no multi-process
readers, and SQLite B-tree inserts of ~100 rows per document cost more than all the
shingling and hashing together.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp()) / "idx"
>>> ix = Index.build(d, [("a", "The fox ran to the end of the road and then into the wood by the river.")])
>>> Index.open(d).query("The dog walked to the end of the street and then into the forest by the stream.")[0].id
'a'
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from ..errors import IndexCorruptError, InputError
from .shingles import (
    BATCH_SHINGLERS,
    SHINGLERS,
    Words,
    chunk_bounds,
    paragraph_words,
    shingle_set,
    CASE_BLIND_N,
    case_blind,
    case_blind_set,
    skeleton_anchor_batch,
)

FORMAT = "despin-trace-index"
# 4: + skeleton-only band keys of each document (the second stage of `query`);
# 5: those keys over skeleton 7-grams instead of 9-grams (`shingles.CASE_BLIND_N`), 128 a document instead of 64
VERSION = 5
MANIFEST = "manifest.json"
DB = "index.sqlite"

# 128 permutations in 64 bands of 2 rows: a document pair is a candidate with
# probability 1 - (1 - J^2)^64, i.e. 0.93 at J = 0.2 and 0.9999 at J = 0.4, while the
# skeleton similarity of unrelated news articles (J ~ 0.01) rarely collides.
DEFAULT_PARAMS: dict[str, Any] = {
    "shingles": "skeleton9+anchor3",
    "num_perm": 128,
    "bands": 64,
    "rows": 2,
    "seed": 1,
    "chunk_tokens": 200,
}
# More segments than this and `add` merges them into one.
MAX_SEGMENTS = 8
# Candidates re-ranked by exact shingle containment before the (costlier) alignment.
# On 240 spun copies against 30k documents the source, when found, was always the
# first by band votes; the re-ranking is insurance, kept small for latency.
RERANK = 5
# The second stage of `query` runs when no first-stage match aligns at least this well
# (restore.MIN_SIMILARITY, the share of words a confident source must align).
SECOND_STAGE_BELOW = 0.40
# Candidates of the second stage re-ranked by skeleton containment (its one-row bands
# let more unrelated documents through; decompressing and shingling one is ~0.3 ms).
SECOND_STAGE_RERANK = 20
# Second-stage keys a document (one-row bands: one MinHash value each).
SECOND_STAGE_KEYS = 128
# Documents signed together in one numpy pass while building (memory: ~40 KB each).
BATCH = 64


@dataclass(frozen=True)
class Match:
    """A candidate source: ``similarity`` is the weighted share of the query's words
    aligned unchanged to it (0..1, see `despin.trace.align.similarity`); ``containment``
    the share of the query's shingles in it; ``votes`` its colliding LSH bands;
    ``reach`` the share of the source's words aligned unchanged (it breaks ties in
    ``similarity`` between near-duplicate sources, see `align.similarity_and_reach`)."""

    id: str
    similarity: float
    containment: float = 0.0
    votes: int = 0
    reach: float = 0.0
    source_text: str = field(default="", repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "similarity": round(self.similarity, 4),
            "containment": round(self.containment, 4),
            "votes": self.votes,
        }


class _Signer:
    """MinHash signatures and band keys for one set of index parameters.

    Signatures are datasketch's ``affine32`` MinHash (its permutations, its MurmurHash3
    pre-mix). A document's whole-text and chunk signatures are computed in one numpy
    pass over its shingles (``minimum.reduceat``) instead of one datasketch object per
    set: the same values (a test checks them against `datasketch.MinHash`), half the cost.
    """

    def __init__(self, params: dict[str, Any]) -> None:
        try:
            from datasketch import MinHash
        except ImportError:  # pragma: no cover - depends on extras
            raise InputError("tracing needs the 'trace' extra: pip install 'despin[trace]'") from None
        self.params = params
        self.shingle_seq = SHINGLERS[params["shingles"]]
        self.batch_shingles = BATCH_SHINGLERS.get(params["shingles"])
        # Shingle ids are already well-mixed 32-bit ints, so they hash as themselves.
        self.reference = MinHash(num_perm=params["num_perm"], seed=params["seed"], hashfunc=_identity, scheme="affine32")
        a, b = self.reference.permutations
        self._a, self._b = a.astype(np.uint32), b.astype(np.uint32)
        self.bands, self.rows = params["bands"], params["rows"]
        # One salt per band keeps equal row values in different bands apart.
        self._salt = (np.arange(self.bands, dtype=np.uint64) + np.uint64(1)) * np.uint64(0xD6E8FEB86659FD93)
        # Second-stage keys: one per permutation among the first `SECOND_STAGE_KEYS` (value
        # and position packed, then mixed by an odd constant, a bijection of 64 bits), so
        # they share the band tables without meeting the first stage's keys.
        self.stage2_keys = min(SECOND_STAGE_KEYS, params["num_perm"])
        self._slot = np.arange(1, self.stage2_keys + 1, dtype=np.uint64) << np.uint64(32)

    def signatures(self, ids: np.ndarray, starts: Sequence[int] | np.ndarray = (0,)) -> np.ndarray:
        """One MinHash signature (uint32 row) per segment ``ids[starts[k]:starts[k+1]]``."""
        h = ids.astype(np.uint32)
        h = h ^ (h >> np.uint32(16))  # MurmurHash3 fmix32, as datasketch pre-mixes
        h = h * np.uint32(0x85EBCA6B)
        h = h ^ (h >> np.uint32(13))
        h = h * np.uint32(0xC2B2AE35)
        h = h ^ (h >> np.uint32(16))
        phv = h[:, None] * self._a + self._b  # wraps mod 2^32, the affine32 permutation
        return np.minimum.reduceat(phv, np.asarray(starts, dtype=np.intp), axis=0)

    def shingles_many(self, docs: Sequence[list[Words]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Shingle ids of several documents, each one's last-word position counted across
        the batch, and its document index; in position order."""
        if self.batch_shingles is not None:
            return self.batch_shingles(docs)
        ids_l: list[np.ndarray] = []
        pos_l: list[np.ndarray] = []
        doc_l: list[np.ndarray] = []
        offset = 0
        for d, par_words in enumerate(docs):
            ids, pos = self.shingle_seq(par_words)
            ids_l.append(ids)
            pos_l.append(np.asarray(pos, dtype=np.intp) + offset)
            doc_l.append(np.full(len(ids), d, dtype=np.intp))
            offset += sum(len(p.words) for p in par_words)
        if not ids_l:
            return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
        return np.concatenate(ids_l), np.concatenate(pos_l), np.concatenate(doc_l)

    def band_keys(self, par_words: list[Words]) -> np.ndarray:
        """Band keys (int64, sorted, distinct) for the whole document and, if it has
        several, each chunk."""
        return self.band_keys_many([par_words])[0]

    def band_keys_many(self, docs: Sequence[list[Words]]) -> tuple[np.ndarray, np.ndarray]:
        """Band keys of several documents at once, and the index in ``docs`` of each key's
        document: distinct per document, sorted by document then key.

        One numpy pass for a batch: per-document numpy calls on arrays of a few hundred
        shingles cost more in call overhead than in arithmetic (a third of build time).
        """
        ids, gpos, _ = self.shingles_many(docs)  # documents follow from the chunks
        if not len(ids):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.intp)
        # Chunks: consecutive paragraphs of a document; a shingle belongs to the chunk
        # holding its last word. Positions run across the batch, so one searchsorted
        # over every chunk's first word assigns them all.
        chunk_first: list[int] = []
        chunk_doc: list[int] = []
        offset = 0
        for d, par_words in enumerate(docs):
            bounds = chunk_bounds([p.words for p in par_words], self.params["chunk_tokens"])
            if bounds:
                chunk_first += [offset] + [offset + b for b in bounds[:-1]]
                chunk_doc += [d] * len(bounds)
                offset += bounds[-1]
        chunk = np.searchsorted(np.asarray(chunk_first, dtype=np.intp), gpos, side="right") - 1
        first = np.flatnonzero(np.r_[True, chunk[1:] != chunk[:-1]])
        sigs = self.signatures(ids, first)
        sdoc = np.asarray(chunk_doc, dtype=np.intp)[chunk[first]]  # document of each chunk
        # The whole document's signature is the minimum of its chunks' (only needed
        # where there are several: otherwise it is the one chunk's).
        first = np.flatnonzero(np.r_[True, sdoc[1:] != sdoc[:-1]])
        multi = np.diff(np.r_[first, len(sdoc)]) > 1
        if multi.any():
            whole = np.minimum.reduceat(sigs, first, axis=0)[multi]
            sigs = np.vstack([sigs, whole])
            sdoc = np.concatenate([sdoc, sdoc[first][multi]])
        keys = self._keys(sigs)
        kdoc = np.repeat(sdoc, self.bands)
        # A chunk and its whole document often share a band: one key per (document, key).
        order = np.lexsort((keys, kdoc))
        keys, kdoc = keys[order], kdoc[order]
        keep = np.ones(len(keys), dtype=bool)
        keep[1:] = (keys[1:] != keys[:-1]) | (kdoc[1:] != kdoc[:-1])
        return keys[keep], kdoc[keep]

    def skeleton_keys_many(self, docs: Sequence[list[Words]]) -> tuple[np.ndarray, np.ndarray]:
        """Second-stage keys: one whole-document MinHash of the skeleton 7-grams
        (`shingles.CASE_BLIND_N`) and the number 3-grams (`shingles.case_blind`), one
        key per value (bands of one row), and the index in ``docs`` of each key's document.

        Neither cares how a copy spells names: a spinner that lower-cases them ("Acme
        Corp" -> "acme corporation") removes the name anchors (mid-sentence capitals)
        from the copy, and with them half of the shingles the first-stage signature was
        taken over. Number 3-grams carry the short articles whose skeleton a damaging
        spinner broke (on the 5 such misses of 600 dev copies: Jaccard 1.0, skeleton
        0.006-0.08; unrelated articles rarely share one). One-row bands, one per value of
        `SECOND_STAGE_KEYS` (128): a copy whose 7-gram Jaccard is only 0.07 (phrase
        expansions bring in function words) still shares a key with its source with
        probability 1 - 0.93^128 = 0.9999, and its expected votes (9) stand clear of
        unrelated articles' (J < 0.02: 2.6); unrelated documents collide more often than
        with two-row bands, so the second stage ranks more candidates
        (`SECOND_STAGE_RERANK`) by votes and containment.
        """
        ids, _, doc = skeleton_anchor_batch([case_blind(pars) for pars in docs], CASE_BLIND_N)
        if not len(ids):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.intp)
        order = np.argsort(doc, kind="stable")
        ids, doc = ids[order], doc[order]
        first = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
        sigs = self.signatures(ids, first)[:, : self.stage2_keys].astype(np.uint64)
        keys = ((sigs | self._slot) * np.uint64(0x9E3779B97F4A7C15)).view(np.int64).ravel()
        return keys, np.repeat(doc[first], self.stage2_keys)

    def _keys(self, sigs: np.ndarray) -> np.ndarray:
        """Band keys of signatures (one row each): ``rows`` 32-bit values packed, salted."""
        h = sigs.astype(np.uint64).reshape(len(sigs), self.bands, self.rows)
        v = np.zeros((len(sigs), self.bands), dtype=np.uint64)
        for r in range(self.rows):
            v = (v << np.uint64(32)) | h[:, :, r]
        return (v ^ self._salt).view(np.int64).ravel()


def _best_first(m: Match) -> tuple[float, float, float, str]:
    """Sort key of matches: similarity, then reach (of two near-duplicate sources that
    align the same words of the copy, the one the copy covers more of), containment, id."""
    return (-m.similarity, -m.reach, -m.containment, m.id)


def _identity(x: int) -> int:
    return x


class Index:
    """A trace index: see the module docstring. Use `Index.open` or `Index.build`."""

    def __init__(self, path: Path, conn: sqlite3.Connection, params: dict[str, Any], manifest: dict[str, Any]) -> None:
        self.path = path
        self._conn = conn
        self.params = params
        self.manifest = manifest
        self._signer = _Signer(params)
        self._segments: list[tuple[np.ndarray, np.ndarray]] = []
        for name in manifest.get("segments", []):
            self._segments.append(self._load_segment(name))

    def _load_segment(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        kp, dp = self.path / f"{name}.keys.npy", self.path / f"{name}.docs.npy"
        try:
            keys = np.load(kp, mmap_mode="r")
            docs = np.load(dp, mmap_mode="r")
        except FileNotFoundError:
            raise IndexCorruptError(f"{self.path}: band segment {name} is missing") from None
        except (OSError, ValueError) as e:
            raise IndexCorruptError(f"{self.path}: band segment {name} is corrupt ({e})") from None
        if keys.dtype != np.int64 or docs.dtype != np.int32 or keys.shape != docs.shape or keys.ndim != 1:
            raise IndexCorruptError(f"{self.path}: band segment {name} is corrupt (shape or type)")
        return keys, docs

    # ------------------------------------------------------------------ open/build
    @classmethod
    def open(cls, path: str | os.PathLike[str], *, writable: bool = False) -> "Index":
        """Open an existing index; `IndexCorruptError` if it is missing, partial or foreign."""
        p = Path(path)
        mpath, dbpath = p / MANIFEST, p / DB
        if not p.is_dir():
            raise IndexCorruptError(f"{p}: no trace index here (build one with 'despin index build')")
        try:
            manifest = json.loads(mpath.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise IndexCorruptError(f"{p}: {MANIFEST} is missing (incomplete or not a trace index)") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise IndexCorruptError(f"{p}: {MANIFEST} is unreadable ({e.__class__.__name__})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise IndexCorruptError(f"{p}: {MANIFEST} is not a despin trace index manifest")
        if manifest.get("version") != VERSION:
            raise IndexCorruptError(
                f"{p}: index version {manifest.get('version')!r}, this despin reads version {VERSION}; rebuild it"
            )
        params = manifest.get("params")
        if not isinstance(params, dict) or set(params) != set(DEFAULT_PARAMS) or params["shingles"] not in SHINGLERS:
            raise IndexCorruptError(f"{p}: {MANIFEST} has missing or unknown parameters")
        segs = manifest.get("segments")
        if not isinstance(segs, list) or not all(isinstance(x, str) and re.fullmatch(r"bands-\d{5}", x) for x in segs):
            raise IndexCorruptError(f"{p}: {MANIFEST} has no valid segment list")
        if not dbpath.is_file():
            raise IndexCorruptError(f"{p}: {DB} is missing")
        uri = f"{dbpath.resolve().as_uri()}?mode={'rw' if writable else 'ro'}"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.Error as e:
            raise IndexCorruptError(f"{p}: {DB} is corrupt ({e})") from None
        if "docs" not in tables:
            raise IndexCorruptError(f"{p}: {DB} lacks its tables (corrupt or incomplete)")
        return cls(p, conn, params, manifest)

    @classmethod
    def build(
        cls,
        path: str | os.PathLike[str],
        documents: Iterable[tuple[str, str]],
        *,
        overwrite: bool = False,
        **params: Any,
    ) -> "Index":
        """Create an index at ``path`` from ``(id, text)`` pairs; repeated ids are skipped.

        ``params`` override `DEFAULT_PARAMS` (e.g. ``shingles="plain5"`` for the baseline).
        """
        unknown = set(params) - set(DEFAULT_PARAMS)
        if unknown:
            raise TypeError(f"unknown index parameters: {sorted(unknown)}")
        full = {**DEFAULT_PARAMS, **params}
        if full["bands"] * full["rows"] != full["num_perm"] or full["rows"] > 2:
            raise ValueError("bands * rows must equal num_perm, with rows <= 2 (keys are 64-bit)")
        p = Path(path)
        if p.exists() and any(p.iterdir()):
            if not overwrite:
                raise InputError(f"{p}: exists and is not empty (use --force to replace it)")
            for f in [p / MANIFEST, p / DB, p / (DB + "-journal"), *p.glob("bands-*.npy")]:
                f.unlink(missing_ok=True)
        p.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(p / DB, check_same_thread=False)
        conn.executescript(
            """
            PRAGMA page_size = 8192;
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA cache_size = -262144;
            CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, text BLOB NOT NULL);
            """
        )
        manifest = {"format": FORMAT, "version": VERSION, "params": full, "segments": [],
                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        ix = cls(p, conn, full, manifest)
        # No journal while building: a build that dies leaves no manifest, so the index
        # is reported incomplete rather than read half-written.
        ix._insert(documents)
        conn.executescript("PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;")
        ix._write_manifest()
        return ix

    def add(self, documents: Iterable[tuple[str, str]]) -> tuple[int, int]:
        """Add documents whose id is not in the index yet; returns (added, skipped)."""
        added, skipped = self._insert(documents)
        self._write_manifest()
        return added, skipped

    def _insert(self, documents: Iterable[tuple[str, str]]) -> tuple[int, int]:
        conn = self._conn
        added = skipped = 0
        keys: list[np.ndarray] = []
        rows: list[np.ndarray] = []
        # A new index is empty: only repeats within the input need checking, so the
        # per-document SELECT (a tenth of build time) is for `add` only.
        fresh = not self.manifest.get("segments") and not self.manifest.get("documents")
        try:
            with conn:
                next_row = (conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM docs").fetchone()[0]) + 1
                seen: set[str] = set()
                batch: list[tuple[int, str, bytes]] = []
                texts: list[str] = []

                def flush() -> None:
                    # Signatures for a batch of documents in one numpy pass.
                    words = [paragraph_words(t) for t in texts]
                    k, d = self._signer.band_keys_many(words)
                    if self.params["shingles"] == "skeleton9+anchor3":  # and the second stage's
                        k2, d2 = self._signer.skeleton_keys_many(words)
                        k, d = np.concatenate([k, k2]), np.concatenate([d, d2])
                    keys.append(k)
                    rows.append(np.asarray([r for r, _, _ in batch], dtype=np.int32)[d])
                    conn.executemany("INSERT INTO docs (rowid, id, text) VALUES (?, ?, ?)", batch)
                    batch.clear()
                    texts.clear()

                for doc_id, text in documents:
                    if doc_id in seen or (
                        not fresh and conn.execute("SELECT 1 FROM docs WHERE id = ?", (doc_id,)).fetchone()
                    ):
                        skipped += 1
                        continue
                    seen.add(doc_id)
                    texts.append(text)
                    batch.append((next_row, doc_id, zlib.compress(text.encode("utf-8"), 1)))
                    next_row += 1
                    added += 1
                    if len(batch) >= BATCH:
                        flush()
                if batch:
                    flush()
                self.manifest["documents"] = conn.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
                if added:
                    # Segment files, then the manifest, then the SQLite commit: a crash
                    # before the manifest leaves unreferenced files; one after it, a
                    # manifest naming rows SQLite lacks, which `candidates` reports as
                    # corrupt. Never documents that are stored but silently unsearchable.
                    self._write_segment(np.concatenate(keys), np.concatenate(rows))
                    self._write_manifest()
        except sqlite3.Error as e:
            raise IndexCorruptError(f"{self.path}: cannot write to {DB} ({e})") from None
        return added, skipped

    def _write_segment(self, keys: np.ndarray, docs: np.ndarray) -> None:
        segs: list[str] = list(self.manifest.get("segments", []))
        if len(segs) + 1 > MAX_SEGMENTS:  # merge everything into one segment
            keys = np.concatenate([np.asarray(k) for k, _ in self._segments] + [keys])
            docs = np.concatenate([np.asarray(d) for _, d in self._segments] + [docs])
            segs = []
        order = np.argsort(keys, kind="stable")
        n = max((int(x.split("-")[1]) for x in self.manifest.get("segments", [])), default=-1) + 1
        name = f"bands-{n:05d}"
        for suffix, arr in (("keys", keys[order]), ("docs", docs[order])):
            tmp = self.path / f"{name}.{suffix}.tmp.npy"
            np.save(tmp, arr)
            os.replace(tmp, self.path / f"{name}.{suffix}.npy")
        old = set(self.manifest.get("segments", [])) - set(segs)
        self.manifest["segments"] = segs + [name]
        self._segments = [self._load_segment(x) for x in self.manifest["segments"]]
        self._obsolete = old  # removed once the new manifest is in place

    def _write_manifest(self) -> None:
        self.manifest["updated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        tmp = self.path / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(self.manifest, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.path / MANIFEST)  # atomic: readers see the old or the new one
        for name in getattr(self, "_obsolete", ()):
            for suffix in ("keys", "docs"):
                # A reader that opened the old manifest keeps its memory map (POSIX).
                (self.path / f"{name}.{suffix}.npy").unlink(missing_ok=True)
        self._obsolete = set()

    def _doc_keys(self, text: str) -> np.ndarray:
        return self._signer.band_keys(paragraph_words(text))

    # ------------------------------------------------------------------ read
    def __len__(self) -> int:
        return int(self._sql("SELECT COUNT(*) FROM docs").fetchone()[0])

    def __contains__(self, doc_id: object) -> bool:
        return self._sql("SELECT 1 FROM docs WHERE id = ?", (doc_id,)).fetchone() is not None

    def get(self, doc_id: str) -> str | None:
        """The text of document ``doc_id``, or None."""
        row = self._sql("SELECT text FROM docs WHERE id = ?", (doc_id,)).fetchone()
        return None if row is None else zlib.decompress(row[0]).decode("utf-8")

    def ids(self) -> Iterator[str]:
        for (doc_id,) in self._sql("SELECT id FROM docs ORDER BY rowid"):
            yield doc_id

    def info(self) -> dict[str, Any]:
        """Counts, sizes and parameters (what `despin index info` prints)."""
        size = sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())
        n = len(self)
        return {
            "path": str(self.path),
            "format": FORMAT,
            "version": VERSION,
            "documents": n,
            "band_rows": int(sum(len(k) for k, _ in self._segments)),
            "segments": len(self._segments),
            "bytes": size,
            "bytes_per_document": round(size / n, 1) if n else None,
            "params": self.params,
            "created": self.manifest.get("created"),
            "updated": self.manifest.get("updated"),
        }

    def candidates(self, text: str, limit: int = RERANK, *, stage: int = 1) -> list[tuple[int, str, int]]:
        """LSH candidates ``(rowid, id, votes)``, most colliding bands first.

        ``stage=2``: by the skeleton-only keys (see `_Signer.skeleton_keys_many`).
        """
        if stage == 2:
            qkeys = np.unique(self._signer.skeleton_keys_many([paragraph_words(text)])[0])
        else:
            qkeys = self._doc_keys(text)
        if not len(qkeys) or not self._segments:
            return []
        hits: list[np.ndarray] = []
        for keys, docs in self._segments:
            lo = np.searchsorted(keys, qkeys, side="left")
            hi = np.searchsorted(keys, qkeys, side="right")
            for a, b in zip(lo[hi > lo].tolist(), hi[hi > lo].tolist()):
                hits.append(docs[a:b])
        if not hits:
            return []
        rowids, votes = np.unique(np.concatenate(hits), return_counts=True)
        top = np.lexsort((rowids, -votes))[:limit]
        out: list[tuple[int, str, int]] = []
        for k in top.tolist():
            rowid = int(rowids[k])
            row = self._sql("SELECT id FROM docs WHERE rowid = ?", (rowid,)).fetchone()
            if row is None:
                raise IndexCorruptError(f"{self.path}: band tables name document {rowid}, which {DB} lacks")
            out.append((rowid, row[0], int(votes[k])))
        return out

    def query(self, text: str, top: int = 5, *, second_stage: bool = True) -> list[Match]:
        """Most likely sources of ``text``, best first; ``[]`` for empty or untraceable text.

        LSH candidates are re-ranked by shingle containment, then the best ``top`` are
        aligned word by word and sorted by the aligned share (`Match.similarity`). When
        no candidate reaches `SECOND_STAGE_BELOW`, a second stage (unless
        ``second_stage=False``) looks the text up by what casing cannot change: its
        skeleton and its numbers (`shingles.case_blind`).
        """
        if not text.strip() or top < 1:
            return []
        found = self._ranked(text, top, stage=1)
        weak = not found or found[0].similarity < SECOND_STAGE_BELOW
        if second_stage and weak and self.params["shingles"] == "skeleton9+anchor3":
            # Nothing cleared the first stage: ask again by the skeleton alone, which
            # a copy with damaged names or casing still shares with its source.
            again = self._ranked(text, top, stage=2)
            seen = {m.id for m in found}
            found = sorted(found + [m for m in again if m.id not in seen], key=_best_first)[:top]
        return found

    def _ranked(self, text: str, top: int, stage: int) -> list[Match]:
        """One stage of `query`: its LSH candidates re-ranked by containment, then aligned."""
        from ..tokenize import tokenize
        from .align import similarity_and_reach

        cands = self.candidates(text, limit=max(RERANK if stage == 1 else SECOND_STAGE_RERANK, top), stage=stage)
        if not cands:
            return []
        family = self.params["shingles"]
        shingles = case_blind_set if stage == 2 else (lambda t: shingle_set(family, t))
        q = shingles(text)
        scored = []
        for rowid, doc_id, v in cands:
            row = self._sql("SELECT text FROM docs WHERE rowid = ?", (rowid,)).fetchone()
            src = zlib.decompress(row[0]).decode("utf-8")
            d = shingles(src)
            cont = float(np.intersect1d(q, d, assume_unique=True).size / q.size) if q.size else 0.0
            scored.append((cont, v, doc_id, src))
        scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
        toks = tokenize(text)
        # Align only candidates within reach of the best containment: far weaker ones
        # never won on the benchmark, and alignment is the costly step.
        floor = 0.5 * scored[0][0]
        out = []
        for k, (cont, v, doc_id, src) in enumerate(scored[: max(top, 2)]):
            if k < top or cont >= floor:
                sim, reach = similarity_and_reach(text, src, toks)
                out.append(Match(doc_id, sim, cont, v, reach, src))
        out.sort(key=_best_first)
        return out[:top]

    def _sql(self, q: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._conn.execute(q, args)
        except sqlite3.DatabaseError as e:
            raise IndexCorruptError(f"{self.path}: {DB} is corrupt ({e})") from None

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
