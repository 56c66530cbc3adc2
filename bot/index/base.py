"""What newsbot needs from an index, as typed interfaces. Retrieval, answers, fronts and
the LangChain store use only these; `bot/index/embedded.py` (SQLite + FAISS + BM25 files,
the default) and `bot/index/postgres.py` (PostgreSQL + pgvector) implement them, and one
contract suite (tests/index/) holds both to the same behaviour.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from bot.articles import Article
from bot.chunking import Chunk
from bot.index.rows import ArticleRow, ChunkRow, ListedArticle, SentenceRow
from bot.records import Answer

if TYPE_CHECKING:
    from bot.feedback import Feedback, Vote

# (scores, chunk ids), best first: what both searches return.
Hits = tuple[np.ndarray, np.ndarray]
COUNTED = ("articles", "chunks", "sentences", "sources", "files")


@dataclass(frozen=True)
class IndexInfo:
    """Which backend, and where (a URL never carries its password here)."""

    backend: str  # "embedded" or "postgresql"
    location: str  # a directory, or postgresql://user@host:port/db
    generation: int  # bumped by every commit that changed something


@dataclass(frozen=True)
class TermStats:
    """Document frequencies of some terms among `n` chunks: IDF weights for answer scoring."""

    n: int
    df: dict[str, int]

    def idf(self, term: str) -> float:
        """Smoothed inverse document frequency; unknown terms count as rare."""
        return math.log(1 + (self.n + 1) / (self.df.get(term, 0) + 1))


@runtime_checkable
class IndexReader(Protocol):
    """Reads for retrieval, answers, the archive commands and the LangChain store. Safe to
    share between threads; a commit by any process is seen without reopening."""

    fingerprint: str  # the encoder the vectors were made with
    dim: int

    def info(self) -> IndexInfo: ...
    def generation(self) -> int: ...
    def close(self) -> None: ...
    def warm_up(self) -> None:
        """Load what the first question needs (search structures, connections)."""

    # -- searching
    def dense_search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> Hits:
        """Top-k chunks by cosine similarity; `allowed` restricts to those chunk ids."""

    def lexical_search(
        self, terms: Sequence[str], k: int, allowed: np.ndarray | None = None
    ) -> Hits:
        """Top-k chunks by BM25 (k1 1.5, b 0.75, Lucene IDF) over the stored stems, only
        those with a positive score; `allowed` restricts to those chunk ids."""

    def term_stats(self, terms: Iterable[str]) -> TermStats:
        """Document frequencies of these terms (for IDF weights)."""

    def vector_count(self) -> int: ...

    def chunk_ids_matching(
        self,
        outlets: Sequence[str] = (),
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        include_undated: bool = False,
    ) -> np.ndarray:
        """Ids of chunks whose article is from any of `outlets` (outlet or credits,
        case-insensitive substring) and published in [start, end); undated articles match
        a date window only with `include_undated`. Sorted ascending."""

    def published_range(self) -> tuple[datetime | None, datetime | None]:
        """When the oldest and the newest dated article were published (None: no dates)."""

    # -- rows
    def chunks(self, ids: Iterable[int]) -> dict[int, ChunkRow]: ...
    def sentences(self, chunk_ids: Iterable[int]) -> list[SentenceRow]:
        """Sentences of these chunks, in order, each with its float32 vector."""

    def articles(self, ids: Iterable[int]) -> dict[int, ArticleRow]: ...
    def chunk_published(self, chunk_ids: Iterable[int]) -> dict[int, datetime | None]:
        """The published date of each chunk's article (None: undated)."""

    def article_ids(self) -> list[int]: ...
    def chunk_ids_of(self, article_ids: Iterable[int]) -> list[int]: ...
    def article_sources(self, article_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
        """(path, item) of every source of the articles, first-linked first."""

    def source_key(self, path: str, item: str) -> int | None:
        """The article a source (path, item) points to."""

    def also_ran_in(self, article_id: int) -> tuple[str, ...]:
        """Where else a story ran: the other copies' outlets (or credits, or file names),
        oldest first, without the article's own."""

    def story_articles(self, article_id: int) -> list[int]:
        """The other articles of its story group (copies and updates of one wire story),
        oldest first, undated last; empty when it stands alone or is not in the index."""

    # -- the archive commands
    def listing(self) -> list[ListedArticle]:
        """Every article without its body, newest first (undated last)."""

    def count(self, table: str) -> int:
        """Rows of one of COUNTED."""

    def disk_bytes(self) -> int: ...

    # -- writing and feedback
    def writer(self, lock_timeout: float = 0.0) -> AbstractContextManager[IndexWriter]:
        """One ingest's changes, made visible by `IndexWriter.commit()` only."""

    def feedback(self) -> FeedbackRecords:
        """Where Slack answers and votes on them are kept."""


class IndexWriter(Protocol):
    """One ingest (or removal): every change in one transaction, visible at `commit`."""

    changed: bool

    # files: their hash decides whether a file needs parsing at all
    def file_hash(self, path: str) -> str | None: ...
    def set_file(self, path: str, file_hash: str, size: int) -> None: ...
    def forget_hashes(self, paths: Iterable[str]) -> None:
        """Make the next ingest read these files again (their hash no longer matches)."""

    def known_files(self) -> list[str]: ...

    # articles and their sources
    def article_count(self) -> int:
        """Articles as this transaction sees them (orphans collected first)."""

    def article_id(self, content_hash: str) -> int | None: ...
    def source_articles(self, path: str) -> dict[str, int]:
        """item -> article of every source of `path`."""

    def link_source(self, path: str, item: str, article_id: int) -> None: ...
    def unlink_sources(self, path: str, keep_items: Iterable[str] = ()) -> None: ...
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

    def cached_vectors(
        self, embed_hashes: Iterable[str]
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Vectors already stored for identical chunk texts: never embed twice."""

    def forget_source(self, path: str, item: str | None = None) -> int:
        """Drop one source (or every item of `path`, and its file hash); returns how many
        articles left the index."""

    def remove_article(self, article_id: int) -> None: ...
    def commit(self) -> int:
        """Make the changes visible at once; returns the new generation."""

    def rollback(self) -> None: ...


class FeedbackRecords(Protocol):
    """Answers posted in Slack and the votes on them (bot/feedback.py, bot/pg_feedback.py)."""

    def record_answer(self, answer: Answer, *, user: str, channel: str) -> str: ...
    def prune(self, older_than_days: float) -> int: ...
    def answer(self, answer_id: str) -> Answer | None: ...
    def add_vote(self, answer_id: str, *, user: str, channel: str, vote: Vote) -> bool: ...
    def feedback(self, limit: int | None = None) -> list[Feedback]: ...
    def close(self) -> None: ...
    def __enter__(self) -> FeedbackRecords: ...
    def __exit__(self, *exc: object) -> None: ...


def chunked(ids: Sequence[int], size: int = 900) -> Iterator[Sequence[int]]:
    """Slices of at most `size` ids (SQLite allows 999 parameters per statement)."""
    for i in range(0, len(ids), size):
        yield ids[i : i + size]
