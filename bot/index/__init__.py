"""The index behind one interface (bot/index/base.py), with two backends:

* embedded (the default): a directory with SQLite, FAISS and BM25 files (`embedded.py`);
* PostgreSQL with pgvector, for newsrooms that share one archive between machines
  (`postgres.py`), chosen by NEWSBOT_DATABASE_URL or --database-url.

`open_index(settings)` picks the backend; nothing else needs to know which it got.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.index.base import (
    FeedbackRecords,
    Hits,
    IndexInfo,
    IndexReader,
    IndexWriter,
    TermStats,
)
from bot.index.rows import ArticleRow, ChunkRow, ListedArticle, SentenceRow

if TYPE_CHECKING:
    from bot.config import Settings

__all__ = [
    "ArticleRow",
    "ChunkRow",
    "FeedbackRecords",
    "Hits",
    "IndexInfo",
    "IndexReader",
    "IndexWriter",
    "ListedArticle",
    "SentenceRow",
    "TermStats",
    "open_index",
]


def open_index(
    settings: Settings,
    *,
    fingerprint: str | None = None,
    dim: int | None = None,
    create: bool = False,
    reads_only: bool = False,
) -> IndexReader:
    """The index the settings name. `fingerprint`/`dim` are the encoder this process
    embeds with (an index made by another is refused); `create` makes a missing index
    for it. `reads_only` (answering processes) reads from NEWSBOT_DATABASE_READ_URL when
    one is set."""
    if settings.database_url is None:
        from bot.index.embedded import EmbeddedIndex

        return EmbeddedIndex.open(
            settings.index,
            fingerprint=fingerprint,
            dim=dim,
            create=create,
            index_type=settings.index_type,
            feedback_path=settings.feedback_path,
        )
    from bot.index.postgres import PostgresIndex
    from bot.index.postgres_schema import Identity
    from bot.index.urls import DatabaseUrl

    read_url = settings.database_read_url if reads_only else None
    identity = Identity(fingerprint, dim) if fingerprint is not None and dim is not None else None
    index = PostgresIndex(
        DatabaseUrl.parse(settings.database_url.get_secret_value()),
        read_url=DatabaseUrl.parse(read_url.get_secret_value()) if read_url else None,
        schema=settings.database_schema,
        pool_size=settings.database_pool_size,
        connect_timeout=settings.database_timeout,
        identity=identity,
        create=create,
    )
    if fingerprint is not None:
        from bot.index.embedded_schema import check_encoder

        try:
            check_encoder(index.fingerprint, fingerprint, index.info().location)
        except Exception:
            index.close()
            raise
    return index
