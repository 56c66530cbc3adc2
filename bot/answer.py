"""The extractive answerer: the best-supported sentences, verbatim, each with its citation.

Scoring a sentence needs no model call: its vector was pooled from the chunk's forward
pass at ingest time, and the question's vector is the one retrieval already made.
The weights and the decline threshold were chosen on the dev set with `bench/tune.py`
(see docs/evaluation.md for what they trade).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.index import ArticleRow, IndexReader, SentenceRow
from bot.records import DECLINE_TEXT, Citation
from bot.retrieval import Passage, Retrieval
from bot.terms import content_terms

# A sentence's score: meaning (cosine of question and sentence vectors) and the share of
# the question's term weight (IDF) it contains carry it; the passage's rank breaks ties.
W_SIMILARITY = 0.6
W_OVERLAP = 0.5
W_RANK = 0.02
# Another sentence joins the answer only when it scores nearly as well as the best one.
KEEP_RATIO = 0.9
MAX_SENTENCES = 3
# Words the answer adds around quotes: a marker "[n]" after each, and "…" on both sides of
# a trimmed sentence. The budget counts them, so the shown answer never exceeds it.
MARKER_WORDS = 1
TRIM_WORDS = 2
# Below this the best evidence is too weak: the bot declines rather than guess.
MIN_SCORE = 0.52

_WORD_SPAN = re.compile(r"\S+")


@dataclass(frozen=True)
class ScoredSentence:
    sentence: SentenceRow
    passage: Passage
    score: float
    similarity: float
    overlap: float
    start: int  # the quoted span: the whole sentence, or a window of a very long one
    end: int

    @property
    def text(self) -> str:
        return self.passage.article.body[self.start : self.end]

    @property
    def trimmed(self) -> bool:
        return (self.start, self.end) != (self.sentence.start, self.sentence.end)


@dataclass(frozen=True)
class Draft:
    text: str
    citations: list[Citation]
    declined: bool


IdfFn = Callable[[str], float]


def overlap_score(question_terms: set[str], terms: set[str], idf: IdfFn) -> float:
    """Share of the question's IDF weight that the sentence contains."""
    total = sum(idf(t) for t in question_terms)
    return sum(idf(t) for t in question_terms if t in terms) / total if total else 0.0


def score_sentences(
    question: str,
    query_vector: np.ndarray,
    passages: Sequence[Passage],
    sentences: Sequence[SentenceRow],
    idf: IdfFn = lambda _: 1.0,
) -> list[ScoredSentence]:
    """Every candidate sentence with its score, best first (pure: no I/O)."""
    by_chunk = {p.chunk.id: p for p in passages}
    candidates = [s for s in sentences if s.chunk_id in by_chunk]
    if not candidates:
        return []
    q_terms = set(content_terms(question))
    sims = np.stack([s.vector for s in candidates]) @ query_vector
    scored = []
    for s, sim in zip(candidates, sims.tolist(), strict=True):
        passage = by_chunk[s.chunk_id]
        terms = set(content_terms(passage.article.body[s.start : s.end]))
        overlap = overlap_score(q_terms, terms, idf)
        score = W_SIMILARITY * sim + W_OVERLAP * overlap + W_RANK / (1.0 + passage.rank)
        scored.append(ScoredSentence(s, passage, score, sim, overlap, s.start, s.end))
    scored.sort(key=lambda x: x.score, reverse=True)
    return scored


def trim(s: ScoredSentence, question: str, max_words: int, idf: IdfFn) -> ScoredSentence:
    """A sentence longer than the budget is cut to the run of `max_words` words holding
    most of the question's term weight (a verbatim fragment, shown with ellipses)."""
    body = s.passage.article.body
    words = list(_WORD_SPAN.finditer(body, s.sentence.start, s.sentence.end))
    if len(words) <= max_words:
        return s
    q_terms = set(content_terms(question))
    weights = [sum(idf(t) for t in set(content_terms(w.group())) if t in q_terms) for w in words]
    sums = np.convolve(weights, np.ones(max_words), mode="valid")
    # Among the heaviest windows, centre the matched words: the answer to a question
    # usually stands next to the words it shares with it, on either side.
    centre = np.average(np.arange(len(words)), weights=np.asarray(weights) + 1e-9)
    heaviest = np.flatnonzero(sums >= sums.max() - 1e-9)
    best = int(heaviest[np.argmin(np.abs(heaviest + (max_words - 1) / 2 - centre))])
    first, last = words[best], words[best + max_words - 1]
    return replace(s, start=first.start(), end=last.end())


def shown_words(s: ScoredSentence) -> int:
    """Words `s` takes in the answer: its own, its marker, and "…" where trimmed."""
    return len(s.text.split()) + MARKER_WORDS + (TRIM_WORDS if s.trimmed else 0)


def select(scored: Sequence[ScoredSentence], max_words: int) -> list[ScoredSentence]:
    """The best sentence, plus up to two nearly as good ones that fit the word budget."""
    if not scored:
        return []
    chosen = [scored[0]]
    words = shown_words(scored[0])
    for s in scored[1:]:
        if len(chosen) >= MAX_SENTENCES or s.score < KEEP_RATIO * scored[0].score:
            break
        n = shown_words(s)
        if words + n <= max_words:
            chosen.append(s)
            words += n
    return chosen


def within_budget(
    scored: Sequence[ScoredSentence], question: str, max_words: int, idf: IdfFn
) -> tuple[str, list[Citation]]:
    """The answer from sentences scored best first: at most `max_words` words as shown."""
    best = scored[0]
    if shown_words(best) > max_words:
        best = trim(best, question, max_words - MARKER_WORDS - TRIM_WORDS, idf)
    return compose(select([best, *scored[1:]], max_words))


def should_decline(best: ScoredSentence | None) -> bool:
    return best is None or best.score < MIN_SCORE


def compose(chosen: Sequence[ScoredSentence]) -> tuple[str, list[Citation]]:
    """Answer text with [n] markers; adjacent sentences of one article share a citation."""
    groups: list[list[ScoredSentence]] = []
    for s in chosen:  # best first; glue a sentence to a group it directly borders
        for g in groups:
            if g[0].passage.article.id == s.passage.article.id and _adjacent(g, s):
                g.append(s)
                g.sort(key=lambda x: x.start)
                break
        else:
            groups.append([s])
    parts, citations = [], []
    for marker, g in enumerate(groups, start=1):
        article = g[0].passage.article
        start, end = g[0].start, g[-1].end
        quote = article.body[start:end]
        shown = ("… " if g[0].start > g[0].sentence.start else "") + quote
        shown += " …" if g[-1].end < g[-1].sentence.end else ""
        parts.append(f"{shown} [{marker}]")
        citations.append(cite(marker, article, start, end))
    return " ".join(parts), citations


def cite(marker: int, article: ArticleRow, start: int, end: int) -> Citation:
    """The citation of `article.body[start:end]` as source [marker]."""
    return Citation(
        marker=marker,
        article_id=article.id,
        headline=article.headline,
        attribution=article.attribution,
        published=article.published,
        url=article.url,
        source_path=article.source_path,
        quote=article.body[start:end],
        start=start,
        end=end,
    )


def _adjacent(group: list[ScoredSentence], s: ScoredSentence) -> bool:
    if s.trimmed or any(x.trimmed for x in group):
        return False
    body = s.passage.article.body
    first, last = group[0], group[-1]
    between = body[last.end : s.start] if s.start >= last.end else body[s.end : first.start]
    return between.strip() == "" and "\n\n" not in between


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, store: IndexReader) -> None:
        self.store = store

    def answer(self, question: str, retrieval: Retrieval, *, max_words: int) -> Draft:
        sentences = self.store.sentences(p.chunk.id for p in retrieval.passages)
        idf: IdfFn = self.store.term_stats(content_terms(question)).idf
        scored = score_sentences(
            question, retrieval.query_vector, retrieval.passages, sentences, idf
        )
        best = scored[0] if scored else None
        if should_decline(best):
            return Draft(DECLINE_TEXT, [], True)
        assert best is not None
        text, citations = within_budget(scored, question, max_words, idf)
        return Draft(text, citations, False)
