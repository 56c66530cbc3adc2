"""The index directory: SQLite holds articles, sources, chunks and their vectors (the
source of truth); a FAISS file per generation is the search structure derived from it.

Atomicity: an ingest writes `vectors.<gen+1>.faiss` first, then commits one SQLite
transaction that also bumps `generation`. A crash before the commit leaves the old
generation (file and rows) in place; after it, the new one. Readers check the
generation before each search and reload when it moved, so they pick up new
articles without a restart. Nothing here is pickled.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bot import vectors
from bot.articles import Article
from bot.chunking import Chunk
from bot.dates import from_iso, to_iso
from bot.errors import IndexBusyError, IndexFormatError, IndexMissingError
from bot.lexical import LexicalIndex
from bot.terms import content_terms

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
DB_NAME = "newsbot.sqlite"
LOCK_NAME = ".ingest.lock"

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE articles(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    content_hash TEXT NOT NULL UNIQUE,
    headline TEXT NOT NULL,
    body TEXT NOT NULL,
    outlet TEXT, byline TEXT, published TEXT, updated TEXT, url TEXT,
    published_ts REAL,  -- POSIX seconds of `published`: comparable across time zones
    credits TEXT NOT NULL DEFAULT '[]',
    captions TEXT NOT NULL DEFAULT '[]',
    added_at TEXT NOT NULL
);
CREATE INDEX articles_published ON articles(published_ts);
CREATE TABLE files(
    path TEXT PRIMARY KEY,
    file_hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE sources(
    path TEXT NOT NULL,
    item TEXT NOT NULL DEFAULT '',
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    PRIMARY KEY (path, item)
);
CREATE INDEX sources_article ON sources(article_id);
CREATE TABLE chunks(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    embed_hash TEXT NOT NULL,
    terms TEXT NOT NULL,  -- stems for BM25, space-separated (see bot.lexical)
    vector BLOB NOT NULL
);
CREATE INDEX chunks_article ON chunks(article_id);
CREATE INDEX chunks_embed_hash ON chunks(embed_hash);
CREATE TABLE sentences(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    article_id INTEGER NOT NULL,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX sentences_chunk ON sentences(chunk_id);
"""


@dataclass(frozen=True)
class ArticleRow:
    id: int
    headline: str
    body: str
    outlet: str | None
    byline: str | None
    published: datetime | None
    updated: datetime | None
    url: str | None
    credits: tuple[str, ...]
    captions: tuple[str, ...]
    sources: tuple[str, ...]

    @property
    def source_path(self) -> str:
        return self.sources[0] if self.sources else ""

    @property
    def attribution(self) -> str | None:
        if self.outlet:
            return self.outlet
        return ", ".join(self.credits) if self.credits else None


@dataclass(frozen=True)
class ChunkRow:
    id: int
    article_id: int
    ord: int
    start: int
    end: int


@dataclass(frozen=True)
class SentenceRow:
    id: int
    chunk_id: int
    article_id: int
    start: int
    end: int
    vector: np.ndarray


def _blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, "<f4").tobytes()


def _vector(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, "<f4")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")  # readers never wait for an ingest
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


class Store:
    """An open index directory. Safe to share between threads."""

    def __init__(self, directory: Path, conn: sqlite3.Connection) -> None:
        self.directory = directory
        self._conn = conn
        self._lock = threading.RLock()
        self._index: vectors.Index | None = None
        self._index_generation = -1
        self._lexical: LexicalIndex | None = None
        self._lexical_generation = -1
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        self.fingerprint = meta["encoder"]
        self.dim = int(meta["dim"])

    # -- opening -------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        directory: Path,
        *,
        fingerprint: str | None = None,
        dim: int | None = None,
        create: bool = False,
    ) -> Store:
        """Open (or with `create`, make) the index in `directory`.

        `fingerprint` is the encoder this process embeds with; an index built with
        another encoder is refused rather than searched with incompatible vectors.
        """
        db = directory / DB_NAME
        if not db.exists():
            if not create:
                raise IndexMissingError(
                    f"No index in {directory}/. Build one with: newsbot ingest seeds/ "
                    f"(or point --index / NEWSBOT_INDEX at an existing one)"
                )
            if fingerprint is None or dim is None:
                raise ValueError("creating an index needs the encoder fingerprint and dim")
            cls._create(directory, fingerprint, dim)
        try:
            conn = _connect(db)
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            raise IndexFormatError(f"{db} is not a newsbot index ({exc})") from exc
        if int(meta.get("format_version", -1)) != FORMAT_VERSION:
            raise IndexFormatError(
                f"{db} has index format {meta.get('format_version')}; this newsbot reads "
                f"format {FORMAT_VERSION}. Rebuild it: move {directory}/ away and run "
                "newsbot ingest."
            )
        if fingerprint is not None and meta["encoder"] != fingerprint:
            raise IndexFormatError(
                f"The index in {directory}/ was built with encoder {meta['encoder']!r}, "
                f"but this newsbot embeds questions with {fingerprint!r}; their vectors don't "
                f"compare. Use the index's encoder (NEWSBOT_ENCODER) or rebuild the index."
            )
        return cls(directory, conn)

    @staticmethod
    def _create(directory: Path, fingerprint: str, dim: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        # Build under a temporary name, then rename: a half-made index is never visible.
        tmp = directory / f".{DB_NAME}.creating"
        tmp.unlink(missing_ok=True)
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.executescript(SCHEMA)
            conn.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [
                    ("format_version", str(FORMAT_VERSION)),
                    ("encoder", fingerprint),
                    ("dim", str(dim)),
                    ("generation", "0"),
                    ("created_at", _now()),
                ],
            )
        finally:
            conn.close()
        tmp.replace(directory / DB_NAME)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- reading -------------------------------------------------------------------
    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def generation(self) -> int:
        return int(self._rows("SELECT value FROM meta WHERE key='generation'")[0][0])

    def vector_path(self, generation: int) -> Path:
        return self.directory / f"vectors.{generation:06d}.faiss"

    def search_index(self) -> vectors.Index:
        """The FAISS index of the committed generation, reloaded when an ingest moved it."""
        with self._lock:
            generation = self.generation()
            if generation != self._index_generation:
                self._index = self._load_vectors(generation)
                self._index_generation = generation
            return self._index

    def lexical_path(self, generation: int) -> Path:
        return self.directory / f"lexical.{generation:06d}"

    def lexical(self) -> LexicalIndex:
        """The BM25 index of the committed generation, reloaded when an ingest moved it."""
        with self._lock:
            generation = self.generation()
            if generation != self._lexical_generation:
                try:
                    self._lexical = LexicalIndex.load(self.lexical_path(generation))
                except FileNotFoundError:
                    if generation:
                        log.warning("%s is missing; rebuilding it", self.lexical_path(generation))
                    self._lexical = self.build_lexical()
                self._lexical_generation = generation
            assert self._lexical is not None
            return self._lexical

    def build_lexical(self) -> LexicalIndex:
        return build_lexical(self._conn, self._lock)

    def _load_vectors(self, generation: int) -> vectors.Index:
        for _ in range(3):
            try:
                return vectors.load(self.vector_path(generation))
            except FileNotFoundError:
                newer = self.generation()
                if newer == generation:
                    break
                generation = newer  # an ingest committed meanwhile; take its file
        if generation == 0:
            return vectors.new_index(self.dim)
        log.warning("%s is missing; rebuilding it from the database", self.vector_path(generation))
        return self.build_vectors()

    def build_vectors(self) -> vectors.Index:
        """A fresh FAISS index from the vectors stored in SQLite (no re-embedding)."""
        index = vectors.new_index(self.dim)
        rows = self._rows("SELECT id, vector FROM chunks ORDER BY id")
        if rows:
            ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
            vectors.add(index, np.stack([_vector(r[1]) for r in rows]), ids)
        return index

    def count(self, table: str) -> int:
        assert table in {"articles", "chunks", "sentences", "sources", "files"}
        return int(self._rows(f"SELECT count(*) FROM {table}")[0][0])

    def chunks(self, ids: Iterable[int]) -> dict[int, ChunkRow]:
        ids = list(ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._rows(
            f"SELECT id, article_id, ord, start_char, end_char FROM chunks WHERE id IN ({marks})",
            ids,
        )
        return {r[0]: ChunkRow(*r) for r in rows}

    def sentences(self, chunk_ids: Iterable[int]) -> list[SentenceRow]:
        ids = list(chunk_ids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._rows(
            "SELECT id, chunk_id, article_id, start_char, end_char, vector FROM sentences "
            f"WHERE chunk_id IN ({marks}) ORDER BY id",
            ids,
        )
        return [SentenceRow(r[0], r[1], r[2], r[3], r[4], _vector(r[5])) for r in rows]

    def articles(self, ids: Iterable[int]) -> dict[int, ArticleRow]:
        ids = list(ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._rows(
            "SELECT id, headline, body, outlet, byline, published, updated, url, credits, "
            f"captions FROM articles WHERE id IN ({marks})",
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
            )
            for r in rows
        }

    def chunk_ids_matching(
        self,
        outlets: Sequence[str] = (),
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> np.ndarray:
        """Ids of chunks whose article matches: any of `outlets` (in outlet or credits,
        case-insensitive) and published in [start, end). Undated articles never match a date."""
        where: list[str] = []
        params: list[object] = []
        if outlets:
            ors = []
            for outlet in outlets:
                ors.append("(lower(a.outlet) LIKE ? OR lower(a.credits) LIKE ?)")
                params += [f"%{outlet.lower()}%"] * 2
            where.append("(" + " OR ".join(ors) + ")")
        if start is not None:
            where.append("a.published_ts >= ?")
            params.append(start.timestamp())
        if end is not None:
            where.append("a.published_ts < ?")
            params.append(end.timestamp())
        sql = "SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return np.asarray(
            sorted(r[0] for r in self._rows(sql + " ORDER BY c.id", params)), np.int64
        )

    def article_ids(self) -> list[int]:
        return [r[0] for r in self._rows("SELECT id FROM articles ORDER BY id")]

    # -- writing -------------------------------------------------------------------
    @contextmanager
    def writer(self, lock_timeout: float = 0.0) -> Iterator[Writer]:
        """Exclusive write access for one ingest; commits on `Writer.commit()` only."""
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.directory / LOCK_NAME))
        try:
            lock.acquire(timeout=lock_timeout)
        except Timeout:
            raise IndexBusyError(
                f"Another ingest is writing to {self.directory}/ right now. "
                "Wait for it to finish, or pass --wait SECONDS to queue behind it."
            ) from None
        writer = Writer(self)
        try:
            yield writer
        finally:
            writer.rollback()
            lock.release()


class Writer:
    """One ingest's changes: rows go into an open transaction, vectors into a copy of the
    FAISS index; `commit` writes the next generation's file, then commits the rows."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn = _connect(store.directory / DB_NAME)
        self.conn.execute("BEGIN IMMEDIATE")
        self.base_generation = store.generation()
        # A private copy: readers keep searching the committed index meanwhile.
        try:
            self.index = vectors.load(store.vector_path(self.base_generation))
        except FileNotFoundError:
            self.index = store._load_vectors(self.base_generation)
        self._removed_chunks: list[int] = []
        self._new_file: Path | None = None
        self._new_lexical: Path | None = None
        self.changed = False
        self._done = False

    def _q(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        return self.conn.execute(sql, params).fetchall()

    # files: their hash decides whether a file needs parsing at all
    def file_hash(self, path: str) -> str | None:
        rows = self._q("SELECT file_hash FROM files WHERE path=?", (path,))
        return rows[0][0] if rows else None

    def set_file(self, path: str, file_hash: str, size: int) -> None:
        self.conn.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET "
            "file_hash=excluded.file_hash, size=excluded.size, ingested_at=excluded.ingested_at",
            (path, file_hash, size, _now()),
        )

    def known_files(self) -> list[str]:
        return [r[0] for r in self._q("SELECT path FROM files")]

    def forget_file(self, path: str) -> int:
        """Drop a file and its sources; returns how many articles lost their last source."""
        self.conn.execute("DELETE FROM files WHERE path=?", (path,))
        before = self._article_count()
        self.unlink_sources(path)
        self.changed = True
        return before - self._article_count()

    def _article_count(self) -> int:
        self._collect_orphans()
        return int(self._q("SELECT count(*) FROM articles")[0][0])

    # articles and their sources
    def article_id(self, content_hash: str) -> int | None:
        rows = self._q("SELECT id FROM articles WHERE content_hash=?", (content_hash,))
        return rows[0][0] if rows else None

    def source_articles(self, path: str) -> dict[str, int]:
        return dict(self._q("SELECT item, article_id FROM sources WHERE path=?", (path,)))

    def link_source(self, path: str, item: str, article_id: int) -> None:
        self.conn.execute(
            "INSERT INTO sources VALUES (?, ?, ?) ON CONFLICT(path, item) DO UPDATE SET "
            "article_id=excluded.article_id",
            (path, item, article_id),
        )
        self.changed = True

    def unlink_sources(self, path: str, keep_items: Iterable[str] = ()) -> None:
        keep = list(keep_items)
        marks = ",".join("?" * len(keep))
        extra = f" AND item NOT IN ({marks})" if keep else ""
        cur = self.conn.execute(f"DELETE FROM sources WHERE path=?{extra}", (path, *keep))
        if cur.rowcount:
            self.changed = True

    def add_article(
        self,
        article: Article,
        chunks: Sequence[Chunk],
        embed_hashes: Sequence[str],
        chunk_vectors: np.ndarray,
        sentence_vectors: Sequence[np.ndarray],
    ) -> int:
        a = article
        cur = self.conn.execute(
            "INSERT INTO articles (content_hash, headline, body, outlet, byline, published, "
            "updated, url, published_ts, credits, captions, added_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                a.content_hash, a.headline, a.body, a.outlet, a.byline,
                to_iso(a.published), to_iso(a.updated), a.url,
                a.published.timestamp() if a.published else None,
                json.dumps(list(a.credits)), json.dumps(list(a.captions)), _now(),
            ),
        )  # fmt: skip
        article_id = int(cur.lastrowid or 0)
        chunk_ids = []
        for chunk, embed_hash, vec, sent_vecs in zip(
            chunks, embed_hashes, chunk_vectors, sentence_vectors, strict=True
        ):
            terms = " ".join(content_terms(f"{a.headline}\n{a.body[chunk.start : chunk.end]}"))
            cur = self.conn.execute(
                "INSERT INTO chunks (article_id, ord, start_char, end_char, embed_hash, terms, "
                "vector) VALUES (?,?,?,?,?,?,?)",
                (article_id, chunk.ord, chunk.start, chunk.end, embed_hash, terms, _blob(vec)),
            )
            chunk_id = int(cur.lastrowid or 0)
            chunk_ids.append(chunk_id)
            self.conn.executemany(
                "INSERT INTO sentences (chunk_id, article_id, start_char, end_char, vector) "
                "VALUES (?,?,?,?,?)",
                [
                    (chunk_id, article_id, s, e, _blob(sv))
                    for (s, e), sv in zip(chunk.sentences, sent_vecs, strict=True)
                ],
            )
        if chunk_ids:
            vectors.add(self.index, np.asarray(chunk_vectors), np.asarray(chunk_ids, np.int64))
        self.changed = True
        return article_id

    def cached_vectors(
        self, embed_hashes: Iterable[str]
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Vectors already computed for identical chunk texts: never embed twice."""
        wanted = list(set(embed_hashes))
        found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            marks = ",".join("?" * len(part))
            for chunk_id, embed_hash, blob in self._q(
                f"SELECT id, embed_hash, vector FROM chunks WHERE embed_hash IN ({marks})", part
            ):
                if embed_hash in found:
                    continue
                sents = self._q(
                    "SELECT vector FROM sentences WHERE chunk_id=? ORDER BY id", (chunk_id,)
                )
                found[embed_hash] = (
                    _vector(blob),
                    np.stack([_vector(s[0]) for s in sents]) if sents else np.zeros((0, 0)),
                )
        return found

    def remove_article(self, article_id: int) -> None:
        self.conn.execute("DELETE FROM sources WHERE article_id=?", (article_id,))
        self._collect_orphans()

    def _collect_orphans(self) -> None:
        """Delete articles no source points to any more, with their chunks and vectors."""
        orphans = [
            r[0]
            for r in self._q(
                "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM sources)"
            )
        ]
        if not orphans:
            return
        marks = ",".join("?" * len(orphans))
        self._removed_chunks += [
            r[0] for r in self._q(f"SELECT id FROM chunks WHERE article_id IN ({marks})", orphans)
        ]
        self.conn.execute(f"DELETE FROM articles WHERE id IN ({marks})", orphans)
        self.changed = True

    def commit(self) -> int:
        """Make this ingest visible atomically; returns the new generation."""
        self._collect_orphans()
        if not self.changed:
            self.rollback()
            return self.base_generation
        vectors.remove(self.index, self._removed_chunks)
        generation = self.base_generation + 1
        self._new_file = self.store.vector_path(generation)
        vectors.save(self.index, self._new_file)
        self._new_lexical = self.store.lexical_path(generation)
        build_lexical(self.conn).save(self._new_lexical)
        self.conn.execute("UPDATE meta SET value=? WHERE key='generation'", (str(generation),))
        self.conn.execute("COMMIT")  # the moment the new generation exists
        self._done = True
        self.conn.close()
        self._drop_old_files(keep={generation, generation - 1})
        return generation

    def rollback(self) -> None:
        if self._done:
            return
        self._done = True
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self.conn.close()
        if self._new_file is not None:
            self._new_file.unlink(missing_ok=True)
        if self._new_lexical is not None:
            shutil.rmtree(self._new_lexical, ignore_errors=True)

    def _drop_old_files(self, keep: set[int]) -> None:
        """Old generations (and leftovers of crashed ingests) are deleted; the previous one
        stays a little longer for readers that are loading it right now."""
        for path in [
            *self.store.directory.glob("*vectors.*"),
            *self.store.directory.glob("*lexical.*"),
        ]:
            parts = path.name.split(".")
            if path.name.startswith(".") or not parts[1].isdigit() or int(parts[1]) not in keep:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)


def build_lexical(conn: sqlite3.Connection, lock: threading.RLock | None = None) -> LexicalIndex:
    """BM25 over the stored terms of every chunk the connection sees."""
    if lock is None:
        rows = conn.execute("SELECT id, terms FROM chunks").fetchall()
    else:
        with lock:
            rows = conn.execute("SELECT id, terms FROM chunks").fetchall()
    return LexicalIndex.build((chunk_id, terms.split()) for chunk_id, terms in rows)
