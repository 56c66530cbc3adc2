"""The PostgreSQL index: articles, sources, chunks, sentences and their vectors (pgvector),
full text (a tsvector of the stored stems, GIN-indexed), stories and feedback in one
database that several machines share. For newsrooms that outgrow one disk: several Slack
replicas answer from it, several ingest workers fill it (docs/scaling-out.md).

Searches run in SQL: dense by cosine distance (exact below EXACT_MAX chunks, HNSW above),
lexical as BM25 with the embedded index's formula (so both backends rank alike), filters
on outlet and dates as WHERE clauses. Connections are pooled (psycopg_pool); a read that
loses its connection is retried, then reported without the URL's password.

psycopg is imported lazily: `newsbot --help` and the embedded index never load it.
"""

from __future__ import annotations

import logging
import math
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from bot.dates import from_iso
from bot.errors import IndexBusyError
from bot.index.base import COUNTED, Hits, IndexInfo, TermStats
from bot.index.chunk_filter import POSTGRES, chunk_filter_sql
from bot.index.embedded import sort_listing
from bot.index.postgres_schema import Identity, migrate
from bot.index.rows import ArticleRow, ChunkRow, ListedArticle, SentenceRow, attribution
from bot.index.urls import DatabaseUrl

if TYPE_CHECKING:
    from bot.index.pg_feedback import PostgresFeedback
    from bot.index.postgres_writer import PostgresWriter

log = logging.getLogger(__name__)
T = TypeVar("T")

# Up to this many chunks every dense search is exact (a scan of all vectors): it costs a
# few milliseconds at this size and gives exactly the embedded index's neighbours; above
# it the HNSW graph answers (bench/pg_vectors_scale.py --crossover compares the two).
EXACT_MAX = 10_000
# A filter that leaves at most this many chunks is searched exactly among them: a graph
# walk finds few members of a small allowed set.
EXACT_FILTER_MAX = 20_000
HNSW_EF_SEARCH = 200  # beam width per question; pgvector's default is 40
BM25_K1 = 1.5  # bm25s's defaults, as the embedded index's BM25 uses
BM25_B = 0.75
READ_RETRIES = 3


def lexeme(term: str) -> str:
    """A term as a quoted tsvector/tsquery lexeme."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(terms: Sequence[str]) -> str:
    """The stems with their positions (1-based, PostgreSQL keeps at most 16383), so a
    term's position count is its frequency in the chunk."""
    positions: dict[str, list[int]] = {}
    for i, term in enumerate(terms):
        positions.setdefault(term, []).append(min(i + 1, 16383))
    return " ".join(f"{lexeme(t)}:{','.join(map(str, p[:256]))}" for t, p in positions.items())


def as_array(value: Any) -> np.ndarray:
    """A pgvector value as a float32 array."""
    return np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value, np.float32)


def source_lock_key(path: str) -> int:
    """The second advisory-lock key of a source path (a signed 32-bit hash)."""
    return zlib.crc32(path.encode("utf-8")) - 2**31


class PostgresIndex:
    """An open PostgreSQL index. Safe to share between threads."""

    backend = "postgresql"

    def __init__(
        self,
        url: DatabaseUrl,
        *,
        read_url: DatabaseUrl | None = None,
        schema: str = "newsbot",
        pool_size: int = 4,
        connect_timeout: float = 10.0,
        identity: Identity | None = None,
        create: bool = False,
    ) -> None:
        self.url = url
        self.read_url = read_url or url
        self.schema = schema
        self.connect_timeout = connect_timeout
        self.exact_max = EXACT_MAX
        self.exact_filter_max = EXACT_FILTER_MAX
        self._stats_lock = threading.Lock()
        self._stats: tuple[int, int, float] = (-1, 0, 1.0)  # generation, chunks, avg length
        self._df: dict[str, int] = {}
        self._setup(identity, create)
        self._write_pool = self._pool(url, pool_size, "newsbot-write")
        self._read_pool = (
            self._pool(self.read_url, pool_size, "newsbot-read")
            if read_url is not None
            else self._write_pool
        )
        meta = dict(self._read("SELECT key, value FROM meta WHERE key IN ('encoder', 'dim')"))
        self.fingerprint = meta["encoder"]
        self.dim = int(meta["dim"])

    # -- connections -----------------------------------------------------------------
    def _setup(self, identity: Identity | None, create: bool) -> None:
        """Apply missing migrations on the primary (with `create`, the whole schema)."""
        import psycopg

        try:
            with psycopg.connect(
                self.url.conninfo, connect_timeout=int(self.connect_timeout)
            ) as conn:
                applied = migrate(conn, self.schema, identity, create)
        except psycopg.OperationalError as exc:
            raise self.url.unavailable(exc) from None
        for name in applied:
            log.info("applied migration %s to %s", name, self.url.safe)

    def _pool(self, url: DatabaseUrl, size: int, name: str) -> Any:
        from psycopg_pool import ConnectionPool

        schema = self.schema

        def configure(conn: Any) -> None:
            from pgvector.psycopg import register_vector
            from psycopg import sql

            conn.execute(sql.SQL("SET search_path = {}, public").format(sql.Identifier(schema)))
            conn.execute("SET TIME ZONE 'UTC'")
            register_vector(conn)
            conn.commit()

        pool = ConnectionPool(
            url.conninfo,
            min_size=1,
            max_size=max(1, size),
            name=name,
            configure=configure,
            check=ConnectionPool.check_connection,  # a connection the server dropped is replaced
            kwargs={"connect_timeout": int(self.connect_timeout)},
            timeout=self.connect_timeout,
            open=False,
        )
        try:
            pool.open(wait=True, timeout=self.connect_timeout)
        except Exception as exc:
            pool.close()
            raise url.unavailable(exc) from None
        return pool

    def close(self) -> None:
        self._write_pool.close()
        if self._read_pool is not self._write_pool:
            self._read_pool.close()

    def _retrying(self, pool: Any, url: DatabaseUrl, work: Callable[[Any], T]) -> T:
        """Run `work(connection)`, again on a fresh connection when one was lost; a server
        that stays away is reported (without the URL's password)."""
        import psycopg
        from psycopg_pool import PoolTimeout
        from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

        def warn(state: Any) -> None:
            error = state.outcome.exception() if state.outcome else "?"
            log.warning("lost the connection to %s (%s); retrying", url.safe, url.scrub(error))

        try:
            for attempt in Retrying(
                retry=retry_if_exception_type(psycopg.OperationalError),
                stop=stop_after_attempt(READ_RETRIES),
                wait=wait_exponential(multiplier=0.2, max=2.0),
                before_sleep=warn,
                reraise=True,
            ):
                with attempt, pool.connection() as conn:
                    return work(conn)
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise url.unavailable(exc) from None
        raise AssertionError("unreachable")

    def _read(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple]:
        def work(conn: Any) -> list[tuple]:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()

        return self._retrying(self._read_pool, self.read_url, work)

    @contextmanager
    def write_connection(self) -> Iterator[Any]:
        """A connection of the primary for one writer (held until it commits)."""
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            with self._write_pool.connection() as conn:
                yield conn
        except psycopg.OperationalError as exc:
            raise self.url.unavailable(exc, during="the write") from None
        except PoolTimeout as exc:
            raise self.url.unavailable(exc) from None

    def lock_space(self, kind: str) -> int:
        """The first advisory-lock key of this schema's `kind` of lock ("global", "source")."""
        return zlib.crc32(f"newsbot:{kind}:{self.schema}".encode()) - 2**31

    def info(self) -> IndexInfo:
        where = self.url.safe + (f" (schema {self.schema})" if self.schema != "newsbot" else "")
        if self.read_url is not self.url:
            where += f", reads from {self.read_url.safe}"
        return IndexInfo("postgresql", where, self.generation())

    def warm_up(self) -> None:
        self._corpus()

    def generation(self) -> int:
        return int(self._read("SELECT value FROM meta WHERE key = 'generation'")[0][0])

    # -- searching -------------------------------------------------------------------
    def _corpus(self) -> tuple[int, int, float]:
        """(generation, chunks, mean stems per chunk) as of the last commit; a new
        generation empties the document-frequency cache."""
        rows = dict(self._read("SELECT key, value FROM meta WHERE key IN ('generation', "
                               "'chunks', 'terms')"))  # fmt: skip
        generation, n, total = int(rows["generation"]), int(rows["chunks"]), int(rows["terms"])
        with self._stats_lock:
            if generation != self._stats[0]:
                self._df = {}
                self._stats = (generation, n, total / n if n else 1.0)
            return self._stats

    def _frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """Chunks containing each term (GIN-indexed counts, cached per generation)."""
        wanted = sorted(set(terms))
        with self._stats_lock:
            missing = [t for t in wanted if t not in self._df]
        if missing:
            rows = self._read(
                "SELECT t, (SELECT count(*) FROM chunks WHERE lexemes @@ "
                "(quote_literal(t)::tsquery)) FROM unnest(%s::text[]) AS t",
                (missing,),
            )
            with self._stats_lock:
                self._df.update({t: int(n) for t, n in rows})
        with self._stats_lock:
            return {t: self._df.get(t, 0) for t in wanted}

    def term_stats(self, terms: Iterable[str]) -> TermStats:
        _, n, _ = self._corpus()
        return TermStats(n, {t: df for t, df in self._frequencies(terms).items() if df})

    def vector_count(self) -> int:
        return self._corpus()[1]

    def lexical_search(
        self, terms: Sequence[str], k: int, allowed: np.ndarray | None = None
    ) -> Hits:
        _, n, avg_len = self._corpus()
        df = self._frequencies(terms)
        known = [t for t in terms if df.get(t)]
        if not known or n == 0 or k <= 0 or (allowed is not None and len(allowed) == 0):
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        weights: dict[str, int] = {}
        for t in known:  # a repeated question term counts again, as in bm25s
            weights[t] = weights.get(t, 0) + 1
        names = list(weights)
        idf = [math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in names]
        query = " | ".join(lexeme(t) for t in names)
        where = "c.id = ANY(%(allowed)s) AND " if allowed is not None else ""
        rows = self._read(
            "WITH q(term, weight, idf) AS (SELECT * FROM unnest(%(terms)s::text[], "
            "%(weights)s::float8[], %(idf)s::float8[])) "
            "SELECT c.id, sum(q.weight * q.idf * t.tf / (t.tf + %(k1)s * (1 - %(b)s + %(b)s "
            "* c.n_terms / %(avg)s))) AS score FROM chunks c "
            "CROSS JOIN LATERAL (SELECT u.lexeme, cardinality(u.positions) AS tf "
            "FROM unnest(c.lexemes) u) t JOIN q ON q.term = t.lexeme "
            f"WHERE {where}c.lexemes @@ %(query)s::tsquery "
            "GROUP BY c.id ORDER BY score DESC, c.id LIMIT %(k)s",
            {
                "terms": names, "weights": [float(weights[t]) for t in names], "idf": idf,
                "k1": BM25_K1, "b": BM25_B, "avg": avg_len, "query": query, "k": k,
                "allowed": None if allowed is None else np.asarray(allowed, np.int64).tolist(),
            },
        )  # fmt: skip
        return (
            np.asarray([r[1] for r in rows], np.float32),
            np.asarray([r[0] for r in rows], np.int64),
        )

    def dense_search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> Hits:
        n = self.vector_count()
        if k <= 0 or n == 0 or (allowed is not None and len(allowed) == 0):
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        query = np.asarray(vector, np.float32)
        if allowed is not None and len(allowed) <= self.exact_filter_max:
            # OFFSET 0 keeps the planner from using the graph: an exact scan of the few.
            sql = (
                "SELECT id, d FROM (SELECT id, embedding <=> %(q)s AS d FROM chunks "
                "WHERE id = ANY(%(allowed)s) OFFSET 0) s ORDER BY d, id LIMIT %(k)s"
            )
            exact = True
        elif n <= self.exact_max:
            where = "WHERE id = ANY(%(allowed)s) " if allowed is not None else ""
            sql = (
                f"SELECT id, d FROM (SELECT id, embedding <=> %(q)s AS d FROM chunks {where}"
                "OFFSET 0) s ORDER BY d, id LIMIT %(k)s"
            )
            exact = True
        else:
            where = "WHERE id = ANY(%(allowed)s) " if allowed is not None else ""
            sql = (
                f"SELECT id, embedding <=> %(q)s AS d FROM chunks {where}"
                "ORDER BY embedding <=> %(q)s LIMIT %(k)s"
            )
            exact = False
        params = {
            "q": query,
            "k": k,
            "allowed": None if allowed is None else np.asarray(allowed, np.int64).tolist(),
        }

        def work(conn: Any) -> list[tuple]:
            with conn.transaction(), conn.cursor() as cur:
                if not exact:
                    cur.execute(f"SET LOCAL hnsw.ef_search = {max(HNSW_EF_SEARCH, k)}")
                    # A filter leaves a share of the graph: keep walking it until k
                    # allowed neighbours are found, in distance order.
                    cur.execute("SET LOCAL hnsw.iterative_scan = strict_order")
                cur.execute(sql, params)
                return cur.fetchall()

        rows = self._retrying(self._read_pool, self.read_url, work)
        # cosine distance -> similarity: the same number FAISS's inner product gives
        return (
            np.asarray([1.0 - r[1] for r in rows], np.float32),
            np.asarray([r[0] for r in rows], np.int64),
        )

    def chunk_ids_matching(
        self,
        outlets: Sequence[str] = (),
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        include_undated: bool = False,
    ) -> np.ndarray:
        sql, params = chunk_filter_sql(POSTGRES, outlets, start, end, include_undated)
        return np.asarray([r[0] for r in self._read(sql, params)], np.int64)

    def published_range(self) -> tuple[datetime | None, datetime | None]:
        first, last = self._read("SELECT min(published_at), max(published_at) FROM articles")[0]
        return first, last

    # -- rows --------------------------------------------------------------------------
    def count(self, table: str) -> int:
        assert table in COUNTED
        return int(self._read(f"SELECT count(*) FROM {table}")[0][0])

    def chunks(self, ids: Iterable[int]) -> dict[int, ChunkRow]:
        rows = self._read(
            "SELECT id, article_id, ord, start_char, end_char FROM chunks WHERE id = ANY(%s)",
            (list(ids),),
        )
        return {r[0]: ChunkRow(*r) for r in rows}

    def sentences(self, chunk_ids: Iterable[int]) -> list[SentenceRow]:
        rows = self._read(
            "SELECT id, chunk_id, article_id, start_char, end_char, embedding FROM sentences "
            "WHERE chunk_id = ANY(%s) ORDER BY id",
            (list(chunk_ids),),
        )
        return [SentenceRow(r[0], r[1], r[2], r[3], r[4], as_array(r[5])) for r in rows]

    def articles(self, ids: Iterable[int]) -> dict[int, ArticleRow]:
        wanted = list(ids)
        rows = self._read(
            "SELECT id, headline, body, outlet, byline, published, updated, url, credits, "
            "captions, story_id, extra FROM articles WHERE id = ANY(%s)",
            (wanted,),
        )
        sources: dict[int, list[str]] = {}
        for article_id, path in self._read(
            "SELECT article_id, path FROM sources WHERE article_id = ANY(%s) ORDER BY linked",
            (wanted,),
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
                credits=tuple(r[8]),
                captions=tuple(r[9]),
                sources=tuple(sources.get(r[0], ())),
                story_id=r[10],
                extra=dict(r[11] or {}),
            )
            for r in rows
        }

    def chunk_published(self, chunk_ids: Iterable[int]) -> dict[int, datetime | None]:
        rows = self._read(
            "SELECT c.id, a.published FROM chunks c JOIN articles a ON a.id = c.article_id "
            "WHERE c.id = ANY(%s)",
            (list(chunk_ids),),
        )
        return {r[0]: from_iso(r[1]) for r in rows}

    def article_ids(self) -> list[int]:
        return [r[0] for r in self._read("SELECT id FROM articles ORDER BY id")]

    def chunk_ids_of(self, article_ids: Iterable[int]) -> list[int]:
        return [
            r[0]
            for r in self._read(
                "SELECT id FROM chunks WHERE article_id = ANY(%s) ORDER BY id", (list(article_ids),)
            )
        ]

    def article_sources(self, article_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
        out: dict[int, list[tuple[str, str]]] = {}
        for article_id, path, item in self._read(
            "SELECT article_id, path, item FROM sources WHERE article_id = ANY(%s) ORDER BY linked",
            (list(article_ids),),
        ):
            out.setdefault(article_id, []).append((path, item))
        return out

    def source_key(self, path: str, item: str) -> int | None:
        rows = self._read(
            "SELECT article_id FROM sources WHERE path = %s AND item = %s", (path, item)
        )
        return rows[0][0] if rows else None

    def also_ran_in(self, article_id: int) -> tuple[str, ...]:
        rows = self._read(
            "SELECT o.id, o.outlet, o.credits, (SELECT path FROM sources s WHERE s.article_id "
            "= o.id ORDER BY linked LIMIT 1) FROM articles m JOIN articles o ON o.story_id = "
            "m.story_id AND o.id != m.id WHERE m.id = %s "
            "ORDER BY o.published IS NULL, o.published, o.id",
            (article_id,),
        )
        own = self._read("SELECT outlet, credits FROM articles WHERE id = %s", (article_id,))
        mine = attribution(own[0][0], own[0][1]) if own else None
        names: dict[str, None] = {}
        for _, outlet, credits, path in rows:
            from pathlib import Path

            name = attribution(outlet, credits) or (Path(path).name if path else None)
            if name and name != mine:
                names.setdefault(name)
        return tuple(names)

    def story_articles(self, article_id: int) -> list[int]:
        rows = self._read(
            "SELECT o.id FROM articles m JOIN articles o ON o.story_id = m.story_id "
            "AND o.id != m.id WHERE m.id = %s "
            "ORDER BY o.published_at IS NULL, o.published_at, o.id",
            (article_id,),
        )
        return [r[0] for r in rows]

    def listing(self) -> list[ListedArticle]:
        rows = self._read(
            "SELECT a.id, a.headline, a.outlet, a.credits, a.byline, a.published, a.url, "
            "a.story_id, (SELECT count(*) FROM chunks c WHERE c.article_id = a.id), "
            "(SELECT path FROM sources s WHERE s.article_id = a.id ORDER BY linked LIMIT 1), "
            "(SELECT count(*) FROM sources s WHERE s.article_id = a.id) FROM articles a"
        )
        return sort_listing(
            [
                ListedArticle(
                    id=r[0], headline=r[1], outlet=r[2], credits=tuple(r[3]), byline=r[4],
                    published=from_iso(r[5]), url=r[6],
                    story_id=r[7] if r[7] is not None else r[0], chunks=int(r[8]),
                    source_path=r[9] or "", sources=int(r[10]),
                )
                for r in rows
            ]
        )  # fmt: skip

    def disk_bytes(self) -> int:
        """What the schema's tables and their indexes take on the server's disk."""
        rows = self._read(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'm')",
            (self.schema,),
        )
        return int(rows[0][0])

    # -- writing and feedback ----------------------------------------------------------
    @contextmanager
    def writer(self, lock_timeout: float = 0.0) -> Iterator[PostgresWriter]:
        import psycopg

        from bot.index.postgres_writer import PostgresWriter

        with self.write_connection() as conn:
            writer = PostgresWriter(self, conn, lock_timeout)
            try:
                yield writer
            except (
                psycopg.errors.DeadlockDetected,
                psycopg.errors.ForeignKeyViolation,
                psycopg.errors.SerializationFailure,
            ) as exc:
                # Another ingest removed or took an article this one was linking.
                raise IndexBusyError(
                    f"Another ingest changed the same articles in {self.url.safe} at the "
                    f"same time ({self.url.scrub(exc)}); nothing of this one was committed. "
                    "Run it again."
                ) from None
            finally:
                writer.rollback()

    def feedback(self) -> PostgresFeedback:
        from bot.index.pg_feedback import PostgresFeedback

        return PostgresFeedback(self)
