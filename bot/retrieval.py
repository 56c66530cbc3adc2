"""Find the passages that best match a question: dense (FAISS) and BM25 results fused by
reciprocal rank, restricted by outlet, typed date filters and the as-of day (nothing
published after it), diversified across articles; then the sentences of the best
articles' passages are scored (bot/ranking.py), time prior included, and articles are
ordered by their best sentence."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from bot.embeddings import Encoder
from bot.index import ArticleRow, ChunkRow, IndexReader, TermStats
from bot.query import Query
from bot.ranking import Candidate, rescore, score_candidates
from bot.terms import content_terms
from bot.time_prior import Focus, TimeFit

# Reciprocal rank fusion: score = sum of weight / (RRF_K + rank). 60 is the usual constant.
RRF_K = 60
W_DENSE = 1.0
W_LEXICAL = 1.0
# Articles whose passages are scored sentence by sentence (the rest keep retrieval's order),
# and how many of each article's best chunks: enough that a short archive's answer isn't
# cut off because other chunks of its article matched the words better.
POOL_ARTICLES = 12
POOL_PER_ARTICLE = 8
# The index's sentence vectors are read in their chunk's context (one model pass per chunk
# at ingest), which tells the sentences of one chunk apart less sharply than embedding each
# on its own: the best this many are embedded alone when answering and scored again.
RESCORE_TOP = 8


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
    candidates: list[Candidate] = field(default_factory=list)  # scored sentences, best first
    fit: TimeFit | None = None  # how publication dates ranked


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
        pool_articles: int = POOL_ARTICLES,
        pool_per_article: int = POOL_PER_ARTICLE,
    ) -> None:
        self.store = store
        self.encoder = encoder
        self.candidates = candidates
        self.max_passages = max_passages
        self.per_article = per_article
        self.pool_articles = pool_articles
        self.pool_per_article = pool_per_article

    def search(self, query: Query | str, k_articles: int = 10) -> Retrieval:
        if isinstance(query, str):
            query = Query(query)
        query_vector = self.encoder.encode([query.text])[0]
        terms = content_terms(query.text)
        lexical = self.store.term_stats(terms)
        allowed, notes = self._allowed(query)
        fit, fit_notes = self._fit(query)
        if allowed is not None and len(allowed) == 0:
            return Retrieval(query, query_vector, [], [], lexical, notes, no_match=True, fit=fit)
        _, dense_ids = self.store.dense_search(query_vector, self.candidates, allowed)
        _, lexical_ids = self.store.lexical_search(terms, self.candidates, allowed)
        fused = fuse([(dense_ids, W_DENSE), (lexical_ids, W_LEXICAL)])
        retrieval = self._collect(query, query_vector, fused, k_articles, fit)
        retrieval.lexical = lexical
        retrieval.notes = notes + fit_notes
        self._rank(retrieval, k_articles)
        return retrieval

    def _allowed(self, query: Query) -> tuple[np.ndarray | None, list[str]]:
        """Chunk ids the filters and the as-of day allow (None: all), and notes for the user."""
        explicit = query.period if query.period and query.period.explicit else None
        start, end = (explicit.start, explicit.end) if explicit else (None, None)
        cutoff = query.cutoff
        if cutoff is not None and (end is None or cutoff < end):
            latest = self.store.published_range()[1]
            # Articles published after the as-of day don't exist yet for this question.
            end = cutoff if latest is not None and latest >= cutoff else end
        if not (query.outlets or start or end):
            return None, []
        allowed = self.store.chunk_ids_matching(
            query.outlets, start, end, include_undated=explicit is None
        )
        notes = [explicit.describe()] if explicit else []
        if len(allowed) == 0 and (query.outlets or explicit):
            what = " and ".join(
                x
                for x in (
                    query.outlets and "from " + " or ".join(query.outlets),
                    explicit and f"published {explicit.label}",
                )
                if x
            )
            notes = [f"No indexed article is {what}."]
        if query.outlets and len(allowed):
            notes.append(f"Searched only articles from {' or '.join(query.outlets)}.")
        return allowed, notes

    def _fit(self, query: Query) -> tuple[TimeFit, list[str]]:
        """The time prior, and a note when a period said in words ranked the articles."""
        fit = query.time_fit
        period = query.period
        if fit.focus is not Focus.PERIOD or period is None:
            return fit, []
        earliest = self.store.published_range()[0]
        if earliest is None or (period.end is not None and period.end <= earliest):
            # A time phrase may be about when events happened, not when articles ran
            # ("in 1973"); before the archive begins, dates only break ties.
            return replace(fit, focus=Focus.PLAIN), [
                f"No articles are dated {period.label}; searched all dates."
            ]
        return fit, [period.describe()]

    def _collect(
        self,
        query: Query,
        query_vector: np.ndarray,
        fused: dict[int, float],
        k_articles: int,
        fit: TimeFit,
    ) -> Retrieval:
        chunks = self.store.chunks(fused)
        # Chunks deleted by an ingest that committed after our index loaded are skipped.
        fused = {i: s for i, s in fused.items() if i in chunks}
        articles = self.store.articles({c.article_id for c in chunks.values()})
        # Retrieval's order already weighs time, so the pool holds this week's story
        # even when a look-alike from another month matched the words a little better.
        weighted = {
            cid: s * fit.prior(articles[chunks[cid].article_id].published)
            for cid, s in fused.items()
            if chunks[cid].article_id in articles
        }
        ranked = sorted(weighted.items(), key=lambda x: x[1], reverse=True)
        per_article: dict[int, int] = {}
        best: dict[int, float] = {}
        passages: list[Passage] = []
        story_copy: dict[int, int] = {}  # story -> the copy that represents it
        for chunk_id, score in ranked:
            chunk = chunks[chunk_id]
            # One story, one copy: wire copies share a story key; the best-ranked copy
            # stands for the story and the answer names the others ("also ran in").
            story = articles[chunk.article_id].story_key
            if story_copy.setdefault(story, chunk.article_id) != chunk.article_id:
                continue
            best.setdefault(chunk.article_id, score)
            if chunk.article_id not in per_article and len(per_article) >= self.pool_articles:
                continue
            if per_article.get(chunk.article_id, 0) >= self.pool_per_article:
                continue
            per_article[chunk.article_id] = per_article.get(chunk.article_id, 0) + 1
            passages.append(
                Passage(chunk, articles[chunk.article_id], fused[chunk_id], len(passages))
            )
        ranked_articles = [(articles[a], s) for a, s in best.items()]
        return Retrieval(query, query_vector, passages, ranked_articles, fit=fit)

    def _rescored(self, candidates: list[Candidate], query_vector: np.ndarray) -> list[Candidate]:
        """The best RESCORE_TOP candidates scored again on their sentences embedded alone."""
        head = candidates[:RESCORE_TOP]
        if not head:
            return candidates
        vectors = self.encoder.encode([c.text for c in head])
        return rescore(candidates, (vectors @ query_vector).tolist())

    def _rank(self, retrieval: Retrieval, k_articles: int) -> None:
        """Score the pool's sentences; order articles by their best sentence (the others
        after them, in retrieval's order) and keep the best passages for answering."""
        pool = retrieval.passages
        sentences = self.store.sentences(p.chunk.id for p in pool)
        idf = retrieval.lexical.idf if retrieval.lexical else (lambda _: 1.0)
        candidates = score_candidates(
            retrieval.query.text, retrieval.query_vector, pool, sentences, idf, retrieval.fit
        )
        candidates = self._rescored(candidates, retrieval.query_vector)
        retrieval.candidates = candidates
        order: dict[int, float] = {}
        for c in candidates:
            order.setdefault(c.sentence.article_id, c.score)
        first = {a.id: (a, s) for a, s in retrieval.articles}
        ranked = [first[a] for a in order if a in first]
        ranked += [x for x in retrieval.articles if x[0].id not in order]
        retrieval.articles = ranked[:k_articles]
        # The passages kept (for a chat model's sources): the best articles' best chunks.
        rank_of = {a.id: i for i, (a, _) in enumerate(ranked)}
        chunk_best = {c.sentence.chunk_id: c.score for c in reversed(candidates)}
        kept: list[Passage] = []
        taken: dict[int, int] = {}
        by_article = sorted(
            pool,
            key=lambda p: (
                rank_of.get(p.article.id, len(rank_of)),
                -chunk_best.get(p.chunk.id, -9.0),
            ),
        )
        for p in by_article:
            if len(kept) < self.max_passages and taken.get(p.article.id, 0) < self.per_article:
                taken[p.article.id] = taken.get(p.article.id, 0) + 1
                kept.append(replace(p, rank=len(kept)))
        retrieval.passages = kept
