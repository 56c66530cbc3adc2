from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from bot.core import Newsbot
from bot.index import IndexReader
from bot.ingest import ingest
from bot.query import parse_query
from bot.retrieval import Retriever, fuse
from tests.conftest import write_article
from tests.fakes import FakeEncoder


def test_rrf_fuses_and_weights() -> None:
    fused = fuse([(np.array([1, 2, 3]), 1.0), (np.array([3, 1]), 1.0)], k=60)
    assert max(fused, key=fused.__getitem__) == 1
    assert fused[3] > fused[2]  # present in both lists beats one middling rank
    weighted = fuse([(np.array([1]), 2.0), (np.array([2]), 1.0)], k=60)
    assert weighted[1] == pytest.approx(2 * weighted[2])


@pytest.fixture
def news(tmp_path: Path, store: IndexReader, encoder: FakeEncoder) -> IndexReader:
    folder = tmp_path / "news"
    folder.mkdir()
    write_article(
        folder,
        "jan.txt",
        "Council budget vote",
        "The council approved the budget of 4 million.",
        Source="Gazette",
        Published="2018-01-15",
    )
    write_article(
        folder,
        "feb.txt",
        "Council budget vote again",
        "The council approved a revised budget of 5 million.",
        Source="Reuters",
        Published="2018-02-06",
    )
    write_article(
        folder, "undated.txt", "Council budget history", "The council approved budgets every year."
    )
    for i in range(12):  # many articles so diversification has something to do
        write_article(
            folder, f"other{i}.txt", f"Zoo story {i}", f"A panda named P{i} ate bamboo at the zoo."
        )
    ingest([str(folder)], store, encoder)
    return store


def headlines(retrieval) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.headline for a, _ in retrieval.articles]


def test_outlet_and_period_filters_restrict_results(
    news: IndexReader, encoder: FakeEncoder
) -> None:
    r = Retriever(news, encoder)
    assert headlines(r.search(parse_query("from:reuters council budget", date(2018, 2, 8)))) == [
        "Council budget vote again"
    ]
    # A period said in words ranks: the January article first, the others after it.
    jan = r.search(parse_query("council budget in January 2018", date(2018, 2, 8)))
    assert headlines(jan)[0] == "Council budget vote"
    assert jan.notes == ["Preferred articles published in January 2018 (2018-01-01 to 2018-01-31)."]
    # A typed period filters.
    typed = r.search(
        parse_query("council budget after:2018-01-01 before:2018-02-01", date(2018, 2, 8))
    )
    assert headlines(typed) == ["Council budget vote"]


def test_phrase_with_no_dated_match_falls_back_with_a_note(
    news: IndexReader, encoder: FakeEncoder
) -> None:
    r = Retriever(news, encoder).search(parse_query("council budget in 1999", date(2018, 2, 8)))
    assert "Council budget vote" in headlines(r)
    assert r.notes == ["No articles are dated in 1999; searched all dates."]


def test_explicit_filter_with_no_match_finds_nothing(
    news: IndexReader, encoder: FakeEncoder
) -> None:
    r = Retriever(news, encoder).search(parse_query("from:bbc council budget", date(2018, 2, 8)))
    assert r.no_match and r.passages == []
    assert r.notes == ["No indexed article is from bbc."]


def test_recency_questions_favour_newer_articles(news: IndexReader, encoder: FakeEncoder) -> None:
    r = Retriever(news, encoder)
    plain = headlines(r.search(parse_query("council approved budget", date(2018, 2, 8))))
    latest = headlines(r.search(parse_query("council approved budget latest", date(2018, 2, 8))))
    assert latest.index("Council budget vote again") < latest.index("Council budget vote")
    assert set(plain[:3]) == set(latest[:3])


def test_passages_are_diversified(news: IndexReader, encoder: FakeEncoder) -> None:
    r = Retriever(news, encoder, max_passages=8, per_article=1).search("panda bamboo zoo")
    ids = [p.article.id for p in r.passages]
    assert len(ids) == len(set(ids)) == 8


def test_ask_reports_the_period_it_searched(newsbot: Newsbot, news: IndexReader) -> None:
    answer = newsbot.ask("What budget did the council approve last week?", as_of=date(2018, 2, 12))
    assert not answer.declined
    assert "5 million" in answer.text
    assert answer.notes == [
        "Preferred articles published last week (2018-02-05 to 2018-02-11).",
        "Newest source published 2018-02-06 (6 days before 2018-02-12).",
    ]
    none = newsbot.ask("from:bbc What budget did the council approve?")
    assert none.declined and none.notes == ["No indexed article is from bbc."]
