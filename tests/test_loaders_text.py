from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import ArticleError
from bot.loaders import expand_paths, load_articles
from bot.loaders.fields import date_value
from bot.loaders.text import is_caption, parse_text_article
from tests.conftest import SEED


def test_seed_article_fields() -> None:
    article = parse_text_article(SEED.read_text(encoding="utf-8"), str(SEED))
    assert (
        article.headline
        == "US coalition strikes at pro-Assad forces in eastern Syria, kill over 100"
    )
    assert article.credits[0] == "AP"
    assert "Reuters" in article.credits and len(article.credits) == 8
    assert article.captions == ("Map of Syria", "Map showing control of Syria (5 February 2018)")
    assert "Map of Syria" not in article.body
    assert "[AP]" not in article.body
    assert article.body.startswith("A frosty relationship")
    assert article.body.endswith("Kurdish forces in northern Syria.")
    assert article.published is None and article.outlet is None  # nothing invented


def test_header_lines_are_metadata_not_body() -> None:
    text = (
        "Council votes on budget\n"
        "Source: The Daily Planet\n"
        "Published: 2018-02-08T10:00:00+01:00\n"
        "By: Lois Lane\n"
        "URL: https://example.com/budget\n"
        "\n"
        "The council passed the budget on Thursday.\n"
        "It was a long night.\n"
    )
    a = parse_text_article(text, "budget.txt")
    assert a.outlet == "The Daily Planet"
    assert a.byline == "Lois Lane"
    assert a.url == "https://example.com/budget"
    assert a.published == datetime(2018, 2, 8, 9, 0, tzinfo=UTC)
    assert a.published.tzinfo is not None
    assert a.body == "The council passed the budget on Thursday. It was a long night."


def test_free_text_date_is_parsed_timezone_aware() -> None:
    a = parse_text_article("H\nPublished: February 7, 2018\n\nBody text here.", "x.txt")
    assert a.published is not None
    assert (a.published.year, a.published.month, a.published.day) == (2018, 2, 7)
    assert a.published.utcoffset() is not None


def test_unreadable_date_stays_unknown() -> None:
    a = parse_text_article("H\nPublished: sometime soon-ish maybe\n\nBody text.", "x.txt")
    assert a.published is None


@pytest.mark.parametrize(
    "value", ["yesterday", "now", "in 2 days", "3 weeks ago", "Monday", "2024", "March 2024"]
)
def test_relative_or_partial_dates_stay_unknown_rather_than_invented(value: str) -> None:
    # dateparser would resolve these against the day of the ingest (or fill in today's
    # day of the month); none of them names a publication day.
    a = parse_text_article(f"H\nPublished: {value}\n\nBody text.", "x.txt")
    assert a.published is None
    assert date_value(value) is None  # JSON, front matter and feeds read dates the same way


def test_absolute_free_text_dates_are_still_read() -> None:
    assert date_value("Monday, March 11, 2024") == datetime(2024, 3, 11, tzinfo=UTC)
    assert date_value("14 Mar 2024 10:30") == datetime(2024, 3, 14, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "caption"),
    [
        ("Map of Syria", True),
        ("Map showing control of Syria (5 February 2018)", True),
        ("Over 100 troops were reported killed.", False),
        ("“We will not back down”", False),
        (
            "No Americans were injured during the attack and the coalition said it would continue",
            False,
        ),
    ],
)
def test_caption_detection(line: str, caption: bool) -> None:
    assert is_caption(line) is caption


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"   \n\n ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"Headline only\n", "no body"),
        (b"Headline\n\nMap of Syria\n", "no body"),
    ],
)
def test_bad_files_raise_article_error(data: bytes, reason: str) -> None:
    with pytest.raises(ArticleError) as info:
        list(load_articles("bad.txt", data))
    assert reason in str(info.value)
    assert str(info.value).startswith("bad.txt")


def test_expand_paths_walks_directories_and_globs(tmp_path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text("x")
    (tmp_path / "a" / "deep").mkdir()
    (tmp_path / "a" / "deep" / "two.txt").write_text("x")
    (tmp_path / "a" / ".hidden.txt").write_text("x")
    (tmp_path / "a" / "image.png").write_bytes(b"x")
    files, errors = expand_paths([str(tmp_path / "a"), str(tmp_path / "a" / "*.txt")])
    assert [f.name for f in files] == ["two.txt", "one.txt"]
    assert errors == []
    files, errors = expand_paths([str(tmp_path / "missing"), str(tmp_path / "*.nothing")])
    assert files == []
    assert len(errors) == 2


def test_directory_walks_skip_hidden_folders_and_files(tmp_path) -> None:
    archive = tmp_path / "archive"
    (archive / ".git" / "refs").mkdir(parents=True)
    (archive / ".git" / "description.txt").write_text("x")
    (archive / ".git" / "refs" / "notes.md").write_text("x")
    (archive / "news" / ".drafts").mkdir(parents=True)
    (archive / "news" / ".drafts" / "draft.txt").write_text("x")
    (archive / "news" / "story.txt").write_text("x")
    (archive / ".story.txt.swp.txt").write_text("x")
    files, errors = expand_paths([str(archive)])
    assert [f.relative_to(archive).as_posix() for f in files] == ["news/story.txt"]
    assert errors == []
    # Named explicitly, a hidden file (or a file in a hidden folder) is read.
    named = archive / ".git" / "description.txt"
    assert expand_paths([str(named)]) == ([named], [])
    hidden_root = archive / "news" / ".drafts"
    assert expand_paths([str(hidden_root)])[0] == [hidden_root / "draft.txt"]
