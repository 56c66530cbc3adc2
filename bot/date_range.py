"""The dates newsbot handles: the years 1800 to 2200.

Python's dates end at the years 1 and 9999, and a date near either end breaks arithmetic
("the day after", a time zone's offset): one article dated 9999-12-31T23:00-05:00 made
`list` and `stats` fail for the whole index, and `on:9999-12-31` failed with an
OverflowError. So an article's date outside the range is stored as unknown, with a
warning at ingest; a filter or time phrase outside it is a usage error that says so; and
`list`/`stats` show an indexed date that is out of range (from an older index) as written
instead of failing (bot/dates.py `local_day`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime

from bot.articles import Article
from bot.errors import DateRangeError

log = logging.getLogger(__name__)

FIRST_YEAR = 1800
LAST_YEAR = 2200
RANGE = f"the years {FIRST_YEAR} to {LAST_YEAR}"
YEARS = r"(?:1[89]\d\d|2[01]\d\d|2200)"  # a regular expression for a year in the range


def in_range(value: date | datetime | None) -> bool:
    """Whether a date (or an instant, by its own calendar day) lies in the range."""
    return value is None or FIRST_YEAR <= value.year <= LAST_YEAR


def dated_within_range(article: Article) -> Article:
    """The article with a published or updated date outside the range stored as unknown,
    and a warning naming the file and the date."""
    published, updated = (_checked(article, name) for name in ("published", "updated"))
    if (published, updated) == (article.published, article.updated):
        return article
    return replace(article, published=published, updated=updated)


def _checked(article: Article, name: str) -> datetime | None:
    value: datetime | None = getattr(article, name)
    if value is None or in_range(value):
        return value
    log.warning(
        "%s: %s date %s is outside %s; stored as unknown",
        article.source_path,
        name,
        value.isoformat(),
        RANGE,
    )
    return None


def check_year(year: int, what: str) -> int:
    """`year`, or a DateRangeError naming `what` (e.g. "the date 9999-12-31")."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        what = what[:1].upper() + what[1:]
        raise DateRangeError(f"{what} is outside the dates newsbot handles ({RANGE})")
    return year


def check_day(day: date, what: str | None = None) -> date:
    check_year(day.year, what or f"the date {day.isoformat()}")
    return day


def check_days_back(today: date, days: int, what: str) -> int:
    """`days`, when counting that many days back from `today` stays in the range."""
    if days > (today - date(FIRST_YEAR, 1, 1)).days + 1:
        raise DateRangeError(f"{what} reaches back before {FIRST_YEAR} ({RANGE})")
    return days
