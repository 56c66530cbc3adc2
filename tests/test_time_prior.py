"""The time prior: how well a publication date fits the time a question is about."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot import time_prior as tp
from bot.query import parse_query
from bot.time_prior import Focus, TimeFit, asks_for_recent, freshness_note

AS_OF = date(2024, 3, 15)  # a Friday


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def test_a_period_said_in_words_prefers_its_own_days() -> None:
    fit = parse_query("What did the council decide this week?", AS_OF).time_fit
    assert fit.focus is Focus.PERIOD
    assert fit.prior(at("2024-03-11")) == 1.0  # Monday of this week
    assert fit.prior(at("2024-03-15T23:00")) == 1.0
    # The Friday before the week began: three days before, halving every BEFORE_HALF_LIFE.
    floor = tp.PERIOD_FLOOR
    expected = floor + (1 - floor) * 0.5 ** (3 / tp.BEFORE_HALF_LIFE)
    assert fit.prior(at("2024-03-08")) == pytest.approx(expected)
    # A look-alike story a month older scores almost nothing.
    assert fit.prior(at("2024-02-12")) == pytest.approx(floor, abs=1e-4)


def test_reports_after_the_named_day_fit_within_the_grace_days() -> None:
    fit = parse_query("How many votes did the levy get on Tuesday?", AS_OF).time_fit
    assert (fit.start, fit.end) == (at("2024-03-12"), at("2024-03-13"))
    assert fit.prior(at("2024-03-12T18:00")) == 1.0
    assert fit.prior(at("2024-03-14T09:00")) == 1.0  # the next day's paper
    assert fit.in_period(at("2024-03-14T09:00"))
    # Before the day it can't report what happened on it: falls faster than after.
    assert fit.prior(at("2024-03-11")) < fit.prior(at("2024-03-16"))


def test_latest_prefers_newer_and_older_still_counts() -> None:
    fit = parse_query("What is the latest count of flood victims?", AS_OF).time_fit
    assert fit.focus is Focus.RECENT
    week, month, year = (fit.prior(AS_OF_DT - timedelta(days=d)) for d in (7, 30, 365))
    assert 1.0 > week > month > year >= tp.RECENT_FLOOR
    half = tp.RECENT_FLOOR + (1 - tp.RECENT_FLOOR) * 0.5
    assert fit.prior(AS_OF_DT - timedelta(days=tp.RECENT_HALF_LIFE)) == pytest.approx(half)


AS_OF_DT = datetime(2024, 3, 15, tzinfo=UTC)


def test_plain_questions_lean_only_mildly_to_newer() -> None:
    fit = parse_query("Why did the mill close?", AS_OF).time_fit
    assert fit.focus is Focus.PLAIN
    assert fit.prior(AS_OF_DT - timedelta(days=30)) > 0.95
    assert fit.prior(AS_OF_DT - timedelta(days=3650)) == pytest.approx(tp.PLAIN_FLOOR, abs=1e-3)


def test_undated_articles_are_never_ruled_out() -> None:
    for focus in Focus:
        assert TimeFit(focus, AS_OF).prior(None) > 0.0
    assert not TimeFit(Focus.PERIOD, AS_OF, at("2024-03-11"), at("2024-03-16")).in_period(None)


@pytest.mark.parametrize(
    ("question", "recent"),
    [
        ("Who is the mayor now?", True),
        ("What is the interest rate?", True),
        ("Is the road still closed?", True),
        ("What did the latest poll show?", True),
        ("Who was mayor in 1990?", False),
        ("Why did the mill close?", False),
    ],
)
def test_questions_about_the_current_state(question: str, recent: bool) -> None:
    assert asks_for_recent(question) is recent


def test_typed_filters_filter_and_words_rank() -> None:
    typed = parse_query("after:2024-03-01 storm damage", AS_OF)
    assert typed.filtered and typed.time_fit.focus is not Focus.PERIOD
    said = parse_query("storm damage this week", AS_OF)
    assert not said.filtered and said.time_fit.focus is Focus.PERIOD


def test_a_bare_year_ranks_and_stays_in_the_search_text() -> None:
    q = parse_query("Who won the 2019 Nobel Peace Prize?", date(2019, 10, 12))
    assert q.time_fit.focus is Focus.PERIOD
    assert "2019" in q.text
    assert (q.time_fit.start, q.time_fit.end) == (at("2019-01-01"), at("2020-01-01"))


def test_the_as_of_cutoff_is_the_end_of_the_as_of_day() -> None:
    assert parse_query("storm damage", AS_OF).cutoff == at("2024-03-16")


def test_freshness_note_says_how_old_the_newest_source_is() -> None:
    older, newer = datetime(2018, 2, 1, tzinfo=UTC), datetime(2018, 2, 20, tzinfo=UTC)
    note = freshness_note([older, None, newer], date(2018, 2, 27), date(2026, 12, 1))
    assert note == "Newest source published 2018-02-20 (7 days before 2018-02-27)."
    today = freshness_note([newer], date(2018, 3, 6), date(2018, 3, 6))
    assert today == "Newest source published 2018-02-20 (2 weeks ago)."
    assert freshness_note([None], date(2018, 2, 27), date(2018, 2, 27)) is None
