"""`newsbot timeline` and the REPL's /timeline, through typer's runner on the fake encoder
and a real index (Slack's `timeline:` is in tests/slack/test_slack_timeline.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.records import Answer, Citation, Timeline, TimelineEntry
from bot.repl import ChatSession, run
from tests.conftest import write_article


@pytest.fixture
def strike(tmp_path: Path) -> Path:
    folder = tmp_path / "strike"
    folder.mkdir()
    write_article(folder, "1.txt", "Riverton bus strike begins",
                  "Riverton bus drivers began a strike on Monday.",
                  "The union wants a raise of 5 percent for drivers.",
                  Source="Herald", Published="2022-03-07")  # fmt: skip
    write_article(folder, "2.txt", "Riverton bus strike talks fail",
                  "Riverton bus drivers began a strike on Monday.",
                  "Talks between the union and the city about the bus strike failed on Thursday.",
                  Source="Gazette", Published="2022-03-10")  # fmt: skip
    write_article(folder, "3.txt", "Riverton bus strike ends",
                  "The Riverton bus strike ended after drivers accepted a 4 percent raise.",
                  Source="Herald", Published="2022-03-21")  # fmt: skip
    write_article(folder, "zoo.txt", "Panda arrives", "A panda arrived at the zoo.",
                  Source="Herald", Published="2022-03-08")  # fmt: skip
    return folder


def test_timeline_command_prints_the_story_so_far(cli, strike: Path) -> None:  # type: ignore[no-untyped-def]
    cli("ingest", str(strike))
    result = cli("timeline", "--as-of", "2022-04-01", "Riverton bus strike")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "The story so far: Riverton bus strike (3 entries, oldest first)"
    assert lines[2] == "7 Mar 2022 · Herald: Riverton bus drivers began a strike on Monday. [1]"
    assert lines[3].startswith("10 Mar 2022 · Gazette: Talks between the union and the city")
    assert lines[4].startswith("21 Mar 2022 · Herald: The Riverton bus strike ended")
    assert "[3] Herald · 21 Mar 2022 — Riverton bus strike ends" in result.output
    assert "strike/3.txt (characters 0–" in result.output
    limited = cli("timeline", "--as-of", "2022-04-01", "--limit", "2", "Riverton bus strike")
    assert "(2 of 3 entries, oldest first)" in limited.output
    assert "1 more between the first and the latest not shown" in limited.output


def test_timeline_json_and_filters(cli, strike: Path) -> None:  # type: ignore[no-untyped-def]
    cli("ingest", str(strike))
    result = cli("timeline", "--json", "--as-of", "2022-04-01", "Riverton bus strike from:herald")
    data = json.loads(result.output)
    assert data["schema_version"] == 1 and data["search_query"] == "Riverton bus strike"
    assert [e["attribution"] for e in data["entries"]] == ["Herald", "Herald"]
    assert data["notes"] == ["Searched only articles from herald."]
    assert data["entries"][0]["published"].startswith("2022-03-07")
    early = json.loads(
        cli("timeline", "--json", "--as-of", "2022-03-08", "Riverton bus strike").output
    )
    assert [e["headline"] for e in early["entries"]] == ["Riverton bus strike begins"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["timeline", "  "], "Invalid value for 'topic': a topic is needed"),
        (["timeline", "--limit", "-1", "strike"], "'--limit': Input should be greater than or"),
    ],
)
def test_timeline_usage_errors(cli, strike: Path, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    cli("ingest", str(strike))
    result = cli(*args)
    assert result.exit_code == 2 and message in result.output


def test_chat_timeline_command(cli, strike: Path) -> None:  # type: ignore[no-untyped-def]
    cli("ingest", str(strike))
    script = "/timeline Riverton bus strike\n/sources\n/timeline\n/quit\n"
    result = cli("chat", "--as-of", "2022-04-01", input=script)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "The story so far: Riverton bus strike (3 entries, oldest first)" in out
    assert "[1] Herald · 7 Mar 2022 — Riverton bus strike begins\n" in out  # short sources
    assert "> The Riverton bus strike ended after drivers accepted a 4 percent raise." in out
    assert "Usage: /timeline TOPIC" in out


def _timeline(topic: str) -> Timeline:
    if "boom" in topic:
        raise RuntimeError("index exploded")
    c = Citation(1, 1, "Strike begins", "Herald", None, None, "/s/1.txt", "It began.", 0, 9)
    return Timeline(topic, [TimelineEntry(c, 0.1)], found=1, search_query=topic)


def test_a_timeline_is_no_turn_of_the_conversation() -> None:
    printed: list[str] = []
    asked: list[tuple[str, tuple]] = []  # type: ignore[type-arg]

    def ask(question: str, history) -> Answer:  # type: ignore[no-untyped-def]
        asked.append((question, tuple(history)))
        return Answer(question, "It began on Monday. [1]", False)

    session = ChatSession(ask, printed.append, timeline=_timeline)
    script = iter(["/timeline strike", "/timeline boom", "When did it begin?", "/quit"])
    run(session, lambda: next(script, None))
    assert "undated · Herald: It began. [1]" not in printed  # the day comes first
    assert any(p.startswith("The story so far: strike (1 entry") for p in printed)
    assert "Error: RuntimeError: index exploded (run with --debug for the traceback)" in printed
    assert asked == [("When did it begin?", ())]  # the timeline is not history
    without = ChatSession(ask, printed.append)
    without.handle("/timeline strike")
    assert printed[-1] == "Timelines are not available here."
