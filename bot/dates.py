"""Dates from article metadata: ISO 8601 fast path, dateparser for free text. Always tz-aware."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo


def parse_date(value: str | None, default_tz: str = "UTC") -> datetime | None:
    """Parse a publication date; None when absent or unreadable (never a guess like mtime)."""
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

    return dateparser.parse(
        text,
        settings={"RETURN_AS_TIMEZONE_AWARE": True, "TIMEZONE": default_tz},
    )


@lru_cache(maxsize=16)
def _zone(name: str) -> tzinfo:
    return UTC if name.upper() == "UTC" else ZoneInfo(name)


def to_iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
