"""The extractive answerer: the best-supported sentences, verbatim, each with its citation.

Scoring a sentence needs no model call: its vector was pooled from the chunk's forward
pass at ingest time, and the question's vector is the one retrieval already made.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.records import DECLINE_TEXT, Citation
from bot.retrieval import Passage, Retrieval
from bot.store import SentenceRow, Store
from bot.terms import content_terms

# Weights of a sentence's score. Similarity and term overlap carry it; the passage's
# rank and the sentence's place in the article break ties.
W_SIMILARITY = 0.55
W_OVERLAP = 0.35
W_RANK = 0.07
W_POSITION = 0.03
# A sentence is added to the answer only when it is nearly as good as the best one.
KEEP_RATIO = 0.85
MAX_SENTENCES = 3
# Below these the evidence is too weak and the bot declines (see README, "Declining").
MIN_SIMILARITY = 0.35
MIN_SCORE = 0.30


@dataclass(frozen=True)
class ScoredSentence:
    sentence: SentenceRow
    passage: Passage
    score: float
    similarity: float
    overlap: float

    @property
    def text(self) -> str:
        return self.passage.article.body[self.sentence.start : self.sentence.end]


@dataclass(frozen=True)
class Draft:
    text: str
    citations: list[Citation]
    declined: bool
    evidence: float  # score of the best sentence


def idf_weights(
    question_terms: Sequence[str], sentence_terms: Sequence[set[str]]
) -> dict[str, float]:
    """Rarer terms among the candidate sentences count more when they match."""
    n = max(len(sentence_terms), 1)
    return {
        t: math.log(1 + n / (1 + sum(t in s for s in sentence_terms))) for t in set(question_terms)
    }


def overlap_score(question_terms: Sequence[str], terms: set[str], idf: dict[str, float]) -> float:
    total = sum(idf[t] for t in set(question_terms))
    if total == 0:
        return 0.0
    return sum(idf[t] for t in set(question_terms) if t in terms) / total


def score_sentences(
    question: str,
    query_vector: np.ndarray,
    passages: Sequence[Passage],
    sentences: Sequence[SentenceRow],
) -> list[ScoredSentence]:
    """Every candidate sentence with its score, best first (pure: no I/O)."""
    by_chunk = {p.chunk.id: p for p in passages}
    candidates = [s for s in sentences if s.chunk_id in by_chunk]
    if not candidates:
        return []
    q_terms = content_terms(question)
    body_terms = [
        set(content_terms(by_chunk[s.chunk_id].article.body[s.start : s.end])) for s in candidates
    ]
    idf = idf_weights(q_terms, body_terms)
    sims = np.stack([s.vector for s in candidates]) @ query_vector
    scored = []
    for s, terms, sim in zip(candidates, body_terms, sims.tolist(), strict=True):
        passage = by_chunk[s.chunk_id]
        overlap = overlap_score(q_terms, terms, idf)
        rank_prior = 1.0 / (1.0 + passage.rank)
        position = 1.0 / (1.0 + s.start / 2000)
        score = (
            W_SIMILARITY * sim + W_OVERLAP * overlap + W_RANK * rank_prior + W_POSITION * position
        )
        scored.append(ScoredSentence(s, passage, score, sim, overlap))
    scored.sort(key=lambda x: x.score, reverse=True)
    return scored


def select(scored: Sequence[ScoredSentence], max_words: int) -> list[ScoredSentence]:
    """The best sentence, plus up to two nearly as good ones that fit the word budget."""
    if not scored:
        return []
    chosen = [scored[0]]
    words = len(scored[0].text.split())
    for s in scored[1:]:
        if len(chosen) >= MAX_SENTENCES or s.score < KEEP_RATIO * scored[0].score:
            break
        n = len(s.text.split())
        if words + n <= max_words:
            chosen.append(s)
            words += n
    return chosen


def should_decline(best: ScoredSentence | None) -> bool:
    return best is None or (best.similarity < MIN_SIMILARITY and best.score < MIN_SCORE)


def compose(chosen: Sequence[ScoredSentence]) -> tuple[str, list[Citation]]:
    """Answer text with [n] markers; adjacent sentences of one article share a citation."""
    groups: list[list[ScoredSentence]] = []
    for s in chosen:  # best first; glue a sentence to a group it directly borders
        for g in groups:
            if g[0].passage.article.id == s.passage.article.id and _adjacent(g, s):
                g.append(s)
                g.sort(key=lambda x: x.sentence.start)
                break
        else:
            groups.append([s])
    parts, citations = [], []
    for marker, g in enumerate(groups, start=1):
        article = g[0].passage.article
        start, end = g[0].sentence.start, g[-1].sentence.end
        quote = article.body[start:end]
        parts.append(f"{quote} [{marker}]")
        citations.append(
            Citation(
                marker=marker,
                article_id=article.id,
                headline=article.headline,
                attribution=article.attribution,
                published=article.published,
                url=article.url,
                source_path=article.source_path,
                quote=quote,
                start=start,
                end=end,
            )
        )
    return " ".join(parts), citations


def _adjacent(group: list[ScoredSentence], s: ScoredSentence) -> bool:
    body = s.passage.article.body
    first, last = group[0].sentence, group[-1].sentence
    between = (
        body[last.end : s.sentence.start]
        if s.sentence.start >= last.end
        else body[s.sentence.end : first.start]
    )
    return between.strip() == "" and "\n\n" not in between


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, store: Store) -> None:
        self.store = store

    def answer(self, question: str, retrieval: Retrieval, *, max_words: int) -> Draft:
        sentences = self.store.sentences(p.chunk.id for p in retrieval.passages)
        scored = score_sentences(question, retrieval.query_vector, retrieval.passages, sentences)
        best = scored[0] if scored else None
        if should_decline(best):
            return Draft(DECLINE_TEXT, [], True, best.score if best else 0.0)
        assert best is not None
        text, citations = compose(select(scored, max_words))
        # Near-duplicate copies were left out by retrieval; say where else the story ran.
        citations = [
            replace(c, also_ran_in=self.store.also_ran_in(c.article_id)) for c in citations
        ]
        return Draft(text, citations, False, best.score)
