"""Dates from article metadata: ISO 8601 fast path, dateparser for free text. Always tz-aware.

Only absolute dates are read: "yesterday", "Monday", "March 2024" or "2024" name no day
of their own, so for a publication date they stay unknown rather than being resolved
against the day of the ingest.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

# dateparser without its relative-time parser ("now", "in 2 days", "3 weeks ago"), and
# only when the text itself gives day, month and year: otherwise it fills the missing
# parts from today.
_STRICT: dict[str, Any] = {
    "PARSERS": ["timestamp", "custom-formats", "absolute-time"],
    "REQUIRE_PARTS": ["day", "month", "year"],
    "RETURN_AS_TIMEZONE_AWARE": True,
}


def parse_date(value: str | None, default_tz: str = "UTC") -> datetime | None:
    """Parse a publication date; None when absent, unreadable or not a whole date (never
    a guess like the file's mtime or today's day of the month)."""
    if not value or not value.strip():
        return None
    text = value.strip()
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = _dateparser(text, default_tz)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_zone(default_tz))
    return parsed


def _dateparser(text: str, default_tz: str) -> datetime | None:
    import dateparser  # lazy: it loads language data on first use

    parsed: datetime | None = dateparser.parse(text, settings={**_STRICT, "TIMEZONE": default_tz})
    return parsed


@lru_cache(maxsize=16)
def _zone(name: str) -> tzinfo:
    return UTC if name.upper() == "UTC" else ZoneInfo(name)


def local_day(value: datetime, tz: tzinfo) -> str:
    """The calendar day of an instant in the newsroom's time zone, as YYYY-MM-DD; a date
    at the end of Python's range (which no zone can be applied to) as written, so one odd
    article never breaks `list` or `stats`."""
    try:
        return value.astimezone(tz).date().isoformat()
    except (OverflowError, ValueError):
        return value.date().isoformat()


def to_iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# English abbreviations whatever the machine's locale (strftime's %b follows the locale).
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def display_day(value: datetime, *, year: bool = True) -> str:
    """'8 Feb 2018' (or '8 Feb'): the day an article was published, as its dateline says it
    (in its own time zone), the way a newsroom writes dates."""
    day = f"{value.day} {_MONTH_ABBR[value.month - 1]}"
    return f"{day} {value.year}" if year else day
