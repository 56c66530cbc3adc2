from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.errors import NewsbotError
from bot.query import parse_query

AS_OF = date(2018, 2, 8)  # a Thursday


def utc(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


@pytest.mark.parametrize(
    ("question", "start", "end", "label"),
    [
        ("What happened yesterday?", utc(2018, 2, 7), utc(2018, 2, 8), "yesterday"),
        ("What happened today?", utc(2018, 2, 8), utc(2018, 2, 9), "today"),
        ("council vote this week", utc(2018, 2, 5), utc(2018, 2, 9), "this week"),
        ("council vote last week", utc(2018, 1, 29), utc(2018, 2, 5), "last week"),
        ("strikes in February 2018", utc(2018, 2, 1), utc(2018, 3, 1), "in February 2018"),
        ("strikes in Feb 2017", utc(2017, 2, 1), utc(2017, 3, 1), "in February 2017"),
        ("budget this year", utc(2018, 1, 1), utc(2018, 2, 9), "this year"),
        ("budget last year", utc(2017, 1, 1), utc(2018, 1, 1), "last year"),
        ("budget last month", utc(2018, 1, 1), utc(2018, 2, 1), "last month"),
        ("what happened in 2016", utc(2016, 1, 1), utc(2017, 1, 1), "in 2016"),
        ("fires in the past 3 days", utc(2018, 2, 6), utc(2018, 2, 9), "in the last 3 days"),
        ("vote on Monday", utc(2018, 2, 5), utc(2018, 2, 6), "on Monday 2018-02-05"),
        ("storm in March", utc(2017, 3, 1), utc(2017, 4, 1), "in March 2017"),  # the last March
    ],
)
def test_time_phrases_resolve_against_as_of(
    question: str, start: datetime, end: datetime, label: str
) -> None:
    q = parse_query(question, AS_OF)
    assert q.period is not None
    assert (q.period.start, q.period.end, q.period.label) == (start, end, label)
    assert not q.period.explicit
    assert len(q.text) < len(question)  # the phrase left the search text


def test_filter_syntax() -> None:
    q = parse_query(
        'from:reuters from:"the independent" after:2018-02-01 before:2018-03-01 strikes?', AS_OF
    )
    assert q.outlets == ("reuters", "the independent")
    assert q.period is not None and q.period.explicit
    assert (q.period.start, q.period.end) == (utc(2018, 2, 1), utc(2018, 3, 1))
    assert q.text == "strikes?"
    assert parse_query("on:2018-02-07 strikes", AS_OF).period.end == utc(2018, 2, 8)  # type: ignore[union-attr]


def test_explicit_filter_wins_over_phrases() -> None:
    q = parse_query("after:2018-01-01 what happened last week", AS_OF)
    assert q.period is not None and q.period.start == utc(2018, 1, 1) and q.period.end is None
    assert "last week" in q.text


def test_bad_filter_date_is_a_clear_error() -> None:
    with pytest.raises(NewsbotError, match="write it as YYYY-MM-DD"):
        parse_query("after:yesterdayish strikes", AS_OF)


def test_recency_words_and_plain_questions() -> None:
    assert parse_query("Who is the mayor now?", AS_OF).recency
    assert parse_query("What is the latest on the strike?", AS_OF).recency
    # "who is", "what is": the current state, newest first
    assert parse_query("Who is the coalition spokesman?", AS_OF).recency
    plain = parse_query("Who carried out the strikes?", AS_OF)
    assert (plain.recency, plain.period, plain.outlets, plain.text) == (
        False,
        None,
        (),
        "Who carried out the strikes?",
    )
    # numbers that aren't years, and years outside 1900-2099, are not time filters
    assert parse_query("What happened in 1066?", AS_OF).period is None


def test_period_description() -> None:
    q = parse_query("strikes in February 2018", AS_OF)
    assert q.period is not None
    assert (
        q.period.describe()
        == "Preferred articles published in February 2018 (2018-02-01 to 2018-02-28)."
    )
