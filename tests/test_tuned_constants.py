"""Boundary tests for every tuned constant of ranking, declining and fusion.

Each test puts a score just either side of a constant, with fakes whose scores we control
(vectors built to a given cosine, retrievers that return given lists), and refers to the
constant by name: retuning a constant keeps these tests valid, but changing the mechanism
it tunes (a weight switched off, a sum become a max, a comparison flipped) fails them.
The real model's borderline questions are in tests/integration/test_borderline.py, and
the quality floor in tests/integration/test_quality_floor.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from bot import answer, ranking, retrieval
from bot import time_prior as tp
from bot.answer import Draft, ExtractiveAnswerer, ScoredSentence, select
from bot.index import ArticleRow, ChunkRow, SentenceRow, TermStats
from bot.query import Query
from bot.ranking import Candidate, decision_score, quality, score_candidates, time_term
from bot.retrieval import Passage, Retrieval, Retriever, fuse
from bot.time_prior import Focus, TimeFit
from tests.fakes import DIM, FakeEncoder

EPS = 1e-3
Q = np.eye(DIM, dtype=np.float32)[0]  # the question's vector


def at_cosine(cos: float, axis: int = 1) -> np.ndarray:
    """A unit vector whose cosine with Q is exactly `cos`."""
    v = np.zeros(DIM, np.float32)
    v[0], v[axis] = cos, math.sqrt(max(0.0, 1.0 - cos * cos))
    return v


def article(aid: int, body: str, published: datetime | None = None) -> ArticleRow:
    return ArticleRow(aid, f"Story {aid}", body, "Gazette", None, published, None, None, (), (), ())


def passage(aid: int, body: str, published: datetime | None = None, score: float = 1.0) -> Passage:
    return Passage(ChunkRow(aid, aid, 0, 0, len(body)), article(aid, body, published), score, 0)


def sentence_rows(p: Passage, texts_and_cosines: Iterable[tuple[str, float]]) -> list[SentenceRow]:
    body = p.article.body
    rows = []
    for i, (text, cos) in enumerate(texts_and_cosines):
        start = body.index(text)
        rows.append(
            SentenceRow(
                p.chunk.id * 100 + i,
                p.chunk.id,
                p.article.id,
                start,
                start + len(text),
                at_cosine(cos, axis=1 + i),
            )
        )
    return rows


# --- the decline threshold (answer.MIN_SCORE) ----------------------------------------------

# The question shares no word with the sentence and names no one, so the sentence's
# decision score moves with its similarity alone.
ASKED = "What did the committee decide about zoning?"
SAID = "Members voted after a long evening."


def lone_candidate(
    cos: float, fit: TimeFit | None = None, published: datetime | None = None
) -> Candidate:
    p = passage(1, SAID, published)
    (c,) = score_candidates(ASKED, Q, [p], sentence_rows(p, [(SAID, cos)]), fit=fit)
    return c


def cosine_for_decision(target: float, fit: TimeFit | None = None, **kw: object) -> float:
    """The similarity at which the lone candidate's decision score is `target` (it is
    linear in the similarity, with slope D_SIMILARITY: checked here)."""
    low, high = (decision_score(lone_candidate(c, fit, **kw), fit) for c in (0.0, 0.5))  # type: ignore[arg-type]
    assert high - low == pytest.approx(0.5 * ranking.D_SIMILARITY)
    cos = (target - low) / ranking.D_SIMILARITY
    assert -1 + 2 * EPS < cos < 1 - 2 * EPS, "MIN_SCORE out of reach of a similarity alone"
    return cos


def answer_for(c: Candidate, fit: TimeFit | None = None) -> Draft:
    r = Retrieval(Query(ASKED), Q, [c.passage], [(c.passage.article, 1.0)], candidates=[c], fit=fit)
    return ExtractiveAnswerer().answer(ASKED, r, max_words=60)


def test_evidence_just_above_the_threshold_is_answered_and_just_below_declined() -> None:
    cos = cosine_for_decision(answer.MIN_SCORE)
    above, below = lone_candidate(cos + EPS), lone_candidate(cos - EPS)
    assert decision_score(above, None) == pytest.approx(
        answer.MIN_SCORE + ranking.D_SIMILARITY * EPS
    )
    assert decision_score(below, None) == pytest.approx(
        answer.MIN_SCORE - ranking.D_SIMILARITY * EPS
    )
    shown = answer_for(above)
    assert not shown.declined and SAID in shown.text
    assert answer_for(below).declined and answer_for(below).citations == []


def test_declining_for_a_named_period_counts_the_time_and_only_then() -> None:
    week = TimeFit(
        Focus.PERIOD,
        date(2024, 3, 15),
        datetime(2024, 3, 11, tzinfo=UTC),
        datetime(2024, 3, 16, tzinfo=UTC),
    )
    inside = datetime(2024, 3, 12, tzinfo=UTC)
    # Evidence a little above the threshold, from a day of the week: answered.
    cos = cosine_for_decision(answer.MIN_SCORE + 0.05, week, published=inside)
    assert not answer_for(lone_candidate(cos, week, inside), week).declined
    # The same evidence published so far outside the week that the time term takes more
    # than the margin: declined. Just less than the margin: answered.
    margin = decision_score(lone_candidate(cos, week, inside), week) - answer.MIN_SCORE
    far = late_by(week, math.exp(-(margin + EPS) / ranking.W_TIME))
    near = late_by(week, math.exp(-(margin - EPS) / ranking.W_TIME))
    assert answer_for(lone_candidate(cos, week, far), week).declined
    assert not answer_for(lone_candidate(cos, week, near), week).declined
    # For "the latest", an old article still answers when its evidence is there.
    recent = TimeFit(Focus.RECENT, date(2024, 3, 15))
    old = datetime(2020, 1, 1, tzinfo=UTC)
    cos = cosine_for_decision(answer.MIN_SCORE + EPS, recent, published=old)
    assert not answer_for(lone_candidate(cos, recent, old), recent).declined


def late_by(fit: TimeFit, prior: float) -> datetime:
    """A publication time after the period's grace days at which `fit.prior` is `prior`."""
    assert fit.end is not None and tp.PERIOD_FLOOR < prior < 1
    days = tp.AFTER_HALF_LIFE * math.log2((1 - tp.PERIOD_FLOOR) / (prior - tp.PERIOD_FLOOR))
    when = fit.end + timedelta(days=tp.GRACE_DAYS + days)
    assert fit.prior(when) == pytest.approx(prior)
    return when


def test_the_decision_weighs_each_kind_of_evidence() -> None:
    base = lone_candidate(0.5)
    d = decision_score(base, None)
    for feature, weight in (
        ("similarity", ranking.D_SIMILARITY),
        ("overlap", ranking.D_OVERLAP),
        ("context", ranking.D_CONTEXT),
        ("names", ranking.D_NAMES),
    ):
        more = replace(base, **{feature: getattr(base, feature) + 0.1})
        gain = decision_score(more, None) - d
        assert gain > 0, f"{feature} no longer counts when deciding to answer"
        assert gain == pytest.approx(0.1 * weight)
    # The answer type says which sentence answers, not whether the archive holds it.
    assert decision_score(replace(base, typed=not base.typed), None) == d


# --- ranking weights (bot/ranking.py W_*) -------------------------------------------------

FEATURES = ("similarity", "overlap", "context", "typed", "passage", "names")
WEIGHTS = ("W_SIMILARITY", "W_OVERLAP", "W_CONTEXT", "W_TYPE", "W_PASSAGE", "W_NAMES")


@pytest.mark.parametrize(("feature", "weight"), list(zip(FEATURES, WEIGHTS, strict=True)))
def test_each_feature_raises_the_quality_by_its_weight(feature: str, weight: str) -> None:
    values = {
        "similarity": 0.5,
        "overlap": 0.3,
        "context": 0.4,
        "typed": False,
        "passage": 0.6,
        "names": 0.5,
    }
    more = {**values, feature: True if feature == "typed" else values[feature] + 0.25}
    gain = quality(**more) - quality(**values)  # type: ignore[arg-type]
    assert gain > 0, f"{feature} no longer counts in ranking"
    step = 1.0 if feature == "typed" else 0.25
    assert gain == pytest.approx(step * getattr(ranking, weight))


def test_the_time_term_is_the_log_prior_times_its_weight() -> None:
    assert time_term(1.0) == 0.0
    assert time_term(0.5) == pytest.approx(ranking.W_TIME * math.log(0.5))
    assert time_term(0.5) < time_term(0.6) < 0


HOW_MANY = "How many were stranded by the walkout?"
NUMBERED = "Officials counted 4,000 at the quay."
UNNUMBERED = "Crews gathered at the quay."


def test_the_type_asked_wins_unless_another_is_closer_by_more_than_its_weight() -> None:
    """An untyped sentence beats one holding a number for "how many" exactly when its
    similarity is higher by more than W_TYPE / W_SIMILARITY."""
    body = f"{NUMBERED} {UNNUMBERED}"
    p = passage(1, body)
    gap = ranking.W_TYPE / ranking.W_SIMILARITY
    base = 0.2
    assert base + gap + EPS < 1

    def first(delta: float) -> str:
        rows = sentence_rows(p, [(NUMBERED, base), (UNNUMBERED, base + delta)])
        c = score_candidates(HOW_MANY, Q, [p], rows)[0]
        return body[c.sentence.start : c.sentence.end]

    assert first(gap - EPS) == NUMBERED
    assert first(gap + EPS) == UNNUMBERED


def test_a_closer_date_wins_unless_an_older_story_is_better_by_more_than_the_time_term() -> None:
    recent = TimeFit(Focus.RECENT, date(2024, 3, 15))
    new = passage(1, SAID, datetime(2024, 3, 15, tzinfo=UTC))
    old_day = datetime(2024, 3, 15, tzinfo=UTC) - timedelta(days=tp.RECENT_HALF_LIFE)
    old = passage(2, SAID, old_day)
    prior = recent.prior(old_day)
    assert prior == pytest.approx(tp.RECENT_FLOOR + (1 - tp.RECENT_FLOOR) / 2)
    gap = -ranking.W_TIME * math.log(prior) / ranking.W_SIMILARITY
    base = 0.2

    def winner(delta: float) -> int:
        rows = sentence_rows(new, [(SAID, base)]) + sentence_rows(old, [(SAID, base + delta)])
        return score_candidates(ASKED, Q, [new, old], rows, fit=recent)[0].passage.article.id

    assert winner(gap - EPS) == 1
    assert winner(gap + EPS) == 2


# --- the time prior's constants (bot/time_prior.py) ------------------------------------------

WEEK = TimeFit(
    Focus.PERIOD,
    date(2024, 3, 20),
    datetime(2024, 3, 11, tzinfo=UTC),
    datetime(2024, 3, 16, tzinfo=UTC),
)
SECOND = timedelta(seconds=1)


def test_grace_days_after_a_named_period_and_none_before_it() -> None:
    assert WEEK.end is not None and WEEK.start is not None
    last_graced = WEEK.end + timedelta(days=tp.GRACE_DAYS)
    assert WEEK.prior(last_graced) == 1.0 and WEEK.in_period(last_graced)
    assert WEEK.prior(last_graced + SECOND) < 1.0 and not WEEK.in_period(last_graced + SECOND)
    assert WEEK.prior(WEEK.start) == 1.0
    assert WEEK.prior(WEEK.start - SECOND) < 1.0 and not WEEK.in_period(WEEK.start - SECOND)


@pytest.mark.parametrize(
    ("fit", "when", "away", "floor"),
    [
        (WEEK, WEEK.end + timedelta(days=tp.GRACE_DAYS + tp.AFTER_HALF_LIFE), 1, tp.PERIOD_FLOOR),  # type: ignore[operator]
        (WEEK, WEEK.start - timedelta(days=tp.BEFORE_HALF_LIFE), -1, tp.PERIOD_FLOOR),  # type: ignore[operator]
        (
            TimeFit(Focus.RECENT, date(2024, 3, 20)),
            datetime(2024, 3, 20, tzinfo=UTC) - timedelta(days=tp.RECENT_HALF_LIFE),
            -1,
            tp.RECENT_FLOOR,
        ),
        (
            TimeFit(Focus.PLAIN, date(2024, 3, 20)),
            datetime(2024, 3, 20, tzinfo=UTC) - timedelta(days=tp.PLAIN_HALF_LIFE),
            -1,
            tp.PLAIN_FLOOR,
        ),
    ],
    ids=["after-the-period", "before-the-period", "recent", "plain"],
)
def test_the_prior_is_halfway_to_its_floor_after_one_half_life(
    fit: TimeFit, when: datetime, away: int, floor: float
) -> None:
    """`away` is the direction in which the fit falls (1: later, -1: earlier)."""
    half = floor + (1 - floor) / 2
    assert fit.prior(when) == pytest.approx(half)
    assert (
        fit.prior(when + away * timedelta(days=1))
        < half
        < fit.prior(when - away * timedelta(days=1))
    )
    assert fit.prior(when + away * timedelta(days=36500)) == pytest.approx(floor, abs=1e-6)


def test_undated_articles_get_the_undated_prior_only_when_time_matters() -> None:
    assert WEEK.prior(None) == tp.UNDATED
    assert TimeFit(Focus.RECENT, date(2024, 3, 20)).prior(None) == tp.UNDATED
    assert TimeFit(Focus.PLAIN, date(2024, 3, 20)).prior(None) == tp.PLAIN_FLOOR


# --- keeping more sentences (answer.KEEP_MARGIN, MAX_SENTENCES) ------------------------------

FOUR = "One fact here. Two facts here. Three facts here. Four facts here."


def scored(aid: int, body: str, text: str, score: float) -> ScoredSentence:
    start = body.index(text)
    row = SentenceRow(aid * 100 + start, aid, aid, start, start + len(text), Q)
    return ScoredSentence(row, passage(aid, body), score, row.start, row.end)


def test_a_sentence_joins_the_answer_within_the_keep_margin_and_not_beyond() -> None:
    best = scored(1, FOUR, "One fact here.", 1.0)
    inside = scored(1, FOUR, "Two facts here.", 1.0 - answer.KEEP_MARGIN + EPS)
    outside = scored(1, FOUR, "Two facts here.", 1.0 - answer.KEEP_MARGIN - EPS)
    assert select([best, inside], max_words=60) == [best, inside]
    assert select([best, outside], max_words=60) == [best]


def test_only_sentences_of_the_best_article_join_it() -> None:
    best = scored(1, FOUR, "One fact here.", 1.0)
    other = scored(2, FOUR, "Two facts here.", 1.0)  # as good, but another article
    same = scored(1, FOUR, "Three facts here.", 1.0 - answer.KEEP_MARGIN + EPS)
    assert select([best, other, same], max_words=60) == [best, same]


def test_at_most_max_sentences_join() -> None:
    ties = [
        scored(1, FOUR, t, 1.0)
        for t in ("One fact here.", "Two facts here.", "Three facts here.", "Four facts here.")
    ]
    assert len(select(ties, max_words=60)) == answer.MAX_SENTENCES < len(ties)


# --- fusion (retrieval.fuse, RRF_K, W_DENSE, W_LEXICAL) --------------------------------------


def test_fusion_adds_the_reciprocal_ranks_of_every_list_exactly() -> None:
    fused = fuse([(np.array([1, 2, 3]), 1.0), (np.array([3, 1]), 2.0)], k=60)
    assert fused == pytest.approx({1: 1 / 61 + 2 / 62, 2: 1 / 62, 3: 1 / 63 + 2 / 61}, rel=1e-12)


def test_fusion_uses_its_constant_by_default() -> None:
    k = retrieval.RRF_K
    fused = fuse([(np.array([7, 8]), 1.0), (np.array([8]), 1.0)])
    assert fused == pytest.approx({7: 1 / (k + 1), 8: 1 / (k + 2) + 1 / (k + 1)}, rel=1e-12)


@pytest.mark.parametrize(
    ("rank", "wins"), [(retrieval.RRF_K - 1, True), (retrieval.RRF_K + 1, False)]
)
def test_the_constant_sets_how_far_down_agreement_beats_one_first_place(
    rank: int, wins: bool
) -> None:
    """An item ranked `rank` (from 0) by both lists against one ranked first by one list:
    2/(k+rank+1) > 1/(k+1) exactly while rank < k + 1, with k = RRF_K."""
    filler = list(range(100, 100 + rank))
    fused = fuse([(np.array([1, *filler, 2]), 1.0), (np.array([*filler, 2]), 1.0)])
    assert (fused[2] > fused[1]) is wins


class ListedStore:
    """An index whose dense and lexical searches return the lists a test gives; one chunk
    and one sentence per article."""

    def __init__(self, dense: list[int], lexical: list[int]) -> None:
        self.dense, self.lexical = dense, lexical
        ids = set(dense) | set(lexical)
        self._articles = {i: article(i, f"Sentence of article {i}.") for i in ids}

    def dense_search(
        self, vector: np.ndarray, k: int, allowed: object = None
    ) -> tuple[np.ndarray, np.ndarray]:
        return np.ones(len(self.dense[:k])), np.array(self.dense[:k])

    def lexical_search(
        self, terms: object, k: int, allowed: object = None
    ) -> tuple[np.ndarray, np.ndarray]:
        return np.ones(len(self.lexical[:k])), np.array(self.lexical[:k])

    def term_stats(self, terms: Iterable[str]) -> TermStats:
        return TermStats(len(self._articles), {})

    def chunks(self, ids: Iterable[int]) -> dict[int, ChunkRow]:
        return {
            i: ChunkRow(i, i, 0, 0, len(self._articles[i].body)) for i in ids if i in self._articles
        }

    def articles(self, ids: Iterable[int]) -> dict[int, ArticleRow]:
        return {i: self._articles[i] for i in ids}

    def sentences(self, chunk_ids: Iterable[int]) -> list[SentenceRow]:
        return [SentenceRow(i, i, i, 0, len(self._articles[i].body), Q) for i in chunk_ids]


def search(store: ListedStore) -> Retrieval:
    return Retriever(store, FakeEncoder(), candidates=50).search("Which article is it?")  # type: ignore[arg-type]


def test_passages_carry_the_fused_score_of_both_retrievers() -> None:
    k, wd, wl = retrieval.RRF_K, retrieval.W_DENSE, retrieval.W_LEXICAL
    found = search(ListedStore(dense=[1, 2, 3], lexical=[3, 2]))
    scores = {p.article.id: p.score for p in found.passages}
    assert scores == pytest.approx(
        {1: wd / (k + 1), 2: wd / (k + 2) + wl / (k + 2), 3: wd / (k + 3) + wl / (k + 1)}, rel=1e-12
    )


def test_an_article_only_one_retriever_finds_is_still_considered() -> None:
    """The pool of articles whose sentences are scored is full: one article is found by
    the dense search alone, one by BM25 alone, each among others the same retriever
    ranks lower. Both must reach the answerer: switching either retriever off loses one."""
    pool = retrieval.POOL_ARTICLES
    dense_only, lexical_only = 1, 2
    dense = [dense_only, *range(100, 100 + pool)]
    lexical = [lexical_only, *range(200, 200 + pool)]
    considered = {c.sentence.article_id for c in search(ListedStore(dense, lexical)).candidates}
    assert len(considered) == pool
    assert dense_only in considered, "dense retrieval is switched off"
    assert lexical_only in considered, "lexical retrieval is switched off"


# --- compound words (ranking.COMPOUND_MIN, COMPOUND_PREFIX) ----------------------------------


def compound(term_letters: int, prefix_letters: int) -> tuple[str, str]:
    """A question term of `term_letters` letters, and a longer word ending with it."""
    term = "w" * (term_letters - 1) + "k"  # not ending in "e": no letter is dropped
    return term, "p" * prefix_letters + term


@pytest.mark.parametrize(
    ("term_letters", "prefix_letters", "matches"),
    [
        (ranking.COMPOUND_MIN, ranking.COMPOUND_PREFIX, True),
        (ranking.COMPOUND_MIN - 1, ranking.COMPOUND_PREFIX + 5, False),
        (ranking.COMPOUND_MIN + 5, ranking.COMPOUND_PREFIX - 1, False),
    ],
    ids=["both-at-their-minimum", "term-one-letter-short", "prefix-one-letter-short"],
)
def test_a_question_word_matches_the_tail_of_a_compound_from_its_minimum_lengths(
    term_letters: int, prefix_letters: int, matches: bool
) -> None:
    term, word = compound(term_letters, prefix_letters)
    assert (term in ranking.with_compounds({term}, {word})) is matches


def test_a_compound_match_counts_as_a_shared_word_in_ranking() -> None:
    """ "strikes" in the question, "airstrikes" in the sentence (the stemmer drops a final
    "e" only in the longer word): the sentence holds all of the question's term weight."""
    body = "The airstrikes hit the depot."
    p = passage(1, body)
    (c,) = score_candidates("strikes depot", Q, [p], sentence_rows(p, [(body, 0.5)]))
    assert c.overlap == pytest.approx(1.0)


# --- issue 12's late additions: word order, counted nouns, follow-ups ----------------------


def test_word_order_adds_its_weight_times_the_share_of_pairs_kept() -> None:
    values = {"similarity": 0.5, "overlap": 0.3, "context": 0.4, "typed": 1.0}
    values |= {"passage": 0.6, "names": 0.5}
    gain = quality(**values, order=1.0) - quality(**values, order=0.0)  # type: ignore[arg-type]
    assert gain == pytest.approx(ranking.W_ORDER) and gain > 0


def test_the_same_words_in_the_asked_order_win_by_the_order_weight() -> None:
    asked = "What does story 3 paragraph 2 report?"
    right, swapped = (
        "Story 3 paragraph 2 reports the event.",
        "Story 2 paragraph 3 reports the event.",
    )
    p1, p2 = passage(1, right), passage(2, swapped)
    rows = sentence_rows(p1, [(right, 0.5)]) + sentence_rows(p2, [(swapped, 0.5)])
    by_text = {c.passage.article.body: c for c in score_candidates(asked, Q, [p1, p2], rows)}
    assert by_text[right].order == 1.0 and by_text[swapped].order == 0.0
    assert by_text[right].score - by_text[swapped].score == pytest.approx(ranking.W_ORDER)


def test_an_amount_counting_another_thing_gets_the_uncounted_share_of_the_type_weight() -> None:
    asked = "How many tonnes did the frost destroy?"
    counted, other = "It destroyed 3,100 tonnes of fruit.", "It destroyed half of the blossoms."
    p1, p2 = passage(1, counted), passage(2, other)
    rows = sentence_rows(p1, [(counted, 0.5)]) + sentence_rows(p2, [(other, 0.5)])
    by_text = {c.passage.article.body: c for c in score_candidates(asked, Q, [p1, p2], rows)}
    assert by_text[counted].typed == 1.0
    assert by_text[other].typed == ranking.TYPE_UNCOUNTED < 1.0


@pytest.mark.parametrize("extra", [-1, 0])
def test_a_follow_up_borrows_the_last_question_below_standalone_terms(extra: int) -> None:
    from bot.core import STANDALONE_TERMS, standalone_query
    from bot.records import Turn

    words = ["zebra", "circus", "park", "keeper", "cage"][: STANDALONE_TERMS + extra]
    question = f"Where was that {' '.join(words)}?"
    query = standalone_query(question, [Turn("Who ran the ferry union?", "…")])
    borrowed = "ferry" in query.text
    assert borrowed == (extra < 0), (question, query.text)


def test_rescoring_moves_a_candidate_by_the_similarity_weight_and_reorders() -> None:
    asked = "What did the council decide?"
    first, second = "The council met on Tuesday.", "The council voted to close the library."
    p1, p2 = passage(1, first), passage(2, second)
    rows = sentence_rows(p1, [(first, 0.6)]) + sentence_rows(p2, [(second, 0.5)])
    ranked = score_candidates(asked, Q, [p1, p2], rows)
    assert [c.passage.article.id for c in ranked] == [1, 2]
    # Embedded alone, the second sentence is the nearer one.
    again = ranking.rescore(ranked, [0.3, 0.7])
    assert [c.passage.article.id for c in again] == [2, 1]
    moved = {c.passage.article.id: c for c in again}
    before = {c.passage.article.id: c for c in ranked}
    assert moved[2].similarity == 0.7
    assert moved[2].score - before[2].score == pytest.approx(ranking.W_SIMILARITY * 0.2)
    assert moved[2].quality - before[2].quality == pytest.approx(ranking.W_SIMILARITY * 0.2)


@pytest.mark.parametrize("extra", [0, 1])
def test_the_retriever_embeds_alone_the_best_rescore_top_candidates_only(extra: int) -> None:
    n = retrieval.RESCORE_TOP + extra
    bodies = [f"Sentence number {i} about the council." for i in range(n)]
    passages = [passage(i + 1, b) for i, b in enumerate(bodies)]
    rows = [r for p, b in zip(passages, bodies, strict=True) for r in sentence_rows(p, [(b, 0.5)])]
    ranked = score_candidates("What about the council?", Q, passages, rows)
    encoder = FakeEncoder()
    out = Retriever(store=None, encoder=encoder)._rescored(ranked, Q)  # type: ignore[arg-type]
    assert encoder.texts_embedded == retrieval.RESCORE_TOP
    assert len(out) == n
    # Past the first RESCORE_TOP, candidates keep the index's similarity.
    assert [c.similarity for c in out[retrieval.RESCORE_TOP :]] == [0.5] * extra
