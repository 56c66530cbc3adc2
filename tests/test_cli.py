"""The CLI through typer's runner, on a fake encoder and a real index in tmp_path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_article


@pytest.fixture
def run(cli):  # type: ignore[no-untyped-def]
    return cli


@pytest.fixture
def news(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    folder.mkdir()
    write_article(
        folder,
        "mayor.txt",
        "Mayor resigns",
        "The mayor resigned on Monday. She cited health reasons.",
        Source="Gazette",
        Published="2018-02-05",
        URL="https://gazette.example/mayor",
    )
    write_article(
        folder, "zoo.txt", "Zoo welcomes panda", "A giant panda arrived at the city zoo on Tuesday."
    )
    return folder


def test_ingest_reports_counts_and_is_idempotent(run, news: Path) -> None:  # type: ignore[no-untyped-def]
    first = run("ingest", str(news))
    assert first.exit_code == 0, first.output
    assert first.output.startswith("2 added, 0 updated, 0 unchanged, 0 removed, 0 failed (2 files")
    second = run("ingest", str(news))
    assert second.output.startswith("0 added, 0 updated, 2 unchanged, 0 removed, 0 failed")


def test_ingest_bad_file_names_it_and_exits_2(run, news: Path) -> None:  # type: ignore[no-untyped-def]
    (news / "broken.txt").write_bytes(b"\x00\x00garbage")
    result = run("ingest", str(news))
    assert result.exit_code == 2
    assert "failed: " in result.output and "broken.txt: looks like a binary file" in result.output
    assert "2 added" in result.output


def test_index_option_overrides_environment(run, news: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("--index", str(tmp_path / "other"), "ingest", str(news))
    assert result.exit_code == 0
    assert (tmp_path / "other" / "newsbot.sqlite").exists()
    assert not (tmp_path / "index").exists()


def test_ask_prints_answer_and_sources(run, news: Path) -> None:  # type: ignore[no-untyped-def]
    run("ingest", str(news))
    result = run("ask", "When did the mayor resign?")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("The mayor resigned on Monday.")
    assert "[1] Gazette · 5 Feb 2018 — Mayor resigns" in result.output
    assert "https://gazette.example/mayor" in result.output
    assert "news/mayor.txt" in result.output


def test_ask_json(run, news: Path) -> None:  # type: ignore[no-untyped-def]
    run("ingest", str(news))
    data = json.loads(run("ask", "--json", "When did the mayor resign?").output)
    assert data["declined"] is False
    assert data["citations"][0]["headline"] == "Mayor resigns"
    assert data["citations"][0]["quote"] in data["answer"]
    assert data["retrieved"][0]["source_path"].endswith("mayor.txt")
    assert data["timings"]["total_ms"] > 0


def test_ask_without_index_is_a_clear_error(run) -> None:  # type: ignore[no-untyped-def]
    result = run("ask", "Anything?")
    assert result.exit_code == 1
    assert "Error: No index in" in result.output
    assert "newsbot ingest seeds/" in result.output
    assert "Traceback" not in result.output


def test_scripted_chat_session(run, news: Path) -> None:  # type: ignore[no-untyped-def]
    run("ingest", str(news))
    script = (
        "When did the mayor resign?\n/sources\nWhat reasons did she cite?\n"
        "/bogus\n/help\n/quit\nnever asked\n"
    )
    result = run("chat", input=script)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "The mayor resigned on Monday." in out
    assert "> The mayor resigned on Monday." in out  # /sources shows the quote
    assert "She cited health reasons." in out  # the follow-up found its sentence
    assert "Unknown command /bogus" in out
    assert "/sources   full sources of the last answer" in out
    assert "never asked" not in out


def test_chat_with_a_question_answers_and_exits(run, news: Path) -> None:  # type: ignore[no-untyped-def]
    run("ingest", str(news))
    result = run("chat", "Where did the panda arrive?")
    assert result.exit_code == 0
    assert "A giant panda arrived at the city zoo on Tuesday. [1]" in result.output


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from bot.cli import app\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0\n"
        "print(sorted(m for m in ('torch', 'faiss', 'sentence_transformers', 'transformers',"
        " 'numpy', 'langchain_core') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_invalid_setting_is_reported_by_name(run, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NEWSBOT_TOP_K", "lots")
    result = run("ask", "Anything?")
    assert result.exit_code == 1
    assert "Error: invalid setting: NEWSBOT_TOP_K:" in result.output


def test_eval_writes_predictions_and_prints_scores(run, news: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    questions = tmp_path / "questions.jsonl"
    rows = [
        {
            "id": "q1",
            "question": "When did the mayor resign?",
            "answers": ["Monday"],
            "evidence": [{"article_file": "mayor.txt", "text": "The mayor resigned on Monday."}],
            "type": "when",
        },
        {
            "id": "q2",
            "question": "quarterly semiconductor tariffs export volumes",
            "answers": [],
            "evidence": [],
            "type": None,
        },
    ]
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "preds.jsonl"
    result = run(
        "--index",
        str(tmp_path / "eval-index"),
        "eval",
        str(questions),
        "--corpus",
        str(news),
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "\x1b[" not in result.output  # not a terminal: no bars (a plain line per 10 s)
    assert "article recall@1              1.000" in result.output
    assert "answer accuracy               1.000" in result.output
    preds = [json.loads(line) for line in out.read_text().splitlines()]
    assert preds[0]["id"] == "q1" and preds[0]["retrieved"][0] == "mayor.txt"
    assert preds[0]["citations"] == [
        {"article_file": "mayor.txt", "text": preds[0]["citations"][0]["text"]}
    ]
    assert "[1]" not in preds[0]["answer"]
    assert preds[1]["declined"] is True and preds[1]["answer"] == ""


# --- questions that can't be asked are usage errors (exit 2), before anything loads ---


@pytest.mark.parametrize("question", ["", "   ", "?"])
def test_ask_without_a_question_is_a_usage_error(run, question: str) -> None:  # type: ignore[no-untyped-def]
    result = run("ask", question)  # no index either: the question is refused first
    assert result.exit_code == 2, result.output
    assert "Usage: newsbot ask [OPTIONS] {question}" in result.output
    assert "Invalid value for 'question': a question is needed" in result.output
    assert "a question is needed: write what you want to know about the articles." in (
        result.output
    )
    assert "couldn't find" not in result.output and "No index" not in result.output


def test_chat_with_an_empty_question_is_a_usage_error_not_the_repl(run) -> None:  # type: ignore[no-untyped-def]
    result = run("chat", "  ", input="When did the mayor resign?\n")
    assert result.exit_code == 2, result.output
    assert "Usage: newsbot chat" in result.output and "a question is needed" in result.output
    assert "newsbot — ask about" not in result.output


def test_an_overlong_question_names_the_limit(run, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    result = run("ask", "Who " + "really " * 200 + "resigned?")
    assert result.exit_code == 2
    assert "the question is 1,413 characters long; the limit is 1,000." in result.output
    monkeypatch.setenv("NEWSBOT_MAX_QUESTION_CHARS", "20")
    result = run("chat", "When did the mayor resign?")
    assert result.exit_code == 2 and "the limit is 20." in result.output


def test_a_mistyped_filter_is_pointed_out(run, news: Path) -> None:  # type: ignore[no-untyped-def]
    run("ingest", str(news))
    result = run("ask", "form:gazette When did the mayor resign?")
    assert result.exit_code == 2
    assert "form:gazette: form: is not a filter; did you mean from:?" in result.output
    assert run("ask", "from:gazette When did the mayor resign?").exit_code == 0
    bad_date = run("chat", "after:yesterday When did the mayor resign?")
    assert bad_date.exit_code == 2
    assert "can't read the date 'yesterday'; write it as YYYY-MM-DD" in bad_date.output


def test_the_repl_says_how_to_ask_and_goes_on(run, news: Path) -> None:  # type: ignore[no-untyped-def]
    run("ingest", str(news))
    result = run("chat", input="\n   \nform:gazette mayor\n...\nWhen did the mayor resign?\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.count("Type a question about the articles, or /help for the commands.") == 2
    assert "Error: form:gazette: form: is not a filter; did you mean from:?" in out
    assert "Error: A question is needed" in out
    assert "couldn't find" not in out
    assert "The mayor resigned on Monday." in out
