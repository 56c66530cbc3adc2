"""The embedded index: one directory on one disk, the default. SQLite holds articles,
sources, chunks and their vectors (the source of truth); a FAISS file and a BM25 folder
per generation are the search structures derived from it (bot/index/derived.py).

Atomicity: an ingest writes `vectors.<gen+1>.faiss` and `lexical.<gen+1>/` first, then
commits one SQLite transaction that also bumps `generation`. A crash before the commit
leaves the old generation (files and rows) in place; after it, the new one. Readers check
the generation before each search and reload when it moved, so they pick up new articles
without a restart. Nothing here is pickled.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot import index_health, vectors
from bot.dates import from_iso
from bot.errors import IndexBusyError, IndexFormatError
from bot.index import derived
from bot.index.base import COUNTED, Hits, IndexInfo, TermStats, chunked
from bot.index.chunk_filter import SQLITE, chunk_filter_sql
from bot.index.embedded_schema import DB_NAME, LOCK_NAME, open_database
from bot.index.rows import ArticleRow, ChunkRow, ListedArticle, SentenceRow, attribution
from bot.lexical import LexicalIndex

if TYPE_CHECKING:
    from bot.feedback import FeedbackStore
    from bot.index.embedded_writer import EmbeddedWriter

log = logging.getLogger(__name__)

_EPOCH = datetime(1, 1, 2, tzinfo=UTC)
# Two scalar subqueries: SQLite answers a lone min() or max() from the index, but scans the
# whole index for min() and max() in one SELECT, and this runs for most questions.
PUBLISHED_RANGE_SQL = (
    "SELECT (SELECT min(published_ts) FROM articles), (SELECT max(published_ts) FROM articles)"
)


class EmbeddedIndex:
    """An open index directory. Safe to share between threads."""

    backend = "embedded"

    def __init__(
        self,
        directory: Path,
        conn: sqlite3.Connection,
        index_type: str = "auto",
        feedback_path: Path | None = None,
    ) -> None:
        self.directory = directory
        self.index_type = index_type  # NEWSBOT_INDEX_TYPE: the FAISS index kind commits keep
        self.feedback_path = feedback_path or directory.parent / "feedback.sqlite"
        self._conn = conn
        self._lock = threading.RLock()
        self._index: vectors.Index | None = None
        self._index_generation = -1
        self._lexical: LexicalIndex | None = None
        self._lexical_generation = -1
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        self.fingerprint = meta["encoder"]
        self.dim = int(meta["dim"])

    @classmethod
    def open(
        cls,
        directory: Path,
        *,
        fingerprint: str | None = None,
        dim: int | None = None,
        create: bool = False,
        index_type: str = "auto",
        feedback_path: Path | None = None,
    ) -> EmbeddedIndex:
        """Open (or with `create`, make) the index in `directory`."""
        conn, _ = open_database(directory, fingerprint=fingerprint, dim=dim, create_missing=create)
        return cls(directory, conn, index_type, feedback_path)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def info(self) -> IndexInfo:
        return IndexInfo("embedded", f"{self.directory}/", self.generation())

    def warm_up(self) -> None:
        self.search_index()
        self.lexical()

    # -- search structures -----------------------------------------------------------
    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        with self._lock, index_health.database_errors(self.directory / DB_NAME):
            return self._conn.execute(sql, params).fetchall()

    def generation(self) -> int:
        return int(self._rows("SELECT value FROM meta WHERE key='generation'")[0][0])

    def vector_path(self, generation: int) -> Path:
        return derived.vector_path(self.directory, generation)

    def lexical_path(self, generation: int) -> Path:
        return derived.lexical_path(self.directory, generation)

    def search_index(self) -> vectors.Index:
        """The FAISS index of the committed generation, reloaded when an ingest moved it."""
        with self._lock:
            generation = self.generation()
            if generation != self._index_generation:
                self._index = self.load_vectors(generation)
                self._index_generation = generation
            return self._index

    def lexical(self) -> LexicalIndex:
        """The BM25 index of the committed generation, reloaded when an ingest moved it."""
        with self._lock:
            generation = self.generation()
            if generation != self._lexical_generation:
                # Checked against what the commit recorded; rebuilt when missing or damaged.
                self._lexical = index_health.load_lexical(
                    self.lexical_path(generation), generation, self._rows, self.build_lexical
                )
                self._lexical_generation = generation
            assert self._lexical is not None
            return self._lexical

    def load_vectors(self, generation: int) -> vectors.Index:
        for _ in range(3):
            try:  # checked against what the commit recorded; rebuilt when damaged
                return index_health.load_vectors(
                    self.vector_path(generation),
                    generation,
                    self.dim,
                    self._rows,
                    self.build_vectors,
                )[0]
            except FileNotFoundError:
                newer = self.generation()
                if newer == generation:
                    break
                generation = newer  # an ingest committed meanwhile; take its file
        if generation == 0:
            return vectors.new_index(self.dim)
        log.warning("%s is missing; rebuilding it from the database", self.vector_path(generation))
        return self.build_vectors()

    def build_lexical(self) -> LexicalIndex:
        """A fresh BM25 index from the terms stored in SQLite."""
        return derived.build_lexical(self._conn, self._lock)

    def build_vectors(self, kind: str | None = None) -> vectors.Index:
        """A fresh FAISS index from the vectors stored in SQLite (no re-embedding), of the
        kind the index type setting chooses for its size unless `kind` is given."""
        return derived.build_vectors(self._conn, self.dim, self.index_type, kind, self._lock)

    def dense_search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> Hits:
        return vectors.search(self.search_index(), vector, k, allowed)

    def lexical_search(
        self, terms: Sequence[str], k: int, allowed: np.ndarray | None = None
    ) -> Hits:
        return self.lexical().search(terms, k, allowed)

    def term_stats(self, terms: Iterable[str]) -> TermStats:
        lexical = self.lexical()
        return TermStats(lexical.n, {t: lexical.df[t] for t in set(terms) if t in lexical.df})

    def vector_count(self) -> int:
        return vectors.live_count(self.search_index())

    # -- rows --------------------------------------------------------------------------
    def count(self, table: str) -> int:
        assert table in COUNTED
        return int(self._rows(f"SELECT count(*) FROM {table}")[0][0])

    def chunks(self, ids: Iterable[int]) -> dict[int, ChunkRow]:
        out: dict[int, ChunkRow] = {}
        for part in chunked(list(ids)):
            marks = ",".join("?" * len(part))
            for r in self._rows(
                "SELECT id, article_id, ord, start_char, end_char FROM chunks "
                f"WHERE id IN ({marks})",
                part,
            ):
                out[r[0]] = ChunkRow(*r)
        return out

    def sentences(self, chunk_ids: Iterable[int]) -> list[SentenceRow]:
        out: list[SentenceRow] = []
        for part in chunked(list(chunk_ids)):
            marks = ",".join("?" * len(part))
            rows = self._rows(
                "SELECT id, chunk_id, article_id, start_char, end_char, vector FROM sentences "
                f"WHERE chunk_id IN ({marks})",
                part,
            )
            out += [
                SentenceRow(r[0], r[1], r[2], r[3], r[4], derived.from_blob(r[5])) for r in rows
            ]
        return sorted(out, key=lambda s: s.id)

    def articles(self, ids: Iterable[int]) -> dict[int, ArticleRow]:
        out: dict[int, ArticleRow] = {}
        for part in chunked(list(ids)):
            out.update(self._articles(part))
        return out

    def _articles(self, ids: Sequence[int]) -> dict[int, ArticleRow]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._rows(
            "SELECT id, headline, body, outlet, byline, published, updated, url, credits, "
            "captions, m.story_id, m.extra FROM articles "
            f"LEFT JOIN article_meta m ON m.article_id = id WHERE id IN ({marks})",
            ids,
        )
        sources: dict[int, list[str]] = {}
        for article_id, path in self._rows(
            f"SELECT article_id, path FROM sources WHERE article_id IN ({marks}) ORDER BY rowid",
            ids,
        ):
            sources.setdefault(article_id, []).append(path)
        return {
            r[0]: ArticleRow(
                id=r[0],
                headline=r[1],
                body=r[2],
                outlet=r[3],
                byline=r[4],
                published=from_iso(r[5]),
                updated=from_iso(r[6]),
                url=r[7],
                credits=tuple(json.loads(r[8])),
                captions=tuple(json.loads(r[9])),
                sources=tuple(sources.get(r[0], ())),
                story_id=r[10],
                extra=json.loads(r[11]) if r[11] else {},
            )
            for r in rows
        }

    def chunk_published(self, chunk_ids: Iterable[int]) -> dict[int, datetime | None]:
        out: dict[int, datetime | None] = {}
        for part in chunked(list(chunk_ids)):
            marks = ",".join("?" * len(part))
            for chunk_id, published in self._rows(
                "SELECT c.id, a.published FROM chunks c JOIN articles a ON a.id = c.article_id "
                f"WHERE c.id IN ({marks})",
                part,
            ):
                out[chunk_id] = from_iso(published)
        return out

    def chunk_ids_matching(
        self,
        outlets: Sequence[str] = (),
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        include_undated: bool = False,
    ) -> np.ndarray:
        sql, params = chunk_filter_sql(SQLITE, outlets, start, end, include_undated)
        return np.asarray([r[0] for r in self._rows(sql, params)], np.int64)

    def published_range(self) -> tuple[datetime | None, datetime | None]:
        first, last = self._rows(PUBLISHED_RANGE_SQL)[0]
        return tuple(  # type: ignore[return-value]
            datetime.fromtimestamp(ts, UTC) if ts is not None else None for ts in (first, last)
        )

    def article_ids(self) -> list[int]:
        return [r[0] for r in self._rows("SELECT id FROM articles ORDER BY id")]

    def chunk_ids_of(self, article_ids: Iterable[int]) -> list[int]:
        found: list[int] = []
        for part in chunked(list(article_ids)):
            marks = ",".join("?" * len(part))
            found += [
                r[0]
                for r in self._rows(f"SELECT id FROM chunks WHERE article_id IN ({marks})", part)
            ]
        return found

    def article_sources(self, article_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
        out: dict[int, list[tuple[str, str]]] = {}
        for part in chunked(list(article_ids)):
            marks = ",".join("?" * len(part))
            for article_id, path, item in self._rows(
                f"SELECT article_id, path, item FROM sources WHERE article_id IN ({marks}) "
                "ORDER BY rowid",
                part,
            ):
                out.setdefault(article_id, []).append((path, item))
        return out

    def source_key(self, path: str, item: str) -> int | None:
        rows = self._rows("SELECT article_id FROM sources WHERE path=? AND item=?", (path, item))
        return rows[0][0] if rows else None

    # -- stories, listing, stats (newsbot list / stats / rm) --------------------------
    def also_ran_in(self, article_id: int) -> tuple[str, ...]:
        rows = self._rows(
            "SELECT a.id, a.outlet, a.credits FROM article_meta m "
            "JOIN article_meta o ON o.story_id = m.story_id AND o.article_id != m.article_id "
            "JOIN articles a ON a.id = o.article_id WHERE m.article_id = ? "
            "ORDER BY a.published IS NULL, a.published, a.id",
            (article_id,),
        )
        own = self._rows("SELECT outlet, credits FROM articles WHERE id=?", (article_id,))
        mine = attribution(*own[0]) if own else None
        names: dict[str, None] = {}
        for other_id, outlet, credits in rows:
            name = attribution(outlet, credits) or self._first_source_name(other_id)
            if name and name != mine:
                names.setdefault(name)
        return tuple(names)

    def story_articles(self, article_id: int) -> list[int]:
        rows = self._rows(
            "SELECT o.article_id FROM article_meta m JOIN article_meta o "
            "ON o.story_id = m.story_id AND o.article_id != m.article_id "
            "JOIN articles a ON a.id = o.article_id WHERE m.article_id = ? "
            "ORDER BY a.published_ts IS NULL, a.published_ts, a.id",
            (article_id,),
        )
        return [r[0] for r in rows]

    def _first_source_name(self, article_id: int) -> str | None:
        rows = self._rows(
            "SELECT path FROM sources WHERE article_id=? ORDER BY rowid LIMIT 1", (article_id,)
        )
        return Path(rows[0][0]).name if rows else None

    def listing(self) -> list[ListedArticle]:
        rows = self._rows(
            "SELECT a.id, a.headline, a.outlet, a.credits, a.byline, a.published, a.url, "
            "m.story_id, (SELECT count(*) FROM chunks c WHERE c.article_id = a.id), "
            "(SELECT path FROM sources s WHERE s.article_id = a.id ORDER BY rowid LIMIT 1), "
            "(SELECT count(*) FROM sources s WHERE s.article_id = a.id) "
            "FROM articles a LEFT JOIN article_meta m ON m.article_id = a.id"
        )
        listed = [
            ListedArticle(
                id=r[0], headline=r[1], outlet=r[2], credits=tuple(json.loads(r[3])),
                byline=r[4], published=from_iso(r[5]), url=r[6],
                story_id=r[7] if r[7] is not None else r[0], chunks=r[8],
                source_path=r[9] or "", sources=r[10],
            )
            for r in rows
        ]  # fmt: skip
        return sort_listing(listed)

    def disk_bytes(self) -> int:
        """Size of every file in the index directory: database, journal, vector files and
        the BM25 folders (lexical.*) with what is inside them."""
        total = 0
        for root, _, names in os.walk(self.directory):
            for name in names:
                # An ingest may delete an old generation's files while we count.
                with contextlib.suppress(FileNotFoundError):
                    total += os.stat(os.path.join(root, name)).st_size
        return total

    # -- writing and feedback ----------------------------------------------------------
    @contextmanager
    def writer(self, lock_timeout: float = 0.0) -> Iterator[EmbeddedWriter]:
        """Exclusive write access for one ingest; commits on `commit()` only."""
        from filelock import FileLock, Timeout

        from bot.index.embedded_writer import EmbeddedWriter

        lock = FileLock(str(self.directory / LOCK_NAME))
        try:
            lock.acquire(timeout=lock_timeout)
        except Timeout:
            raise IndexBusyError(
                f"Another ingest is writing to {self.directory}/ right now. "
                "Wait for it to finish, or pass --wait SECONDS to queue behind it."
            ) from None
        except OSError as exc:  # a read-only directory or volume: answering still works
            raise IndexFormatError(
                f"cannot write to {self.directory}/ ({exc.strerror or exc}); ingest and rm "
                "need write access to the index directory"
            ) from None
        writer = EmbeddedWriter(self)
        try:
            with index_health.database_errors(self.directory / DB_NAME):
                yield writer
        finally:
            writer.rollback()
            lock.release()

    def feedback(self) -> FeedbackStore:
        from bot.feedback import FeedbackStore

        return FeedbackStore(self.feedback_path)


def sort_listing(listed: list[ListedArticle]) -> list[ListedArticle]:
    """Newest first, undated last, ties by id (newest id first)."""
    return sorted(listed, key=lambda a: (a.published or _EPOCH, a.id), reverse=True)
