"""The feedback store (SQLite) and `newsbot feedback`."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from bot.errors import NewsbotError
from bot.feedback import FeedbackStore, feedback_csv, feedback_json
from bot.index import FeedbackRecords, open_index
from bot.records import RetrievedArticle
from bot.render import from_json, to_json
from tests.fakes import FakeEncoder
from tests.slack.conftest import citation, make_answer


@pytest.fixture
def store(backend_settings: Settings) -> Iterator[FeedbackRecords]:
    """The feedback records of an index of each backend (a file beside the index
    directory, or tables in the database)."""
    encoder = FakeEncoder()
    index = open_index(
        backend_settings, fingerprint=encoder.fingerprint, dim=encoder.dim, create=True
    )
    with index.feedback() as records:
        yield records
    index.close()


def test_answer_round_trips_through_the_store(store: FeedbackRecords) -> None:
    answer = make_answer(
        "When?",
        citations=[citation(1, also_ran_in=("AP", "Reuters")), citation(2, published=None)],
        retrieved=[RetrievedArticle(1, 1, "Mayor resigns", "Gazette", None, None, "/a.txt", 0.5)],
        notes=["a note"],
    )
    answer_id = store.record_answer(answer, user="U1", channel="C1")
    assert to_json(store.answer(answer_id)) == to_json(answer)  # type: ignore[arg-type]
    assert store.answer("missing") is None


def test_votes_one_per_user_and_answer(store: FeedbackRecords) -> None:
    first = store.record_answer(make_answer("Q1?"), user="U1", channel="C1")
    second = store.record_answer(make_answer("Q2?"), user="U1", channel="D1")
    assert store.add_vote(first, user="U2", channel="C1", vote="down")
    assert store.add_vote(first, user="U2", channel="C1", vote="up")  # changed their mind
    assert store.add_vote(first, user="U3", channel="C1", vote="down")
    assert store.add_vote(second, user="U1", channel="D1", vote="up")
    assert not store.add_vote("unknown", user="U1", channel="C1", vote="up")
    rows = store.feedback()
    assert [(r.question, r.user, r.vote) for r in rows] == [
        ("Q2?", "U1", "up"),
        ("Q1?", "U3", "down"),
        ("Q1?", "U2", "up"),
    ]
    assert rows[0].citations[0]["headline"] == "Mayor resigns"
    assert [r.question for r in store.feedback(limit=1)] == ["Q2?"]


def test_votes_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite"
    with FeedbackStore(path) as store:
        answer_id = store.record_answer(make_answer("Q?"), user="U1", channel="C1")
        store.add_vote(answer_id, user="U1", channel="C1", vote="up")
    with FeedbackStore(path) as store:
        assert [r.vote for r in store.feedback()] == ["up"]


def test_a_newer_database_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(NewsbotError, match="feedback database format 99 is newer"):
        FeedbackStore(path)


def test_exports(store: FeedbackRecords) -> None:
    answer_id = store.record_answer(make_answer('Did the "mayor" resign?'), user="U1", channel="C1")
    store.add_vote(answer_id, user="U2", channel="C1", vote="up")
    rows = store.feedback()
    table = list(csv.DictReader(io.StringIO(feedback_csv(rows))))
    assert table[0]["question"] == 'Did the "mayor" resign?'
    assert table[0]["vote"] == "up" and table[0]["user"] == "U2" and table[0]["asked_by"] == "U1"
    assert table[0]["citations"] == (
        "[1] Mayor resigns — Gazette — 2018-02-05 — https://gazette.example/mayor"
    )
    data = feedback_json(rows)
    assert data[0]["answer"] == "The mayor resigned on Monday. [1]"
    assert data[0]["citations"][0]["quote"] == "The mayor resigned on Monday."
    assert from_json(to_json(make_answer("x"))).citations[0].published is not None


def test_feedback_cli_lists_and_exports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "votes.sqlite"
    monkeypatch.setenv("NEWSBOT_FEEDBACK_DB", str(path))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["feedback"]).output == "No feedback yet.\n"
    assert not path.exists()  # listing doesn't create a database

    with FeedbackStore(path) as store:
        answer_id = store.record_answer(
            make_answer("When did the mayor resign?"), user="U1", channel="C1"
        )
        store.add_vote(answer_id, user="U2", channel="C1", vote="down")

    listed = runner.invoke(app, ["feedback", "list"])
    assert listed.exit_code == 0
    assert "👎 U2 in C1: When did the mayor resign?" in listed.output

    exported = runner.invoke(app, ["feedback", "export", "--format", "json"])
    assert json.loads(exported.output)[0]["question"] == "When did the mayor resign?"

    out = tmp_path / "votes.csv"
    result = runner.invoke(app, ["feedback", "export", "--output", str(out)])
    assert result.exit_code == 0
    assert next(csv.DictReader(out.open(encoding="utf-8")))["vote"] == "down"
    assert not list(tmp_path.glob("*.partial"))

    bad = runner.invoke(app, ["feedback", "export", "--format", "xml"])
    assert bad.exit_code == 1 and "--format must be csv or json" in bad.output


def test_prune_forgets_old_unvoted_answers_only(store: FeedbackRecords) -> None:
    voted = store.record_answer(make_answer("Voted?"), user="U1", channel="C1")
    store.add_vote(voted, user="U2", channel="C1", vote="up")
    unvoted = store.record_answer(make_answer("Unvoted?"), user="U1", channel="C1")
    assert store.prune(older_than_days=1) == 0  # both are new
    assert store.prune(older_than_days=-1) == 1  # "older than tomorrow": all but the voted one
    assert store.answer(unvoted) is None
    assert store.answer(voted) is not None
    assert [r.question for r in store.feedback()] == ["Voted?"]


def test_only_the_three_closest_articles_are_kept(store: FeedbackRecords) -> None:
    retrieved = [
        RetrievedArticle(i, i, f"Story {i}", None, None, None, f"/{i}.txt", 0.1)
        for i in range(1, 11)
    ]
    answer_id = store.record_answer(make_answer("Q?", retrieved=retrieved), user="U1", channel="C1")
    kept = store.answer(answer_id)
    assert kept is not None and [r.headline for r in kept.retrieved] == [
        "Story 1",
        "Story 2",
        "Story 3",
    ]


def test_csv_export_neutralises_formulas_but_json_keeps_the_text(store: FeedbackRecords) -> None:
    """A spreadsheet would run a cell starting = + - @ (or tab, CR) as a formula."""
    questions = [
        '=HYPERLINK("http://evil.example","click")',
        "+1 for the mayor?",
        "-2 degrees tonight?",
        "@SUM(A1)",
        "\tTabbed?",
        "\rReturned?",
        "Plain question?",
    ]
    for question in questions:
        answer_id = store.record_answer(
            make_answer(question, "=1+1", citations=[citation(headline="@cmd|' /C calc'!A0")]),
            user="U1",
            channel="C1",
        )
        store.add_vote(answer_id, user="U2", channel="C1", vote="up")
    rows = store.feedback()
    table = list(csv.DictReader(io.StringIO(feedback_csv(rows))))
    assert sorted(r["question"] for r in table) == sorted(
        [
            '\'=HYPERLINK("http://evil.example","click")',
            "'+1 for the mayor?",
            "'-2 degrees tonight?",
            "'@SUM(A1)",
            "'\tTabbed?",
            "'\rReturned?",
            "Plain question?",
        ]
    )
    assert {r["answer"] for r in table} == {"'=1+1"}
    assert table[0]["citations"].startswith("[1] @cmd")  # not at the start of its cell
    assert sorted(r["question"] for r in feedback_json(rows)) == sorted(questions)
