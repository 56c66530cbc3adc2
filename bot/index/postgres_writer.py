"""One ingest into the PostgreSQL index, in one transaction on one connection.

Several ingests may run at once, from several machines:

* Each source (file, feed URL) is locked for the whole ingest when first touched, with a
  transaction-level advisory lock: two ingests of the same file take turns (the second
  waits `--wait` seconds, then stops with a clear message); ingests of different files,
  such as the shards of `newsbot ingest --shard K/N`, never wait for each other.
* Parsing, embedding and inserting rows run in parallel. What must see every other
  ingest's articles happens at `commit`, under one advisory lock held only for that
  short step: a new article whose text another ingest committed meanwhile joins that
  one (articles stay unique by content), new articles join their near-duplicate
  stories, and the generation and the BM25 statistics move on.
* An article is removed only when no source links it and no other open transaction is
  linking it right now (FOR UPDATE SKIP LOCKED against the foreign key's lock).

A crash, a SIGKILL or a lost connection before the commit leaves the database as it was.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.articles import Article
from bot.chunking import Chunk
from bot.dates import to_iso
from bot.errors import IndexBusyError
from bot.index.postgres_schema import COMMIT_LOCK
from bot.index.story_groups import assign_story
from bot.terms import content_terms

if TYPE_CHECKING:
    from bot.index.postgres import PostgresIndex

log = logging.getLogger(__name__)


class PostgresWriter:
    def __init__(self, index: PostgresIndex, conn: Any, lock_timeout: float) -> None:
        self.store = index
        self.conn = conn
        self.lock_timeout = lock_timeout
        self.changed = False
        self._done = False
        self._locked: set[str] = set()
        self._new: dict[int, str] = {}  # articles added by this ingest -> their text hash
        self.base_generation = int(self._one("SELECT value FROM meta WHERE key='generation'"))

    # -- SQL helpers -------------------------------------------------------------------
    def _q(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple]:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def _x(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return int(cur.rowcount)

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self._q(sql, params)
        return rows[0][0] if rows else None

    def _lock_source(self, path: str) -> None:
        """Hold `path` for this ingest: another ingest of it waits or stops."""
        if path in self._locked:
            return
        from bot.index.postgres import source_lock_key

        space, key = self.store.lock_space("source"), source_lock_key(path)
        busy = IndexBusyError(
            f"Another ingest is writing {path} to {self.store.url.safe} right now. Wait for "
            "it to finish, or pass --wait SECONDS to queue behind it."
        )
        if self.lock_timeout <= 0:
            if not self._one("SELECT pg_try_advisory_xact_lock(%s, %s)", (space, key)):
                raise busy
        else:
            import psycopg

            self._x(f"SET LOCAL lock_timeout = {int(self.lock_timeout * 1000)}")
            try:
                self._x("SELECT pg_advisory_xact_lock(%s, %s)", (space, key))
            except psycopg.errors.LockNotAvailable:
                raise busy from None
            self._x("SET LOCAL lock_timeout = 0")
        self._locked.add(path)

    # -- files ---------------------------------------------------------------------------
    def file_hash(self, path: str) -> str | None:
        self._lock_source(path)
        return self._one("SELECT file_hash FROM files WHERE path = %s", (path,))

    def set_file(self, path: str, file_hash: str, size: int) -> None:
        self._lock_source(path)
        self._x(
            "INSERT INTO files(path, file_hash, size) VALUES (%s, %s, %s) ON CONFLICT (path) "
            "DO UPDATE SET file_hash = excluded.file_hash, size = excluded.size, "
            "ingested_at = now()",
            (path, file_hash, size),
        )

    def forget_hashes(self, paths: Iterable[str]) -> None:
        self._x("UPDATE files SET file_hash = '' WHERE path = ANY(%s)", (list(paths),))

    def known_files(self) -> list[str]:
        return [r[0] for r in self._q("SELECT path FROM files ORDER BY path")]

    # -- articles and sources ------------------------------------------------------------
    def article_count(self) -> int:
        self._collect_orphans()
        return int(self._one("SELECT count(*) FROM articles"))

    def article_id(self, content_hash: str) -> int | None:
        return self._one(
            "SELECT id FROM articles WHERE content_hash = %s ORDER BY id LIMIT 1", (content_hash,)
        )

    def source_articles(self, path: str) -> dict[str, int]:
        self._lock_source(path)
        return dict(self._q("SELECT item, article_id FROM sources WHERE path = %s", (path,)))

    def link_source(self, path: str, item: str, article_id: int) -> None:
        self._lock_source(path)
        self._x(
            "INSERT INTO sources(path, item, article_id) VALUES (%s, %s, %s) "
            "ON CONFLICT (path, item) DO UPDATE SET article_id = excluded.article_id",
            (path, item, article_id),
        )
        self.changed = True

    def unlink_sources(self, path: str, keep_items: Iterable[str] = ()) -> None:
        self._lock_source(path)
        if self._x(
            "DELETE FROM sources WHERE path = %s AND NOT (item = ANY(%s))", (path, list(keep_items))
        ):
            self.changed = True

    def add_article(
        self,
        article: Article,
        chunks: Sequence[Chunk],
        embed_hashes: Sequence[str],
        chunk_vectors: np.ndarray,
        sentence_vectors: Sequence[np.ndarray],
        *,
        content_hash: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> int:
        a = article
        article_id = int(
            self._one(
                "INSERT INTO articles (content_hash, headline, body, outlet, byline, url, "
                "published, updated, published_at, credits, captions, extra) VALUES (%s, %s, "
                "%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s::jsonb) RETURNING id",
                (
                    content_hash or a.content_hash, a.headline, a.body, a.outlet, a.byline, a.url,
                    to_iso(a.published), to_iso(a.updated), a.published,
                    json.dumps(list(a.credits)), json.dumps(list(a.captions)),
                    json.dumps(extra or {}, ensure_ascii=False, sort_keys=True),
                ),
            )
        )  # fmt: skip
        self._new[article_id] = a.text_hash
        self.changed = True
        if not chunks:
            return article_id
        from bot.index.postgres import tsvector_literal

        ids = [r[0] for r in self._q(
            "SELECT nextval(pg_get_serial_sequence('chunks', 'id')) "
            "FROM generate_series(1, %s)", (len(chunks),),
        )]  # fmt: skip
        with self.conn.cursor() as cur:
            with cur.copy(
                "COPY chunks (id, article_id, ord, start_char, end_char, embed_hash, terms, "
                "n_terms, lexemes, embedding) FROM STDIN"
            ) as copy:
                for chunk_id, chunk, embed_hash, vec in zip(
                    ids, chunks, embed_hashes, chunk_vectors, strict=True
                ):
                    terms = content_terms(f"{a.headline}\n{a.body[chunk.start : chunk.end]}")
                    copy.write_row((
                        chunk_id, article_id, chunk.ord, chunk.start, chunk.end, embed_hash,
                        " ".join(terms), max(1, len(terms)), tsvector_literal(terms),
                        np.asarray(vec, np.float32),
                    ))  # fmt: skip
            with cur.copy(
                "COPY sentences (chunk_id, article_id, start_char, end_char, embedding) "
                "FROM STDIN WITH (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["bigint", "bigint", "integer", "integer", "vector"])
                for chunk_id, chunk, sent_vecs in zip(ids, chunks, sentence_vectors, strict=True):
                    for (s, e), sv in zip(chunk.sentences, sent_vecs, strict=True):
                        copy.write_row((chunk_id, article_id, s, e, np.asarray(sv, np.float32)))
        return article_id

    def cached_vectors(
        self, embed_hashes: Iterable[str]
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        rows = self._q(
            "SELECT DISTINCT ON (embed_hash) id, embed_hash, embedding FROM chunks "
            "WHERE embed_hash = ANY(%s) ORDER BY embed_hash, id",
            (list(set(embed_hashes)),),
        )
        if not rows:
            return {}
        from bot.index.postgres import as_array

        sentences: dict[int, list[np.ndarray]] = {}
        for chunk_id, vec in self._q(
            "SELECT chunk_id, embedding FROM sentences WHERE chunk_id = ANY(%s) ORDER BY id",
            ([r[0] for r in rows],),
        ):
            sentences.setdefault(chunk_id, []).append(as_array(vec))
        return {
            embed_hash: (
                as_array(vec),
                np.stack(sentences[chunk_id]) if chunk_id in sentences else np.zeros((0, 0)),
            )
            for chunk_id, embed_hash, vec in rows
        }

    def forget_source(self, path: str, item: str | None = None) -> int:
        self._lock_source(path)
        before = self.article_count()
        if item is None:
            self._x("DELETE FROM files WHERE path = %s", (path,))
            self._x("DELETE FROM sources WHERE path = %s", (path,))
        else:
            self._x("DELETE FROM sources WHERE path = %s AND item = %s", (path, item))
        self.changed = True
        return before - self.article_count()

    def remove_article(self, article_id: int) -> None:
        self._x("DELETE FROM sources WHERE article_id = %s", (article_id,))
        self._collect_orphans()

    def _collect_orphans(self) -> None:
        """Delete articles no source links, unless another ingest is linking one right now
        (its uncommitted link holds a key-share lock on the article: SKIP LOCKED)."""
        gone = self._q(
            "DELETE FROM articles WHERE id IN (SELECT a.id FROM articles a WHERE NOT EXISTS "
            "(SELECT 1 FROM sources s WHERE s.article_id = a.id) FOR UPDATE SKIP LOCKED) "
            "RETURNING id"
        )
        for (article_id,) in gone:
            self._new.pop(article_id, None)
        if gone:
            self.changed = True

    # -- story grouping reads (bot/index/story_groups.py) ----------------------------------
    def story_with_band(self, key: int) -> int | None:
        return self._one(
            "SELECT a.story_id FROM story_bands b JOIN articles a ON a.id = b.article_id "
            "WHERE b.band_key = %s AND a.story_id IS NOT NULL LIMIT 1",
            (key,),
        )

    def candidates(self, keys: list[int], limit: int) -> list[tuple[int, str]]:
        return [
            (r[0], r[1])
            for r in self._q(
                "SELECT a.id, a.body FROM articles a WHERE a.id IN (SELECT article_id FROM "
                "story_bands WHERE band_key = ANY(%s) GROUP BY article_id "
                "ORDER BY count(*) DESC, article_id LIMIT %s)",
                (keys, limit),
            )
        ]

    def story_of(self, article_id: int) -> int:
        story = self._one("SELECT story_id FROM articles WHERE id = %s", (article_id,))
        return int(story if story is not None else article_id)

    # -- commit --------------------------------------------------------------------------
    def commit(self) -> int:
        self._collect_orphans()
        if not self.changed:
            self.rollback()
            return self.base_generation
        # From here on every other ingest's committed articles are visible and stay put.
        self._x(
            "SELECT pg_advisory_xact_lock(%s, %s)", (self.store.lock_space("global"), COMMIT_LOCK)
        )
        self._join_committed_twins()
        self._group_stories()
        generation = int(self._one("SELECT value FROM meta WHERE key = 'generation'")) + 1
        self._x(
            "UPDATE meta SET value = CASE key WHEN 'generation' THEN %s::text "
            "WHEN 'chunks' THEN (SELECT count(*) FROM chunks)::text "
            "ELSE (SELECT coalesce(sum(n_terms), 0) FROM chunks)::text END "
            "WHERE key IN ('generation', 'chunks', 'terms')",
            (generation,),
        )
        self.conn.commit()  # the moment the new articles exist for every reader
        self._done = True
        return generation

    def _join_committed_twins(self) -> None:
        """A new article whose very text another ingest committed first becomes that one."""
        if not self._new:
            return
        for new_id, old_id in self._q(
            "SELECT n.id, min(o.id) FROM articles n JOIN articles o ON o.content_hash = "
            "n.content_hash AND o.id <> n.id AND NOT (o.id = ANY(%(new)s)) "
            "WHERE n.id = ANY(%(new)s) GROUP BY n.id",
            {"new": list(self._new)},
        ):
            self._x("UPDATE sources SET article_id = %s WHERE article_id = %s", (old_id, new_id))
            self._x("DELETE FROM articles WHERE id = %s", (new_id,))
            self._new.pop(new_id)

    def _group_stories(self) -> None:
        new = sorted(self._new)
        for i in range(0, len(new), 200):
            part = new[i : i + 200]
            bodies = dict(self._q("SELECT id, body FROM articles WHERE id = ANY(%s)", (part,)))
            for article_id in part:
                story_id, keys = assign_story(
                    article_id, bodies[article_id], self._new[article_id], self
                )
                with self.conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO story_bands VALUES (%s, %s)", [(k, article_id) for k in keys]
                    )
                self._x("UPDATE articles SET story_id = %s WHERE id = %s", (story_id, article_id))

    def rollback(self) -> None:
        if self._done:
            return
        self._done = True
        try:
            self.conn.rollback()
        except Exception as exc:  # the connection is gone: nothing was committed anyway
            log.debug("rollback on a lost connection: %s", exc)
