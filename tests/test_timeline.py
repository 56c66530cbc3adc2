"""The story so far (bot/timeline.py): which articles, one entry per story, which sentence,
how many; and how it reads in the terminal, as JSON and in an answer's shape. The index
reads run on both backends with the fake encoder; tests/integration/test_news_context.py
runs the developing story of tests/data/story/ on the real model."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bot.errors import QuestionError
from bot.index import ArticleRow, IndexReader, SentenceRow
from bot.ingest import ingest
from bot.records import Citation, Timeline, TimelineEntry
from bot.render import heading, timeline_json, timeline_text
from bot.timeline import (
    Choice,
    TimelineBuilder,
    _Article,
    _Entry,
    as_answer,
    best_sentence,
    group,
    keep,
    timeline_topic,
)
from tests.conftest import write_article
from tests.fakes import FakeEncoder, bag_of_words


def test_a_timeline_is_asked_for_with_its_prefix() -> None:
    assert timeline_topic("timeline: Riverton strike") == "Riverton strike"
    assert (
        timeline_topic("  Timeline:Riverton strike from:herald ") == "Riverton strike from:herald"
    )
    assert timeline_topic("timeline:") == ""
    assert timeline_topic("What is the timeline: of the strike?") is None
    assert timeline_topic("Who ran the timeline?") is None


# --- pure parts on hand-made articles --------------------------------------------------

START = datetime(2022, 1, 10, 9, 0, tzinfo=UTC)
_ids = iter(range(1, 10_000))


def made(body: str, days: float = 0, story: int | None = None, outlet: str = "Gazette") -> _Article:
    row = ArticleRow(
        id=next(_ids), headline="Harbour bridge", body=body, outlet=outlet, byline=None,
        published=START + timedelta(days=days), updated=None, url=None, credits=(),
        captions=(), sources=("/n/x.txt",), story_id=story,
    )  # fmt: skip
    sentences = [
        SentenceRow(next(_ids), 0, row.id, m.start(), m.end(), bag_of_words(m.group()))
        for m in re.finditer(r"[^.\s][^.]*\.", body)
    ]
    return _Article(row, sentences, 0.5)


def test_wire_copies_are_one_entry_and_a_later_update_is_its_own() -> None:
    first = made("The harbour bridge closed on Monday. Engineers found cracked cables.", 0, 1)
    copy = made("The harbour bridge closed on Monday. Engineers found cracked cables.", 0.2, 1,
                outlet="Herald")  # fmt: skip
    update = made("The harbour bridge closed on Monday. Repairs will take two months.", 3, 1)
    alone = made("The harbour bridge reopened to traffic.", 20)
    entries = group([alone, update, copy, first])
    assert [(e.first.row.id, [c.row.id for c in e.copies]) for e in entries] == [
        (first.row.id, [copy.row.id]), (update.row.id, []), (alone.row.id, []),
    ]  # fmt: skip


def test_the_sentence_chosen_is_what_the_article_adds_not_its_first_line() -> None:
    background = "The harbour bridge closed for repairs on Monday"
    before = made(f"{background}. Engineers found cracked cables.")
    follow_up = made(f"{background}. Engineers now say 30 cables must be replaced.", 4)
    said = [s.vector for s in before.sentences]
    facts = {"monday"}
    topic = bag_of_words("harbour bridge repairs")
    headline = bag_of_words("Bridge repairs: 30 cables to be replaced")
    choice = best_sentence(follow_up, topic, headline, said, facts)
    assert choice is not None
    assert follow_up.row.body[choice.sentence.start : choice.sentence.end].startswith(
        "Engineers now say 30 cables"
    )
    # with nothing said before, the opening that states the topic is the first report
    first = best_sentence(before, topic, bag_of_words("Harbour bridge closed for repairs"), [],
                          set())  # fmt: skip
    assert first is not None and first.sentence == before.sentences[0]


def test_keep_holds_the_first_and_the_latest_and_the_most_telling_between() -> None:
    entries = [(_Entry(made(f"Entry {i} of the harbour bridge story.", i)), Choice(
        SentenceRow(i, 0, i, 0, 1, np.zeros(2, np.float32)), score)) for i, score in
        enumerate([0.1, 0.9, 0.2, 0.8, 0.05])]  # fmt: skip
    kept = keep(entries, 3)
    assert [c.score for _, c in kept] == [0.1, 0.9, 0.05]
    assert keep(entries, 0) == entries and keep(entries, 10) == entries
    assert [c.score for _, c in keep(entries, 1)] == [0.05]  # the latest


# --- the builder on an index, both backends ----------------------------------------------


@pytest.fixture
def bridge(tmp_path: Path, store: IndexReader, encoder: FakeEncoder) -> IndexReader:
    folder = tmp_path / "bridge"
    folder.mkdir()
    wire = (
        "The harbour bridge closed for repairs on Monday after inspectors found cracked "
        "cables under the deck during a routine check of the harbour bridge repairs plan. "
        "Drivers were told to use the ring road and ferries added extra sailings for "
        "commuters while engineers studied the damage to the old steel structure."
    )
    write_article(folder, "1.txt", "Harbour bridge closed for repairs", wire,
                  "Engineers found 12 cracked cables.", Source="Gazette",
                  Published="2022-01-10T08:00:00+00:00")  # fmt: skip
    write_article(folder, "1-copy.txt", "Harbour bridge closed for repairs", wire,
                  Source="Herald", Published="2022-01-10T12:00:00+00:00")  # fmt: skip
    write_article(folder, "2.txt", "Harbour bridge repairs to take months",
                  "The harbour bridge closed for repairs on Monday.",
                  "Engineers now say 30 cracked cables on the harbour bridge need replacing.",
                  Source="Gazette", Published="2022-01-14T08:00:00+00:00")  # fmt: skip
    write_article(folder, "3.txt", "Harbour bridge reopens after repairs",
                  "The harbour bridge reopened after repairs on Tuesday.",
                  Source="Herald", Published="2022-02-01T08:00:00+00:00")  # fmt: skip
    write_article(folder, "old.txt", "Harbour bridge repairs history",
                  "Harbour bridge repairs have a long history.", Source="Gazette")  # fmt: skip
    write_article(folder, "zoo.txt", "Panda arrives", "A panda arrived at the zoo.",
                  Source="Herald", Published="2022-01-12")  # fmt: skip
    ingest([str(folder)], store, encoder)
    return store


def build(store: IndexReader, encoder: FakeEncoder, topic: str, **options) -> Timeline:  # type: ignore[no-untyped-def]
    options.setdefault("as_of", date(2022, 3, 1))
    return TimelineBuilder(store, encoder).build(topic, **options)


def quotes(timeline: Timeline) -> list[tuple[str, str]]:
    return [(e.citation.published.date().isoformat(), e.citation.quote)  # type: ignore[union-attr]
            for e in timeline.entries]  # fmt: skip


def test_the_story_oldest_first_copies_once_undated_left_out(
    bridge: IndexReader, encoder: FakeEncoder
) -> None:
    timeline = build(bridge, encoder, "harbour bridge repairs")
    assert quotes(timeline) == [
        ("2022-01-10", "The harbour bridge closed for repairs on Monday after inspectors found "
         "cracked cables under the deck during a routine check of the harbour bridge repairs "
         "plan."),
        ("2022-01-14", "Engineers now say 30 cracked cables on the harbour bridge need replacing."),
        ("2022-02-01", "The harbour bridge reopened after repairs on Tuesday."),
    ]  # fmt: skip
    first = timeline.entries[0].citation
    assert (first.attribution, first.also_ran_in) == ("Gazette", ("Herald",))
    assert [e.citation.marker for e in timeline.entries] == [1, 2, 3]
    assert (timeline.found, timeline.undated) == (3, 1)
    assert timeline.notes == ["1 undated article about it left out."]


def test_filters_and_the_as_of_day_as_in_questions(
    bridge: IndexReader, encoder: FakeEncoder
) -> None:
    herald = build(bridge, encoder, "harbour bridge repairs from:herald")
    assert [c for _, c in quotes(herald)] == [
        "The harbour bridge closed for repairs on Monday after inspectors found cracked cables "
        "under the deck during a routine check of the harbour bridge repairs plan.",
        "The harbour bridge reopened after repairs on Tuesday.",
    ]
    assert herald.entries[0].citation.attribution == "Herald"  # its own copy, not the Gazette's
    assert herald.notes == ["Searched only articles from herald."]
    january = build(bridge, encoder, "harbour bridge repairs in January 2022")
    assert [d for d, _ in quotes(january)] == ["2022-01-10", "2022-01-14"]
    assert january.search_query == "harbour bridge repairs"
    assert (
        january.notes[0]
        == "Searched articles published in January 2022 (2022-01-01 to 2022-01-31)."
    )
    early = build(bridge, encoder, "harbour bridge repairs", as_of=date(2022, 1, 12))
    assert [d for d, _ in quotes(early)] == ["2022-01-10"]
    after = build(bridge, encoder, "harbour bridge repairs after:2022-01-11")
    assert [d for d, _ in quotes(after)] == ["2022-01-14", "2022-02-01"]


def test_limit_keeps_the_first_report_and_the_latest(
    bridge: IndexReader, encoder: FakeEncoder
) -> None:
    timeline = build(bridge, encoder, "harbour bridge repairs", limit=2)
    assert [d for d, _ in quotes(timeline)] == ["2022-01-10", "2022-02-01"]
    assert timeline.found == 3
    assert (
        heading(timeline)
        == "The story so far: harbour bridge repairs (2 of 3 entries, oldest first)"
    )


def test_a_topic_with_nothing_about_it_and_an_empty_topic(
    bridge: IndexReader, encoder: FakeEncoder
) -> None:
    nothing = build(bridge, encoder, "volcano eruption")
    assert nothing.entries == [] and heading(nothing) == (
        "No dated article in the index is about volcano eruption."
    )
    with pytest.raises(QuestionError, match="A topic is needed"):
        build(bridge, encoder, "  ?? ")


# --- how it reads --------------------------------------------------------------------------


def sample() -> Timeline:
    when = datetime(2022, 1, 10, 8, tzinfo=UTC)
    cites = [
        Citation(1, 7, "Bridge closed", "Gazette", when, None, "/n/1.txt", "It closed.", 0, 10,
                 ("Herald",)),
        Citation(2, 8, "Bridge reopens", None, None, "https://h.example/2", "/n/2.txt",
                 "It reopened.", 5, 17),
    ]  # fmt: skip
    return Timeline(
        topic="bridge from:gazette", entries=[TimelineEntry(c, 0.5) for c in cites], found=3,
        notes=["Searched only articles from gazette."], search_query="bridge",
    )  # fmt: skip


def test_timeline_text_reads_oldest_first_with_dates_outlets_and_markers() -> None:
    text = timeline_text(sample(), full_sources=False)
    assert text == (
        "The story so far: bridge (2 of 3 entries, oldest first)\n\n"
        "10 Jan 2022 · Gazette: It closed. [1]\n"
        "undated: It reopened. [2]\n\n"
        "Searched only articles from gazette.\n\n"
        "1 more between the first and the latest not shown (newsbot timeline --limit 0 "
        "shows all).\n\n"
        "Sources:\n"
        "[1] Gazette · 10 Jan 2022 — Bridge closed\n"
        "[2] undated — Bridge reopens"
    )
    assert "/n/2.txt (characters 5–17)" in timeline_text(sample())


def test_timeline_json_and_its_answer_shape() -> None:
    data = timeline_json(sample())
    json.dumps(data)
    assert data["schema_version"] == 1 and data["topic"] == "bridge from:gazette"
    assert (data["found"], data["undated"], data["search_query"]) == (3, 0, "bridge")
    assert data["entries"][0]["published"] == "2022-01-10T08:00:00+00:00"
    assert data["entries"][0]["also_ran_in"] == ["Herald"] and data["entries"][0]["score"] == 0.5
    answer = as_answer(sample())
    assert answer.question == "timeline: bridge from:gazette" and not answer.declined
    assert answer.text.splitlines()[1] == "10 Jan 2022 · Gazette: It closed. [1]"
    assert [c.marker for c in answer.citations] == [1, 2]
    empty = as_answer(Timeline(topic="volcano"))
    assert empty.declined and empty.text == "No dated article in the index is about volcano."


def test_an_entry_whose_best_sentence_is_already_shown_is_left_out() -> None:
    from bot.timeline import choose_sentences

    lead = "A storm cut power to 30,000 homes on Friday"
    first = made(f"{lead}. Crews worked overnight.", 0)
    # a copy a day later with one sentence more, whose best sentence is still the lead
    later = made(f"{lead}. Crews worked overnight. The utility apologised.", 1)
    entries = [_Entry(first), _Entry(later)]
    topic, headline = bag_of_words("storm power homes"), bag_of_words("storm power homes")
    chosen = choose_sentences(entries, topic, [headline, headline])
    texts = [e.first.row.body[c.sentence.start : c.sentence.end] for e, c in chosen]
    assert len(texts) == len(set(texts)), texts
    assert texts[0] == f"{lead}."
