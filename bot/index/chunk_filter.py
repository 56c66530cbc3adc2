"""The SQL that picks the chunks an outlet and date filter allows, in the dialect of each
backend (placeholders, the date column, how credits are stored)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Dialect:
    mark: str  # the parameter placeholder
    published: str  # the article's publication column, comparable across time zones
    credits: str  # the credits list as text
    escape: str  # the LIKE clause's ESCAPE, where the backslash is not the default
    moment: Callable[[datetime], object]  # a datetime as the date column holds it


SQLITE = Dialect("?", "a.published_ts", "a.credits", r" ESCAPE '\'", lambda d: d.timestamp())
POSTGRES = Dialect("%s", "a.published_at", "a.credits::text", "", lambda d: d)


def like_literal(text: str) -> str:
    """`text` for a LIKE pattern escaped by a backslash: `%` and `_` mean themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def chunk_filter_sql(
    d: Dialect,
    outlets: Sequence[str],
    start: datetime | None,
    end: datetime | None,
    include_undated: bool,
) -> tuple[str, list[object]]:
    """The query of the ids of chunks whose article is from one of `outlets` (in its outlet
    or credits, literally, any case) and published in [start, end); undated articles pass
    the date window when `include_undated`. Returns (sql, params)."""
    where: list[str] = []
    params: list[object] = []
    if outlets:
        like = f"LIKE {d.mark}{d.escape}"
        one = f"(lower(a.outlet) {like} OR lower({d.credits}) {like})"
        where.append("(" + " OR ".join([one] * len(outlets)) + ")")
        for outlet in outlets:
            params += [f"%{like_literal(outlet.lower())}%"] * 2
    window: list[str] = []
    for bound, op in ((start, ">="), (end, "<")):
        if bound is not None:
            window.append(f"{d.published} {op} {d.mark}")
            params.append(d.moment(bound))
    if window:
        dated = " AND ".join(window)
        where.append(f"({d.published} IS NULL OR ({dated}))" if include_undated else dated)
    sql = "SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return sql + " ORDER BY c.id", params
