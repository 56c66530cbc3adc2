from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from bot.answer import (
    KEEP_MARGIN,
    compose,
    score_sentences,
    select,
    should_decline,
    trim,
    within_budget,
)
from bot.core import Newsbot, standalone_query
from bot.index import ArticleRow, ChunkRow, SentenceRow
from bot.ingest import ingest
from bot.records import DECLINE_TEXT, Turn
from bot.retrieval import Passage
from tests.conftest import write_article
from tests.fakes import FakeEncoder, bag_of_words

BODY = "The mayor resigned on Monday. She cited health reasons.\n\nThe council meets on Friday."


def make_passage(body: str = BODY) -> tuple[Passage, list[SentenceRow]]:
    article = ArticleRow(
        1, "Mayor resigns", body, "Gazette", None, None, None, None, (), (), ("a.txt",)
    )
    spans = [(0, 29), (30, 55), (57, 84)]
    sentences = [
        SentenceRow(i, 1, 1, s, e, bag_of_words(body[s:e])) for i, (s, e) in enumerate(spans)
    ]
    return Passage(ChunkRow(1, 1, 0, 0, len(body)), article, 0.9, 0), sentences


def test_best_sentence_wins_and_quotes_are_verbatim() -> None:
    passage, sentences = make_passage()
    q = "Why did the mayor resign?"
    scored = score_sentences(q, bag_of_words(q), [passage], sentences)
    assert scored[0].text == "The mayor resigned on Monday."
    text, citations = compose(select(scored, max_words=60))
    for c in citations:
        assert BODY[c.start : c.end] == c.quote
        assert f"{c.quote} [{c.marker}]" in text


def test_adjacent_sentences_share_one_citation() -> None:
    passage, sentences = make_passage()
    q = "mayor resigned health reasons"
    scored = score_sentences(q, bag_of_words(q), [passage], sentences)
    first_two = [s for s in scored if s.sentence.id in (0, 1)]
    text, citations = compose(first_two)
    assert len(citations) == 1
    assert citations[0].quote == "The mayor resigned on Monday. She cited health reasons."
    assert text == "The mayor resigned on Monday. She cited health reasons. [1]"
    # Sentences of different paragraphs are not glued together.
    _, citations = compose([s for s in scored if s.sentence.id in (1, 2)])
    assert len(citations) == 2


def test_select_keeps_the_word_budget_and_near_ties_only() -> None:
    passage, sentences = make_passage()
    q = "mayor resigned health reasons council"
    scored = score_sentences(q, bag_of_words(q), [passage], sentences)
    assert select(scored, max_words=6) == [scored[0]]
    chosen = select(scored, max_words=60)
    assert all(s.score >= scored[0].score - KEEP_MARGIN for s in chosen)
    assert sum(len(s.text.split()) for s in chosen) <= 60


def test_standalone_query_uses_previous_turn_for_follow_ups() -> None:
    history = [Turn("Who carried out the strikes?", "The coalition. [1]")]
    assert (
        standalone_query("Who denounced them?", history).text
        == "Who carried out the strikes? Who denounced them?"
    )
    assert (
        standalone_query("Who is the coalition spokesman?", history).text
        == "Who is the coalition spokesman?"
    )
    assert standalone_query("Who denounced them?", []).text == "Who denounced them?"


def test_follow_up_inherits_filters_unless_it_has_its_own() -> None:
    history = [Turn("from:reuters What did the council decide in March 2018?", "x")]
    follow = standalone_query("Who opposed it?", history, date(2018, 6, 1))
    assert follow.outlets == ("reuters",)
    assert follow.period is not None and follow.period.label == "in March 2018"
    own = standalone_query("Who opposed it in April 2018?", history, date(2018, 6, 1))
    assert own.period is not None and own.period.label == "in April 2018"


def test_ask_answers_cites_and_declines(
    newsbot: Newsbot, encoder: FakeEncoder, tmp_path: Path
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    write_article(
        folder, "mayor.txt", "Mayor resigns", BODY, Source="Gazette", Published="2018-02-05"
    )
    write_article(
        folder, "zoo.txt", "Zoo welcomes panda", "A giant panda arrived at the city zoo on Tuesday."
    )
    ingest([str(folder)], newsbot.store, encoder)

    answer = newsbot.ask("When did the mayor resign?")
    assert not answer.declined
    assert "The mayor resigned on Monday." in answer.text
    assert answer.citations[0].headline == "Mayor resigns"
    assert answer.citations[0].attribution == "Gazette"
    assert answer.retrieved[0].headline == "Mayor resigns"
    assert set(answer.timings) >= {"retrieve_ms", "answer_ms", "total_ms"}

    declined = newsbot.ask("quarterly semiconductor tariffs export volumes")
    assert declined.declined
    assert declined.text == DECLINE_TEXT
    assert declined.citations == []
    assert declined.retrieved  # the closest articles are still named


def test_sentence_scores_are_sorted(newsbot: Newsbot) -> None:
    passage, sentences = make_passage()
    scored = score_sentences("council Friday", bag_of_words("council Friday"), [passage], sentences)
    assert [s.score for s in scored] == sorted((s.score for s in scored), reverse=True)
    assert np.isclose(
        scored[0].candidate.similarity,
        float(sentences[2].vector @ bag_of_words("council Friday")),
    )


def test_a_very_long_sentence_is_trimmed_to_its_relevant_part() -> None:
    filler = " ".join(f"word{i}" for i in range(80))
    body = f"{filler} said the coalition spokesman Colonel Thomas Veale."
    article = ArticleRow(1, "H", body, None, None, None, None, None, (), (), ("a.txt",))
    sentence = SentenceRow(1, 1, 1, 0, len(body), bag_of_words(body))
    passage = Passage(ChunkRow(1, 1, 0, 0, len(body)), article, 0.9, 0)
    q = "Who is the coalition spokesman?"
    (scored,) = score_sentences(q, bag_of_words(q), [passage], [sentence])
    cut = trim(scored, q, 20, lambda _: 1.0)
    assert len(cut.text.split()) == 20
    assert cut.text.endswith("Colonel Thomas Veale.")
    text, (citation,) = compose([cut])
    assert text.startswith("… word") and text.endswith("Veale. [1]")
    assert body[citation.start : citation.end] == citation.quote == cut.text


def test_the_shown_answer_never_exceeds_the_budget_markers_and_ellipses_included() -> None:
    twenty = " ".join(f"w{i}" for i in range(19)) + " spokesman."
    parts = [twenty, "The spokesman is Colonel Veale.", "He spoke on Monday."]
    body = " ".join(parts)
    starts = [body.index(x) for x in parts]
    article = ArticleRow(1, "H", body, None, None, None, None, None, (), (), ("a.txt",))
    sentences = [
        SentenceRow(i, 1, 1, b, b + len(x), bag_of_words(x))
        for i, (b, x) in enumerate(zip(starts, parts, strict=True))
    ]
    passage = Passage(ChunkRow(1, 1, 0, 0, len(body)), article, 0.9, 0)
    q = "spokesman"
    scored = score_sentences(q, bag_of_words(q), [passage], sentences)
    for budget in range(10, 40):
        text, citations, _ = within_budget(scored, q, budget, lambda _: 1.0)
        assert len(text.split()) <= budget, (budget, text)
        assert all(body[c.start : c.end] == c.quote for c in citations)
    # A 20-word sentence fits a budget of 21 (with its marker) untrimmed, not one of 20.
    long = [s for s in scored if s.sentence.id == 0]
    assert within_budget(long, q, 21, lambda _: 1.0)[0] == f"{twenty} [1]"
    assert (
        within_budget(long, q, 20, lambda _: 1.0)[0]
        == "… w3 " + twenty[twenty.index("w4") :] + " [1]"
    )


def test_weak_evidence_declines() -> None:
    passage, sentences = make_passage()
    q = "semiconductor export tariffs"
    scored = score_sentences(q, bag_of_words(q), [passage], sentences)
    assert should_decline(scored[0]) and should_decline(None)
    q = "When did the mayor resign?"
    assert not should_decline(score_sentences(q, bag_of_words(q), [passage], sentences)[0])
