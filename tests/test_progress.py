"""Progress display: plain lines off a terminal, a rich bar on one, and the summary."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

from bot.index import IndexReader
from bot.ingest import IngestReport, ingest
from bot.progress import Activity, IngestProgress, TaskProgress, eta, summary
from tests.conftest import write_article
from tests.fakes import FakeEncoder


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_every_interval_with_counts_and_eta() -> None:
    out, clock = io.StringIO(), Clock()
    report = IngestReport(added=3, unchanged=1)
    with IngestProgress(out, terminal=False, interval=10, clock=clock) as update:
        update("a.txt", 0, 8, report)
        clock.now = 5
        update("b.txt", 2, 8, report)  # too soon: nothing printed
        clock.now = 12
        update("c.txt", 4, 8, report)
        clock.now = 30
        update("", 8, 8, report)  # the end is the summary's job
    assert out.getvalue().splitlines() == [
        "ingest: 4/8 sources (50%), 3 added, 0 updated, 1 unchanged, 0 removed, 0 failed, "
        "0 chunks embedded, 0.3 sources/s, ETA 12s, reading c.txt"
    ]


class SlowEncoder(FakeEncoder):
    """Each encoder call takes 'six seconds' on the test's clock."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    def encode_with_sentences(self, texts, spans):  # type: ignore[no-untyped-def]
        self.clock.now += 6
        return super().encode_with_sentences(texts, spans)


def test_one_long_source_reports_progress_while_it_is_embedded(
    store: IndexReader, tmp_path: Path
) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"id": i, "title": f"Story {i}", "body": f"Report number {i} of the day."})
            for i in range(300)
        )
    )
    out, clock = io.StringIO(), Clock()
    with IngestProgress(out, terminal=False, interval=10, clock=clock) as update:
        report = ingest([str(path)], store, SlowEncoder(clock), progress=update)
    assert report.added == 300
    lines = out.getvalue().splitlines()
    # 300 chunks in calls of 64 take 30 "seconds": a line at 12 s and at 24 s, not silence.
    assert len(lines) == 2
    assert lines[0].startswith("ingest: 0/1 sources (0%), ")
    assert "128 chunks embedded" in lines[0] and lines[0].endswith("reading big.jsonl")


def test_terminal_bar_shows_counts_and_eta(
    store: IndexReader, encoder: FakeEncoder, tmp_path: Path
) -> None:
    for i in range(3):
        write_article(tmp_path, f"a{i}.txt", f"Story {i}", f"Body number {i} of a story.")
    out = io.StringIO()
    with IngestProgress(out, terminal=True) as update:
        report = ingest([str(tmp_path)], store, encoder, progress=update)
    screen = out.getvalue()
    assert "ingesting" in screen and "3/3" in screen
    assert "3 new · 0 same · 0 failed" in screen and "ETA" in screen
    assert report.added == 3


def test_summary_has_throughput() -> None:
    report = IngestReport(added=90, unchanged=10, chunks_embedded=300, chunks_reused=5,
                          files=100, seconds=10.0)  # fmt: skip
    assert summary(report, Path("index")) == (
        "90 added, 0 updated, 10 unchanged, 0 removed, 0 failed (100 files, 10.0 articles/s, "
        "300 chunks embedded at 30/s, 5 reused, 10.0 s) -> index/"
    )


def test_eta() -> None:
    assert eta(0, 10, 5.0) == "unknown"
    assert eta(5, 10, 5.0) == "5s"
    assert eta(1, 100, 10.0) == "16m30s"
    assert eta(10, 10, 5.0) == "0s"


# --- counted work other than ingest (eval's questions) and work that can't be counted ---


def test_task_progress_plain_lines_every_interval() -> None:
    out, clock = io.StringIO(), Clock()
    with TaskProgress("answering", "questions", out, terminal=False, clock=clock) as update:
        update(1, 200)
        clock.now = 12
        update(30, 200)
        clock.now = 15
        update(40, 200)  # too soon after the last line
        clock.now = 40
        update(200, 200)  # the end: the caller prints its result
    assert out.getvalue().splitlines() == [
        "answering: 30/200 questions (15%), 2.5 questions/s, ETA 1m08s"
    ]


def test_task_progress_bar_on_a_terminal() -> None:
    out = io.StringIO()
    with TaskProgress("answering", "questions", out, terminal=True) as update:
        for done in range(1, 4):
            update(done, 3)
    screen = out.getvalue()
    assert "answering" in screen and "3/3" in screen and "questions" in screen
    assert "ETA" in screen


def test_activity_off_a_terminal_prints_only_while_work_lasts() -> None:
    quick = io.StringIO()
    with Activity("loading the model and index", quick, terminal=False, interval=60):
        pass
    assert quick.getvalue() == ""

    slow = io.StringIO()
    with Activity("loading the model and index", slow, terminal=False, interval=0.01):
        deadline = time.monotonic() + 10
        while slow.getvalue().count("\n") < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    lines = slow.getvalue().splitlines()
    assert len(lines) >= 2
    assert all(re.fullmatch(r"loading the model and index\.\.\. \(\d+ s\)", line) for line in lines)
    after = slow.getvalue()
    time.sleep(0.05)
    assert slow.getvalue() == after  # the ticker stopped with the work


def test_activity_spinner_on_a_terminal() -> None:
    out = io.StringIO()
    with Activity("loading the model and index", out, terminal=True):
        pass
    assert "loading the model and index" in out.getvalue()
