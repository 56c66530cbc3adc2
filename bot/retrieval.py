"""Find the passages that best match a question: dense (FAISS) and BM25 results fused by
reciprocal rank, restricted by outlet and date filters, diversified across articles, and
nudged towards newer articles when the question asks about the current state."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bot.embeddings import Encoder
from bot.index import ArticleRow, ChunkRow, IndexReader, TermStats
from bot.query import Query
from bot.terms import content_terms

# Reciprocal rank fusion: score = sum of weight / (RRF_K + rank). 60 is the usual constant;
# the weights were chosen on the dev set (bench/tune.py), where BM25 is strong.
RRF_K = 60
W_DENSE = 1.0
W_LEXICAL = 1.0
# "Latest"/"now" questions: up to this much is added for the newest candidate article,
# about a third of a first place in one list, so recency reorders near-equals only.
RECENCY_BONUS = 0.006


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
    query: Query
    query_vector: np.ndarray
    passages: list[Passage]  # the chunks answers are drawn from, best first
    articles: list[tuple[ArticleRow, float]]  # ranked articles with their best score
    lexical: TermStats | None = None  # the question's term weights (IDF)
    notes: list[str] = field(default_factory=list)
    no_match: bool = False  # a filter matched no article at all


def fuse(rankings: list[tuple[np.ndarray, float]], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal rank fusion of ranked id lists, each with a weight."""
    fused: dict[int, float] = {}
    for ids, weight in rankings:
        for rank, chunk_id in enumerate(ids.tolist()):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (k + rank + 1)
    return fused


class Retriever:
    def __init__(
        self,
        store: IndexReader,
        encoder: Encoder,
        *,
        candidates: int = 100,
        max_passages: int = 8,
        per_article: int = 3,
    ) -> None:
        self.store = store
        self.encoder = encoder
        self.candidates = candidates
        self.max_passages = max_passages
        self.per_article = per_article

    def search(self, query: Query | str, k_articles: int = 10) -> Retrieval:
        if isinstance(query, str):
            query = Query(query)
        query_vector = self.encoder.encode([query.text])[0]
        terms = content_terms(query.text)
        lexical = self.store.term_stats(terms)
        allowed, notes = self._allowed(query)
        if allowed is not None and len(allowed) == 0:
            return Retrieval(query, query_vector, [], [], lexical, notes, no_match=True)
        _, dense_ids = self.store.dense_search(query_vector, self.candidates, allowed)
        _, lexical_ids = self.store.lexical_search(terms, self.candidates, allowed)
        fused = fuse([(dense_ids, W_DENSE), (lexical_ids, W_LEXICAL)])
        retrieval = self._collect(query, query_vector, fused, k_articles)
        retrieval.lexical = lexical
        retrieval.notes = notes
        return retrieval

    def _allowed(self, query: Query) -> tuple[np.ndarray | None, list[str]]:
        """Chunk ids the filters allow (None: no filter), and notes for the user."""
        if not query.filtered:
            return None, []
        period = query.period
        start, end = (period.start, period.end) if period else (None, None)
        allowed: np.ndarray | None = self.store.chunk_ids_matching(query.outlets, start, end)
        notes = [period.describe()] if period else []
        if allowed is not None and len(allowed) == 0 and period and not period.explicit:
            # A time phrase may be about when events happened, not when articles ran
            # ("in 1973"); with no article in that period, search all dates instead.
            allowed = self.store.chunk_ids_matching(query.outlets) if query.outlets else None
            notes = [f"No articles are dated {period.label}; searched all dates."]
        if allowed is not None and len(allowed) == 0:
            what = " and ".join(
                x
                for x in (
                    query.outlets and "from " + " or ".join(query.outlets),
                    period and f"published {period.label}",
                )
                if x
            )
            notes = [f"No indexed article is {what}."]
        if query.outlets and allowed is not None and len(allowed):
            notes.append(f"Searched only articles from {' or '.join(query.outlets)}.")
        return allowed, notes

    def _collect(
        self, query: Query, query_vector: np.ndarray, fused: dict[int, float], k_articles: int
    ) -> Retrieval:
        chunks = self.store.chunks(fused)
        # Chunks deleted by an ingest that committed after our index loaded are skipped.
        fused = {i: s for i, s in fused.items() if i in chunks}
        articles = self.store.articles({c.article_id for c in chunks.values()})
        if query.recency:
            fused = _favour_recent(fused, chunks, articles)
        ranked = sorted(fused.items(), key=lambda x: x[1], reverse=True)
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
        return Retrieval(query, query_vector, passages, ranked_articles)


def _favour_recent(
    fused: dict[int, float], chunks: dict[int, ChunkRow], articles: dict[int, ArticleRow]
) -> dict[int, float]:
    """Add a bonus growing with an article's recency rank among the dated candidates."""
    dated = sorted(
        {a.id: a.published for a in articles.values() if a.published}.items(), key=lambda x: x[1]
    )
    if len(dated) < 2:
        return fused
    freshness = {aid: i / (len(dated) - 1) for i, (aid, _) in enumerate(dated)}
    return {
        cid: s + RECENCY_BONUS * freshness.get(chunks[cid].article_id, 0.0)
        for cid, s in fused.items()
    }
