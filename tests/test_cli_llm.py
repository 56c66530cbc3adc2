"""`ask` and `chat` with --llm against the loopback chat server (fake encoder, real HTTP)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from tests.conftest import write_article
from tests.llm_server import LLMServer, Reply

GOOD = "The mayor resigned on Monday [1]."
BAD = (
    "The mayor resigned on Monday [1]. She called the council “a nest of vipers” [1]. "
    "She will run for governor [3]."
)


@pytest.fixture
def run(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NEWSBOT_LLM_RETRIES", "0")
    folder = tmp_path / "news"
    folder.mkdir()
    write_article(
        folder,
        "mayor.txt",
        "Mayor resigns",
        "The mayor resigned on Monday. She cited health reasons.",
        Source="Gazette",
        Published="2018-02-05",
    )
    assert cli("ingest", str(folder)).exit_code == 0
    return cli


def test_ask_json_names_the_model_and_what_verification_did(run) -> None:  # type: ignore[no-untyped-def]
    with LLMServer(Reply(BAD)) as server:
        result = run(
            "ask",
            "--json",
            "--llm",
            "openai:newsroom-7b",
            "--llm-base-url",
            server.openai_url,
            "--llm-api-key",
            "sk-local",
            "Why did the mayor resign?",
        )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["answer"] == GOOD
    assert data["answered_by"] == data["model"] == "openai:newsroom-7b"
    assert data["verification"]["changed"] is True
    assert data["verification"]["outcome"] == "edited"
    assert data["verification"]["model_answer"] == BAD
    assert len(data["verification"]["removed"]) == 2
    assert data["citations"][0]["quote"] == "The mayor resigned on Monday."
    request = server.requests[0]
    assert request.body["model"] == "newsroom-7b"
    assert request.headers["authorization"] == "Bearer sk-local"
    assert '<source id="1" headline="Mayor resigns" outlet="Gazette"' in request.content("user")


def test_chat_streams_then_prints_the_verified_answer(run) -> None:  # type: ignore[no-untyped-def]
    with LLMServer(Reply(BAD)) as server:
        result = run(
            "chat",
            "--llm",
            "openai:m",
            "--llm-base-url",
            server.openai_url,
            input="Why did the mayor resign?\n/quit\n",
        )
    assert result.exit_code == 0, result.output
    assert (
        BAD + "\n\nVerified answer:\n" + GOOD + "\n\nVerification removed 2 of 3" in result.output
    )
    assert "Sources:\n[1] Gazette · 5 Feb 2018 — Mayor resigns" in result.output


def test_environment_model_and_llm_none(run, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    with LLMServer(Reply(GOOD)) as server:
        monkeypatch.setenv("NEWSBOT_LLM", "openai:m")
        monkeypatch.setenv("NEWSBOT_LLM_BASE_URL", server.openai_url)
        via_env = json.loads(run("ask", "--json", "When did the mayor resign?").output)
        off = json.loads(run("ask", "--json", "--llm", "none", "When did the mayor resign?").output)
    assert via_env["answered_by"] == "openai:m" and via_env["answer"] == GOOD
    assert off["answered_by"] == "extractive" and off["model"] is None
    assert len(server.requests) == 1


def test_a_refused_connection_gives_the_quoted_answer_with_a_note(run) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run(
        "ask",
        "--llm",
        "openai:m",
        "--llm-base-url",
        f"http://127.0.0.1:{port}/v1",
        "When did the mayor resign?",
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("The mayor resigned on Monday. [1]\n")
    assert (
        "The model (openai:m) was unavailable (connection refused); this is the quoted answer."
        in result.output
    )


@pytest.mark.parametrize(
    ("reply", "reason"),
    [(Reply(malformed=True), "malformed response"), (Reply(""), "empty response")],
)
def test_a_garbled_stream_is_not_called_empty(run, reply: Reply, reason: str) -> None:  # type: ignore[no-untyped-def]
    # chat streams (SSE): a body that isn't a stream at all is malformed, not empty.
    with LLMServer(reply) as server:
        result = run(
            "chat",
            "--llm",
            "openai:m",
            "--llm-base-url",
            server.openai_url,
            input="When did the mayor resign?\n",
        )
    assert result.exit_code == 0, result.output
    assert f"The model (openai:m) was unavailable ({reason}); this is the quoted answer." in (
        result.output
    )


def test_llm_timeout_option_bounds_a_silent_server(run) -> None:  # type: ignore[no-untyped-def]
    # The server would answer after 30 s; the 0.5 s limit must cut it off long before that,
    # with room to spare on a loaded machine.
    with LLMServer(Reply(GOOD, delay=30)) as server:
        started = time.monotonic()
        result = run(
            "ask",
            "--llm",
            "openai:m",
            "--llm-base-url",
            server.openai_url,
            "--llm-timeout",
            "0.5",
            "When did the mayor resign?",
        )
        elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert "was unavailable (timed out); this is the quoted answer." in result.output
    assert elapsed < 15


def test_a_missing_provider_package_is_a_clear_error(run) -> None:  # type: ignore[no-untyped-def]
    result = run("ask", "--llm", "groq:llama-3.3-70b", "When did the mayor resign?")
    assert result.exit_code == 1
    assert (
        "needs a LangChain integration that is not installed: pip install langchain-groq"
        in result.output
    )
    assert "Traceback" not in result.output


def test_chat_with_a_question_exits_non_zero_on_a_setup_error(run) -> None:  # type: ignore[no-untyped-def]
    result = run("chat", "--llm", "groq:llama-3.3-70b", "When did the mayor resign?")
    assert result.exit_code == 1
    assert "Error: the model 'groq:llama-3.3-70b' needs a LangChain integration" in result.output
    assert "Traceback" not in result.output
    with LLMServer(Reply(GOOD)) as server:
        ok = run("chat", "--llm", "openai:m", "--llm-base-url", server.openai_url, "Who resigned?")
    assert ok.exit_code == 0 and GOOD in ok.output


def test_invalid_llm_timeout_is_reported_by_name(run) -> None:  # type: ignore[no-untyped-def]
    result = run("ask", "--llm", "openai:m", "--llm-timeout", "0", "Anything?")
    assert result.exit_code == 1
    assert "Error: invalid setting: NEWSBOT_LLM_TIMEOUT:" in result.output
