"""newsbot's index behind LangChain's `VectorStore` and `BaseRetriever` interfaces.

How LangChain documents map onto the index:

* A `Document` is an **article**. Documents added through `add_documents` become
  articles whose body is `page_content`; their metadata is kept verbatim and returned
  as given (keys `headline`, `outlet`, `byline`, `published`, `url` also fill the
  article's own fields, so `newsbot list` and `ask` see them).
* `Document.id` is the article's **source**: the id given to `add_documents` (or a new
  UUID), or for articles ingested from files the file path (`path#item` for one item
  of a JSON Lines file or feed). `delete` and `get_by_ids` take either kind.
* Scores are cosine similarities of the best chunk of each article (higher is better);
  `filter` is a dict of metadata values (a list means "any of") or a callable.
* `NewsbotRetriever` returns **passages**: the best chunk of each story, found by the
  same retrieval `newsbot ask` uses, with the article's metadata and offsets.

Vectors are normalised, so any `Embeddings` works; newsbot's own `Encoder` also
pools sentence vectors from the same forward pass, which answering uses.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from langchain_core.vectorstores import VectorStore
from pydantic import ConfigDict

from bot.articles import Article
from bot.chunking import Chunk, chunk_article
from bot.dates import to_iso
from bot.embeddings import Encoder
from bot.index import ArticleRow, IndexReader, IndexWriter
from bot.loaders.fields import date_value, text_value

LANGCHAIN_SOURCE = "langchain:"  # sources.path of documents added through this adapter
Filter = dict[str, Any] | Callable[[dict[str, Any]], bool]


def source_id(path: str, item: str) -> str:
    """A source as a LangChain document id."""
    if path == LANGCHAIN_SOURCE:
        return item
    return f"{path}#{item}" if item else path


def article_metadata(row: ArticleRow) -> dict[str, Any]:
    """The metadata of an article ingested from files (None values left out)."""
    meta: dict[str, Any] = {
        "article_id": row.id,
        "headline": row.headline,
        "outlet": row.outlet,
        "byline": row.byline,
        "published": to_iso(row.published),
        "updated": to_iso(row.updated),
        "url": row.url,
        "credits": list(row.credits) or None,
        "source": row.source_path,
        "story_id": row.story_key,
    }
    return {k: v for k, v in meta.items() if v is not None}


class NewsbotVectorStore(VectorStore):
    """A newsbot index (either backend) as a LangChain vector store."""

    def __init__(self, store: IndexReader, embedding: Embeddings, *, lock_timeout: float = 60.0):
        self.store = store
        self.embedding = embedding
        self.lock_timeout = lock_timeout

    @classmethod
    def open(cls, directory: Path, embedding: Embeddings, **options: Any) -> NewsbotVectorStore:
        """Open the embedded index in `directory`, creating it for this embedding if needed
        (for a PostgreSQL index: `NewsbotVectorStore(open_index(settings, ...), embedding)`)."""
        from bot.index.embedded import EmbeddedIndex

        fingerprint, dim = _identity(embedding)
        store = EmbeddedIndex.open(Path(directory), fingerprint=fingerprint, dim=dim, create=True)
        return cls(store, embedding, **options)

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        directory: str | Path | None = None,
        **kwargs: Any,
    ) -> NewsbotVectorStore:
        if directory is None:
            raise ValueError("NewsbotVectorStore.from_texts needs directory=<index directory>")
        vs = cls.open(Path(directory), embedding, **kwargs)
        vs.add_texts(texts, metadatas, ids=ids)
        return vs

    @property
    def embeddings(self) -> Embeddings:
        return self.embedding

    # -- writing ---------------------------------------------------------------------
    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Add (or, for an id already present, replace) documents in one commit."""
        texts = list(texts)
        metas = [dict(m or {}) for m in (metadatas or [{}] * len(texts))]
        given = list(ids) if ids is not None else [None] * len(texts)
        doc_ids = [str(i) if i else uuid.uuid4().hex for i in given]
        with self.store.writer(self.lock_timeout) as writer:
            for text, meta, doc_id in zip(texts, metas, doc_ids, strict=True):
                self._add(writer, text, meta, doc_id)
            writer.commit()
        return doc_ids

    def _add(self, writer: IndexWriter, text: str, meta: dict[str, Any], doc_id: str) -> None:
        stored = json.loads(json.dumps(meta, default=str))  # what we return is what we keep
        key = hashlib.sha256(
            f"langchain\0{text}\0{json.dumps(stored, sort_keys=True)}".encode()
        ).hexdigest()
        article_id = writer.article_id(key)
        if article_id is None:
            article = _article(text, stored)
            chunks = chunk_article(article) if text.strip() else []
            texts = [text[c.start : c.end] for c in chunks]
            hashes = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
            chunk_vecs, sent_vecs = self._embed(texts, chunks)
            article_id = writer.add_article(
                article, chunks, hashes, chunk_vecs, sent_vecs, content_hash=key, extra=stored
            )
        writer.link_source(LANGCHAIN_SOURCE, doc_id, article_id)  # replaces an older version

    def _embed(
        self, texts: list[str], chunks: Sequence[Chunk]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        spans = [[(s - c.start, e - c.start) for s, e in c.sentences] for c in chunks]
        if not texts:
            return np.zeros((0, self.store.dim), np.float32), []
        if isinstance(self.embedding, Encoder):
            return self.embedding.encode_with_sentences(texts, spans)
        chunk_vecs = _unit(np.asarray(self.embedding.embed_documents(texts), np.float32))
        sentences = [t[s:e] for t, sp in zip(texts, spans, strict=True) for s, e in sp]
        flat = _unit(np.asarray(self.embedding.embed_documents(sentences), np.float32))
        out, at = [], 0
        for sp in spans:
            out.append(flat[at : at + len(sp)])
            at += len(sp)
        return chunk_vecs, out

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        """Remove documents by id; with no ids, every document added through LangChain."""
        with self.store.writer(self.lock_timeout) as writer:
            if ids is None:
                writer.forget_source(LANGCHAIN_SOURCE)
            for doc_id in ids or []:
                for path, item in self._resolve(doc_id):
                    writer.forget_source(path, item)
            writer.commit()
        return True

    def _resolve(self, doc_id: str) -> list[tuple[str, str]]:
        """The source(s) a document id names; [] when it names none."""
        if self.store.source_key(LANGCHAIN_SOURCE, doc_id) is not None:
            return [(LANGCHAIN_SOURCE, doc_id)]
        if self.store.source_key(doc_id, "") is not None:
            return [(doc_id, "")]
        path, sep, item = doc_id.rpartition("#")
        if sep and self.store.source_key(path, item) is not None:
            return [(path, item)]
        return []

    # -- reading ---------------------------------------------------------------------
    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        found: list[tuple[str, int]] = []
        for doc_id in ids:
            for path, item in self._resolve(doc_id):
                article_id = self.store.source_key(path, item)
                if article_id is not None:
                    found.append((doc_id, article_id))
        rows = self.store.articles(a for _, a in found)
        return [_document(rows[a], doc_id) for doc_id, a in found if a in rows]

    def similarity_search(
        self, query: str, k: int = 4, filter: Filter | None = None, **kwargs: Any
    ) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score(query, k, filter=filter)]

    def similarity_search_with_score(
        self, query: str, k: int = 4, filter: Filter | None = None, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        vector = np.asarray(self.embedding.embed_query(query), np.float32)
        return self.similarity_search_with_score_by_vector(list(vector), k, filter=filter)

    def similarity_search_by_vector(
        self, embedding: list[float], k: int = 4, filter: Filter | None = None, **kwargs: Any
    ) -> list[Document]:
        found = self.similarity_search_with_score_by_vector(embedding, k, filter=filter)
        return [doc for doc, _ in found]

    def similarity_search_with_score_by_vector(
        self, embedding: list[float], k: int = 4, filter: Filter | None = None
    ) -> list[tuple[Document, float]]:
        """The k articles whose best chunk is nearest, with its cosine similarity."""
        total = self.store.vector_count()
        if k <= 0 or total == 0:
            return []
        query = _unit(np.asarray(embedding, np.float32).reshape(1, -1))[0]
        allowed = self._allowed_chunks(filter) if filter is not None else None
        if allowed is not None and not len(allowed):
            return []
        budget = min(total, max(50, k * 20))
        while True:
            scores, ids = self.store.dense_search(query, budget, allowed)
            best = self._best_articles(ids.tolist(), scores.tolist())
            if len(best) >= k or budget >= total:
                break
            budget = min(total, budget * 4)  # many chunks of few articles: look further
        top = list(best.items())[:k]
        rows = self.store.articles(a for a, _ in top)
        first = self.store.article_sources(a for a, _ in top)
        return [
            (_document(rows[a], source_id(*first[a][0]) if first.get(a) else str(a)), score)
            for a, score in top
            if a in rows
        ]

    def _best_articles(self, chunk_ids: list[int], scores: list[float]) -> dict[int, float]:
        chunks = self.store.chunks(chunk_ids)
        best: dict[int, float] = {}
        for chunk_id, score in zip(chunk_ids, scores, strict=True):
            if chunk_id in chunks:
                best.setdefault(chunks[chunk_id].article_id, score)
        return best

    def _allowed_chunks(self, filter: Filter) -> np.ndarray:
        """Chunks of the articles whose metadata passes the filter (a scan of the
        articles: fine for a newsroom archive, and exact, unlike filtering after search)."""
        ids = self.store.article_ids()
        keep: list[int] = []
        for i in range(0, len(ids), 900):
            rows = self.store.articles(ids[i : i + 900])
            sources = self.store.article_sources(rows)
            keep += [
                a
                for a, row in rows.items()
                if _matches(filter, _document(row, "", sources.get(a, [("", "")])[0][0]).metadata)
            ]
        return np.asarray(self.store.chunk_ids_of(keep), np.int64)

    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        # cosine [-1, 1] -> [0, 1]; clipped because float rounding can step just past 1
        return lambda similarity: min(1.0, max(0.0, (similarity + 1.0) / 2.0))


class NewsbotRetriever(BaseRetriever):
    """Passages for a question, as `newsbot ask` finds them: one per story, best first.

    `Document.page_content` is the passage; metadata holds the article's fields, the
    passage's `start`/`end` offsets in the article body, its `score`, and `also_ran_in`.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: IndexReader
    encoder: Encoder
    k: int = 4

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        from bot.retrieval import Retriever

        k = self.k if k is None else k
        if k <= 0:
            return []
        retrieval = Retriever(self.store, self.encoder, max_passages=k, per_article=1).search(
            query, k_articles=k
        )
        sources = self.store.article_sources(p.article.id for p in retrieval.passages)
        docs = []
        for p in retrieval.passages[:k]:
            first = sources.get(p.article.id, [("", "")])[0]
            meta = _document(p.article, "", first[0]).metadata
            meta.update(
                start=p.chunk.start,
                end=p.chunk.end,
                score=round(float(p.score), 6),
                also_ran_in=list(self.store.also_ran_in(p.article.id)),
            )
            docs.append(Document(page_content=p.text, metadata=meta, id=source_id(*first)))
        return docs


def _document(row: ArticleRow, doc_id: str, first_path: str | None = None) -> Document:
    path = first_path if first_path is not None else row.source_path
    if path == LANGCHAIN_SOURCE:
        return Document(page_content=row.body, metadata=dict(row.extra), id=doc_id or None)
    return Document(page_content=row.body, metadata=article_metadata(row), id=doc_id or None)


def _article(text: str, meta: dict[str, Any]) -> Article:
    def field(name: str) -> str | None:
        value = meta.get(name)
        return text_value(value) if isinstance(value, str) else None

    return Article(
        headline=field("headline") or field("title") or "",
        body=text,
        source_path=LANGCHAIN_SOURCE,
        outlet=field("outlet") or field("source"),
        byline=field("byline") or field("author"),
        published=date_value(meta.get("published"))
        if isinstance(meta.get("published"), str)
        else None,
        url=field("url"),
    )


def _matches(filter: Filter, metadata: dict[str, Any]) -> bool:
    if callable(filter):
        return bool(filter(metadata))
    for key, wanted in filter.items():
        value = metadata.get(key)
        if isinstance(wanted, list | tuple | set):
            if value not in wanted:
                return False
        elif value != wanted:
            return False
    return True


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def _identity(embedding: Embeddings) -> tuple[str, int]:
    """(fingerprint, dimension) recorded in the index for this embedding."""
    if isinstance(embedding, Encoder):
        return embedding.fingerprint, embedding.dim
    kind = type(embedding)
    dim = len(embedding.embed_query("dimension probe"))
    return f"langchain:{kind.__module__}.{kind.__qualname__}:{dim}", dim
