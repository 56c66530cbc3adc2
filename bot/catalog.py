"""What is in the index, for `newsbot list`, `newsbot stats` and `newsbot rm`.

Filtering and counting are pure functions over `ListedArticle`s, so they are tested
without an index; `remove` is the one writer here (under the ingest lock).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bot.errors import NewsbotError
from bot.store import ListedArticle, Store

UNDATED = "undated"
UNKNOWN_OUTLET = "(unknown outlet)"
_TINY = timedelta(microseconds=1)


def filter_articles(
    articles: Iterable[ListedArticle],
    *,
    outlet: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[ListedArticle]:
    """Articles of an outlet (case-insensitive; credits count too) published in a period.
    An undated article matches no period: its date is unknown, not "any"."""
    wanted = outlet.casefold().strip() if outlet else None
    out = []
    for a in articles:
        if wanted is not None and wanted not in _names(a):
            continue
        if (since or until) and a.published is None:
            continue
        if since and a.published and a.published < since:
            continue
        if until and a.published and a.published > until:
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


def compute_stats(articles: Sequence[ListedArticle]) -> Stats:
    stories = Counter(a.story_id for a in articles)
    outlets = Counter(a.attribution or UNKNOWN_OUTLET for a in articles)
    months = Counter(a.published.strftime("%Y-%m") if a.published else UNDATED for a in articles)
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


def index_stats(store: Store) -> Stats:
    stats = compute_stats(store.listing())
    stats.disk_bytes = store.disk_bytes()
    stats.files = store.count("files")
    stats.generation = store.generation()
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


def remove(store: Store, targets: Sequence[str], *, lock_timeout: float = 0.0) -> Removal:
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


def parse_period(value: str | None, *, end: bool = False) -> datetime | None:
    """A --since/--until value: a date, a month (2018-02), or free text ("last week")."""
    if value is None:
        return None
    from bot.dates import parse_date

    text = value.strip()
    if len(text) == 7 and text[4] == "-" and text.replace("-", "").isdigit():  # 2018-02
        start = parse_date(f"{text}-01")
        if start is not None and end:
            month = start.month % 12 + 1
            year = start.year + (start.month == 12)
            return start.replace(year=year, month=month) - _TINY
        return start
    parsed = parse_date(text)
    if parsed is None:
        raise NewsbotError(f"cannot read the date {value!r} (try 2018-02-08 or 2018-02)")
    if end and len(text) == 10 and text[4] == "-":  # a whole day: include all of it
        return parsed.replace(hour=23, minute=59, second=59, microsecond=999999)
    return parsed
