"""Find the passages that best match a question."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot import vectors
from bot.embeddings import Encoder
from bot.store import ArticleRow, ChunkRow, Store


@dataclass(frozen=True)
class Passage:
    chunk: ChunkRow
    article: ArticleRow
    score: float
    rank: int  # 0 = best

    @property
    def text(self) -> str:
        return self.article.body[self.chunk.start : self.chunk.end]


@dataclass
class Retrieval:
    query_vector: np.ndarray
    passages: list[Passage]  # the chunks answers are drawn from, best first
    articles: list[tuple[ArticleRow, float]]  # ranked articles with their best score


class Retriever:
    def __init__(
        self,
        store: Store,
        encoder: Encoder,
        *,
        candidates: int = 60,
        max_passages: int = 8,
        per_article: int = 3,
    ) -> None:
        self.store = store
        self.encoder = encoder
        self.candidates = candidates
        self.max_passages = max_passages
        self.per_article = per_article

    def search(self, query: str, k_articles: int = 10) -> Retrieval:
        query_vector = self.encoder.encode([query])[0]
        index = self.store.search_index()
        scores, ids = vectors.search(index, query_vector, self.candidates)
        return self._collect(
            query_vector, list(zip(ids.tolist(), scores.tolist(), strict=True)), k_articles
        )

    def _collect(
        self, query_vector: np.ndarray, ranked: list[tuple[int, float]], k_articles: int
    ) -> Retrieval:
        chunks = self.store.chunks(i for i, _ in ranked)
        # Ids of chunks deleted by an ingest that committed after our index loaded are skipped.
        ranked = [(i, s) for i, s in ranked if i in chunks]
        articles = self.store.articles({chunks[i].article_id for i, _ in ranked})
        per_article: dict[int, int] = {}
        best: dict[int, float] = {}
        passages: list[Passage] = []
        story_copy: dict[int, int] = {}  # story -> the copy that represents it
        for chunk_id, score in ranked:
            chunk = chunks[chunk_id]
            if chunk.article_id not in articles:
                continue
            # One story, one copy: wire copies share a story key; the best-ranked copy
            # stands for the story and the answer names the others ("also ran in").
            story = articles[chunk.article_id].story_key
            if story_copy.setdefault(story, chunk.article_id) != chunk.article_id:
                continue
            best.setdefault(chunk.article_id, score)
            if len(passages) >= self.max_passages:
                continue
            if per_article.get(chunk.article_id, 0) >= self.per_article:
                continue
            per_article[chunk.article_id] = per_article.get(chunk.article_id, 0) + 1
            passages.append(Passage(chunk, articles[chunk.article_id], score, len(passages)))
        ranked_articles = [(articles[a], s) for a, s in list(best.items())[:k_articles]]
        return Retrieval(query_vector, passages, ranked_articles)
