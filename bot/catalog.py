"""What is in the index, for `newsbot list`, `newsbot stats` and `newsbot rm`.

Filtering and counting are pure functions over `ListedArticle`s, so they are tested
without an index; `remove` is the one writer here (under the ingest lock).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path

from bot.date_range import RANGE, check_day, check_year
from bot.dates import local_day
from bot.errors import DateRangeError, NewsbotError
from bot.index import IndexReader, ListedArticle

UNDATED = "undated"
UNKNOWN_OUTLET = "(unknown outlet)"
_TINY = timedelta(microseconds=1)


def filter_articles(
    articles: Iterable[ListedArticle],
    *,
    outlet: str | None = None,
    since: datetime | None = None,
    before: datetime | None = None,
) -> list[ListedArticle]:
    """Articles of an outlet (case-insensitive; credits count too) published in
    [since, before). An undated article matches no period: its date is unknown, not "any"."""
    wanted = outlet.casefold().strip() if outlet else None
    out = []
    for a in articles:
        if wanted is not None and wanted not in _names(a):
            continue
        if (since or before) and a.published is None:
            continue
        if since and a.published and a.published < since:
            continue
        if before and a.published and a.published >= before:
            continue
        out.append(a)
    return out


def _names(a: ListedArticle) -> set[str]:
    return {n.casefold() for n in (a.outlet, *a.credits) if n}


@dataclass
class Stats:
    articles: int
    chunks: int
    sources: int
    stories_with_copies: int  # stories that ran in more than one copy
    copies_grouped: int  # articles that belong to such a story
    exact_duplicates: int  # articles stored once for several sources
    by_outlet: list[tuple[str, int]]
    by_month: list[tuple[str, int]]
    disk_bytes: int = 0
    files: int = 0
    generation: int = 0
    backend: str = ""  # embedded or postgresql
    location: str = ""  # the directory, or the database URL without its password


def compute_stats(articles: Sequence[ListedArticle], tz: tzinfo = UTC) -> Stats:
    """Counts; months are those of the newsroom's time zone `tz`, as `list` shows dates."""
    stories = Counter(a.story_id for a in articles)
    outlets = Counter(a.attribution or UNKNOWN_OUTLET for a in articles)
    months = Counter(local_day(a.published, tz)[:7] if a.published else UNDATED for a in articles)
    return Stats(
        articles=len(articles),
        chunks=sum(a.chunks for a in articles),
        sources=sum(a.sources for a in articles),
        stories_with_copies=sum(1 for n in stories.values() if n > 1),
        copies_grouped=sum(n for n in stories.values() if n > 1),
        exact_duplicates=sum(1 for a in articles if a.sources > 1),
        by_outlet=outlets.most_common(),
        by_month=sorted(months.items(), key=lambda kv: (kv[0] == UNDATED, kv[0])),
    )


def index_stats(store: IndexReader, tz: tzinfo = UTC) -> Stats:
    stats = compute_stats(store.listing(), tz)
    stats.disk_bytes = store.disk_bytes()
    stats.files = store.count("files")
    info = store.info()
    stats.generation, stats.backend, stats.location = info.generation, info.backend, info.location
    return stats


@dataclass
class Removal:
    removed: dict[str, int] = field(default_factory=dict)  # target -> articles removed
    missing: list[str] = field(default_factory=list)
    still_on_disk: list[str] = field(default_factory=list)


def source_key(target: str) -> str:
    """How the index knows a file named on the command line (URLs and <stdin> as given)."""
    if target.startswith(("http://", "https://")) or target == "<stdin>":
        return target
    return str(Path(target).resolve())


def remove(store: IndexReader, targets: Sequence[str], *, lock_timeout: float = 0.0) -> Removal:
    """Remove articles by id, or everything that came from a file/URL, in one commit."""
    result = Removal()
    with store.writer(lock_timeout) as writer:
        for target in targets:
            if target.isdigit():
                paths = [p for p, _ in store.article_sources([int(target)]).get(int(target), [])]
                before = writer.article_count()
                writer.remove_article(int(target))
                gone = before - writer.article_count()
                # Its files are read again by the next ingest: the archive stays the truth.
                writer.forget_hashes(paths)
                result.still_on_disk += [p for p in paths if Path(p).exists()]
                if gone:
                    result.removed[target] = gone
                else:
                    result.missing.append(target)
                continue
            key = source_key(target)
            if not writer.source_articles(key) and writer.file_hash(key) is None:
                result.missing.append(target)
                continue
            result.removed[target] = writer.forget_source(key)
            if Path(key).is_absolute() and Path(key).exists():
                result.still_on_disk.append(target)
        writer.commit()
    return result


_YEAR = re.compile(r"(\d{4})")
_LEADING_YEAR = re.compile(r"(\d{4})(?!\d)")
_MONTH = re.compile(r"(\d{4})[-/](\d{1,2})")
_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_period(
    value: str | None, *, end: bool = False, tz: tzinfo = UTC, today: date | None = None
) -> datetime | None:
    """A --since value's first instant, or with `end` (--until) the first instant after
    the period it names, so that --until includes all of it. See `period`."""
    if value is None:
        return None
    start, stop = period(value, tz=tz, today=today)
    return stop if end else start


def period(value: str, *, tz: tzinfo = UTC, today: date | None = None) -> tuple[datetime, datetime]:
    """The span [start, end) a --since/--until value names (see `_period`)."""
    try:
        return _period(value, tz=tz, today=today)
    except DateRangeError as exc:  # an option's value, not a question: no question usage line
        raise NewsbotError(str(exc)) from None


def _period(value: str, *, tz: tzinfo, today: date | None) -> tuple[datetime, datetime]:
    """The span [start, end) a --since/--until value names, days running midnight to
    midnight in the newsroom's time zone `tz`: a year (2024), a month (2024-03, March
    2024), a day (2024-03-14, March 14 2024), a moment (2024-03-14T10:00), or free text
    ("last week", "yesterday", "3 days ago") read against `today`."""
    from bot.dates import parse_date
    from bot.query import MONTHS, parse_query

    text = " ".join(value.split())
    today = today or datetime.now(tz).date()
    if m := _LEADING_YEAR.match(text):  # 2024, 2024-03, 2024-03-14T10:00: within range
        check_year(int(m.group(1)), repr(value))
    try:
        if m := _YEAR.fullmatch(text):
            year = int(m.group(1))
            return _midnight(date(year, 1, 1), tz), _midnight(date(year + 1, 1, 1), tz)
        if m := _MONTH.fullmatch(text):
            return _month(int(m.group(1)), int(m.group(2)), tz)
        if m := _DAY.fullmatch(text):
            return _whole_day(date(*map(int, m.groups())), tz)
    except ValueError:
        raise NewsbotError(f"{value!r} is not a real date") from None
    moment = _moment(text, tz)
    if moment is not None:
        return moment
    # Absolute free text with day, month and year; a time in it is the newsroom's.
    parsed = parse_date(text, getattr(tz, "key", None) or "UTC")
    if parsed is not None:
        check_day(parsed.date(), repr(value))
        if parsed.timetz().replace(tzinfo=None) == time.min:
            return _whole_day(parsed.date(), tz)
        return parsed, parsed + _TINY
    bare_month = text.lower().rstrip(".") in MONTHS
    for phrase in (text, f"in {text}") if bare_month else (text,):  # "March 2024", "last week"
        found = parse_query(phrase, as_of=today, tz=tz).period
        if found is not None and found.start is not None and found.end is not None:
            return found.start, found.end
    relative = _relative(text, today, tz)  # "3 days ago"
    if relative is not None:
        return _whole_day(check_day(relative, repr(value)), tz)
    raise NewsbotError(
        f"cannot read the date {value!r} (try 2024, 2024-03, March 2024, 2024-03-14 or 'last week')"
    )


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tz)


def _whole_day(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    return _midnight(day, tz), _midnight(day + timedelta(days=1), tz)


def _month(year: int, month: int, tz: tzinfo) -> tuple[datetime, datetime]:
    first = date(year, month, 1)
    after = date(year + month // 12, month % 12 + 1, 1)
    return _midnight(first, tz), _midnight(after, tz)


def _moment(text: str, tz: tzinfo) -> tuple[datetime, datetime] | None:
    """An ISO 8601 date and time: the period is that one instant."""
    if "T" not in text and ":" not in text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    return parsed, parsed + _TINY


def _relative(text: str, today: date, tz: tzinfo) -> date | None:
    import dateparser

    base = datetime.combine(today, time(12))
    try:
        parsed = dateparser.parse(
            text, settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past"}
        )
    except (OverflowError, ValueError):  # "99999999 days ago"
        raise DateRangeError(f"{text!r} is outside the dates newsbot handles ({RANGE})") from None
    return parsed.date() if parsed else None
