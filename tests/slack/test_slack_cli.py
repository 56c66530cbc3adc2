"""`newsbot slack`: clear errors before anything loads; --help stays light."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv("NEWSBOT_" + name, raising=False)
    # `newsbot slack` quiets the Slack libraries' loggers; later tests get them back as they were
    loggers = [logging.getLogger(name) for name in ("slack_sdk", "slack_bolt")]
    levels = [logger.level for logger in loggers]
    yield CliRunner()
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def test_missing_bot_token_is_a_clear_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["slack"])
    assert result.exit_code == 1
    assert "Error: SLACK_BOT_TOKEN is not set" in result.output
    assert "Traceback" not in result.output


def test_socket_mode_needs_the_app_token(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    result = runner.invoke(app, ["slack"])
    assert result.exit_code == 1
    assert "Error: SLACK_APP_TOKEN is not set" in result.output
    assert "--http" in result.output


def test_http_mode_needs_the_signing_secret(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBOT_SLACK_BOT_TOKEN", "xoxb-1")
    result = runner.invoke(app, ["slack", "--http", "--port", "3999"])
    assert result.exit_code == 1
    assert "Error: SLACK_SIGNING_SECRET is not set" in result.output


def test_help_does_not_import_slack_libraries() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from bot.cli import app\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0\n"
        "assert CliRunner().invoke(app, ['slack', '--help']).exit_code == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('slack_bolt', 'slack_sdk')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_without_an_index_it_refuses_to_start_and_says_to_ingest(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What docs/slack.md promises: no index, no bot, and how to build one."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    monkeypatch.setenv("NEWSBOT_INDEX", str(tmp_path / "index"))
    result = runner.invoke(app, ["slack"])
    assert result.exit_code == 1
    assert f"Error: No index in {tmp_path / 'index'}" in result.output
    assert "newsbot ingest" in result.output
