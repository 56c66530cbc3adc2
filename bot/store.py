"""The index directory: SQLite holds articles, sources, chunks and their vectors (the
source of truth); a FAISS file per generation is the search structure derived from it.

Atomicity: an ingest writes `vectors.<gen+1>.faiss` first, then commits one SQLite
transaction that also bumps `generation`. A crash before the commit leaves the old
generation (file and rows) in place; after it, the new one. Readers check the
generation before each search and reload when it moved, so they pick up new
articles without a restart. Nothing here is pickled.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bot import index_health, vectors
from bot.articles import Article
from bot.chunking import Chunk
from bot.dates import from_iso, to_iso
from bot.errors import IndexBusyError, IndexFormatError, IndexMissingError
from bot.lexical import LexicalIndex
from bot.terms import content_terms

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: article_meta and story_bands (near-duplicate stories)
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
-- Near-duplicate stories (wire copies) and free-form metadata, see bot/stories.py.
CREATE TABLE article_meta(
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    story_id INTEGER NOT NULL,  -- shared by copies of one story; the first copy's id
    extra TEXT NOT NULL DEFAULT '{}'  -- other metadata (e.g. a LangChain document's)
);
CREATE INDEX article_meta_story ON article_meta(story_id);
CREATE TABLE story_bands(
    band_key INTEGER NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE
);
CREATE INDEX story_bands_key ON story_bands(band_key);
CREATE INDEX story_bands_article ON story_bands(article_id);
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
    story_id: int | None = None  # copies of one wire story share it (see bot/stories.py)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def story_key(self) -> int:
        """What retrieval groups by: the story, or the article itself."""
        return self.story_id if self.story_id is not None else self.id

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


@dataclass(frozen=True)
class ListedArticle:
    """One line of `newsbot list`: an article without its body."""

    id: int
    headline: str
    outlet: str | None
    credits: tuple[str, ...]
    byline: str | None
    published: datetime | None
    url: str | None
    story_id: int
    chunks: int
    source_path: str
    sources: int

    @property
    def attribution(self) -> str | None:
        return _attribution(self.outlet, self.credits)


def _attribution(outlet: str | None, credits: str | Sequence[str]) -> str | None:
    if outlet:
        return outlet
    names = json.loads(credits) if isinstance(credits, str) else list(credits)
    return ", ".join(names) if names else None


_EPOCH = datetime(1, 1, 2, tzinfo=UTC)


def like_literal(text: str) -> str:
    """`text` for a LIKE pattern (with ESCAPE '\\'): `from:%` matches "%", not every outlet."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, "<f4").tobytes()


def _vector(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, "<f4")


def _encoder_name(fingerprint: str) -> str:
    """The NEWSBOT_ENCODER name inside a fingerprint ('model:name')."""
    return fingerprint.rsplit(":", 1)[-1]


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

    def __init__(self, directory: Path, conn: sqlite3.Connection, index_type: str = "auto") -> None:
        self.directory = directory
        self.index_type = index_type  # NEWSBOT_INDEX_TYPE: the FAISS index kind commits keep
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
        index_type: str = "auto",
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
            conn = index_health.connect(db, _connect)  # read-only where it must be
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            if index_health.is_damage(exc):
                raise index_health.damaged(db, exc) from exc
            raise IndexFormatError(f"{db} is not a newsbot index ({exc})") from exc
        if int(meta.get("format_version", -1)) != FORMAT_VERSION:
            raise IndexFormatError(
                f"{db} has index format {meta.get('format_version')}; this newsbot reads "
                f"format {FORMAT_VERSION}. Rebuild it: move {directory}/ away and run "
                "newsbot ingest."
            )
        if fingerprint is not None and meta["encoder"] != fingerprint:
            built, used = _encoder_name(meta["encoder"]), _encoder_name(fingerprint)
            raise IndexFormatError(
                f"The index in {directory}/ was built with encoder {built!r} "
                f"({meta['encoder']}), but this newsbot embeds with {used!r} ({fingerprint}); "
                f"their vectors don't compare. Set NEWSBOT_ENCODER={built} to use this index, "
                f"or build a new one with {used!r} (another --index, or move {directory}/ "
                "away and run newsbot ingest)."
            )
        return cls(directory, conn, index_type)

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
        with self._lock, index_health.database_errors(self.directory / DB_NAME):
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
                # Checked against what the commit recorded; rebuilt when missing or damaged.
                self._lexical = index_health.load_lexical(
                    self.lexical_path(generation), generation, self._rows, self.build_lexical
                )
                self._lexical_generation = generation
            assert self._lexical is not None
            return self._lexical

    def build_lexical(self) -> LexicalIndex:
        return build_lexical(self._conn, self._lock)

    def _load_vectors(self, generation: int) -> vectors.Index:
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

    def build_vectors(self, kind: str | None = None) -> vectors.Index:
        """A fresh FAISS index from the vectors stored in SQLite (no re-embedding), of the
        kind the index type setting chooses for its size unless `kind` is given."""
        return build_vectors(self._conn, self.dim, self.index_type, kind, self._lock)

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
                ors.append(
                    r"(lower(a.outlet) LIKE ? ESCAPE '\' OR lower(a.credits) LIKE ? ESCAPE '\')"
                )
                params += [f"%{like_literal(outlet.lower())}%"] * 2
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

    # -- stories, listing, stats (newsbot list / stats / rm) --------------------------
    def also_ran_in(self, article_id: int) -> tuple[str, ...]:
        """Where else a story ran: the outlets (or credits, or file names) of the other
        copies grouped with this article, oldest first, without its own outlet."""
        rows = self._rows(
            "SELECT a.id, a.outlet, a.credits FROM article_meta m "
            "JOIN article_meta o ON o.story_id = m.story_id AND o.article_id != m.article_id "
            "JOIN articles a ON a.id = o.article_id WHERE m.article_id = ? "
            "ORDER BY a.published IS NULL, a.published, a.id",
            (article_id,),
        )
        own = self._rows("SELECT outlet, credits FROM articles WHERE id=?", (article_id,))
        mine = _attribution(*own[0]) if own else None
        names: dict[str, None] = {}
        for other_id, outlet, credits in rows:
            name = _attribution(outlet, credits) or self._first_source_name(other_id)
            if name and name != mine:
                names.setdefault(name)
        return tuple(names)

    def _first_source_name(self, article_id: int) -> str | None:
        rows = self._rows(
            "SELECT path FROM sources WHERE article_id=? ORDER BY rowid LIMIT 1", (article_id,)
        )
        return Path(rows[0][0]).name if rows else None

    def listing(self) -> list[ListedArticle]:
        """Every article, without its body, newest first (undated last)."""
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
        listed.sort(key=lambda a: (a.published or _EPOCH, a.id), reverse=True)
        return listed

    def source_key(self, path: str, item: str) -> int | None:
        """The article a source (path, item) points to."""
        rows = self._rows("SELECT article_id FROM sources WHERE path=? AND item=?", (path, item))
        return rows[0][0] if rows else None

    def source_items(self, path: str) -> dict[str, int]:
        return dict(self._rows("SELECT item, article_id FROM sources WHERE path=?", (path,)))

    def article_sources(self, article_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
        """(path, item) of every source of the articles, first-linked first."""
        ids = list(article_ids)
        out: dict[int, list[tuple[str, str]]] = {}
        for i in range(0, len(ids), 900):
            part = ids[i : i + 900]
            marks = ",".join("?" * len(part))
            for article_id, path, item in self._rows(
                f"SELECT article_id, path, item FROM sources WHERE article_id IN ({marks}) "
                "ORDER BY rowid",
                part,
            ):
                out.setdefault(article_id, []).append((path, item))
        return out

    def chunk_ids_of(self, article_ids: Iterable[int]) -> list[int]:
        ids = list(article_ids)
        found: list[int] = []
        for i in range(0, len(ids), 900):
            part = ids[i : i + 900]
            marks = ",".join("?" * len(part))
            found += [
                r[0]
                for r in self._rows(f"SELECT id FROM chunks WHERE article_id IN ({marks})", part)
            ]
        return found

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
        except OSError as exc:  # a read-only directory or volume: answering still works
            raise IndexFormatError(
                f"cannot write to {self.directory}/ ({exc.strerror or exc}); ingest and rm "
                "need write access to the index directory"
            ) from None
        writer = Writer(self)
        try:
            with index_health.database_errors(self.directory / DB_NAME):
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
            self.index, damage = index_health.load_vectors(
                store.vector_path(self.base_generation),
                self.base_generation,
                store.dim,
                self._q,
                store.build_vectors,
            )
        except FileNotFoundError:
            self.index, damage = store._load_vectors(self.base_generation), None
        self.changed = damage is not None  # a damaged file is replaced by this commit
        self._removed_chunks: list[int] = []
        self._new_file: Path | None = None
        self._new_lexical: Path | None = None
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

    def forget_hashes(self, paths: Iterable[str]) -> None:
        """Make the next ingest read these files again (their hash no longer matches)."""
        self.conn.executemany("UPDATE files SET file_hash='' WHERE path=?", [(p,) for p in paths])

    def known_files(self) -> list[str]:
        return [r[0] for r in self._q("SELECT path FROM files")]

    def forget_file(self, path: str) -> int:
        """Drop a file and its sources; returns how many articles lost their last source."""
        self.conn.execute("DELETE FROM files WHERE path=?", (path,))
        before = self.article_count()
        self.unlink_sources(path)
        self.changed = True
        return before - self.article_count()

    def article_count(self) -> int:
        """Articles in the index as this transaction sees it (orphans collected first)."""
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
        *,
        content_hash: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> int:
        """Insert an article with its chunks and vectors; `content_hash` replaces the
        article's own (the LangChain adapter keys documents by text and metadata)."""
        a = article
        cur = self.conn.execute(
            "INSERT INTO articles (content_hash, headline, body, outlet, byline, published, "
            "updated, url, published_ts, credits, captions, added_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                content_hash or a.content_hash, a.headline, a.body, a.outlet, a.byline,
                to_iso(a.published), to_iso(a.updated), a.url,
                a.published.timestamp() if a.published else None,
                json.dumps(list(a.credits)), json.dumps(list(a.captions)), _now(),
            ),
        )  # fmt: skip
        article_id = int(cur.lastrowid or 0)
        self._add_story(article_id, a, extra or {})
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

    def _add_story(self, article_id: int, article: Article, extra: dict[str, Any]) -> None:
        """Group the article with a near-duplicate already in the index, if any."""
        from bot import stories

        text_shingles = stories.shingles(article.body)
        sig = stories.signature(text_shingles)
        story_id = article_id
        if sig is None:
            # Too short to compare by shingles: only the very same headline and body (a
            # copy under another outlet, URL or date) joins a story.
            key = stories.exact_key(article.text_hash)
            same = self._q(
                "SELECT m.story_id FROM story_bands b JOIN article_meta m "
                "ON m.article_id = b.article_id WHERE b.band_key = ? LIMIT 1",
                (key,),
            )
            story_id = same[0][0] if same else article_id
            self.conn.execute("INSERT INTO story_bands VALUES (?, ?)", (key, article_id))
        keys = stories.band_keys(sig) if sig is not None else []
        if keys:
            marks = ",".join("?" * len(keys))
            candidates = self._q(
                "SELECT a.id, a.body FROM articles a WHERE a.id IN (SELECT article_id FROM "
                f"story_bands WHERE band_key IN ({marks}) GROUP BY article_id "
                f"ORDER BY count(*) DESC LIMIT {stories.MAX_CANDIDATES})",
                keys,
            )
            match = stories.best_match(text_shingles, candidates)
            if match is not None:
                story_id = self._q(
                    "SELECT story_id FROM article_meta WHERE article_id=?", (match,)
                )[0][0]
            self.conn.executemany(
                "INSERT INTO story_bands VALUES (?, ?)", [(k, article_id) for k in keys]
            )
        self.conn.execute(
            "INSERT INTO article_meta VALUES (?, ?, ?)",
            (article_id, story_id, json.dumps(extra, ensure_ascii=False, sort_keys=True)),
        )

    def forget_source(self, path: str, item: str | None = None) -> int:
        """Drop one source (or all items of `path`); returns articles that left the index."""
        before = self.article_count()
        if item is None:
            self.conn.execute("DELETE FROM files WHERE path=?", (path,))
            self.conn.execute("DELETE FROM sources WHERE path=?", (path,))
        else:
            self.conn.execute("DELETE FROM sources WHERE path=? AND item=?", (path, item))
        self.changed = True
        return before - self.article_count()

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
        live = int(self._q("SELECT count(*) FROM chunks")[0][0])
        rebuild_as = vectors.plan(self.index, self.store.index_type, live)
        if rebuild_as is not None:
            log.info("rebuilding the vector index as %s for %d vectors", rebuild_as, live)
            self.index = build_vectors(self.conn, self.store.dim, self.store.index_type, rebuild_as)
        generation = self.base_generation + 1
        self._new_file = self.store.vector_path(generation)
        vectors.save(self.index, self._new_file)
        self._new_lexical = self.store.lexical_path(generation)
        lexical = build_lexical(self.conn)
        lexical.save(self._new_lexical)
        index_health.record_derived(
            self.conn, generation, self._new_file, self.index, self._new_lexical, lexical.n
        )
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


VECTOR_BATCH = 50_000  # rows read from SQLite at a time when rebuilding the vector index


def build_vectors(
    conn: sqlite3.Connection,
    dim: int,
    index_type: str,
    kind: str | None = None,
    lock: threading.RLock | None = None,
) -> vectors.Index:
    """A FAISS index of every chunk vector the connection sees, read in batches; an
    approximate kind is trained first on an evenly spread sample."""
    with lock or contextlib.nullcontext():
        n = int(conn.execute("SELECT count(*) FROM chunks").fetchone()[0])
        kind = kind or vectors.choose(index_type, n)
        wanted = vectors.train_size(kind, n)
        sample = np.zeros((0, dim), np.float32)
        if wanted:
            step = max(1, n // wanted)
            rows = conn.execute(
                "SELECT vector FROM (SELECT vector, row_number() OVER (ORDER BY id) AS r "
                "FROM chunks) WHERE r % ? = 0 LIMIT ?",
                (step, wanted),
            ).fetchall()
            sample = np.stack([_vector(r[0]) for r in rows]) if rows else sample

        def batches() -> Iterator[tuple[np.ndarray, np.ndarray]]:
            last = -1
            while True:
                rows = conn.execute(
                    "SELECT id, vector FROM chunks WHERE id > ? ORDER BY id LIMIT ?",
                    (last, VECTOR_BATCH),
                ).fetchall()
                if not rows:
                    return
                last = rows[-1][0]
                ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
                yield ids, np.stack([_vector(r[1]) for r in rows])

        return vectors.build(kind, dim, n, sample, batches())
