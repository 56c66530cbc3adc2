"""Global options (--index, -v/--verbose, --debug) before or after any command; --version;
shell completion through typer's standard options."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.main import get_command

from bot.cli import app
from tests.conftest import write_article

GLOBAL = ("--index", "--verbose", "-v", "--debug")


def _command_paths() -> list[list[str]]:
    """Every command and sub-command, as the words that name it."""
    paths: list[list[str]] = []

    def walk(command, words: list[str]) -> None:  # type: ignore[no-untyped-def]
        for name, sub in getattr(command, "commands", {}).items():
            paths.append([*words, name])
            walk(sub, [*words, name])

    walk(get_command(app), [])
    return paths


def test_every_command_is_covered() -> None:
    names = {" ".join(p) for p in _command_paths()}
    assert {"ingest", "ask", "chat", "eval", "list", "stats", "rm", "slack"} <= names
    assert {"feedback", "feedback list", "feedback export"} <= names


@pytest.mark.parametrize("words", _command_paths(), ids=" ".join)
def test_help_of_every_command_lists_the_global_options(cli, words: list[str]) -> None:  # type: ignore[no-untyped-def]
    result = cli(*words, "--help")
    assert result.exit_code == 0, result.output
    options = result.output.split("Options:", 1)[1]
    for flag in GLOBAL:
        assert flag in options, f"newsbot {' '.join(words)} --help lacks {flag}"


@pytest.fixture
def news(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    folder.mkdir()
    write_article(folder, "mayor.txt", "Mayor resigns", "The mayor resigned on Monday.")
    return folder


def test_index_after_the_command(cli, news: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("ingest", str(news), "--index", str(tmp_path / "after"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "after" / "newsbot.sqlite").exists()
    assert not (tmp_path / "index").exists()  # NEWSBOT_INDEX of the fixture was overridden
    listed = cli("list", "--index", str(tmp_path / "after"))
    assert "Mayor resigns" in listed.output and "1 articles" in listed.output


def test_index_given_twice_the_later_one_wins(cli, news: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before, after = tmp_path / "before", tmp_path / "after"
    result = cli("--index", str(before), "ingest", "--index", str(after), str(news))
    assert result.exit_code == 0, result.output
    assert (after / "newsbot.sqlite").exists() and not before.exists()


def test_index_after_a_subcommand_of_a_group(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "elsewhere" / "index"
    result = cli("feedback", "export", "--format", "json", "--index", str(other))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "[]"  # no feedback.sqlite beside that index


def test_verbose_after_the_command_sets_the_log_level(cli, news: Path) -> None:  # type: ignore[no-untyped-def]
    root = logging.getLogger()
    level = root.level
    try:
        assert cli("ingest", str(news)).exit_code == 0
        assert root.level == logging.WARNING
        assert cli("list", "-v").exit_code == 0
        assert root.level == logging.INFO
        assert cli("list", "--debug").exit_code == 0
        assert root.level == logging.DEBUG
    finally:
        root.setLevel(level)


def test_version(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("--version")
    assert result.exit_code == 0
    assert result.output == f"newsbot {version('newsbot')}\n"


def test_shell_completion_is_typers_standard_option(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("--show-completion", "bash")
    assert result.exit_code == 0, result.output
    assert "_NEWSBOT_COMPLETE=complete_bash" in result.output
    assert "complete -o default -F _newsbot_completion newsbot" in result.output
    assert "--install-completion" in cli("--help").output


@pytest.mark.integration
def test_debug_after_the_command_shows_the_traceback(tmp_path: Path) -> None:
    """In a real process (logging is configured by the command, not by pytest)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    missing = tmp_path / "missing"
    plain = subprocess.run(
        [sys.executable, "-m", "bot", "list", "--index", str(missing)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    debug = subprocess.run(
        [sys.executable, "-m", "bot", "list", "--index", str(missing), "--debug"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert plain.returncode == debug.returncode == 1
    assert f"Error: No index in {missing}/" in plain.stderr
    assert "Traceback" not in plain.stderr
    assert "Traceback (most recent call last)" in debug.stderr
    assert "IndexMissingError" in debug.stderr
