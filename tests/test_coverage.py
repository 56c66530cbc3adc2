"""Newer coverage and changed figures (bot/coverage.py).

Pure functions on hand-made articles first (their sentence vectors are the fake encoder's
bag of words, so sentences that share words are near), then the index reads on both
backends with a wire story updated the next day.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bot.answer import cite
from bot.coverage import (
    CONTENT_MIN,
    HEADLINE_MIN,
    NAMES_MIN,
    STORY_DAYS,
    CoverageFinder,
    Story,
    figure_change,
    is_close_match,
    key_names,
    names_share,
    newer_coverage,
)
from bot.index import ArticleRow, IndexReader, SentenceRow
from bot.ingest import ingest
from bot.records import Answer, RetrievedArticle
from bot.render import figures_line, from_json, related_coverage, to_json
from tests.conftest import write_article
from tests.fakes import FakeEncoder, bag_of_words

DAY = datetime(2021, 3, 2, 9, 30, tzinfo=UTC)
_SENTENCE = re.compile(r"[^.]+\.")
_ids = iter(range(1, 10_000))


def article(
    text: str,
    *,
    published: datetime | None = DAY,
    outlet: str = "Coastal Wire",
    headline: str = "Fire at Millbrook plant",
    vectors: dict[int, np.ndarray] | None = None,
) -> tuple[ArticleRow, list[SentenceRow]]:
    """An article whose sentences end at full stops, with bag-of-words vectors (or those
    given by sentence index)."""
    row = ArticleRow(
        id=next(_ids), headline=headline, body=text, outlet=outlet, byline=None,
        published=published, updated=None, url=None, credits=(), captions=(),
        sources=(f"/news/{headline[:10]}.txt",),
    )  # fmt: skip
    sentences = []
    for i, m in enumerate(_SENTENCE.finditer(text)):
        start = m.start() + (len(m.group()) - len(m.group().lstrip()))
        vector = (vectors or {}).get(i, bag_of_words(m.group()))
        sentences.append(SentenceRow(next(_ids), 0, row.id, start, m.end(), vector))
    return row, sentences


def story(a: tuple[ArticleRow, list[SentenceRow]], same_story: bool = False) -> Story:
    return Story(a[0], same_story, tuple(a[1]), 0.9, 0.9, 1.0)


CITED = article(
    "A fire broke out at the Delmar plant in Millbrook. "
    "At least 300 residents were evacuated from streets near the plant, the county said."
)


def quote_of(a: tuple[ArticleRow, list[SentenceRow]], n: int = 1):  # type: ignore[no-untyped-def]
    s = a[1][n]
    return cite(1, a[0], s.start, s.end)


def change_against(*others: tuple[ArticleRow, list[SentenceRow]]):  # type: ignore[no-untyped-def]
    return figure_change(quote_of(CITED), CITED[0], CITED[1], [story(o) for o in others])


def later(days: float) -> datetime:
    return DAY + timedelta(days=days)


def test_a_newer_figure_for_the_same_thing_is_a_change() -> None:
    newer = article(
        "The fire at the Delmar plant in Millbrook kept burning. "
        "About 1,200 residents were evacuated from streets near the plant, the county said.",
        published=later(1),
        outlet="Millbrook Ledger",
    )
    change = change_against(newer)
    assert change is not None
    assert (change.cited.text, change.other.text) == (
        "At least 300 residents were evacuated",
        "About 1,200 residents were evacuated",
    )
    assert change.other.quote.startswith("About 1,200 residents")
    assert newer[0].body[change.other.start : change.other.end] == change.other.text
    assert CITED[0].body[change.cited.start : change.cited.end] == change.cited.text
    assert figures_line(change) == (
        "Figures differ: At least 300 residents were evacuated (Coastal Wire, 2 Mar) → "
        "About 1,200 residents were evacuated (Millbrook Ledger, 3 Mar)"
    )


def test_the_newest_differing_figure_is_the_one_shown() -> None:
    said = "residents were evacuated from streets near the plant, the county said."
    a = article(f"About 1,200 {said}", published=later(1))
    b = article(f"About 1,600 {said}", published=later(2))
    change = change_against(a, b)
    assert change is not None and change.other.value == 1600


def test_a_same_day_parallel_figure_is_joined_by_vs() -> None:
    parallel = article(
        "About 350 residents were evacuated from streets near the plant, the county said.",
        published=DAY - timedelta(hours=2),
        outlet="River Daily",
    )
    change = change_against(parallel)
    assert change is not None
    assert " vs About 350 residents were evacuated (River Daily, 2 Mar)" in figures_line(change)


# Near misses: each looks like a changed figure, and must not produce a line.
NEAR_MISSES = {
    "another thing counted": "About 1,200 residents were injured near the plant, the county said.",
    "another place named": "About 250 residents were evacuated from streets in Oakdale, "
    "the county said.",
    "another year named": "In 2019 about 500 residents were evacuated from streets near the "
    "plant, the county said.",
    "the same value in other words": "Some 300 residents were evacuated from streets near the "
    "plant, the county said.",
    "two values in one article": "About 1,200 residents were evacuated from streets near the "
    "plant. Earlier 900 residents were evacuated from the centre, the county said.",
    "a range": "Between 1,000 and 1,200 residents were evacuated from streets near the plant.",
    "a change told in one sentence": "The number rose from 300 to 1,200 residents evacuated "
    "from streets near the plant.",
    "no counted thing": "The county said 1,200 residents, in all, had left the plant's streets.",
}


@pytest.mark.parametrize("text", NEAR_MISSES.values(), ids=NEAR_MISSES.keys())
def test_near_misses_give_no_figures_line(text: str) -> None:
    assert change_against(article(text, published=later(1))) is None


def test_a_figure_in_a_sentence_far_in_meaning_is_no_change() -> None:
    text = "About 1,200 residents were evacuated from streets near the plant, the county said."
    unrelated = np.zeros_like(bag_of_words("x"))
    unrelated[0] = 1.0  # a sentence vector far from the quote's
    assert change_against(article(text, published=later(1), vectors={0: unrelated})) is None
    assert change_against(article(text, published=later(1))) is not None


def test_an_older_article_or_an_undated_one_gives_no_change() -> None:
    text = "About 1,200 residents were evacuated from streets near the plant, the county said."
    assert change_against(article(text, published=later(-2))) is None
    assert change_against(article(text, published=None)) is None
    undated = (replace(CITED[0], published=None), CITED[1])
    newer = story(article(text, published=later(1)))
    assert figure_change(quote_of(undated), undated[0], undated[1], [newer]) is None


def test_newer_coverage_is_the_two_newest_that_add_something() -> None:
    copy = article(CITED[0].body, published=later(0.1), outlet="Millbrook Ledger")
    updates = [
        article(f"Update {n}: crews were still at the Millbrook plant.", published=later(n))
        for n in (1, 2, 3)
    ]
    older = article("Before the fire, the plant passed an inspection.", published=later(-5))
    stories = [story(copy, same_story=True), *map(story, updates), story(older)]
    found = newer_coverage(CITED[0], stories, CITED[1])
    assert [n.article_id for n in found] == [updates[2][0].id, updates[1][0].id]
    but_cited = newer_coverage(CITED[0], stories, CITED[1], exclude={updates[2][0].id})
    assert but_cited[0].article_id == updates[1][0].id
    assert newer_coverage(replace(CITED[0], published=None), stories, CITED[1]) == ()


def test_a_close_match_needs_headline_text_names_and_time() -> None:
    assert is_close_match(HEADLINE_MIN, CONTENT_MIN, NAMES_MIN, STORY_DAYS)
    assert not is_close_match(HEADLINE_MIN - 0.01, 1.0, 1.0, 1)
    assert not is_close_match(1.0, CONTENT_MIN - 0.01, 1.0, 1)
    assert not is_close_match(1.0, 1.0, NAMES_MIN - 0.01, 1)
    assert not is_close_match(1.0, 1.0, 1.0, STORY_DAYS + 1)


def test_key_names_come_from_the_opening_and_are_looked_up_in_the_whole_article() -> None:
    cited = article(
        "A fire broke out at the Delmar Chemicals plant in Millbrook on Tuesday. "
        "Residents left. Crews came. Later the Oakdale mayor spoke.",
        outlet="Coastal Wire",
    )
    names = key_names(*cited)
    assert names == {"delmar", "chemicals", "millbrook"}  # not Tuesday, not the 4th sentence
    eastport = article("A warehouse fire in Eastport forced evacuations.", headline="Fire")[0]
    follow_up = article("Delmar Chemicals was fined over the Millbrook fire.", headline="Fine")[0]
    assert names_share(names, eastport) == 0.0
    assert names_share(names, follow_up) == 1.0


# --- reading the index: a wire story updated the next day, on both backends -------------

WIRE = (
    "A landslide buried part of the mountain village of Kestrel Pass on Monday after days "
    "of heavy rain, the regional government said in a statement to reporters."
)
FILLER = (
    "Rescue teams with dogs searched through mud and rubble in the dark while neighbours "
    "dug with shovels and bare hands, and the army sent two helicopters to carry the "
    "injured to the hospital in the valley below the village."
)


@pytest.fixture
def landslide(tmp_path: Path, store: IndexReader, encoder: FakeEncoder) -> IndexReader:
    folder = tmp_path / "wire"
    folder.mkdir()
    write_article(folder, "v1.txt", "Landslide buries mountain village", WIRE,
                  "Over 100 people were killed in the landslide, officials said.", FILLER,
                  Source="AP", Published="2021-05-10T08:00:00+00:00")  # fmt: skip
    write_article(folder, "v2.txt", "Landslide death toll rises", WIRE,
                  "At least 150 people were killed in the landslide, officials said.", FILLER,
                  "The regional governor declared three days of mourning.",
                  Source="AP", Published="2021-05-11T08:00:00+00:00")  # fmt: skip
    write_article(folder, "zoo.txt", "Panda born at zoo", "A panda cub was born at the zoo.",
                  Source="Gazette", Published="2021-05-12")  # fmt: skip
    ingest([str(folder)], store, encoder)
    return store


def _by_headline(store: IndexReader) -> dict[str, ArticleRow]:
    return {a.headline: a for a in store.articles(store.article_ids()).values()}


def _answer_citing(row: ArticleRow, words: str) -> Answer:
    start = row.body.index(words)
    end = row.body.index(".", start) + 1
    return Answer("How many?", row.body[start:end] + " [1]", False, [cite(1, row, start, end)])


def test_story_articles_are_the_other_copies_oldest_first(landslide: IndexReader) -> None:
    rows = _by_headline(landslide)
    v1, v2 = rows["Landslide buries mountain village"], rows["Landslide death toll rises"]
    assert landslide.story_articles(v1.id) == [v2.id]
    assert landslide.story_articles(v2.id) == [v1.id]
    assert landslide.story_articles(rows["Panda born at zoo"].id) == []
    assert landslide.story_articles(999_999) == []


def test_an_updated_wire_copy_is_newer_coverage_with_its_changed_figure(
    landslide: IndexReader, encoder: FakeEncoder
) -> None:
    v1 = _by_headline(landslide)["Landslide buries mountain village"]
    answer = _answer_citing(v1, "Over 100 people")
    cutoff = datetime(2021, 5, 12, tzinfo=UTC)
    done = CoverageFinder(landslide, encoder).add_to(answer, cutoff)
    [newer] = done.citations[0].newer_coverage
    assert (newer.headline, newer.attribution, newer.same_story) == (
        "Landslide death toll rises", "AP", True,
    )  # fmt: skip
    assert done.figures_differ is not None
    assert figures_line(done.figures_differ) == (
        "Figures differ: Over 100 people were killed (AP, 10 May) → "
        "At least 150 people were killed (AP, 11 May)"
    )


def test_nothing_after_the_as_of_day_counts(landslide: IndexReader, encoder: FakeEncoder) -> None:
    v1 = _by_headline(landslide)["Landslide buries mountain village"]
    answer = _answer_citing(v1, "Over 100 people")
    done = CoverageFinder(landslide, encoder).add_to(answer, datetime(2021, 5, 11, tzinfo=UTC))
    assert done.citations[0].newer_coverage == () and done.figures_differ is None


def test_a_declined_answer_is_left_alone(landslide: IndexReader, encoder: FakeEncoder) -> None:
    declined = Answer("Who?", "I couldn't find that in the indexed articles.", True)
    assert CoverageFinder(landslide, encoder).add_to(declined, None) is declined


def test_related_coverage_is_what_was_retrieved_on_the_cited_topic(
    landslide: IndexReader, encoder: FakeEncoder
) -> None:
    rows = _by_headline(landslide)
    v1, v2 = rows["Landslide buries mountain village"], rows["Landslide death toll rises"]
    zoo = rows["Panda born at zoo"]
    answer = _answer_citing(v1, "Over 100 people")
    answer.retrieved = [
        RetrievedArticle(rank, a.id, a.headline, a.attribution, a.published, None, "x", 0.1)
        for rank, a in enumerate((v1, zoo, v2), start=1)
    ]
    # as of the first day, the update is not newer coverage; it is still not cited
    done = CoverageFinder(landslide, encoder).add_to(answer, datetime(2021, 5, 11, tzinfo=UTC))
    assert done.related == (v2.id,)  # the panda shares no words with the landslide
    assert [r.headline for r in related_coverage(done)] == ["Landslide death toll rises"]
    assert from_json(json.loads(json.dumps(to_json(done)))).related == (v2.id,)
