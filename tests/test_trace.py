"""despin trace: index, query, align, restore through the source, cluster, CLI errors.

Every text here is written for these tests; the spinner is a small seeded dict spinner.
"""
from __future__ import annotations

import json
import random
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from despin.cli import main
from despin.errors import IndexCorruptError
from despin.report import apply
from despin.trace import Index, align, cluster, report_from_index, similarity, source_excerpt
from despin.trace.cluster import star_clusters
from despin.trace.restore import MIN_SIMILARITY

SHARED = Path(__file__).parents[1].parent / "shared" / "data"

DOCS = {
    "harbour": (
        "The harbour board of Kellswater met on Tuesday to decide the future of the old grain pier, which has "
        "stood empty since the mill closed in 2019. Members heard from the engineers that the timber piles are "
        "rotten below the waterline and that repairs would cost at least 4.2 million pounds.\n\n"
        "Several fishermen asked the board to keep the pier open for small boats during the winter, when the "
        "main quay is crowded. The chair, Agnes Mulvaney, said that the board would look at a lighter structure "
        "for the inner berths and would publish a plan before the end of the year.\n\n"
        "A local history group wants part of the pier kept as a memorial to the grain trade, and it has "
        "collected more than three thousand signatures in support of the idea."
    ),
    "orchard": (
        "Growers in the Tarrow valley expect a small apple harvest this autumn after a late frost damaged the "
        "blossom in April. The cooperative said its members had lost about a third of the early crop, and that "
        "prices for cider apples were likely to rise as a result.\n\n"
        "Some farmers have begun to plant later varieties that flower after the last frost, but the new trees "
        "will not bear fruit for at least five years. In the meantime the cooperative will buy apples from "
        "growers in the north to keep its presses running through the winter.\n\n"
        "Insurance against frost is expensive and few small orchards can afford it, according to a survey "
        "published by the regional farming union in March."
    ),
    "library": (
        "The city library on Marsh Street will close for eight months from June while the roof is replaced and "
        "the reading rooms are rewired. Staff will run a reduced service from a shop unit in the market hall, "
        "where members can collect books they have ordered online.\n\n"
        "The council approved the work after an inspection found water damage in the archive, which holds "
        "parish records going back to 1640. Those records will be moved to a store at the county museum until "
        "the building reopens.\n\n"
        "Readers who use the computers for job searches will be able to book sessions at the community centre "
        "in Brook Lane, the council said in a statement."
    ),
    "ferry": (
        "The island ferry will run a winter timetable with two fewer crossings each day, the operator announced "
        "on Friday, blaming a shortage of trained crew and the rising cost of fuel. Passengers with cars are "
        "advised to book at least a week ahead.\n\n"
        "Residents of Inchmore said the cuts would make it harder to reach the hospital on the mainland and "
        "asked the transport minister to intervene. A spokesman for the operator said that an extra sailing "
        "would be added for medical appointments on Wednesdays.\n\n"
        "The company expects two new vessels to enter service in the spring of next year, which should allow "
        "the summer timetable to return in full."
    ),
    "choir": (
        "A choir from the mining town of Penhallow has won the national competition for the third time in "
        "five years, beating forty other groups at the final in the capital on Saturday night. The judges "
        "praised the choir for the clarity of its singing and for a bold choice of modern songs.\n\n"
        "The conductor, Idris Powell, said the singers had rehearsed twice a week since January, often after "
        "long shifts at work. The prize of ten thousand pounds will pay for a tour of schools in the region.\n\n"
        "The choir was founded in 1921 by workers at the colliery, which closed in the 1980s, and it still "
        "meets in the old welfare hall at the top of the hill."
    ),
    "bridge": (
        "Engineers have found cracks in two of the steel beams that carry the Ardley road bridge over the "
        "river, and the county has limited traffic to one lane in each direction while they carry out further "
        "tests. Heavy lorries must use a diversion through the industrial estate.\n\n"
        "The bridge was built in 1967 and carries about twenty thousand vehicles a day. A full repair could "
        "take a year, and the county has asked the government for help with the cost, which it puts at "
        "between six and nine million pounds."
    ),
}

# A tiny thesaurus in the spirit of a table spinner (single words and phrases).
SYNONYMS = {
    "board": "panel", "decide": "determine", "future": "destiny", "old": "ancient", "empty": "vacant",
    "closed": "shut", "heard": "learned", "rotten": "decayed", "repairs": "fixes", "cost": "price",
    "asked": "requested", "keep": "retain", "small": "little", "winter": "wintertime", "crowded": "packed",
    "look": "glance", "lighter": "less heavy", "publish": "put out", "end": "close", "wants": "desires",
    "part": "portion", "collected": "gathered", "support": "backing", "idea": "notion", "expect": "anticipate",
    "harvest": "crop yield", "late": "belated", "damaged": "harmed", "lost": "mislaid", "likely": "probable",
    "rise": "climb", "begun": "started", "plant": "sow", "new": "fresh", "trees": "plants", "buy": "purchase",
    "running": "operating", "expensive": "costly", "afford": "manage", "survey": "poll", "close": "shut down",
    "replaced": "substituted", "reduced": "diminished", "collect": "pick up", "ordered": "requested",
    "approved": "authorised", "found": "discovered", "damage": "harm", "moved": "relocated",
    "store": "depot", "use": "utilize", "book": "reserve", "run": "operate", "fewer": "less",
    "announced": "declared", "shortage": "lack", "trained": "skilled", "rising": "increasing",
    "advised": "counselled", "harder": "more difficult", "reach": "get to", "extra": "additional",
    "added": "included", "won": "triumphed in", "beating": "defeating", "praised": "lauded",
    "clarity": "clearness", "bold": "daring", "choice": "selection", "modern": "contemporary",
    "rehearsed": "practised", "long": "lengthy", "shifts": "stints", "prize": "award", "pay": "fund",
    "founded": "established", "workers": "labourers", "meets": "gathers", "cracks": "fissures",
    "limited": "restricted", "further": "additional", "heavy": "weighty", "built": "constructed",
    "carries": "bears", "full": "complete", "help": "assistance", "said": "stated", "city": "town",
}


def spin(text: str, rate: float, seed: int) -> str:
    """Replace each word with an entry, with probability ``rate`` (case of the first letter kept)."""
    rng = random.Random(seed)

    def sub(m: re.Match[str]) -> str:
        w = m.group()
        s = SYNONYMS.get(w.lower())
        if s is None or rng.random() >= rate:
            return w
        return s[0].upper() + s[1:] if w[0].isupper() else s

    return re.sub(r"[A-Za-z]+", sub, text)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("trace") / "idx"
    Index.build(d, DOCS.items()).close()
    return d


@pytest.fixture(scope="module")
def ix(index_dir: Path) -> Index:
    return Index.open(index_dir)


def test_spinner_changes_text() -> None:
    spun = spin(DOCS["harbour"], 0.5, 1)
    assert spun != DOCS["harbour"]
    assert spin(DOCS["harbour"], 0.5, 1) == spun  # seeded


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.6, 1.0])
@pytest.mark.parametrize("doc", sorted(DOCS))
def test_trace_spun_copy_finds_source(ix: Index, doc: str, rate: float) -> None:
    matches = ix.query(spin(DOCS[doc], rate, seed=7), top=3)
    assert matches and matches[0].id == doc
    assert matches[0].similarity >= MIN_SIMILARITY
    assert all(m.similarity < matches[0].similarity for m in matches[1:])


def test_unrelated_text_and_empty_text_have_no_confident_source(ix: Index) -> None:
    assert ix.query("") == []
    assert ix.query("   \n ") == []
    unrelated = (
        "Quarterly results at the software firm beat forecasts as cloud revenue grew by a fifth, and the "
        "shares rose sharply in early trading on the exchange, where analysts had expected a weaker report."
    )
    m = ix.query(unrelated)
    assert not m or m[0].similarity < MIN_SIMILARITY
    assert report_from_index(unrelated, ix) is None
    assert report_from_index("", ix) is None


def test_align_offsets_exact() -> None:
    src = "The old pier has stood empty since 2019, the board heard."
    spun = "The ancient pier has stood vacant since 2019, the panel learned."
    got = [(a.op, spun[a.spun_start : a.spun_end], src[a.source_start : a.source_end], a.spun_start, a.spun_end,
            a.source_start, a.source_end) for a in align(spun, src)]
    assert got == [
        ("equal", "The", "The", 0, 3, 0, 3),
        ("replace", "ancient", "old", 4, 11, 4, 7),
        ("equal", "pier has stood", "pier has stood", 12, 26, 8, 22),
        ("replace", "vacant", "empty", 27, 33, 23, 28),
        ("equal", "since 2019, the", "since 2019, the", 34, 49, 29, 44),
        ("replace", "panel learned", "board heard", 50, 63, 45, 56),
    ]


def test_align_phrase_length_change_and_lowercased_name() -> None:
    src = "Agnes Mulvaney said the board would publish a plan before the end of the year."
    spun = "agnes Mulvaney stated the panel would put out a plan before the close of the year."
    pairs = [(spun[a.spun_start : a.spun_end], src[a.source_start : a.source_end]) for a in align(spun, src) if a.op == "replace"]
    assert ("agnes", "Agnes") in pairs
    assert ("put out", "publish") in pairs
    assert ("close", "end") in pairs


def test_align_insertion_and_deletion_fold_into_a_neighbour() -> None:
    src = "They gave the plan to the council on Monday and left."
    spun = "They gave up the plan to the council on Monday and then left."
    reps = [(spun[a.spun_start : a.spun_end], src[a.source_start : a.source_end]) for a in align(spun, src) if a.op == "replace"]
    assert reps == [("gave up", "gave"), ("and then", "and")]


def test_align_words_added_before_a_paragraph_start() -> None:
    src = "Jordan said the plan would go ahead next week."
    copy = "Hashemite Kingdom of Jordan stated the plan would go ahead next week."
    got = [(a.op, copy[a.spun_start : a.spun_end], src[a.source_start : a.source_end]) for a in align(copy, src)]
    # Neighbouring substitutions merge into one span.
    assert got == [("replace", "Hashemite Kingdom of Jordan stated", "Jordan said"),
                   ("equal", "the plan would go ahead next week", "the plan would go ahead next week")]


def test_align_never_extends_an_excerpt_with_the_rest_of_the_source() -> None:
    src = "The company said profits rose. Rain fell all day and the roads were closed."
    copy = "The firm said profits rose."
    got = [(a.op, copy[a.spun_start : a.spun_end], src[a.source_start : a.source_end]) for a in align(copy, src)]
    assert got == [("equal", "The", "The"), ("replace", "firm", "company"), ("equal", "said profits rose", "said profits rose")]
    first = DOCS["harbour"].split("\n\n")[0]
    src = first + " The board will meet again in May to hear from the fishermen."
    with Index.build(Path(tempfile.mkdtemp()) / "i", [("s", src)]) as ix:
        r = report_from_index(spin(first, 0.5, 1), ix)
        assert r is not None and r.restored == first


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_restoration_through_source_is_exact(ix: Index, doc: str) -> None:
    spun = spin(DOCS[doc], 0.5, seed=3)
    r = report_from_index(spun, ix)
    assert r is not None
    assert r.source is not None and set(r.source) == {"id", "similarity"}
    assert r.source["id"] == doc and MIN_SIMILARITY <= r.source["similarity"] <= 1.0
    assert r.verdict == "spun" and r.score > 0.5
    assert r.restored == DOCS[doc]
    assert apply(spun, r.spans) == r.restored
    for s in r.spans:
        assert spun[s.start : s.end] == s.text and s.reason == "source"
    # Outside spans the input is byte-identical, at the shifted offsets.
    pos = shift = 0
    for s in sorted(r.spans, key=lambda s: s.start):
        assert r.restored[pos + shift : s.start + shift] == spun[pos : s.start]
        shift += len(s.suggestions[0].text) - (s.end - s.start)
        pos = s.end
    assert r.restored[pos + shift :] == spun[pos:]


def test_restore_exact_copy_is_clean(ix: Index) -> None:
    r = report_from_index(DOCS["ferry"], ix)
    assert r is not None and r.verdict == "clean" and r.spans == () and r.restored == DOCS["ferry"]


def test_reordered_dropped_boilerplate_and_excerpt(ix: Index) -> None:
    pars = DOCS["orchard"].split("\n\n")
    spun_pars = [spin(p, 0.5, seed=11) for p in pars]
    boiler = "Subscribe to our newsletter for the best stories of the week, delivered free to your inbox every day."
    copy = "\n\n".join([spun_pars[2], spun_pars[0], boiler])  # reordered, one dropped, boilerplate added
    r = report_from_index(copy, ix)
    assert r is not None and r.source["id"] == "orchard"
    assert r.restored == "\n\n".join([pars[2], pars[0], boiler])
    # An excerpt: one paragraph of the source.
    excerpt = spun_pars[1]
    m = ix.query(excerpt)
    assert m[0].id == "orchard"
    assert source_excerpt(excerpt, m[0].source_text) == pars[1]
    assert report_from_index(excerpt, ix).restored == pars[1]


def test_index_reopens_and_several_readers(index_dir: Path) -> None:
    a, b = Index.open(index_dir), Index.open(index_dir)
    try:
        assert len(a) == len(b) == len(DOCS)
        assert a.get("choir") == DOCS["choir"]
        assert b.query(spin(DOCS["bridge"], 0.3, 2))[0].id == "bridge"
        assert sorted(a.ids()) == sorted(DOCS)
    finally:
        a.close()
        b.close()


def test_add_is_idempotent(tmp_path: Path) -> None:
    d = tmp_path / "idx"
    first = dict(list(DOCS.items())[:3])
    Index.build(d, first.items()).close()
    with Index.open(d, writable=True) as ix:
        assert ix.add(DOCS.items()) == (3, 3)
        assert ix.add(DOCS.items()) == (0, 6)
        assert len(ix) == 6
    with Index.open(d) as ix:
        assert ix.query(spin(DOCS["choir"], 0.4, 5))[0].id == "choir"


def test_many_adds_merge_segments(tmp_path: Path) -> None:
    d = tmp_path / "idx"
    items = list(DOCS.items())
    Index.build(d, items[:1]).close()
    for k in range(12):  # more adds than MAX_SEGMENTS: segments get merged
        with Index.open(d, writable=True) as ix:
            ix.add([items[1 + k % 5], (f"extra-{k}", items[k % 6][1].replace("the", "a", 1 + k))])
    with Index.open(d) as ix:
        assert ix.info()["segments"] <= 8 and len(ix) == 18
        assert len(list(d.glob("bands-*.npy"))) == 2 * ix.info()["segments"]
        for doc, text in items:
            assert ix.query(spin(text, 0.5, 1), top=20)[0].id in {doc} | {f"extra-{k}" for k in range(12)}
            assert doc in {m.id for m in ix.query(spin(text, 0.5, 1), top=20)}


def test_build_refuses_to_overwrite(tmp_path: Path) -> None:
    from despin.errors import InputError

    d = tmp_path / "idx"
    Index.build(d, DOCS.items()).close()
    with pytest.raises(InputError):
        Index.build(d, DOCS.items())
    Index.build(d, list(DOCS.items())[:2], overwrite=True).close()
    with Index.open(d) as ix:
        assert len(ix) == 2


def test_signatures_equal_datasketch(ix: Index) -> None:
    from datasketch import MinHash

    signer = ix._signer
    ids = np.arange(1, 400, 3, dtype=np.uint32) * np.uint32(2654435761)
    sig = signer.signatures(ids, [0, 50])
    for k, (lo, hi) in enumerate([(0, 50), (50, len(ids))]):
        m = MinHash(num_perm=128, seed=1, hashfunc=lambda x: x, scheme="affine32")
        m.update_batch(ids[lo:hi].tolist())
        assert np.array_equal(m.hashvalues, sig[k])


def test_plain_baseline_index(tmp_path: Path) -> None:
    with Index.build(tmp_path / "p", DOCS.items(), shingles="plain5") as ix:
        assert ix.query(spin(DOCS["library"], 0.1, 1))[0].id == "library"
        assert ix.info()["params"]["shingles"] == "plain5"


def test_similarity_bounds() -> None:
    assert similarity("", DOCS["ferry"]) == 0.0
    assert similarity(DOCS["ferry"], DOCS["ferry"]) == 1.0
    assert similarity(DOCS["ferry"], DOCS["choir"]) < MIN_SIMILARITY


# ------------------------------------------------------------------ cluster
def test_cluster_groups_copies_with_source() -> None:
    texts = [DOCS["harbour"], spin(DOCS["ferry"], 0.4, 1), spin(DOCS["harbour"], 0.5, 2), DOCS["choir"],
             spin(DOCS["harbour"], 0.3, 3), DOCS["ferry"], DOCS["bridge"]]
    assert cluster(texts) == [0, 1, 0, 2, 0, 1, 3]


def test_star_clusters_do_not_chain_weak_links() -> None:
    # 0-1 and 1-2 verified, 0-2 not: a chain. 3 is verified against 1 too.
    edges = {0: {1: 0.9}, 1: {0: 0.9, 2: 0.5, 3: 0.8}, 2: {1: 0.5}, 3: {1: 0.8}, 4: {}}
    ids = star_clusters(5, edges)
    assert ids == [0, 0, 0, 0, 1]  # 1 is the centre: every member verified against it
    edges = {0: {1: 0.9}, 1: {0: 0.9, 2: 0.5}, 2: {1: 0.5, 3: 0.9}, 3: {2: 0.9}}
    ids = star_clusters(4, edges)
    assert ids == [0, 0, 0, 1]  # centre 1 takes 0 and 2; 3 is not verified against 1: no A-B-C-D chain


# ------------------------------------------------------------------ CLI
def _write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_cli_build_add_info_trace_pairs(tmp_path: Path) -> None:
    runner = CliRunner()
    src = _write_jsonl(tmp_path / "src.jsonl", [{"id": k, "text": v} for k, v in DOCS.items()])
    idx = tmp_path / "idx"
    r = runner.invoke(main, ["index", "build", str(src), "-o", str(idx)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["index", "add", str(idx), str(src)])
    assert r.exit_code == 0 and "added 0, already present 6" in r.output
    r = runner.invoke(main, ["index", "info", str(idx), "--json"])
    assert json.loads(r.output)["documents"] == 6
    spun = spin(DOCS["choir"], 0.5, 9)
    (tmp_path / "copy.txt").write_text(spun, encoding="utf-8")
    q = _write_jsonl(tmp_path / "q.jsonl", [{"id": "c1", "text": spin(DOCS["bridge"].split("\n\n")[1], 0.5, 1)},
                                             {"id": "c2", "text": "Nothing like any source at all here."}])
    pairs = tmp_path / "pairs.jsonl"
    r = runner.invoke(main, ["trace", str(tmp_path / "copy.txt"), "--jsonl", str(q), "--index", str(idx), "--json",
                             "--emit-pairs", str(pairs)])
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in r.output.splitlines() if x.startswith("{")]
    assert [x["source"] for x in lines] == ["choir", "bridge", None]
    for a in lines[0]["alignment"]:
        assert spun[a["spun_start"] : a["spun_end"]] == a["spun"]
        assert DOCS["choir"][a["source_start"] : a["source_end"]] == a["source"]
    emitted = [json.loads(x) for x in pairs.read_text().splitlines()]
    assert [(p["id"], p["original"]) for p in emitted] == [
        (str(tmp_path / "copy.txt"), DOCS["choir"]),
        ("c1", DOCS["bridge"].split("\n\n")[1]),
    ]
    r = runner.invoke(main, ["trace", str(tmp_path / "copy.txt"), "--index", str(idx)])
    assert r.exit_code == 0 and "source choir" in r.output


def test_cli_build_from_input_without_a_usable_document_writes_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    idx = tmp_path / "idx"
    good = _write_jsonl(tmp_path / "src.jsonl", [{"id": k, "text": v} for k, v in DOCS.items()])
    assert runner.invoke(main, ["index", "build", str(good), "-o", str(idx)]).exit_code == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{not json\n{"id": "x"}\n', encoding="utf-8")
    # Even with --force, an index is never replaced by an empty one.
    r = runner.invoke(main, ["index", "build", str(bad), "-o", str(idx), "--force"])
    assert r.exit_code == 1 and "no usable documents (2 unusable records skipped)" in r.output
    r = runner.invoke(main, ["index", "info", str(idx), "--json"])
    assert json.loads(r.output)["documents"] == len(DOCS)
    r = runner.invoke(main, ["index", "build", str(bad), "-o", str(tmp_path / "new")])
    assert r.exit_code == 1 and not (tmp_path / "new").exists()


def test_cli_cluster(tmp_path: Path) -> None:
    rows = [{"id": "a", "text": DOCS["ferry"]}, {"id": "b", "text": DOCS["bridge"]},
            {"id": "c", "text": spin(DOCS["ferry"], 0.5, 4)}]
    src = _write_jsonl(tmp_path / "c.jsonl", rows)
    out = tmp_path / "out.jsonl"
    r = CliRunner().invoke(main, ["cluster", str(src), "-o", str(out)])
    assert r.exit_code == 0, r.output
    got = [json.loads(x) for x in out.read_text().splitlines()]
    assert got == [{"id": "a", "cluster": 0}, {"id": "b", "cluster": 1}, {"id": "c", "cluster": 0}]


@pytest.mark.parametrize(
    "damage", ["missing", "no_manifest", "bad_manifest", "old_version", "bad_db", "no_db", "bad_segment", "no_segment"]
)
def test_cli_corrupt_index_exit_1(tmp_path: Path, damage: str) -> None:
    idx = tmp_path / "idx"
    Index.build(idx, DOCS.items()).close()
    if damage == "missing":
        idx = tmp_path / "nowhere"
    elif damage == "no_manifest":
        (idx / "manifest.json").unlink()
    elif damage == "bad_manifest":
        (idx / "manifest.json").write_text("{not json")
    elif damage == "old_version":
        m = json.loads((idx / "manifest.json").read_text())
        (idx / "manifest.json").write_text(json.dumps({**m, "version": 0}))
    elif damage == "bad_db":
        (idx / "index.sqlite").write_bytes(b"this is not a database at all" * 200)
    elif damage == "no_db":
        (idx / "index.sqlite").unlink()
    elif damage == "bad_segment":
        next(idx.glob("bands-*.keys.npy")).write_bytes(b"garbage")
    elif damage == "no_segment":
        next(idx.glob("bands-*.docs.npy")).unlink()
    (tmp_path / "q.txt").write_text(DOCS["ferry"])
    for args in (["trace", str(tmp_path / "q.txt"), "--index", str(idx)], ["index", "info", str(idx)]):
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 1, r.output
        assert r.output.startswith("Error: ") and str(idx) in r.output
        assert "Traceback" not in r.output
    with pytest.raises(IndexCorruptError):
        Index.open(idx)


def test_cli_trace_empty_input_is_no_match(tmp_path: Path, index_dir: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    r = CliRunner().invoke(main, ["trace", str(tmp_path / "empty.txt"), "--index", str(index_dir), "--json"])
    assert r.exit_code == 0
    assert json.loads(r.output.splitlines()[0])["source"] is None


# ------------------------------------------------------------------ dev data (optional)
@pytest.mark.shared_data
def test_dev_pairs_trace_and_restore(tmp_path: Path) -> None:
    pairs_path = SHARED / "dev-pairs" / "nlpaug-wordnet.jsonl"
    if not pairs_path.exists():
        pytest.skip("../shared/data is absent")
    pairs = [json.loads(x) for x in pairs_path.read_text(encoding="utf-8").splitlines()[:30]]
    with Index.build(tmp_path / "i", ((p["id"], p["original"]) for p in pairs)) as ix:
        for p in pairs:
            r = report_from_index(p["spun"], ix)
            assert r is not None and r.source["id"] == p["id"]


def test_anchor_regex_matches_its_readable_definition() -> None:
    # The fast anchor regex must find exactly what the plain definition finds.
    from despin.trace.shingles import _ANCHOR

    plain = re.compile(r"\b(?:(?<=[^.!?\s] )[A-Z]\w*(?:['’]\w+)*|\d\w*)")
    texts = list(DOCS.values()) + [
        "Rain fell in Kells on 4 May. Then it stopped at 10.5 past x9 and A1 (Kells) O'Brien’s B2b.",
        "“Quoted” Names: the Tarrow's men, 1980's, iPhone, x 42b,  Double  space, end!Next Word 7",
        "7 Seas at the start; 2nd place for the McDonald team, 3,000 fans and 12:30 kick-off",
    ]
    for t in texts:
        for par in t.split("\n\n"):
            assert _ANCHOR.findall(par) == plain.findall(par), par


def test_batched_band_keys_equal_one_document_at_a_time(ix: Index) -> None:
    from despin.trace.shingles import paragraph_words

    signer = ix._signer
    texts = list(DOCS.values()) + ["", "Too short.", spin(DOCS["ferry"], 0.5, 3)]
    keys, doc = signer.band_keys_many([paragraph_words(t) for t in texts])
    assert len(keys) > 0 and set(doc.tolist()) == {k for k, t in enumerate(texts) if k not in (6, 7)}
    for k, t in enumerate(texts):
        one = signer.band_keys(paragraph_words(t))
        assert np.array_equal(np.sort(keys[doc == k]), one)
        assert len(np.unique(one)) == len(one)


def test_build_in_several_batches_finds_every_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import despin.trace.index as index_mod

    monkeypatch.setattr(index_mod, "BATCH", 2)  # 6 documents: 3 batches
    with Index.build(tmp_path / "b", list(DOCS.items()) + [("ferry", "repeated id")]) as ix:
        assert len(ix) == len(DOCS)
        for doc_id, text in DOCS.items():
            assert ix.query(spin(text, 0.3, 7), top=1)[0].id == doc_id
        assert ix.add([("ferry", "again"), ("new", DOCS["ferry"] + " Extra words.")]) == (1, 1)


def test_align_short_paragraph_pairs_with_its_own_source_paragraph() -> None:
    # The copy's second paragraph shares more words with the long first source paragraph
    # than with the short second one; word-set cosine and source order pick the second.
    src = ("Wright told reporters he would not have chosen Greenspan to head the Fed, but he declined to name his "
           "preference, saying it would be someone whose interest is in keeping rates low.\n\n"
           "Wright said he had not talked with Greenspan about the appointment.")
    copy = ("Wright told journalists he would not have picked Greenspan to lead the Fed, but he refused to name his "
            "preference, saying it would be someone whose interest is in keeping rates low.\n\n"
            "Past master phrased he would not have talked to the Fed about it.")
    second_copy, second_src = copy.index("Past"), src.index("Wright said")
    spans = [a for a in align(copy, src) if a.spun_start >= second_copy]
    assert spans and all(a.source_start >= second_src for a in spans)
    from despin.trace.restore import spans_from_alignment

    assert apply(copy, spans_from_alignment(copy, src, align(copy, src))) == src


def test_heavily_spun_paragraph_is_paired_by_position(ix: Index) -> None:
    # Almost every word of the middle paragraph rewritten: it shares too few words with
    # any source paragraph to be paired on its own, but it sits between two paired ones.
    pars = DOCS["library"].split("\n\n")
    heavy = ("The municipal assembly sanctioned the job once a survey turned up moisture harm in the vault, which keeps "
             "church registers dating from 1640. These papers are to be shifted to a depot at the regional gallery "
             "till the premises open once more.")
    copy = "\n\n".join([spin(pars[0], 0.3, 1), heavy, spin(pars[2], 0.3, 1)])
    r = report_from_index(copy, ix)
    assert r is not None and r.source["id"] == "library"
    assert r.restored == DOCS["library"]
    # Out of place (after the copy of the source's last paragraph), it is left alone.
    moved = "\n\n".join([spin(pars[0], 0.3, 1), spin(pars[2], 0.3, 1), heavy])
    r = report_from_index(moved, ix)
    assert r is not None and r.restored == "\n\n".join([pars[0], pars[2], heavy])


def test_long_substitution_in_a_clearly_corresponding_paragraph() -> None:
    from despin.trace.align import MAX_PHRASE
    from despin.trace.restore import spans_from_alignment

    src = ("The harbour board met on Tuesday in Kellswater and heard from the engineers that the timber piles of the "
           "old grain pier are rotten below the waterline, so repairs would cost at least 4.2 million pounds.")
    copy = ("The harbour board met on Tuesday in Kellswater and was told by the people who design bridges that the "
            "wooden posts holding up the ancient cereal jetty have decayed under the level of the sea, so repairs would "
            "cost at least 4.2 million pounds.")
    aligned = align(copy, src)
    assert max(len(copy[a.spun_start : a.spun_end].split()) for a in aligned if a.op == "replace") > MAX_PHRASE
    # Every replaced block maps wholesale to the source's words: the restoration is exact.
    assert apply(copy, spans_from_alignment(copy, src, aligned)) == src
    # Limited to MAX_PHRASE words (what paragraphs that do not clearly correspond get), it is not.
    short = align(copy, src, long_phrase=MAX_PHRASE)
    assert apply(copy, spans_from_alignment(copy, src, short)) != src


def test_batch_shingles_equal_one_document_at_a_time() -> None:
    from despin.trace.shingles import paragraph_words, skeleton_anchor_batch, skeleton_anchor_seq

    texts = [DOCS["harbour"], "", "Too short.", "The cat of the dog and the hat.", DOCS["bridge"],
             "\n\nKells 4 May\n\n" + spin(DOCS["choir"], 0.4, 2)]
    pws = [paragraph_words(t) for t in texts]
    ids, pos, doc = skeleton_anchor_batch(pws)
    offset = 0
    for d, pw in enumerate(pws):
        one_ids, one_pos = skeleton_anchor_seq(pw)
        sel = doc == d
        assert np.array_equal(np.sort(ids[sel]), np.sort(one_ids))
        assert sorted((pos[sel] - offset).tolist()) == sorted(one_pos)
        offset += sum(len(p.words) for p in pw)
    assert np.all(np.diff(pos) >= 0)
    assert set(doc.tolist()) == {0, 3, 4, 5}  # "" and "Too short." have no shingles


def test_coverage_of_a_quoted_sentence_stays_below_the_cluster_threshold() -> None:
    from despin.trace.cluster import MIN_COVERAGE, coverage

    item = ("The island ferry will run two fewer crossings each day from Monday, the operator said. "
            "Passengers with cars should book at least a week ahead.")
    quoting = ("Growers in the Tarrow valley expect a small apple harvest this autumn after a late frost. "
               "The island ferry will run two fewer crossings each day from Monday, the operator said. "
               "Engineers have found cracks in two of the steel beams that carry the Ardley road bridge over the river. "
               "The choir was founded in 1921 by workers at the colliery, which closed in the 1980s.")
    # The item's second sentence aligns to the sentences after the quote (one long
    # stretch between "said" and "at"); clustering must not count those as reached.
    assert any(a.op == "replace" and a.source_end - a.source_start > 100 for a in align(item, quoting))
    assert coverage(item, quoting) < MIN_COVERAGE


# ------------------------------------------------------------------ second stage: names and casing damaged
# Written for this test: a news-style paragraph dense in names, numbers and abbreviations.
NAMED = (
    "Acme Corp of Portland said on Tuesday that Chief Executive Maria Olsen will meet officials of the "
    "Oregon Department of Transport in Salem on March 3 to discuss the Willamette River bridge, which "
    "Acme Corp and Baxter Ltd have built for 40 mln dlrs since 1998.\n\n"
    "Olsen told the Portland Herald that Baxter Ltd and the U.S. Army Corps of Engineers agreed in "
    "February that the bridge over the Willamette at Salem would open to traffic in April, and that "
    "Governor Tom Reilly of Oregon and Senator Ann Park of Washington would attend the opening in Salem."
)
OTHER = (
    "The village fair opened in the rain this year, and the bakers of the valley sold bread, cakes and pies to "
    "the visitors who came from the towns along the coast, while the band played in the square until dark."
)


def test_second_stage_keys_are_blind_to_names_and_casing(tmp_path: Path) -> None:
    from despin.spin import Spinner, Thesaurus
    from despin.trace.shingles import paragraph_words

    copy = Spinner("casefold", Thesaurus.from_dict("none", {}), rate=1.0, seed=1).spin(NAMED).spun
    ix = Index.build(tmp_path / "ix", [("named", NAMED), ("other", OTHER)])
    signer = ix._signer
    first = lambda t: set(signer.band_keys(paragraph_words(t)).tolist())  # noqa: E731
    second = lambda t: set(signer.skeleton_keys_many([paragraph_words(t)])[0].tolist())  # noqa: E731
    assert first(copy) != first(NAMED)  # the anchors (names) are gone from the copy
    assert second(copy) == second(NAMED)  # the skeleton is not
    assert [c[1] for c in ix.candidates(copy, stage=2)] == ["named"]
    assert not first(NAMED) & second(NAMED)  # the two stages' keys never meet


def test_query_asks_the_second_stage_when_the_first_finds_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from despin.spin import Spinner, Thesaurus

    copy = Spinner("casefold", Thesaurus.from_lexicon("moby"), rate=0.5, seed=3).spin(NAMED).spun
    ix = Index.build(tmp_path / "ix", [("named", NAMED), ("other", OTHER)])
    real = Index.candidates
    stages: list[int] = []

    def first_stage_blind(self: Index, text: str, limit: int = 5, *, stage: int = 1) -> list[tuple[int, str, int]]:
        stages.append(stage)
        return [] if stage == 1 else real(self, text, limit, stage=stage)

    monkeypatch.setattr(Index, "candidates", first_stage_blind)
    assert ix.query(copy, top=1, second_stage=False) == [] and stages == [1]
    stages.clear()
    found = ix.query(copy, top=1)
    assert stages == [1, 2] and found[0].id == "named" and found[0].similarity >= MIN_SIMILARITY
    stages.clear()
    monkeypatch.setattr(Index, "candidates", lambda self, text, limit=5, *, stage=1: (
        stages.append(stage), real(self, text, limit, stage=stage))[1])
    assert ix.query(NAMED, top=1)[0].id == "named" and stages == [1]  # a clear first stage is enough


# Written for these tests: a short ferry item, and a copy spun the way a spinner that
# lower-cases names and expands phrases would ("during" -> "in the course of"), so that
# a function word comes in every few skeleton words: no skeleton 9-gram survives.
FERRY = (
    "Harbour Freight Ltd said the new ferry to Kilrush will sail twice a day from the pier at Tarbert "
    "during the summer, and that the old boat will go to the yard in Foynes for repairs. "
    "The company expects the route to carry more passengers than last year because the road along "
    "the estuary is closed for the bridge works."
)
FERRY_COPY = (
    "harbour freight limited stated the fresh ferry to kilrush is going to sail two times daily from the pier at "
    "tarbert in the course of the summertime, and that the former boat is going to go to the boatyard in foynes "
    "with a view to repair. the firm is of the view that the route to carry a lot more travellers than the "
    "previous year on account of the road along the estuary is shut for the bridge works."
)


def test_second_stage_finds_a_short_copy_whose_skeleton_9_grams_all_broke(tmp_path: Path) -> None:
    from despin.trace.shingles import CASE_BLIND_N, case_blind_set, skeleton_shingles

    assert not np.intersect1d(skeleton_shingles(FERRY, 9), skeleton_shingles(FERRY_COPY, 9)).size
    assert CASE_BLIND_N < 9 and np.intersect1d(case_blind_set(FERRY), case_blind_set(FERRY_COPY)).size >= 2
    ix = Index.build(tmp_path / "ix", [("ferry", FERRY), ("other", OTHER), ("named", NAMED)])
    assert ix.candidates(FERRY_COPY, stage=1) == []  # no name anchors, no 9-gram left
    found = ix.query(FERRY_COPY, top=1)
    assert found[0].id == "ferry" and found[0].similarity >= MIN_SIMILARITY


def test_near_duplicate_sources_tie_break_on_the_share_of_the_source_the_copy_reaches(tmp_path: Path) -> None:
    from despin.spin import Spinner, Thesaurus

    # Reuters refiled stories with a paragraph more: a copy of the shorter version aligns
    # the same words to both (equal similarity); it reaches more of the shorter one.
    refiled = NAMED + "\n\nThe bridge is the third that Acme Corp has built on the Willamette since 1990."
    copy = Spinner("casefold", Thesaurus.from_lexicon("moby"), rate=0.5, seed=3).spin(NAMED).spun
    # "a-refiled" sorts before "named": the id alone would pick the wrong one.
    ix = Index.build(tmp_path / "ix", [("a-refiled", refiled), ("named", NAMED), ("other", OTHER)])
    both = {m.id: m for m in ix.query(copy, top=2)}
    assert both["named"].similarity == both["a-refiled"].similarity
    assert both["named"].reach > both["a-refiled"].reach
    assert ix.query(copy, top=1)[0].id == "named"
    # ... and the copy of the longer version still goes to the longer one (higher similarity).
    long_copy = Spinner("casefold", Thesaurus.from_lexicon("moby"), rate=0.5, seed=3).spin(refiled).spun
    assert ix.query(long_copy, top=1)[0].id == "a-refiled"
