from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from bot.records import (
    DECLINE_TEXT,
    Answer,
    Citation,
    Coverage,
    Figure,
    FigureChange,
    RetrievedArticle,
)
from bot.render import (
    figures_line,
    newer_coverage_lines,
    related_coverage,
    source_line,
    sources_text,
    to_json,
    to_text,
)

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
    assert "[1] Reuters · 8 Feb 2018 — Strikes in Syria" in out
    assert "https://ex.com/a" in out
    assert "/data/a.txt (characters 10–47)" in out
    assert "> Over 100 troops were reported killed." in out


def test_short_sources_omit_quotes() -> None:
    out = to_text(answer(), full_sources=False)
    assert "[1] Reuters · 8 Feb 2018 — Strikes in Syria" in out
    assert "https://" not in out


def test_declined_text_names_closest_articles() -> None:
    out = to_text(answer(declined=True))
    assert out.startswith(DECLINE_TEXT)
    assert "Closest articles:\n  1. Reuters · 8 Feb 2018 — Strikes in Syria (/data/a.txt)" in out


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
        "figures_differ",
        "related_coverage",
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
        "newer_coverage": [],
    }
    assert data["figures_differ"] is None and data["related_coverage"] is None
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


# --- dated evidence, newer coverage, changed figures, related coverage (issue 14) -------


def _newer(article_id: int, headline: str, day: int, same_story: bool = False) -> Coverage:
    when = datetime(2018, 2, day, tzinfo=UTC)
    url, path = f"https://ap.example/{article_id}", f"/data/{article_id}.txt"
    return Coverage(article_id, headline, "AP", when, url, path, same_story)


def _figure(article_id: int, text: str, outlet: str | None, day: int | None) -> Figure:
    when = datetime(2018, 2, day, 9, tzinfo=UTC) if day else None
    path, quote = f"/data/{article_id}.txt", f"Officials said {text}."
    headline = f"Story {article_id}"
    end = 15 + len(text)
    return Figure(text, 0.0, article_id, headline, outlet, when, None, path, quote, 15, end)


def context_answer() -> Answer:
    a = answer()
    a.citations = [
        replace(a.citations[0], newer_coverage=(_newer(8, "Toll rises to 150", 9, True),))
    ]
    a.figures_differ = FigureChange(
        "killed",
        _figure(7, "Over 100 troops were reported killed", "Reuters", 8),
        1,
        _figure(8, "150 troops were killed", "AP", 9),
    )
    a.retrieved += [
        RetrievedArticle(2, 8, "Toll rises to 150", "AP", WHEN, None, "/data/8.txt", 0.5),
        RetrievedArticle(3, 9, "Talks in Geneva", None, None, None, "/data/9.txt", 0.4),
        RetrievedArticle(4, 10, "Aid arrives", "BBC", WHEN, None, "/data/10.txt", 0.3),
        RetrievedArticle(5, 11, "Border closed", "BBC", WHEN, None, "/data/11.txt", 0.2),
        RetrievedArticle(6, 12, "Fifth story", "BBC", WHEN, None, "/data/12.txt", 0.1),
    ]
    return a


def test_every_source_says_who_published_it_and_when_or_undated() -> None:
    undated = replace(answer().citations[0], published=None)
    nameless = replace(undated, attribution=None)
    assert source_line(answer().citations[0]) == "[1] Reuters · 8 Feb 2018 — Strikes in Syria"
    assert source_line(undated) == "[1] Reuters · undated — Strikes in Syria"
    assert source_line(nameless) == "[1] undated — Strikes in Syria"


def test_figures_newer_and_related_coverage_under_the_answer() -> None:
    out = to_text(context_answer(), full_sources=False)
    assert out == (
        "Over 100 troops were reported killed. [1]\n\n"
        "Figures differ: Over 100 troops were reported killed (Reuters, 8 Feb) → "
        "150 troops were killed (AP, 9 Feb)\n\n"
        "Sources:\n"
        "[1] Reuters · 8 Feb 2018 — Strikes in Syria\n"
        "Newer coverage: Toll rises to 150 — AP, 9 Feb 2018\n\n"
        "Related coverage:\n"
        "  Talks in Geneva — undated\n"
        "  Aid arrives — BBC, 8 Feb 2018\n"
        "  Border closed — BBC, 8 Feb 2018"
    )  # the cited article and the newer one appear once, not again as related coverage


def test_a_parallel_figure_and_another_years_date() -> None:
    change = FigureChange(
        "killed",
        _figure(7, "100 killed", "Reuters", 8),
        1,
        replace(_figure(8, "90 killed", None, 8), published=datetime(2017, 2, 8, tzinfo=UTC)),
    )
    assert figures_line(change) == (
        "Figures differ: 100 killed (Reuters, 8 Feb 2018) vs 90 killed (Story 8, 8 Feb 2017)"
    )


def test_several_sources_name_the_one_a_newer_article_follows() -> None:
    a = context_answer()
    second = replace(a.citations[0], marker=2, article_id=20,
                     newer_coverage=(_newer(21, "Ceasefire agreed", 10),))  # fmt: skip
    a.citations.append(second)
    lines = newer_coverage_lines(a)
    assert lines == [
        "Newer coverage than [1]: Toll rises to 150 — AP, 9 Feb 2018",
        "Newer coverage than [2]: Ceasefire agreed — AP, 10 Feb 2018",
    ]


def test_at_most_two_newer_coverage_lines_the_rest_in_sources_and_json() -> None:
    a = context_answer()
    first = a.citations[0]
    a.citations[0] = replace(
        first, newer_coverage=(_newer(8, "Toll rises to 150", 9, True), _newer(9, "Talks", 9))
    )
    a.citations.append(replace(first, marker=2, article_id=20,
                               newer_coverage=(_newer(10, "Aid arrives", 10),)))  # fmt: skip
    assert newer_coverage_lines(a) == [
        "Newer coverage than [1]: Toll rises to 150 — AP, 9 Feb 2018",
        "Newer coverage than [1]: Talks — AP, 9 Feb 2018",
    ]
    # the one not named there is still retrieved coverage, shown once as related
    assert [r.article_id for r in related_coverage(a)] == [10, 11, 12]
    assert "newer than [2], a close match: AP · 10 Feb 2018 — Aid arrives" in sources_text(a)
    assert to_json(a)["citations"][1]["newer_coverage"][0]["headline"] == "Aid arrives"


def test_sources_text_has_the_full_detail() -> None:
    out = sources_text(context_answer())
    assert "Newer coverage:\n  newer than [1], the same wire story: AP · 9 Feb 2018 — " in out
    assert "/data/8.txt  https://ap.example/8" in out
    assert "    [1] Reuters · 8 Feb 2018 — Story 7\n        /data/7.txt (characters 15–51)\n" in out
    assert "        > Officials said 150 troops were killed." in out


def test_json_carries_newer_coverage_and_figures_and_reads_back() -> None:
    from bot.render import from_json

    original = context_answer()
    data = to_json(original)
    assert data["citations"][0]["newer_coverage"] == [
        {
            "article_id": 8,
            "headline": "Toll rises to 150",
            "attribution": "AP",
            "published": "2018-02-09T00:00:00+00:00",
            "url": "https://ap.example/8",
            "source_path": "/data/8.txt",
            "same_story": True,
        }
    ]
    figures = data["figures_differ"]
    assert figures["line"].startswith("Figures differ: Over 100")
    assert figures["cited"]["text"] == "Over 100 troops were reported killed"
    assert figures["other"]["quote"] == "Officials said 150 troops were killed."
    assert from_json(json.loads(json.dumps(data))) == original


def test_a_long_credits_line_keeps_its_first_names_next_to_the_marker() -> None:
    credits = "AP, The Independent, Radio Free Europe/Radio Liberty, Moscow Times, TASS"
    c = replace(answer().citations[0], attribution=credits)
    assert source_line(c) == "[1] AP, The Independent, … · 8 Feb 2018 — Strikes in Syria"
    assert f"\n    credits: {credits}\n" in to_text(replace(answer(), citations=[c]))
    one_long_name = "The Riverton Valley Evening Herald and Morning Post"
    assert source_line(replace(c, attribution=one_long_name)).startswith(
        f"[1] {one_long_name} · 8 Feb"
    )  # a single name is never cut
