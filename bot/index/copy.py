"""`newsbot migrate --to postgresql://...`: copy an embedded index into PostgreSQL without
embedding anything again. Articles, sources, files, chunks with their stems and vectors,
sentences with theirs, and story groups are copied in one transaction; articles the
database already holds (same content) are skipped, so running it again copies nothing.
The counts are checked before the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.errors import NewsbotError
from bot.index import derived
from bot.index.postgres_schema import COMMIT_LOCK

if TYPE_CHECKING:
    from bot.index.embedded import EmbeddedIndex
    from bot.index.postgres import PostgresIndex

BATCH = 500  # articles per round trip
Progress = Callable[[int, int], None]  # (articles done, articles in all)


@dataclass
class CopyReport:
    articles: int = 0  # copied now
    skipped: int = 0  # already in the database
    chunks: int = 0
    sentences: int = 0
    sources: int = 0
    checked: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (source, db)


def copy_index(
    source: EmbeddedIndex, target: PostgresIndex, progress: Progress | None = None
) -> CopyReport:
    if source.dim != target.dim or source.fingerprint != target.fingerprint:
        raise NewsbotError(
            f"The database holds vectors of {target.fingerprint} ({target.dim} dimensions), "
            f"the index in {source.directory}/ of {source.fingerprint} ({source.dim}): they "
            "can't share one index. Use another database or NEWSBOT_DATABASE_SCHEMA."
        )
    report = CopyReport()
    src = source._conn
    ids = [r[0] for r in src.execute("SELECT id FROM articles ORDER BY id")]
    with target.write_connection() as conn:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", (target.lock_space("global"), COMMIT_LOCK)
            )
            mapping: dict[int, int] = {}
            for i in range(0, len(ids), BATCH):
                _copy_batch(src, cur, ids[i : i + BATCH], mapping, report)
                if progress:
                    progress(min(i + BATCH, len(ids)), len(ids))
            _copy_stories(src, cur, mapping)
            _copy_files(src, cur)
            report.checked = _check(src, cur)
            bad = {k: v for k, v in report.checked.items() if v[0] != v[1]}
            if bad:
                conn.rollback()
                raise NewsbotError(
                    "The copy doesn't match the index, so nothing was committed: "
                    + ", ".join(
                        f"{k} {a} in the index, {b} in the database" for k, (a, b) in bad.items()
                    )
                )
            cur.execute(
                "UPDATE meta SET value = CASE key WHEN 'generation' THEN (value::bigint + 1)::text "
                "WHEN 'chunks' THEN (SELECT count(*) FROM chunks)::text "
                "ELSE (SELECT coalesce(sum(n_terms), 0) FROM chunks)::text END "
                "WHERE key IN ('generation', 'chunks', 'terms')"
            )
        conn.commit()
    return report


def _copy_batch(
    src: Any, cur: Any, ids: Sequence[int], mapping: dict[int, int], report: CopyReport
) -> None:
    from bot.index.postgres import tsvector_literal

    marks = ",".join("?" * len(ids))
    rows = src.execute(
        "SELECT a.id, content_hash, headline, body, outlet, byline, url, published, updated, "
        "published_ts, credits, captions, m.extra FROM articles a "
        f"LEFT JOIN article_meta m ON m.article_id = a.id WHERE a.id IN ({marks}) ORDER BY a.id",
        list(ids),
    ).fetchall()
    cur.execute(
        "SELECT content_hash, min(id) FROM articles WHERE content_hash = ANY(%s) "
        "GROUP BY content_hash",
        ([r[1] for r in rows],),
    )
    present = dict(cur.fetchall())
    fresh = []
    for r in rows:
        if r[1] in present:
            mapping[r[0]] = present[r[1]]
            report.skipped += 1
            continue
        cur.execute(
            "INSERT INTO articles (content_hash, headline, body, outlet, byline, url, published, "
            "updated, published_at, credits, captions, extra) VALUES (%s, %s, %s, %s, %s, %s, "
            "%s, %s, to_timestamp(%s), %s::jsonb, %s::jsonb, %s::jsonb) RETURNING id",
            (*r[1:10], r[10], r[11], r[12] or "{}"),
        )
        mapping[r[0]] = cur.fetchone()[0]
        fresh.append(r[0])
        report.articles += 1
    if not fresh:
        return
    marks = ",".join("?" * len(fresh))
    for path, item, article_id in src.execute(
        f"SELECT path, item, article_id FROM sources WHERE article_id IN ({marks}) ORDER BY rowid",
        fresh,
    ):
        cur.execute(
            "INSERT INTO sources (path, item, article_id) VALUES (%s, %s, %s) "
            "ON CONFLICT (path, item) DO NOTHING",
            (path, item, mapping[article_id]),
        )
        report.sources += cur.rowcount
    chunks = src.execute(
        "SELECT id, article_id, ord, start_char, end_char, embed_hash, terms, vector FROM chunks "
        f"WHERE article_id IN ({marks}) ORDER BY id",
        fresh,
    ).fetchall()
    if not chunks:
        return
    cur.execute(
        "SELECT nextval(pg_get_serial_sequence('chunks', 'id')) FROM generate_series(1, %s)",
        (len(chunks),),
    )
    chunk_map = {c[0]: new for c, (new,) in zip(chunks, cur.fetchall(), strict=True)}
    with cur.copy(
        "COPY chunks (id, article_id, ord, start_char, end_char, embed_hash, terms, n_terms, "
        "lexemes, embedding) FROM STDIN"
    ) as copy:
        for cid, aid, ord_, start, end, embed_hash, terms, vector in chunks:
            stems = terms.split()
            copy.write_row((
                chunk_map[cid], mapping[aid], ord_, start, end, embed_hash, terms,
                max(1, len(stems)), tsvector_literal(stems), derived.from_blob(vector),
            ))  # fmt: skip
    report.chunks += len(chunks)
    cmarks = ",".join("?" * len(chunk_map))
    with cur.copy(
        "COPY sentences (chunk_id, article_id, start_char, end_char, embedding) "
        "FROM STDIN WITH (FORMAT BINARY)"
    ) as copy:
        copy.set_types(["bigint", "bigint", "integer", "integer", "vector"])
        for cid, aid, start, end, vector in src.execute(
            "SELECT chunk_id, article_id, start_char, end_char, vector FROM sentences "
            f"WHERE chunk_id IN ({cmarks}) ORDER BY id",
            list(chunk_map),
        ):
            copy.write_row((chunk_map[cid], mapping[aid], start, end, derived.from_blob(vector)))
            report.sentences += 1


def _copy_stories(src: Any, cur: Any, mapping: dict[int, int]) -> None:
    """Story ids and band keys of the copied articles (ids as the database gave them)."""
    stories = [
        (mapping.get(story, mapping[aid]), mapping[aid])
        for aid, story in src.execute("SELECT article_id, story_id FROM article_meta")
        if aid in mapping
    ]
    cur.executemany("UPDATE articles SET story_id = %s WHERE id = %s AND story_id IS NULL", stories)
    bands = [
        (key, mapping[aid])
        for key, aid in src.execute("SELECT band_key, article_id FROM story_bands")
        if aid in mapping
    ]
    cur.execute("SELECT DISTINCT article_id FROM story_bands WHERE article_id = ANY(%s)",
                (sorted({a for _, a in bands}),))  # fmt: skip
    done = {r[0] for r in cur.fetchall()}
    with cur.copy("COPY story_bands (band_key, article_id) FROM STDIN") as copy:
        for key, aid in bands:
            if aid not in done:
                copy.write_row((key, aid))


def _copy_files(src: Any, cur: Any) -> None:
    cur.executemany(
        "INSERT INTO files (path, file_hash, size) VALUES (%s, %s, %s) "
        "ON CONFLICT (path) DO NOTHING",
        src.execute("SELECT path, file_hash, size FROM files").fetchall(),
    )


def _check(src: Any, cur: Any) -> dict[str, tuple[int, int]]:
    """(in the index, in the database) for everything of the index's articles."""
    hashes = [r[0] for r in src.execute("SELECT content_hash FROM articles")]
    cur.execute(
        "WITH a AS (SELECT id FROM articles WHERE content_hash = ANY(%s)) "
        "SELECT (SELECT count(*) FROM a), "
        "(SELECT count(*) FROM chunks WHERE article_id IN (SELECT id FROM a)), "
        "(SELECT count(*) FROM sentences WHERE article_id IN (SELECT id FROM a))",
        (hashes,),
    )
    articles, chunks, sentences = cur.fetchone()
    pairs = src.execute("SELECT path, item FROM sources").fetchall()
    cur.execute(
        "SELECT count(*) FROM sources s JOIN unnest(%s::text[], %s::text[]) AS p(path, item) "
        "ON s.path = p.path AND s.item = p.item",
        ([p for p, _ in pairs], [i for _, i in pairs]),
    )
    sources = cur.fetchone()[0]
    count = lambda table: src.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: E731
    return {
        "articles": (count("articles"), int(articles)),
        "chunks": (count("chunks"), int(chunks or 0)),
        "sentences": (count("sentences"), int(sentences or 0)),
        "sources": (count("sources"), int(sources)),
    }
