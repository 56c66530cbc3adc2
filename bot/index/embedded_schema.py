"""The embedded index's SQLite schema, and opening, creating and checking its database.

The format number is unchanged since newsbot 0.1 (2: article_meta and story_bands), so
existing index directories keep working.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import IndexFormatError, IndexMissingError

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


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def encoder_name(fingerprint: str) -> str:
    """The NEWSBOT_ENCODER name inside a fingerprint ('model:name')."""
    return fingerprint.rsplit(":", 1)[-1]


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")  # readers never wait for an ingest
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def create(directory: Path, fingerprint: str, dim: int) -> None:
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
                ("created_at", now()),
            ],
        )
    finally:
        conn.close()
    tmp.replace(directory / DB_NAME)


def open_database(
    directory: Path,
    *,
    fingerprint: str | None = None,
    dim: int | None = None,
    create_missing: bool = False,
) -> tuple[sqlite3.Connection, dict[str, str]]:
    """The checked database of the index in `directory` and its meta table.

    `fingerprint` is the encoder this process embeds with; an index built with another
    encoder is refused rather than searched with incompatible vectors.
    """
    db = directory / DB_NAME
    if not db.exists():
        if not create_missing:
            raise IndexMissingError(
                f"No index in {directory}/. Build one with: newsbot ingest seeds/ "
                f"(or point --index / NEWSBOT_INDEX at an existing one)"
            )
        if fingerprint is None or dim is None:
            raise ValueError("creating an index needs the encoder fingerprint and dim")
        create(directory, fingerprint, dim)
    from bot import index_health

    try:
        conn = index_health.connect(db, connect)  # read-only where it must be
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError as exc:
        if index_health.is_damage(exc):
            raise index_health.damaged(db, exc) from exc
        raise IndexFormatError(f"{db} is not a newsbot index ({exc})") from exc
    if int(meta.get("format_version", -1)) != FORMAT_VERSION:
        conn.close()
        raise IndexFormatError(
            f"{db} has index format {meta.get('format_version')}; this newsbot reads "
            f"format {FORMAT_VERSION}. Rebuild it: move {directory}/ away and run "
            "newsbot ingest."
        )
    check_encoder(meta["encoder"], fingerprint, f"{directory}/")
    return conn, meta


def check_encoder(built_with: str, fingerprint: str | None, where: str) -> None:
    """Refuse an index whose vectors another encoder made."""
    if fingerprint is None or built_with == fingerprint:
        return
    built, used = encoder_name(built_with), encoder_name(fingerprint)
    raise IndexFormatError(
        f"The index in {where} was built with encoder {built!r} "
        f"({built_with}), but this newsbot embeds with {used!r} ({fingerprint}); "
        f"their vectors don't compare. Set NEWSBOT_ENCODER={built} to use this index, "
        f"or build a new one with {used!r} (another --index or database, or move {where} "
        "away and run newsbot ingest)."
    )
