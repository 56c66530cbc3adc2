from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.lexical import LexicalIndex
from bot.terms import content_terms

DOCS = [
    (5, content_terms("The mayor resigned on Monday")),
    (9, content_terms("A panda arrived at the zoo")),
    (12, content_terms("The zoo closed, the mayor said")),
]


def test_search_ranks_by_bm25_and_respects_allowed_ids() -> None:
    index = LexicalIndex.build(DOCS)
    scores, ids = index.search(content_terms("mayor zoo"), 5)
    assert ids.tolist()[0] == 12  # the only chunk with both terms
    assert set(ids.tolist()) == {5, 9, 12}
    assert list(scores) == sorted(scores, reverse=True)
    _, ids = index.search(content_terms("mayor zoo"), 5, allowed=np.array([5, 9]))
    assert set(ids.tolist()) == {5, 9}
    assert index.search(content_terms("quantum chromodynamics"), 5)[1].size == 0


def test_idf_prefers_rare_terms() -> None:
    index = LexicalIndex.build(DOCS)
    assert index.idf("panda") > index.idf("zoo") > 0
    assert index.idf("never-seen") >= index.idf("panda")


def test_save_and_load_round_trip_without_pickle(tmp_path: Path) -> None:
    index = LexicalIndex.build(DOCS)
    target = tmp_path / "lexical.000001"
    index.save(target)
    assert not list(tmp_path.glob(".*tmp*"))
    for npy in target.glob("*.npy"):
        np.load(npy, allow_pickle=False)  # raises if anything needed pickle
    loaded = LexicalIndex.load(target)
    assert loaded.search(content_terms("panda"), 3)[1].tolist() == [9]
    assert loaded.df == index.df


def test_empty_index_searches_to_nothing(tmp_path: Path) -> None:
    empty = LexicalIndex.build([])
    empty.save(tmp_path / "lexical.000000")
    assert LexicalIndex.load(tmp_path / "lexical.000000").search(["mayor"], 3)[1].size == 0
