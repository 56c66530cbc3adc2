"""Dates within range (issue 16, part 5): article dates outside 1800-2200 are stored as
unknown with a warning; filters and time phrases outside it are usage errors; `list` and
`stats` never fail because of one article."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.articles import Article
from bot.catalog import compute_stats, period
from bot.errors import DateRangeError, NewsbotError, QuestionError
from bot.index import IndexReader
from bot.index.embedded import EmbeddedIndex
from bot.ingest import ingest, prepare
from bot.query import parse_query
from tests.conftest import write_article
from tests.fakes import FakeEncoder

RANGE = "is outside the dates newsbot handles (the years 1800 to 2200)"
LATE = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))
EARLY = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))


def test_dates_outside_the_range_are_stored_as_unknown_with_a_warning(
    tmp_path: Path, store: IndexReader, encoder: FakeEncoder, caplog: pytest.LogCaptureFixture
) -> None:
    for name, when in (("late.md", "9999-12-31T23:00:00-05:00"), ("early.md", "0001-01-01")):
        (tmp_path / name).write_text(
            f"---\ntitle: {name}\ndate: {when}\nupdated: 2024-03-01\n---\n"
            "A time capsule was opened at the harbour museum on Friday.\n"
        )
    write_article(
        tmp_path, "ok.txt", "Museum hours", "The museum opens at nine.", Published="1850-06-01"
    )
    with caplog.at_level(logging.WARNING):
        report = ingest([str(tmp_path)], store, encoder)
    assert report.added == 3 and not report.failed
    dates = {a.headline: a.published for a in store.listing()}
    assert dates == {
        "late.md": None, "early.md": None, "Museum hours": datetime(1850, 6, 1, tzinfo=UTC),
    }  # fmt: skip
    warnings = sorted(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert warnings == [
        f"{tmp_path / 'early.md'}: published date 0001-01-01T00:00:00+00:00 is outside the "
        "years 1800 to 2200; stored as unknown",
        f"{tmp_path / 'late.md'}: published date 9999-12-31T23:00:00-05:00 is outside the "
        "years 1800 to 2200; stored as unknown",
    ]


@pytest.fixture
def odd_index(embedded_store: EmbeddedIndex, encoder: FakeEncoder) -> EmbeddedIndex:
    """An index holding articles dated at both ends of Python's dates, as an older newsbot
    wrote them (straight through the writer, around the loaders' check)."""
    store = embedded_store
    with store.writer() as writer:
        for n, when in enumerate((LATE, EARLY, datetime(2024, 3, 1, tzinfo=UTC))):
            article = Article(
                headline=f"Story {n}", body=f"The harbour museum opened wing {n} on Friday.",
                source_path=f"/archive/{n}.txt", outlet="Gazette", published=when,
            )  # fmt: skip
            chunks, texts = prepare(article)
            vectors, sentences = encoder.encode_with_sentences(
                [t for _, t, _ in texts], [s for _, _, s in texts]
            )
            article_id = writer.add_article(
                article, chunks, [h for h, _, _ in texts], vectors, sentences
            )
            writer.link_source(article.source_path, "", article_id)
        writer.commit()
    return store


def test_list_and_stats_never_fail_because_of_one_article(
    odd_index: EmbeddedIndex,
    cli,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("NEWSBOT_INDEX", str(odd_index.directory))
    listed = cli("list")
    assert listed.exit_code == 0, listed.output
    days = [line.split()[1] for line in listed.output.splitlines()[:3]]
    assert days == ["9999-12-31", "2024-03-01", "0001-01-01"]
    stats = cli("stats")
    assert stats.exit_code == 0, stats.output
    assert "        1  9999-12\n" in stats.output
    months = dict((m, n) for m, n in compute_stats(odd_index.listing()).by_month)
    assert months == {"0001-01": 1, "2024-03": 1, "9999-12": 1}


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("What opened on:9999-12-31?", f"The date 9999-12-31 {RANGE}"),
        ("What opened before:0001-01-01?", f"The date 0001-01-01 {RANGE}"),
        ("What opened after:1799-12-31?", f"The date 1799-12-31 {RANGE}"),
        ("What opened in the past 99999999 days?", "“the past 99999999 days” reaches back"),
        ("What opened in the last 500 years?", "“the last 500 years” reaches back before 1800"),
    ],
)
def test_filters_and_time_phrases_outside_the_range_are_usage_errors(
    question: str, message: str
) -> None:
    with pytest.raises(DateRangeError, match=re.escape(message)):
        parse_query(question, as_of=date(2024, 3, 20))


def test_a_date_out_of_range_is_a_usage_error() -> None:
    assert issubclass(DateRangeError, QuestionError)  # exit 2 at the CLI, a hint in Slack


def test_an_as_of_date_outside_the_range_is_a_usage_error() -> None:
    with pytest.raises(DateRangeError, match=re.escape(f"The as-of date 9999-12-31 {RANGE}")):
        parse_query("What opened yesterday?", as_of=date(9999, 12, 31))


def test_history_in_a_question_is_not_a_date_filter() -> None:
    query = parse_query("What burned in September 1666?", as_of=date(2024, 3, 20))
    assert query.period is None and "1666" in query.text


def test_the_fronts_show_the_usage_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_article(tmp_path, "a.txt", "Museum", "The museum opened a wing.", Published="2024-03-01")
    cli("ingest", str(tmp_path / "a.txt"))
    for args, code, message in (
        (["ask", "What opened on:9999-12-31?"], 2, f"the date 9999-12-31 {RANGE}"),
        (["ask", "--as-of", "9999-12-31", "What opened?"], 2, f"the as-of date 9999-12-31 {RANGE}"),
        (["chat", "What opened before:0001-01-01?"], 2, f"the date 0001-01-01 {RANGE}"),
        (["list", "--since", "9999"], 1, f"Error: '9999' {RANGE}"),
        (["list", "--until", "9999-12-31"], 1, f"Error: '9999-12-31' {RANGE}"),
    ):
        result = cli(*args)
        assert result.exit_code == code, result.output
        assert message in result.output and "unexpected" not in result.output
    chat = cli("chat", input="What opened in the past 99999999 days?\n/quit\n")
    assert "Error: “the past 99999999 days” reaches back before 1800" in chat.output


@pytest.mark.parametrize("value", ["0001-01-01", "9999", "9999-12", "December 31 9999"])
def test_list_periods_outside_the_range_are_usage_errors(value: str) -> None:
    with pytest.raises(NewsbotError, match=re.escape(RANGE)):
        period(value, today=date(2024, 3, 20))
