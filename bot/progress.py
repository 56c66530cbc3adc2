"""Ingest progress for people: a rich bar on a terminal, plain lines otherwise, and the
closing summary with throughput. The ingest itself only calls a callback."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.safe_text import terminal_line

if TYPE_CHECKING:
    from bot.ingest import IngestReport

PLAIN_INTERVAL = 10.0  # seconds between plain progress lines; quick runs print none
# The ingest calls back before each source and while a source is embedded (same `done`).


def counts(report: IngestReport) -> str:
    return (
        f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.removed} removed, {len(report.failed)} failed"
    )


def summary(report: IngestReport, index: Path) -> str:
    """The last line of `newsbot ingest`: counts, then what it cost."""
    seconds = report.seconds or 1e-9
    n = report.copies  # sources that repeat an article: not counted as articles above
    stored_once = f", {n} exact {'copy' if n == 1 else 'copies'} stored once" if n else ""
    return (
        f"{counts(report)} ({report.files} files{stored_once}, "
        f"{report.articles / seconds:.1f} articles/s, "
        f"{report.chunks_embedded} chunks embedded at {report.chunks_embedded / seconds:.0f}/s, "
        f"{report.chunks_reused} reused, {report.seconds:.1f} s) -> {index}/"
    )


def eta(done: int, total: int, elapsed: float) -> str:
    if done <= 0 or total <= done:
        return "unknown" if total > done else "0s"
    left = elapsed / done * (total - done)
    minutes, seconds = divmod(int(left + 0.5), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def _shown_name(current: str) -> str:
    """A file's name in the bar: rich markup in it (`[/]`) shown as written, not applied
    (or failing), and control characters escaped."""
    from rich.markup import escape

    return escape(terminal_line(Path(current).name)) if current else ""


class IngestProgress:
    """`with IngestProgress() as callback: ingest(..., progress=callback)`."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        terminal: bool | None = None,
        interval: float = PLAIN_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self.interval = interval
        self.clock = clock
        self._bar: Any = None
        self._task: Any = None
        self._started = 0.0
        self._last = 0.0

    def __enter__(self) -> Callable[[str, int, int, IngestReport], None]:
        self._started = self._last = self.clock()
        if self.terminal:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("ingesting"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[counts]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TextColumn("{task.description}"),
                console=Console(file=self.stream, force_terminal=True),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("", total=None, counts="")
        return self.update

    def update(self, current: str, done: int, total: int, report: IngestReport) -> None:
        if self._bar is not None:
            self._bar.update(
                self._task,
                completed=done,
                total=total,
                description=_shown_name(current),
                counts=f"{report.added} new · {report.unchanged} same · "
                f"{len(report.failed)} failed · {report.chunks_embedded} chunks embedded",
            )
            return
        now = self.clock()
        if now - self._last < self.interval or done >= total:
            return
        self._last = now
        elapsed = now - self._started
        reading = f", reading {terminal_line(Path(current).name)}" if current else ""
        print(
            f"ingest: {done}/{total} sources ({done * 100 // max(total, 1)}%), {counts(report)}, "
            f"{report.chunks_embedded} chunks embedded, {done / max(elapsed, 1e-9):.1f} "
            f"sources/s, ETA {eta(done, total, elapsed)}{reading}",
            file=self.stream,
            flush=True,
        )

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
