"""Stage 3's third pass: units beside likely-spun neighbours, read with those neighbours as
mixtures of what they may have said (`despin.detector.context.rescore_with_mixed_neighbours`)."""
from __future__ import annotations

import pytest

import despin
from despin import lm
from despin.config import DEFAULT
from despin.detector import candidates, context, posterior, units
from despin.detector.records import Candidate, Unit

# "novel telephones" for "new phones": each word's best candidate is unsure in the other's
# spun context, so neither is restored as a confident neighbour of the other.
ADJACENT = ("The corporation aforementioned on Monday that its every quarter net income roseate acutely "
            "as gross sales of novel telephones mature in Asia and Europe.")


def _before_the_pass(text: str) -> tuple[list[Unit], list[str], list[int], float]:
    """The units as stage 4 leaves them (odds, EM posteriors), with the words and sentences."""
    doc = units.read_document(text)
    found, n_eligible = candidates.find_units(doc, DEFAULT, ())
    words = lm.words_read_for_model(doc.low)
    context.score_units(found, words, doc.sid)
    units.mark_names_and_headlines(found, doc)
    rho = posterior.fit_spin_rate(found, n_eligible)[0]
    return found, words, doc.sid, rho


def test_an_adjacent_pair_is_restored_with_the_neighbour_read_as_a_mixture(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "sales of new" in despin.check(ADJACENT).restored
    monkeypatch.setattr(context, "MIX_FROM_RATE", 2.0)  # the pass off
    assert "sales of novel" in despin.check(ADJACENT).restored


def test_only_units_beside_a_likely_neighbour_are_read_again_and_only_in_a_spun_document() -> None:
    found, words, sid, rho = _before_the_pass(ADJACENT)
    assert rho >= context.MIX_FROM_RATE
    before = [list(u.odds) for u in found]
    context.rescore_with_mixed_neighbours(found, words, sid, 0.0)  # a text that looks clean
    assert [u.odds for u in found] == before
    context.rescore_with_mixed_neighbours(found, words, sid, rho)
    likely = {u.i for u in found if u.j - u.i == 1 and u.posterior >= context.MIX_FLOOR}
    changed = {u.i for u, odds in zip(found, before) if u.odds != odds}
    beside = {u.i for u in found if u.cands and u.posterior >= context.MIX_UNIT_FLOOR
              and (u.i - 1 in likely or u.j in likely)}
    assert changed and changed <= beside
    assert all(u.A == context._evidence(u.cands, u.odds) for u in found if u.i in changed)


def test_the_batch_and_plain_paths_give_the_same_mixtures() -> None:
    trie = lm.load_batch_model()
    assert trie is not None
    texts = [ADJACENT, "The Top Priest informed journalists on Tuesday that the inventory marketplace would "
                       "get well swiftly.\nShowers persisted passim the hebdomad in the cocoa zone."]
    runs = []
    for batch in (True, False):
        if not batch:
            lm._BATCH.pop("trie")
            lm._CACHE.clear()
        try:
            odds = []
            for text in texts:
                found, words, sid, rho = _before_the_pass(text)
                context.rescore_with_mixed_neighbours(found, words, sid, max(rho, context.MIX_FROM_RATE))
                odds.append([(u.i, u.j, u.odds, u.A) for u in found])
            runs.append(odds)
        finally:
            lm._BATCH["trie"] = trie
    assert runs[0] == runs[1]


def test_a_neighbour_is_read_by_its_odds_or_once_ranked_by_its_ranking() -> None:
    cands = tuple(Candidate(t, 0.1, "wordnet") for t in ("market", "shop", "fair trade"))
    v = Unit(5, 6, "marketplace", cands, odds=[1.0, 3.0, 2.0], posterior=0.6, rank=[4.0, 1.0, 1.0])
    by_odds = context._readings(v, False)
    by_rank = context._readings(v, True)
    # The word itself: 1 - posterior, renormalised over the one-word readings.
    assert by_odds[0] == (pytest.approx(0.4 / (0.4 + 0.6 * 4 / 6)), None)
    assert by_rank[0] == (pytest.approx(0.4 / (0.4 + 0.6 * 5 / 6)), None)
    assert [w for _, w in by_odds[1:]] == ["shop", "market"]  # the phrase is no one-word reading
    assert [w for _, w in by_rank[1:]] == ["market", "shop"]
    assert sum(p for p, _ in by_rank) == pytest.approx(1.0)
    assert by_rank[1][0] == pytest.approx(0.6 * 4 / 6 / (0.4 + 0.6 * 5 / 6))
