"""Edges of time, each with the exact period expected: year rollover (December periods,
"last month" in January), a weekday named on that same weekday, leap days, and days that
start at midnight in the newsroom's time zone (daylight-saving days included).

Periods are [start, end) instants; expectations are written in UTC so that an offset
mistake can't hide behind a matching local wall time.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.catalog import parse_period, period
from bot.dates import local_day
from bot.errors import NewsbotError, QuestionError
from bot.index import IndexReader
from bot.ingest import ingest
from bot.query import parse_query
from bot.retrieval import Retriever
from tests.conftest import write_article
from tests.fakes import FakeEncoder

NEW_YORK = ZoneInfo("America/New_York")
# Chile moves its clocks at midnight: on 2024-09-08 the day starts at 01:00 local time,
# and on 2024-04-06 the hour before midnight runs twice.
SANTIAGO = ZoneInfo("America/Santiago")
TOKYO = ZoneInfo("Asia/Tokyo")
INSTANT = timedelta(microseconds=1)  # a moment is the period [t, t + 1 µs)


def utc(y: int, m: int, d: int, hour: int = 0) -> datetime:
    return datetime(y, m, d, hour, tzinfo=UTC)


def resolved(
    question: str, as_of: date | datetime, tz: tzinfo = UTC
) -> tuple[datetime | None, datetime | None, str]:
    """The period a question names, as UTC instants and its label."""
    found = parse_query(question, as_of, tz).period
    assert found is not None, question
    start, end = (x.astimezone(UTC) if x else None for x in (found.start, found.end))
    return start, end, found.label


# --- year rollover ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "as_of", "start", "end", "label"),
    [
        ("strikes in December", date(2024, 1, 10), utc(2023, 12, 1), utc(2024, 1, 1),
         "in December 2023"),
        ("strikes in December", date(2024, 12, 31), utc(2024, 12, 1), utc(2025, 1, 1),
         "in December 2024"),  # the month under way
        ("strikes in Dec. 2023", date(2024, 6, 1), utc(2023, 12, 1), utc(2024, 1, 1),
         "in December 2023"),
        ("budget last month", date(2024, 1, 1), utc(2023, 12, 1), utc(2024, 1, 1), "last month"),
        ("budget last month", date(2024, 1, 31), utc(2023, 12, 1), utc(2024, 1, 1), "last month"),
        ("strikes in January", date(2024, 1, 15), utc(2024, 1, 1), utc(2024, 2, 1),
         "in January 2024"),
        ("fires yesterday", date(2024, 1, 1), utc(2023, 12, 31), utc(2024, 1, 1), "yesterday"),
        ("votes last week", date(2025, 1, 1), utc(2024, 12, 23), utc(2024, 12, 30), "last week"),
        ("votes this week", date(2025, 1, 1), utc(2024, 12, 30), utc(2025, 1, 2), "this week"),
        ("budget last year", date(2024, 1, 1), utc(2023, 1, 1), utc(2024, 1, 1), "last year"),
        ("budget this year", date(2024, 1, 1), utc(2024, 1, 1), utc(2024, 1, 2), "this year"),
        ("fires in the past 7 days", date(2024, 1, 3), utc(2023, 12, 28), utc(2024, 1, 4),
         "in the last 7 days"),
        ("fires in the last 2 months", date(2024, 1, 15), utc(2023, 11, 16), utc(2024, 1, 16),
         "in the last 2 months"),
        ("vote on Friday", date(2024, 1, 1), utc(2023, 12, 29), utc(2023, 12, 30),
         "on Friday 2023-12-29"),
    ],
)  # fmt: skip
def test_periods_across_the_new_year(
    question: str, as_of: date, start: datetime, end: datetime, label: str
) -> None:
    assert resolved(question, as_of) == (start, end, label)


def test_a_december_period_is_described_with_its_own_year() -> None:
    found = parse_query("strikes in December", date(2024, 1, 10)).period
    assert found is not None
    assert found.describe() == (
        "Preferred articles published in December 2023 (2023-12-01 to 2023-12-31)."
    )


@pytest.mark.parametrize(
    ("value", "today", "start", "end"),
    [
        ("2024-12", None, utc(2024, 12, 1), utc(2025, 1, 1)),
        ("2024/12", None, utc(2024, 12, 1), utc(2025, 1, 1)),
        ("December 2024", None, utc(2024, 12, 1), utc(2025, 1, 1)),
        ("December", date(2025, 1, 10), utc(2024, 12, 1), utc(2025, 1, 1)),
        ("last month", date(2025, 1, 10), utc(2024, 12, 1), utc(2025, 1, 1)),
        ("2024-12-31", None, utc(2024, 12, 31), utc(2025, 1, 1)),
        ("2024", None, utc(2024, 1, 1), utc(2025, 1, 1)),
    ],
)
def test_list_periods_across_the_new_year(
    value: str, today: date | None, start: datetime, end: datetime
) -> None:
    assert period(value, today=today) == (start, end)
    # --until names the first instant after the period: New Year's Eve is included.
    assert parse_period(value, end=True, today=today) == end


# --- a weekday named on that weekday -----------------------------------------------------------


@pytest.mark.parametrize("offset", range(7))
def test_a_weekday_named_on_that_weekday_is_the_one_a_week_ago(offset: int) -> None:
    today = date(2024, 1, 1) + timedelta(days=offset)  # Monday 1 January, then each day
    name = calendar.day_name[today.weekday()]
    week_ago = today - timedelta(days=7)
    start = datetime.combine(week_ago, time.min, UTC)
    for question in (f"the vote on {name}", f"the vote last {name}"):
        assert resolved(question, today) == (
            start,
            start + timedelta(days=1),
            f"on {name} {week_ago.isoformat()}",
        )


@pytest.mark.parametrize(
    ("weekday", "day"),
    [("Wednesday", 7), ("Tuesday", 6), ("Monday", 5), ("Sunday", 4), ("Friday", 2)],
)
def test_other_weekdays_are_the_most_recent_before_today(weekday: str, day: int) -> None:
    thursday = date(2018, 2, 8)
    assert resolved(f"vote on {weekday}", thursday) == (
        utc(2018, 2, day),
        utc(2018, 2, day + 1),
        f"on {weekday} 2018-02-{day:02d}",
    )


# --- leap days ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "as_of", "start", "end"),
    [
        ("fires today", date(2024, 2, 29), utc(2024, 2, 29), utc(2024, 3, 1)),
        ("fires yesterday", date(2024, 3, 1), utc(2024, 2, 29), utc(2024, 3, 1)),
        ("fires in the past 2 days", date(2024, 3, 1), utc(2024, 2, 29), utc(2024, 3, 2)),
        ("budget last month", date(2024, 3, 31), utc(2024, 2, 1), utc(2024, 3, 1)),
        ("strikes in February 2024", date(2024, 6, 1), utc(2024, 2, 1), utc(2024, 3, 1)),
        ("strikes in February", date(2025, 3, 1), utc(2025, 2, 1), utc(2025, 3, 1)),
        ("budget last year", date(2024, 2, 29), utc(2023, 1, 1), utc(2024, 1, 1)),
        # "the last N months/years" are calendar months and years, whatever their length
        ("fires in the last 12 months", date(2024, 2, 29), utc(2023, 3, 1), utc(2024, 3, 1)),
        ("fires in the last 1 year", date(2024, 2, 29), utc(2023, 3, 1), utc(2024, 3, 1)),
        ("fires in the last 1 year", date(2025, 2, 28), utc(2024, 2, 29), utc(2025, 3, 1)),
        ("fires in the last 3 months", date(2024, 5, 29), utc(2024, 3, 1), utc(2024, 5, 30)),
        ("fires in the last 1 month", date(2024, 3, 31), utc(2024, 3, 1), utc(2024, 4, 1)),
        ("fires in the last 4 years", date(2024, 3, 1), utc(2020, 3, 2), utc(2024, 3, 2)),
    ],
)
def test_leap_days(question: str, as_of: date, start: datetime, end: datetime) -> None:
    assert resolved(question, as_of)[:2] == (start, end)


def test_a_leap_february_is_described_to_its_29th() -> None:
    found = parse_query("strikes in February 2024", date(2024, 6, 1)).period
    assert found is not None
    assert found.describe().endswith("(2024-02-01 to 2024-02-29).")
    found = parse_query("strikes in February", date(2025, 3, 1)).period
    assert found is not None
    assert found.describe().endswith("(2025-02-01 to 2025-02-28).")


def test_an_explicit_leap_day_and_one_that_does_not_exist() -> None:
    assert resolved("on:2024-02-29 fires", date(2024, 6, 1))[:2] == (
        utc(2024, 2, 29),
        utc(2024, 3, 1),
    )
    with pytest.raises(QuestionError, match=r"'2023-02-29' is not a real date"):
        parse_query("on:2023-02-29 fires", date(2024, 6, 1))


@pytest.mark.parametrize(
    ("value", "today", "start", "end"),
    [
        ("2024-02-29", None, utc(2024, 2, 29), utc(2024, 3, 1)),
        ("Feb 29 2024", None, utc(2024, 2, 29), utc(2024, 3, 1)),
        ("2024-02", None, utc(2024, 2, 1), utc(2024, 3, 1)),
        ("yesterday", date(2024, 3, 1), utc(2024, 2, 29), utc(2024, 3, 1)),
        ("3 days ago", date(2024, 3, 2), utc(2024, 2, 28), utc(2024, 2, 29)),
    ],
)
def test_list_periods_on_leap_days(
    value: str, today: date | None, start: datetime, end: datetime
) -> None:
    assert period(value, today=today) == (start, end)


def test_a_list_period_that_does_not_exist_is_refused() -> None:
    with pytest.raises(NewsbotError, match=r"'2023-02-29' is not a real date"):
        period("2023-02-29")


# --- time zones at midnight --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "as_of", "tz", "start", "end"),
    [
        # New York springs forward: 10 March 2024 is 23 hours long ...
        ("fires today", date(2024, 3, 10), NEW_YORK, utc(2024, 3, 10, 5), utc(2024, 3, 11, 4)),
        # ... and falls back: 3 November 2024 is 25 hours long.
        ("fires yesterday", date(2024, 11, 4), NEW_YORK, utc(2024, 11, 3, 4),
         utc(2024, 11, 4, 5)),
        # Midnight doesn't exist in Santiago on 8 September 2024: the day starts at 01:00 (-03).
        ("fires today", date(2024, 9, 8), SANTIAGO, utc(2024, 9, 8, 4), utc(2024, 9, 9, 3)),
        # On 6 April 2024 the hour before midnight runs twice: the day ends at 00:00 (-04).
        ("fires yesterday", date(2024, 4, 7), SANTIAGO, utc(2024, 4, 6, 3), utc(2024, 4, 7, 4)),
        ("budget last month", date(2024, 1, 15), NEW_YORK, utc(2023, 12, 1, 5),
         utc(2024, 1, 1, 5)),
        ("on:2023-12-31 fireworks", date(2024, 1, 15), NEW_YORK, utc(2023, 12, 31, 5),
         utc(2024, 1, 1, 5)),
        # an instant as `as_of` is a day of the newsroom's calendar, not of UTC's
        ("fires today", datetime(2024, 1, 1, 3, tzinfo=UTC), NEW_YORK, utc(2023, 12, 31, 5),
         utc(2024, 1, 1, 5)),
        ("budget last month", datetime(2024, 1, 31, 16, tzinfo=UTC), TOKYO,
         utc(2023, 12, 31, 15), utc(2024, 1, 31, 15)),
    ],
)  # fmt: skip
def test_days_run_midnight_to_midnight_in_the_newsroom_time_zone(
    question: str, as_of: date, tz: tzinfo, start: datetime, end: datetime
) -> None:
    assert resolved(question, as_of, tz)[:2] == (start, end)


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("2024-03-10", utc(2024, 3, 10, 5), utc(2024, 3, 11, 4)),
        ("2024-12", utc(2024, 12, 1, 5), utc(2025, 1, 1, 5)),
        ("December 31, 2023", utc(2023, 12, 31, 5), utc(2024, 1, 1, 5)),
        # A moment without a zone is the newsroom's, in ISO 8601 and in free text alike.
        ("2024-03-14T10:00", utc(2024, 3, 14, 14), utc(2024, 3, 14, 14) + INSTANT),
        ("March 14, 2024 10:00", utc(2024, 3, 14, 14), utc(2024, 3, 14, 14) + INSTANT),
        ("2024-03-14T10:00+00:00", utc(2024, 3, 14, 10), utc(2024, 3, 14, 10) + INSTANT),
    ],
)  # fmt: skip
def test_list_periods_in_the_newsroom_time_zone(value: str, start: datetime, end: datetime) -> None:
    assert period(value, tz=NEW_YORK) == (start, end)


@pytest.fixture
def new_years_eve(tmp_path: Path, store: IndexReader, encoder: FakeEncoder) -> IndexReader:
    """Two stories half an hour either side of midnight, New York time."""
    folder = tmp_path / "eve"
    folder.mkdir()
    write_article(folder, "fireworks.txt", "Fireworks over the harbour",
                  "Fireworks lit the harbour as the year ended.",
                  Published="2023-12-31T23:30:00-05:00")  # fmt: skip
    write_article(folder, "baby.txt", "First baby of the year at the harbour hospital",
                  "The first baby of the year was born near the harbour.",
                  Published="2024-01-01T00:30:00-05:00")  # fmt: skip
    ingest([str(folder)], store, encoder)
    return store


def test_a_story_at_half_past_eleven_on_new_years_eve_belongs_to_the_newsrooms_december(
    new_years_eve: IndexReader, encoder: FakeEncoder
) -> None:
    retriever = Retriever(new_years_eve, encoder)
    # A period said in words ranks (bot/time_prior.py): half an hour before the newsroom's
    # January began, the fireworks are before the period, the baby inside it.
    january = retriever.search(parse_query("harbour in January 2024", date(2024, 1, 15), NEW_YORK))
    assert january.fit is not None and january.fit.start == utc(2024, 1, 1, 5)
    published = {a.headline: a.published for a, _ in january.articles}
    assert january.fit.prior(published["First baby of the year at the harbour hospital"]) == 1.0
    assert january.fit.prior(published["Fireworks over the harbour"]) < 1.0
    # A typed filter filters, by the newsroom's days.
    eve = retriever.search(parse_query("on:2023-12-31 harbour", date(2024, 1, 15), NEW_YORK))
    assert [a.headline for a, _ in eve.articles] == ["Fireworks over the harbour"]
    [story] = [a for a in new_years_eve.listing() if a.headline.startswith("Fireworks")]
    assert story.published is not None
    assert (local_day(story.published, NEW_YORK), local_day(story.published, UTC)) == (
        "2023-12-31",
        "2024-01-01",
    )
    # In UTC days both stories are January's: on 31 December there is nothing.
    utc_eve = retriever.search(parse_query("on:2023-12-31 harbour", date(2024, 1, 15), UTC))
    assert utc_eve.articles == [] and utc_eve.no_match
    utc_new_year = retriever.search(parse_query("on:2024-01-01 harbour", date(2024, 1, 15), UTC))
    assert len(utc_new_year.articles) == 2
