"""Sentence ranking, the short answer and time-aware ranking, on small dated archives of our
own (a ferry strike that recurs, a council that sets a levy twice)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest

from bot.answer import ScoredSentence, short_answer
from bot.answer_types import AnswerType
from bot.core import Newsbot
from bot.index import ArticleRow, ChunkRow, IndexReader, SentenceRow
from bot.ingest import ingest
from bot.ranking import (
    D_CONTEXT,
    D_NAMES,
    D_OVERLAP,
    D_SIMILARITY,
    W_TYPE,
    decision_score,
    overlap_score,
    pairs,
    score_candidates,
    with_compounds,
)
from bot.render import ansi_bold, emphasised, to_json
from bot.retrieval import Passage
from bot.terms import content_terms
from bot.time_prior import Focus, TimeFit
from tests.conftest import write_article
from tests.fakes import FakeEncoder, bag_of_words


def passage_of(body: str, headline: str = "H", published: datetime | None = None) -> Passage:
    article = ArticleRow(1, headline, body, "Gazette", None, published, None, None, (), (), ("a",))
    return Passage(ChunkRow(1, 1, 0, 0, len(body)), article, 0.03, 0)


def rows_of(body: str, sentences: list[str]) -> list[SentenceRow]:
    out = []
    for i, text in enumerate(sentences):
        start = body.index(text)
        out.append(SentenceRow(i, 1, 1, start, start + len(text), bag_of_words(text)))
    return out


FERRY = (
    "Ferry crews walked out on Monday over pay. "
    "The strike lasted three days and stranded 4,000 passengers. "
    "Which company runs the ferries? "
    "Harbour Lines runs the route, said union leader Maria Lopez."
)
SENTENCES = [
    "Ferry crews walked out on Monday over pay.",
    "The strike lasted three days and stranded 4,000 passengers.",
    "Which company runs the ferries?",
    "Harbour Lines runs the route, said union leader Maria Lopez.",
]


def best_text(question: str) -> str:
    p = passage_of(FERRY)
    found = score_candidates(question, bag_of_words(question), [p], rows_of(FERRY, SENTENCES))
    return FERRY[found[0].sentence.start : found[0].sentence.end]


def test_a_sentence_with_an_answer_of_the_type_asked_ranks_first() -> None:
    assert best_text("How many passengers were stranded by the ferry strike?").startswith(
        "The strike lasted"
    )
    assert best_text("Who leads the ferry union?").startswith("Harbour Lines runs")


def test_a_sentence_that_asks_is_never_a_candidate() -> None:
    p = passage_of(FERRY)
    q = "Which company runs the ferries?"
    found = score_candidates(q, bag_of_words(q), [p], rows_of(FERRY, SENTENCES))
    texts = [FERRY[c.sentence.start : c.sentence.end] for c in found]
    assert "Which company runs the ferries?" not in texts
    assert texts[0].startswith("Harbour Lines")


def test_the_sentence_before_counts_as_context() -> None:
    body = "Maria Lopez leads the ferry union. She said the strike will go on."
    sentences = ["Maria Lopez leads the ferry union.", "She said the strike will go on."]
    q = "Will the ferry union strike go on, Maria Lopez?"
    (_, second) = sorted(
        score_candidates(q, bag_of_words(q), [passage_of(body)], rows_of(body, sentences)),
        key=lambda c: c.sentence.start,
    )
    assert second.context > second.overlap  # "ferry union", "Maria Lopez" stand before it


def short_of(question: str, body: str, sentence: str) -> str | None:
    p = passage_of(body)
    (c,) = score_candidates(question, bag_of_words(question), [p], rows_of(body, [sentence]))
    found = short_answer(ScoredSentence.of(c), question)
    assert found is None or body[found.start : found.end] == found.text
    return found.text if found else None


def test_the_short_answer_is_the_typed_span_nearest_the_question_words() -> None:
    body = "Fares rose on 3 May, and the ferry strike lasted three days in all."
    assert short_of("How long did the ferry strike last?", body, body) == "three days"
    body = "“We will not back down,” said union leader Maria Lopez on Friday."
    assert short_of("Who leads the union?", body, body) == "Maria Lopez"
    assert short_of("Why did the union strike?", body, body) is None  # no type asked


def test_an_amount_of_another_thing_is_not_the_short_answer() -> None:
    body = "Soldiers patrolled the road 17 kilometers south of the ferry port."
    assert short_of("How many soldiers patrolled the road?", body, body) is None
    body = "About 40 soldiers patrolled the road south of the ferry port."
    assert short_of("How many soldiers patrolled the road?", body, body) == "40"


def test_the_short_answer_is_bold_only_where_it_stands_verbatim(
    newsbot: Newsbot, encoder: FakeEncoder, tmp_path: Path
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    write_article(
        folder,
        "ferry.txt",
        "Ferry strike ends",
        "The ferry strike lasted three days, union leader Maria Lopez said.",
        Source="Gazette",
        Published="2024-03-15",
    )
    ingest([str(folder)], newsbot.store, encoder)
    answer = newsbot.ask("How long did the ferry strike last?", as_of=date(2024, 3, 16))
    assert answer.short_answer is not None and answer.short_answer.text == "three days"
    assert "\x1b[1mthree days\x1b[22m" in emphasised(answer, ansi_bold)
    data = to_json(answer)["short_answer"]
    article = answer.citations[0]
    assert data["marker"] == article.marker
    assert data["text"] == "three days"
    quote_offset = data["start"] - article.start
    assert article.quote[quote_offset : quote_offset + len("three days")] == "three days"


def test_decline_compares_the_evidence_and_for_a_named_period_the_time() -> None:
    body = "The council set the levy at 2 percent."
    p = passage_of(body, published=datetime(2024, 1, 10, tzinfo=UTC))
    rows = rows_of(body, [body])
    q = "What did the council set the levy at?"
    period = TimeFit(
        Focus.PERIOD,
        date(2024, 3, 15),
        datetime(2024, 3, 11, tzinfo=UTC),
        datetime(2024, 3, 16, tzinfo=UTC),
    )
    recent = TimeFit(Focus.RECENT, date(2024, 3, 15))
    (in_period_q,) = score_candidates(q, bag_of_words(q), [p], rows, fit=period)
    (latest_q,) = score_candidates(q, bag_of_words(q), [p], rows, fit=recent)
    assert in_period_q.quality == pytest.approx(latest_q.quality)
    # Two months before "this week": the time counts against it when deciding to answer.
    assert decision_score(in_period_q, period) < decision_score(latest_q, recent) - 1.0
    # "Latest": the older article still answers when it is all there is (no time term).
    evidence = (
        D_SIMILARITY * latest_q.similarity
        + D_OVERLAP * latest_q.overlap
        + D_CONTEXT * latest_q.context
        + D_NAMES * latest_q.names
    )
    assert decision_score(latest_q, recent) == pytest.approx(evidence)


@pytest.fixture
def levies(newsbot: Newsbot, encoder: FakeEncoder, tmp_path: Path) -> IndexReader:
    """The council sets a levy twice, a month apart; a later article exists too."""
    folder = tmp_path / "levies"
    folder.mkdir()
    for name, day, rate in (
        ("feb.txt", "2024-02-13", "1.5 percent"),
        ("mar.txt", "2024-03-12", "2 percent"),
        ("apr.txt", "2024-04-16", "2.5 percent"),
    ):
        write_article(
            folder,
            name,
            "Council sets the harbour levy",
            f"The city council set the harbour levy at {rate} on Tuesday.",
            Source="Gazette",
            Published=day,
        )
    ingest([str(folder)], newsbot.store, encoder)
    return newsbot.store


def test_this_week_beats_a_look_alike_from_last_month(
    newsbot: Newsbot, levies: IndexReader
) -> None:
    answer = newsbot.ask(
        "What did the council set the harbour levy at this week?", as_of=date(2024, 3, 15)
    )
    assert not answer.declined
    assert "2 percent" in answer.text and "1.5 percent" not in answer.text
    assert answer.retrieved[0].published == datetime(2024, 3, 12, tzinfo=UTC)


def test_articles_after_the_as_of_day_dont_exist_yet(newsbot: Newsbot, levies: IndexReader) -> None:
    answer = newsbot.ask("What is the harbour levy now?", as_of=date(2024, 3, 15))
    assert "2 percent" in answer.text and "2.5" not in answer.text
    assert all(
        r.published is None or r.published.date() <= date(2024, 3, 15) for r in answer.retrieved
    )
    assert answer.notes[-1] == "Newest source published 2024-03-12 (3 days before 2024-03-15)."
    later = newsbot.ask("What is the harbour levy now?", as_of=date(2024, 4, 20))
    assert "2.5 percent" in later.text


def test_a_week_with_no_such_article_declines_and_names_the_closest(
    newsbot: Newsbot, levies: IndexReader
) -> None:
    answer = newsbot.ask(
        "What did the council set the harbour levy at this week?", as_of=date(2024, 3, 29)
    )
    assert answer.declined
    assert answer.notes[-1].startswith(
        "No article published this week answers this; the closest match is from 2024-03-12"
    )


def test_an_only_old_article_still_answers_a_latest_question(
    newsbot: Newsbot, encoder: FakeEncoder, tmp_path: Path
) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    write_article(
        folder,
        "old.txt",
        "Harbour levy set",
        "The city council set the harbour levy at 1 percent.",
        Published="2019-05-02",
    )
    ingest([str(folder)], newsbot.store, encoder)
    answer = newsbot.ask(
        "What is the latest harbour levy set by the city council?", as_of=date(2024, 3, 15)
    )
    assert not answer.declined and "1 percent" in answer.text
    assert answer.notes[-1] == "Newest source published 2019-05-02 (4 years before 2024-03-15)."


def test_expected_type_reaches_the_candidates() -> None:
    body = "The levy is 2 percent."
    p = passage_of(body)
    (c,) = score_candidates(
        "x", bag_of_words("x"), [p], rows_of(body, [body]), wanted=AnswerType.NUMBER
    )
    assert c.typed and c.spans[0].text == "2 percent"
    (d,) = score_candidates(
        "x", bag_of_words("x"), [p], rows_of(body, [body]), wanted=AnswerType.PERSON
    )
    assert not d.typed
    assert np.isclose(c.quality - d.quality, W_TYPE)


@pytest.mark.parametrize(
    ("question", "sentence", "share"),
    [
        ("Who condemned the strikes?", "Both have denounced the airstrikes.", 0.5),
        ("Where did the attack start?", "The counterattack began at dawn.", 0.5),
        ("Which nation sent aid?", "A donation arrived.", 0.0),  # "do" is no word before it
        ("Where did it rain?", "The terrain was wet.", 0.0),  # "rain" is too short a stem
        ("Who condemned the strikes?", "Both condemned the strikes.", 1.0),
    ],
)
def test_a_question_word_matches_the_tail_of_a_compound(
    question: str, sentence: str, share: float
) -> None:
    q = set(content_terms(question))
    terms = with_compounds(q, set(content_terms(sentence)))
    assert overlap_score(q, terms, lambda _: 1.0) == pytest.approx(share)


def test_word_order_breaks_a_tie_between_the_same_words() -> None:
    q = content_terms("What does story 3 paragraph 2 report?")
    right = content_terms("Story 3 paragraph 2 reports the event.")
    swapped = content_terms("Story 2 paragraph 3 reports the event.")
    assert set(right) == set(swapped)  # a bag of words can't tell them apart
    assert pairs(q) <= pairs(right) and not pairs(q) & pairs(swapped)
