"""Score the candidate sentences of retrieved passages, and order articles by their best.

A sentence's quality combines what it means (cosine of the question's and the sentence's
own vectors), the share of the question's term weight it holds (IDF), the same share
counted over the sentence with its headline and the sentence before it ("he said", "the
company"), whether it holds an answer of the type the question asks for that the
question doesn't already say (bot/answer_types.py), and how well retrieval ranked its
passage. Its final score adds the time prior's log (bot/time_prior.py), so among close
candidates the one published at the right time wins. A sentence that asks a question is
never a candidate.

Pure functions: sentence vectors come with the rows, the question's vector from retrieval.
The weights were chosen with `bench/tune_news.py` (see the docs' Quality page).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from bot.answer_types import (
    AnswerType,
    Span,
    answer_spans,
    asked_terms_text,
    counted_noun,
    counts,
    expected_type,
    is_question,
    mentions,
    name_phrases,
)
from bot.index import SentenceRow
from bot.terms import content_terms, stem
from bot.time_prior import Focus, TimeFit

W_SIMILARITY = 0.8
W_OVERLAP = 0.1
W_CONTEXT = 0.2
W_TYPE = 0.2
W_PASSAGE = 0.05
W_NAMES = 0.4
W_TIME = 0.5
# Share of the question's adjacent word pairs found adjacent in the sentence: a tie-breaker
# between sentences with the same words in another order.
W_ORDER = 0.05
# "How many tonnes…": a sentence whose amounts count something else gets this share of W_TYPE.
TYPE_UNCOUNTED = 0.5
# Declining asks another question than ranking: not "which sentence answers best" but
# "does the archive hold this at all". The specific words and names the question gives
# must be there, so shared words weigh more and the answer type not at all.
D_SIMILARITY = 0.6
D_OVERLAP = 0.3
D_CONTEXT = 0.2
D_NAMES = 0.4
# A question's word also matches the tail of a compound ("strike": "airstrike") when the
# word's stem has at least COMPOUND_MIN letters and what comes before it COMPOUND_PREFIX.
COMPOUND_MIN = 5
COMPOUND_PREFIX = 3

if TYPE_CHECKING:
    from bot.retrieval import Passage

IdfFn = Callable[[str], float]


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage with the features it is scored on."""

    sentence: SentenceRow
    passage: Passage
    similarity: float
    overlap: float
    context: float
    typed: float  # 1 when it holds an answer of the type asked, not already in the question
    # (always when the question asks for no particular type: nothing is missing), less when
    # its amounts count another thing than "how many" asks, 0 without one
    passage_score: float  # retrieval's score of its passage relative to the best, in [0, 1]
    names: float  # share of the question's names ("Bank of Japan") that its article names
    # (names of two words or more: a lone capitalised word is often an adjective, "French")
    prior: float
    quality: float  # the evidence, time aside
    score: float  # quality and time: what ranking looks at
    order: float = 0.0  # share of the question's adjacent word pairs adjacent here too
    spans: tuple[Span, ...] = field(default=(), compare=False)

    @property
    def text(self) -> str:
        """The sentence as its article has it."""
        return self.passage.article.body[self.sentence.start : self.sentence.end]


def overlap_score(
    question_terms: set[str], terms: set[str], idf: IdfFn, names: frozenset[str] = frozenset()
) -> float:
    """Share of the question's IDF weight that `terms` contain. Terms of the question's
    names also match their demonyms and inflections ("Russia": "Russian")."""
    total = sum(idf(t) for t in question_terms)
    if not total:
        return 0.0
    found = sum(idf(t) for t in question_terms if t in terms or (t in names and mentions(t, terms)))
    return found / total


def with_compounds(
    question_terms: set[str], terms: set[str], seen: dict[str, frozenset[str]] | None = None
) -> set[str]:
    """`terms` plus the question's words that one of them ends with: "strike" for
    "airstrike", "attack" for "counterattack". `seen` caches each word's finds."""
    seen = {} if seen is None else seen
    extra: set[str] = set()
    for t in terms:
        if t not in seen:
            seen[t] = frozenset(q for q in question_terms if _compound_tail(q, t))
        extra |= seen[t]
    return terms | extra if extra else terms


def _compound_tail(term: str, word: str) -> bool:
    """Whether `word` is a longer word ending with `term` ("ion" in "nation" is too short)."""
    if len(term) < COMPOUND_MIN or term == word:
        return False
    # the stemmer may drop a final "e" in the longer word only ("strike", "airstrik")
    base = term[:-1] if term.endswith("e") else term
    return len(word) >= len(base) + COMPOUND_PREFIX and word.endswith(base)


def quality(
    similarity: float,
    overlap: float,
    context: float,
    typed: float,
    passage: float,
    names: float,
    order: float = 0.0,
) -> float:
    return (
        W_SIMILARITY * similarity
        + W_OVERLAP * overlap
        + W_CONTEXT * context
        + W_TYPE * typed
        + W_PASSAGE * passage
        + W_NAMES * names
        + W_ORDER * order
    )


def rescore(candidates: Sequence[Candidate], similarities: Sequence[float]) -> list[Candidate]:
    """The first len(similarities) candidates scored again with those similarities, best
    first, ahead of the others (whose scores stay on the index's vectors)."""
    head = [_with_similarity(c, sim) for c, sim in zip(candidates, similarities, strict=False)]
    head.sort(key=lambda c: c.score, reverse=True)
    return head + list(candidates[len(head) :])


def _with_similarity(c: Candidate, similarity: float) -> Candidate:
    change = W_SIMILARITY * (similarity - c.similarity)
    return replace(c, similarity=similarity, quality=c.quality + change, score=c.score + change)


def pairs(terms: Sequence[str]) -> set[tuple[str, str]]:
    """Adjacent pairs of content terms: word order a bag of words loses ("story 3
    paragraph 2" is not "story 2 paragraph 3")."""
    return set(itertools.pairwise(terms))


def time_term(prior: float) -> float:
    return W_TIME * math.log(max(prior, 1e-6))


def score_candidates(
    question: str,
    query_vector: np.ndarray,
    passages: Sequence[Passage],
    sentences: Sequence[SentenceRow],
    idf: IdfFn = lambda _: 1.0,
    fit: TimeFit | None = None,
    wanted: AnswerType | None = None,
) -> list[Candidate]:
    """Every candidate sentence with its features and scores, best first."""
    by_chunk = {p.chunk.id: p for p in passages}
    rows = [s for s in sentences if s.chunk_id in by_chunk]
    if not rows:
        return []
    wanted = expected_type(question) if wanted is None else wanted
    q_sequence = content_terms(asked_terms_text(question))
    q_terms = set(q_sequence)
    q_pairs = pairs(q_sequence)
    phrases = name_phrases(question)
    name_words = frozenset(stem(w) for n in phrases for w in n.split())
    q_names = [n for n in phrases if " " in n]
    named: dict[int, float] = {}
    seen: dict[str, frozenset[str]] = {}  # compound tails found per word
    counted = counted_noun(question) if wanted is AnswerType.NUMBER else None
    top = max((p.score for p in passages), default=0.0) or 1.0
    sims = np.stack([s.vector for s in rows]) @ query_vector
    previous = _previous_sentences(rows)
    out = []
    for s, sim in zip(rows, sims.tolist(), strict=True):
        p = by_chunk[s.chunk_id]
        body = p.article.body
        text = body[s.start : s.end]
        if is_question(text):
            continue
        sequence = content_terms(text)
        terms = with_compounds(q_terms, set(sequence), seen)
        before = previous.get(s.id)
        context_terms = terms | with_compounds(
            q_terms, set(content_terms(body[before[0] : before[1]] if before else "")), seen
        )
        spans = tuple(answer_spans(text, wanted, question))
        overlap = overlap_score(q_terms, terms, idf, name_words)
        context = overlap_score(q_terms, context_terms, idf, name_words)
        passage_score = p.score / top
        if p.article.id not in named:
            named[p.article.id] = _names_share(q_names, p.article.headline + "\n" + body)
        names = named[p.article.id]
        prior = fit.prior(p.article.published) if fit is not None else 1.0
        typed = _typed(text, spans, wanted, counted)
        order = len(q_pairs & pairs(sequence)) / len(q_pairs) if q_pairs else 0.0
        q = quality(sim, overlap, context, typed, passage_score, names, order)
        score = q + (time_term(prior) if fit is not None else 0.0)
        out.append(
            Candidate(
                sentence=s,
                passage=p,
                similarity=sim,
                overlap=overlap,
                context=context,
                typed=typed,
                passage_score=passage_score,
                names=names,
                prior=prior,
                quality=q,
                score=score,
                order=order,
                spans=spans,
            )
        )
    out.sort(key=lambda c: c.score, reverse=True)
    return out


def _typed(text: str, spans: Sequence[Span], wanted: AnswerType, counted: str | None) -> float:
    """1 when the sentence holds an answer of the type asked (always, when the question asks
    for no particular type); for "how many tonnes", TYPE_UNCOUNTED when its amounts count
    something else; 0 when it holds none."""
    if wanted is AnswerType.OTHER:
        return 1.0
    if not spans:
        return 0.0
    if counted is None or any(counts(text, sp, counted) for sp in spans):
        return 1.0
    return TYPE_UNCOUNTED


def _names_share(names: Sequence[str], text: str) -> float:
    """Share of the names that `text` mentions (1.0 when the question names nothing)."""
    if not names:
        return 1.0
    terms = set(content_terms(text))
    return sum(mentions(name, terms) for name in names) / len(names)


def _previous_sentences(rows: Sequence[SentenceRow]) -> dict[int, tuple[int, int]]:
    """Each sentence's predecessor in its article, among the rows given."""
    by_article: dict[int, list[SentenceRow]] = {}
    for s in rows:
        by_article.setdefault(s.article_id, []).append(s)
    previous: dict[int, tuple[int, int]] = {}
    for group in by_article.values():
        group.sort(key=lambda s: s.start)
        for a, b in itertools.pairwise(group):
            previous[b.id] = (a.start, a.end)
    return previous


def decision_score(best: Candidate, fit: TimeFit | None) -> float:
    """What declining compares with the threshold: the evidence itself, and for a question
    that names a period also the time (a look-alike from another month doesn't answer
    "this week"); for "latest"/"now" an old article still answers when it is all there is."""
    evidence = (
        D_SIMILARITY * best.similarity
        + D_OVERLAP * best.overlap
        + D_CONTEXT * best.context
        + D_NAMES * best.names
    )
    if fit is not None and fit.focus is Focus.PERIOD:
        return evidence + time_term(best.prior)
    return evidence
