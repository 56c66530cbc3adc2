"""The index interface itself, on every backend: the reads retrieval and answers build on
(filters with and without undated articles, dates per chunk, both searches restricted to
an allowed set, term statistics), beyond what the ingest and retrieval tests cover."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from bot.index import IndexReader
from bot.ingest import ingest
from bot.terms import content_terms
from tests.conftest import write_article
from tests.fakes import FakeEncoder, bag_of_words


@pytest.fixture
def dated(tmp_path: Path, store: IndexReader, encoder: FakeEncoder) -> IndexReader:
    folder = tmp_path / "news"
    folder.mkdir()
    write_article(folder, "jan.txt", "Budget vote", "The council approved the budget.",
                  Source="Gazette", Published="2018-01-15T10:00:00-05:00")  # fmt: skip
    write_article(folder, "feb.txt", "Budget vote again", "The council approved it again.",
                  Source="Reuters", Published="2018-02-06")  # fmt: skip
    write_article(folder, "undated.txt", "Budget history", "Councils approve budgets yearly.",
                  Source="Gazette")  # fmt: skip
    ingest([str(folder)], store, encoder)
    return store


def headlines(store: IndexReader, chunk_ids: np.ndarray) -> set[str]:
    chunks = store.chunks(chunk_ids.tolist())
    articles = store.articles({c.article_id for c in chunks.values()})
    return {a.headline for a in articles.values()}


def test_filters_by_outlet_and_window_with_or_without_undated(dated: IndexReader) -> None:
    jan = (datetime(2018, 1, 1, tzinfo=UTC), datetime(2018, 2, 1, tzinfo=UTC))
    assert headlines(dated, dated.chunk_ids_matching((), *jan)) == {"Budget vote"}
    assert headlines(dated, dated.chunk_ids_matching((), *jan, include_undated=True)) == {
        "Budget vote", "Budget history",
    }  # fmt: skip
    assert headlines(dated, dated.chunk_ids_matching(("GAZETTE",))) == {
        "Budget vote", "Budget history",
    }  # fmt: skip
    assert headlines(dated, dated.chunk_ids_matching(("reuters",), *jan)) == set()
    every = dated.chunk_ids_matching()
    assert every.tolist() == sorted(every.tolist()) and len(every) == dated.count("chunks")
    both = dated.chunk_ids_matching(("reuters", "gazette"), *jan)
    assert headlines(dated, both) == {"Budget vote"}
    # LIKE's wildcards are the user's literal characters: `from:%` matches no outlet.
    assert headlines(dated, dated.chunk_ids_matching(("%",))) == set()
    assert headlines(dated, dated.chunk_ids_matching(("g_zette",))) == set()


def test_the_published_range_spans_the_dated_articles(dated: IndexReader) -> None:
    first, last = dated.published_range()
    assert first is not None and last is not None
    assert (first.timestamp(), last.timestamp()) == (
        datetime(2018, 1, 15, 15, tzinfo=UTC).timestamp(),
        datetime(2018, 2, 6, tzinfo=UTC).timestamp(),
    )


def test_dates_per_chunk_keep_the_articles_offset(dated: IndexReader) -> None:
    published = dated.chunk_published(dated.chunk_ids_matching().tolist())
    assert sorted((d is None, d.isoformat() if d else "") for d in published.values()) == [
        (False, "2018-01-15T10:00:00-05:00"), (False, "2018-02-06T00:00:00+00:00"), (True, ""),
    ]  # fmt: skip
    articles = dated.articles(dated.article_ids())
    assert {a.story_key for a in articles.values()} == set(articles)  # three stories


def test_both_searches_respect_the_allowed_set_and_rank_alike(dated: IndexReader) -> None:
    terms = content_terms("council approved budget")
    scores, ids = dated.lexical_search(terms, 10)
    assert len(ids) == 3 and list(scores) == sorted(scores, reverse=True)
    allowed = dated.chunk_ids_matching(("reuters",))
    assert dated.lexical_search(terms, 10, allowed)[1].tolist() == allowed.tolist()
    vector = bag_of_words("Budget vote again The council approved it again.")
    scores, ids = dated.dense_search(vector, 10)
    assert headlines(dated, ids[:1]) == {"Budget vote again"} and scores[0] > 0.8
    assert dated.dense_search(vector, 10, allowed)[1].tolist() == allowed.tolist()
    assert len(dated.dense_search(vector, 10, np.zeros(0, np.int64))[1]) == 0
    stats = dated.term_stats([*terms, "zebra"])
    assert stats.n == dated.count("chunks") and "zebra" not in stats.df
    assert stats.idf("zebra") > stats.idf(terms[0]) > 0
