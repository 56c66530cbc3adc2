"""Hostile and damaged input through the installed `newsbot` command and the real model
(issue 16): a hostile archive goes in within seconds with each bad file named, nothing
raw reaches a real terminal (a pty), a damaged vector file is rebuilt, and a closed pipe
ends quietly."""

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

import pytest

from tests.conftest import ROOT, write_article
from tests.test_bounded_ingest import alias_bomb

pytestmark = pytest.mark.integration
NEWSBOT = str(Path(sys.executable).parent / "newsbot")
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
BOLD, NORMAL = "\x1b[1m", "\x1b[22m"  # bot/render.py ansi_bold


def run_on_a_terminal(*args: str, index: Path) -> tuple[int, str]:
    """Run newsbot with its output on a pseudo-terminal (click leaves escape codes alone on
    a terminal); return the exit code, and what the terminal received followed by what the
    command wrote to stderr (a pipe: newsbot's own spinner draws only on a terminal)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [NEWSBOT, *args], stdout=slave, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        cwd=ROOT, env={**os.environ, "NEWSBOT_INDEX": str(index)},
    )  # fmt: skip
    os.close(slave)
    received = b""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            received += chunk
        elif process.poll() is not None:
            break
    os.close(master)
    assert process.stderr is not None
    errors = process.stderr.read().decode("utf-8", "replace")
    code = process.wait(timeout=60)
    # The terminal turns "\n" into "\r\n"; those carriage returns are the terminal's own.
    return code, received.decode("utf-8", "replace").replace("\r\n", "\n") + errors


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    wire = {
        "id": "w1",
        "title": "Council vote \u001b]0;PWNED\u0007 today",
        "outlet": "Gazette\u001b[2J",
        "body": "The council voted to close the harbour bridge for repairs on Monday.",
        "date": "2024-03-01",
    }
    (folder / "wire.json").write_text(json.dumps(wire))
    (folder / "tram.html").write_text(
        "<html><head><title>Tram line approved</title></head><body><article><p>The council "
        "approved the new tram line on Wednesday.&#11;</p></article></body></html>"
    )
    (folder / "bomb.md").write_text(alias_bomb())
    (folder / "deep.html").write_text("<div>" * 100_000 + "<p>Deep text.</p>")
    secret = folder.parent / "secret.txt"
    write_article(folder.parent, "secret.txt", "Passwords", "The wifi password is swordfish.")
    (folder / "link.txt").symlink_to(secret)
    write_article(
        folder, "evil\x1b]0;FILE\x07\nname.txt", "Bridge budget",
        "The bridge repair budget was set at four million dollars.", Source="Gazette",
    )  # fmt: skip
    index = folder.parent / "index"
    started = time.monotonic()
    result = subprocess.run(
        [NEWSBOT, "ingest", str(folder)], capture_output=True, text=True, timeout=600, cwd=ROOT,
        env={**os.environ, "NEWSBOT_INDEX": str(index)},
    )  # fmt: skip
    assert time.monotonic() - started < 300
    assert result.returncode == 2, result.stderr
    assert "bomb.md: front matter expands to more than 10,000 values" in result.stderr
    assert "deep.html: markup is nested more than 512 elements deep" in result.stderr
    assert f"skipped {folder / 'link.txt'}: a symbolic link to {secret}" in result.stderr
    assert result.stdout.startswith("3 added, 0 updated, 0 unchanged, 0 removed, 2 failed")
    return index


def test_nothing_raw_reaches_a_terminal(hostile_index: Path) -> None:
    for args in (
        ["list"], ["stats"], ["ask", "What did the council vote to close?"],
        ["ask", "What did the council approve on Wednesday?"],
    ):  # fmt: skip
        code, shown = run_on_a_terminal(*args, index=hostile_index)
        assert code == 0, shown
        # The only escape codes are newsbot's own bold on the short answer.
        assert not RAW.search(shown.replace(BOLD, "").replace(NORMAL, "")), (args, shown)
    code, listed = run_on_a_terminal("list", index=hostile_index)
    assert "evil\\x1b]0;FILE\\x07\\nname.txt" in listed
    assert "Council vote ]0;PWNED today" not in listed  # stripped whole at ingest
    assert "Council vote today" in listed


def test_a_damaged_vector_file_is_rebuilt_by_the_real_command(
    hostile_index: Path, tmp_path: Path
) -> None:
    import shutil

    index = tmp_path / "index"
    shutil.copytree(hostile_index, index)
    [vectors] = index.glob("vectors.*.faiss")
    vectors.write_bytes(vectors.read_bytes()[:200])
    result = subprocess.run(
        [NEWSBOT, "ask", "What did the council vote to close?"], capture_output=True, text=True,
        timeout=300, cwd=ROOT, env={**os.environ, "NEWSBOT_INDEX": str(index)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("The council voted to close the harbour bridge")
    [notice] = [line for line in result.stderr.splitlines() if "is damaged" in line]
    assert notice.startswith(f"WARNING bot.index_health: {vectors} is damaged (")
    check = subprocess.run(
        [NEWSBOT, "check", "--repair"], capture_output=True, text=True, timeout=300, cwd=ROOT,
        env={**os.environ, "NEWSBOT_INDEX": str(index)},
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith("Repaired: rebuilt the vector and BM25 files from SQLite")


def test_a_closed_pipe_ends_quietly(hostile_index: Path) -> None:
    process = subprocess.Popen(
        [NEWSBOT, "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
        env={**os.environ, "NEWSBOT_INDEX": str(hostile_index)},
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # `| head -0`: the reader is gone before the first line
    stderr = process.stderr.read().decode()
    process.wait(timeout=120)
    assert "BrokenPipe" not in stderr and "unexpected" not in stderr, stderr
    assert "Traceback" not in stderr
