"""Dated multi-article cases where time filters and recency decide the answer (real model).

The articles in tests/data/news/ tell two running stories (a mayor's resignation and
election, a transit strike that began and ended) and one event two outlets counted
differently; the right answer depends on the as-of date, the period and the outlet.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.config import Settings
from bot.core import Newsbot
from bot.embeddings import Encoder
from bot.records import Turn
from tests.conftest import ROOT
from tests.integration.fresh_index import fresh_index

NEWS = ROOT / "tests" / "data" / "news"


@pytest.fixture(scope="module")
def news_bot(tmp_path_factory: pytest.TempPathFactory, real_encoder: Encoder) -> Newsbot:
    directory = tmp_path_factory.mktemp("news") / "index"
    store, report = fresh_index(directory, [NEWS], real_encoder)
    assert report.added == 6
    settings = Settings(index=directory, timezone="America/New_York", _env_file=None)  # type: ignore[call-arg]
    return Newsbot(settings, encoder=real_encoder, store=store)


def test_now_question_prefers_the_latest_article(news_bot: Newsbot) -> None:
    answer = news_bot.ask("Who is the mayor of Riverton now?", as_of=date(2018, 3, 10))
    assert "David Chen" in answer.text
    assert answer.citations[0].headline == "David Chen elected mayor of Riverton"


def test_month_filter_finds_the_story_of_that_month(news_bot: Newsbot) -> None:
    answer = news_bot.ask("Who led Riverton as mayor in January 2018?", as_of=date(2018, 3, 10))
    assert "Maria Lopez" in answer.text
    assert answer.citations[0].published.date() == date(2018, 1, 10)  # type: ignore[union-attr]
    assert answer.notes == [
        "Preferred articles published in January 2018 (2018-01-01 to 2018-01-31).",
        "Newest source published 2018-01-10 (8 weeks before 2018-03-10).",
    ]


def test_still_question_gets_the_strike_ending(news_bot: Newsbot) -> None:
    answer = news_bot.ask("Is the Riverton transit strike still going on?", as_of=date(2018, 2, 27))
    assert "ended" in answer.text


def test_last_week_resolves_against_the_as_of_date(news_bot: Newsbot) -> None:
    early = news_bot.ask("What happened with the transit strike last week?", as_of=date(2018, 2, 6))
    assert "began a strike" in early.text
    late = news_bot.ask("What happened with the transit strike last week?", as_of=date(2018, 2, 27))
    assert "ended" in late.text
    assert late.notes == [
        "Preferred articles published last week (2018-02-19 to 2018-02-25).",
        "Newest source published 2018-02-20 (7 days before 2018-02-27).",
    ]


def test_outlet_filter_picks_that_outlets_figure(news_bot: Newsbot) -> None:
    gazette = news_bot.ask("from:gazette How many people joined the library rally?")
    herald = news_bot.ask("from:herald How many people joined the library rally?")
    assert "4,000" in gazette.text and "1,500" not in gazette.text
    assert "1,500" in herald.text and "4,000" not in herald.text


def test_yesterday_and_follow_up_keep_the_period(news_bot: Newsbot) -> None:
    first = news_bot.ask("Who did voters elect yesterday?", as_of=date(2018, 3, 6))
    assert "David Chen" in first.text
    follow = news_bot.ask(
        "How much of the vote did he win?",
        history=[Turn(first.question, first.text)],
        as_of=date(2018, 3, 6),
    )
    assert "54 percent" in follow.text
    assert follow.notes == first.notes


def test_period_with_no_article_is_reported(news_bot: Newsbot) -> None:
    answer = news_bot.ask("What did the council decide on:2019-05-01?")
    assert answer.declined
    assert answer.notes == ["No indexed article is published on 2019-05-01."]
