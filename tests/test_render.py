from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.records import DECLINE_TEXT, Answer, Citation, RetrievedArticle
from bot.render import sources_text, to_json, to_text

WHEN = datetime(2018, 2, 8, 10, 0, tzinfo=UTC)


def answer(declined: bool = False) -> Answer:
    citation = Citation(
        1,
        7,
        "Strikes in Syria",
        "Reuters",
        WHEN,
        "https://ex.com/a",
        "/data/a.txt",
        "Over 100 troops were reported killed.",
        10,
        47,
    )
    retrieved = RetrievedArticle(
        1, 7, "Strikes in Syria", "Reuters", WHEN, "https://ex.com/a", "/data/a.txt", 0.71
    )
    if declined:
        return Answer("Who won?", DECLINE_TEXT, True, [], [retrieved], {"total_ms": 5.0})
    return Answer(
        "How many?",
        "Over 100 troops were reported killed. [1]",
        False,
        [citation],
        [retrieved],
        {"total_ms": 5.0},
        search_query="How many?",
    )


def test_text_has_answer_and_full_sources() -> None:
    out = to_text(answer())
    assert out.startswith("Over 100 troops were reported killed. [1]")
    assert "[1] Strikes in Syria — Reuters · 2018-02-08" in out
    assert "https://ex.com/a" in out
    assert "/data/a.txt (characters 10–47)" in out
    assert "> Over 100 troops were reported killed." in out


def test_short_sources_omit_quotes() -> None:
    out = to_text(answer(), full_sources=False)
    assert "[1] Strikes in Syria — Reuters · 2018-02-08" in out
    assert "https://" not in out


def test_declined_text_names_closest_articles() -> None:
    out = to_text(answer(declined=True))
    assert out.startswith(DECLINE_TEXT)
    assert "Closest articles:\n  1. Strikes in Syria — Reuters · 2018-02-08 (/data/a.txt)" in out


def test_declined_by_an_empty_filter_says_only_what_matched_nothing() -> None:
    empty = answer(declined=True)
    empty.retrieved = []
    empty.notes = ["No indexed article is from nowhere."]
    out = to_text(empty)
    assert out == f"{DECLINE_TEXT}\n\nNo indexed article is from nowhere."
    empty.notes = []
    assert to_text(empty).endswith("The index has no articles yet.")


def test_sources_text_lists_citations_and_retrieved() -> None:
    out = sources_text(answer())
    assert "> Over 100 troops" in out and "Retrieved:" in out


def test_json_is_stable_and_serialisable() -> None:
    data = to_json(answer())
    assert list(data) == [
        "schema_version",
        "question",
        "answer",
        "declined",
        "answered_by",
        "search_query",
        "notes",
        "citations",
        "retrieved",
        "timings",
        "model",
        "verification",
    ]
    assert data["citations"][0] == {
        "marker": 1,
        "article_id": 7,
        "headline": "Strikes in Syria",
        "attribution": "Reuters",
        "source_path": "/data/a.txt",
        "url": "https://ex.com/a",
        "published": "2018-02-08T10:00:00+00:00",
        "quote": "Over 100 troops were reported killed.",
        "start": 10,
        "end": 47,
        "also_ran_in": [],
    }
    assert data["retrieved"][0]["score"] == 0.71
    json.dumps(data)


def test_json_round_trips() -> None:
    from dataclasses import replace

    from bot.records import Verification
    from bot.render import from_json

    original = replace(
        answer(),
        notes=["Searched articles published last week (2018-02-05 to 2018-02-11)."],
        model="openai:m",
        answered_by="openai:m",
        verification=Verification(
            "edited", "raw text [9]", ("cites [9], which is not one of the sources",)
        ),
    )
    assert from_json(json.loads(json.dumps(to_json(original)))) == original
