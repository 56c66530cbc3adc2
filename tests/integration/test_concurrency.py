"""Real processes sharing one index: a chat process keeps answering from the committed
index while another process ingests, and sees the new articles once the ingest commits,
without a restart; a second ingest at the same time stops with a clear message or, with
--wait, queues behind the first. Both leave FAISS and SQLite in agreement."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import ClassVar

from tests.conftest import ROOT, write_article
from tests.integration.test_crash_safety import check_consistent, make_corpus

# The CLI in a child process, with a deterministic encoder slowed down so that an ingest
# lasts long enough to act during it. It touches READY when it first embeds: by then the
# ingest holds the write lock and has an open transaction. With HOLD it then waits for that
# file to appear, so a test can act while the lock is surely held, however loaded the machine.
CHILD = """
import os, sys, time
from pathlib import Path
from bot.embeddings import register_encoder
from tests.fakes import FakeEncoder

class Slow(FakeEncoder):
    def encode_with_sentences(self, texts, spans):
        if os.environ.get("READY"):
            Path(os.environ["READY"]).touch()
        hold, deadline = os.environ.get("HOLD"), time.monotonic() + 120
        while hold and not Path(hold).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(float(os.environ.get("SLOW", "0")) * len(texts))
        return super().encode_with_sentences(texts, spans)

register_encoder("fake", Slow)
from bot.cli import main
sys.argv = ["newsbot", *sys.argv[1:]]
main()
"""
ZEBRA = "The zebra escaped from the Riverton circus on Sunday and was found grazing in a park."


def newsbot(index: Path, *args: str, slow: float = 0.0, ready: Path | None = None,  # type: ignore[no-untyped-def]
            hold: Path | None = None, **kw):  # fmt: skip
    env = {
        **os.environ,
        "NEWSBOT_INDEX": str(index),
        "NEWSBOT_ENCODER": "fake",
        "NEWSBOT_HISTORY_FILE": str(index.parent / "history"),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "SLOW": str(slow),
        "READY": str(ready or ""),
        "HOLD": str(hold or ""),
    }
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, *args], env=env, cwd=ROOT, text=True, **kw
    )


def wait_for(path: Path, proc: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, "the ingest ended before it started embedding"
        assert time.monotonic() < deadline, "the ingest never started embedding"
        time.sleep(0.02)


class Chat:
    """A `newsbot chat` process driven through its standard input, line by line."""

    MARK = "/end-of-answer"
    PIPES: ClassVar[dict[str, int]] = {
        "stdin": subprocess.PIPE,
        "stdout": subprocess.PIPE,
        "stderr": subprocess.PIPE,
    }

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        """`proc`: a started `newsbot chat` with PIPES."""
        self.proc = proc
        assert self.proc.stdout is not None
        self.proc.stdout.readline()  # the greeting

    def ask(self, question: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{question}\n{self.MARK}\n")
        self.proc.stdin.flush()
        lines = []
        while not (line := self.proc.stdout.readline()).startswith("Unknown command " + self.MARK):
            assert line, f"chat ended: {self.proc.stderr.read() if self.proc.stderr else ''}"
            lines.append(line)
        return "".join(lines)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("/quit\n")
        self.proc.stdin.flush()
        assert self.proc.wait(30) == 0


def test_chat_answers_during_an_ingest_and_sees_new_articles_after_commit(
    tmp_path: Path,
) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, 30, "old")
    assert newsbot(index, "ingest", str(corpus)).wait(120) == 0
    chat = Chat(newsbot(index, "chat", **Chat.PIPES))
    pid = chat.proc.pid
    question = "Where was the zebra that escaped from the circus found?"
    assert ZEBRA not in chat.ask(question)

    write_article(corpus, "zebra.txt", "Zebra escapes circus", ZEBRA, Source="Gazette")
    make_corpus(corpus / "more", 60, "new")
    ready, go = tmp_path / "ready", tmp_path / "go"
    ingest = newsbot(index, "ingest", str(corpus), slow=0.02, ready=ready, hold=go,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    wait_for(ready, ingest)
    during = []
    for _ in range(2):  # asked while the ingest is held mid-way, write lock taken
        during.append(chat.ask(question))
        during.append(chat.ask("What does story 3 paragraph 2 report about event old3-2?"))
    assert ingest.poll() is None
    go.touch()
    while ingest.poll() is None:  # ask again and again while the ingest runs on
        during.append(chat.ask(question))
        during.append(chat.ask("What does story 3 paragraph 2 report about event old3-2?"))
    assert ingest.returncode == 0
    assert all("Error" not in a for a in during), during
    # The old index until the commit (which comes a little before the process exits),
    # then the new one: never back and forth.
    seen = [ZEBRA in a for a in during[::2]]
    assert not seen[0] and seen == sorted(seen), seen
    assert any("Story 3 paragraph 2 reports event old3-2" in a for a in during)
    after = chat.ask(question)
    assert ZEBRA in after  # the new article, same process: no restart
    assert chat.proc.pid == pid
    chat.close()
    check_consistent(index)


def test_second_ingest_stops_clearly_or_waits_with_wait(tmp_path: Path) -> None:
    first_corpus, second_corpus, index = tmp_path / "a", tmp_path / "b", tmp_path / "index"
    make_corpus(first_corpus, 60, "first")
    make_corpus(second_corpus, 5, "second")
    ready = tmp_path / "ready"
    go = tmp_path / "go"  # the first ingest holds the lock until this exists
    first = newsbot(index, "ingest", str(first_corpus), slow=0.02, ready=ready, hold=go,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    wait_for(ready, first)  # the first holds the write lock until `go` exists

    refused = newsbot(index, "ingest", str(second_corpus),
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    _, err = refused.communicate(timeout=60)
    assert refused.returncode == 1
    assert "Error: Another ingest is writing to" in err and "--wait SECONDS" in err
    assert first.poll() is None

    queued = newsbot(index, "ingest", "--wait", "120", str(second_corpus),
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    go.touch()
    out, err = queued.communicate(timeout=180)
    assert queued.returncode == 0, err
    assert first.wait(60) == 0
    assert out.startswith("5 added")
    first_out = first.stdout.read() if first.stdout else ""
    assert first_out.startswith("60 added")
    hashes = check_consistent(index)
    assert len(hashes) == 65  # both ingests' articles, nothing lost or doubled
