"""`newsbot eval` on a real terminal (a pseudo-terminal): a bar while it indexes the corpus,
a spinner while the model loads, a bar while it answers; then the scores."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import write_article

_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_on_a_terminal(args: list[str], cwd: Path, timeout: float = 300) -> tuple[int, str]:
    """Run `python -m bot ARGS` with stdin, stdout and stderr on a pseudo-terminal."""
    main, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update(COLUMNS="160", TERM="xterm")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        stdin=terminal, stdout=terminal, stderr=terminal, cwd=cwd, env=env,
    )  # fmt: skip
    os.close(terminal)
    screen = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the terminal closed: the process is done
                break
            if not chunk:
                break
            screen += chunk
        elif process.poll() is not None:
            break
    os.close(main)
    code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    return code, screen.decode("utf-8", "replace")


def test_eval_shows_progress_on_a_terminal(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_article(corpus, "mayor.txt", "Mayor resigns", "The mayor resigned on Monday.")
    write_article(corpus, "zoo.txt", "Panda arrives", "A giant panda arrived at the zoo.")
    questions = tmp_path / "questions.jsonl"
    rows = [
        {"id": "q1", "question": "When did the mayor resign?", "answers": ["Monday"],
         "evidence": [{"article_file": "mayor.txt"}]},
        {"id": "q2", "question": "What arrived at the zoo?", "answers": ["giant panda"],
         "evidence": [{"article_file": "zoo.txt"}]},
    ]  # fmt: skip
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")

    code, screen = run_on_a_terminal(
        ["eval", str(questions), "--corpus", str(corpus), "--index", str(tmp_path / "idx")],
        cwd=tmp_path,
    )
    text = _ESCAPES.sub("", screen)
    assert code == 0, text
    assert "ingesting" in text and "2/2" in text
    assert "loading the model and index" in text
    assert "answering" in text and "questions" in text and "ETA" in text
    assert screen != text  # drawn with terminal control codes, not as plain lines
    assert "2 added, 0 updated" in text
    assert re.search(r"article recall@1\s+1\.000", text)
