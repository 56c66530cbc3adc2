"""Progress for people: a rich bar on a terminal, plain lines otherwise. The work itself
only calls a callback.

- `IngestProgress`: ingest's sources, with its counts; and `summary`, its closing line.
- `TaskProgress`: any other counted work (eval's questions; a migration's rows).
- `Activity`: work of unknown length (loading the model), a spinner on a terminal.

Off a terminal (a log, a pipe, CI) a plain line comes every PLAIN_INTERVAL seconds of work,
so quick runs print none.
"""

from __future__ import annotations

import sys
import threading
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


def summary(report: IngestReport, index: Path | str) -> str:
    """The last line of `newsbot ingest`: counts, then what it cost, then where it went
    (an index directory, or a database's location)."""
    seconds = report.seconds or 1e-9
    where = f"{index}/" if isinstance(index, Path) else index
    n = report.copies  # sources that repeat an article: not counted as articles above
    stored_once = f", {n} exact {'copy' if n == 1 else 'copies'} stored once" if n else ""
    return (
        f"{counts(report)} ({report.files} files{stored_once}, "
        f"{report.articles / seconds:.1f} articles/s, "
        f"{report.chunks_embedded} chunks embedded at {report.chunks_embedded / seconds:.0f}/s, "
        f"{report.chunks_reused} reused, {report.seconds:.1f} s) -> {where}"
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


class _Counted:
    """What both counted progress displays share: a rich bar on a terminal, else a plain
    line at most every `interval` seconds (never for the last item: the summary follows)."""

    def __init__(
        self,
        stream: TextIO | None,
        terminal: bool | None,
        interval: float,
        clock: Callable[[], float],
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self.interval = interval
        self.clock = clock
        self._bar: Any = None
        self._task: Any = None
        self._started = self._last = 0.0

    def _start(self, label: str, fields: str, total: int | None, **extra: Any) -> None:
        """Start the clock, and on a terminal the bar: `label`, the bar, done/total,
        `fields`, elapsed, ETA, then the task's description when `extra` has one."""
        self._started = self._last = self.clock()
        if not self.terminal:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        described = [TextColumn("{task.description}")] if "description" in extra else []
        self._bar = _bar(
            self.stream, TextColumn(label), BarColumn(), MofNCompleteColumn(),
            TextColumn(fields), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            *described,
        )  # fmt: skip
        self._task = self._bar.add_task(extra.pop("description", ""), total=total, **extra)

    def _due(self, done: int, total: int) -> float | None:
        """Seconds since the start when a plain line is due now, else None."""
        now = self.clock()
        if now - self._last < self.interval or done >= total:
            return None
        self._last = now
        return now - self._started

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


class IngestProgress(_Counted):
    """`with IngestProgress() as callback: ingest(..., progress=callback)`."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        terminal: bool | None = None,
        interval: float = PLAIN_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(stream, terminal, interval, clock)

    def __enter__(self) -> Callable[[str, int, int, IngestReport], None]:
        self._start("ingesting", "{task.fields[counts]}", None, description="", counts="")
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
        elapsed = self._due(done, total)
        if elapsed is None:
            return
        reading = f", reading {terminal_line(Path(current).name)}" if current else ""
        self._line(
            f"ingest: {done}/{total} sources ({done * 100 // max(total, 1)}%), {counts(report)}, "
            f"{report.chunks_embedded} chunks embedded, {done / max(elapsed, 1e-9):.1f} "
            f"sources/s, ETA {eta(done, total, elapsed)}{reading}"
        )


def _bar(stream: TextIO, *columns: Any) -> Any:
    """A started, transient rich progress display on `stream` (imported only when shown)."""
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(*columns, console=Console(file=stream, force_terminal=True), transient=True)
    bar.start()
    return bar


class TaskProgress(_Counted):
    """`with TaskProgress("answering", "questions", total=n) as update: ... update(done, n)`."""

    def __init__(
        self,
        label: str,
        unit: str,
        stream: TextIO | None = None,
        *,
        total: int | None = None,
        terminal: bool | None = None,
        interval: float = PLAIN_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(stream, terminal, interval, clock)
        self.label = label
        self.unit = unit
        self.total = total

    def __enter__(self) -> Callable[[int, int], None]:
        self._start(self.label, self.unit, self.total)
        return self.update

    def update(self, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total)
            return
        elapsed = self._due(done, total)
        if elapsed is None:
            return
        self._line(
            f"{self.label}: {done}/{total} {self.unit} ({done * 100 // max(total, 1)}%), "
            f"{done / max(elapsed, 1e-9):.1f} {self.unit}/s, ETA {eta(done, total, elapsed)}"
        )


class Activity:
    """`with Activity("loading the model and index"): ...` for work that can't be counted.

    A spinner with the time spent on a terminal; otherwise a line every `interval` seconds
    while the work lasts (from a timer thread: the work itself never reports)."""

    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        *,
        terminal: bool | None = None,
        interval: float = PLAIN_INTERVAL,
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self.interval = interval
        self._bar: Any = None
        self._done = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> Activity:
        if self.terminal:
            from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

            self._bar = _bar(
                self.stream, SpinnerColumn(), TextColumn(self.label), TimeElapsedColumn()
            )
            self._bar.add_task("", total=None)
        else:
            self._ticker = threading.Thread(target=self._tick, name="newsbot-activity", daemon=True)
            self._ticker.start()
        return self

    def _tick(self) -> None:
        started = time.monotonic()
        while not self._done.wait(self.interval):
            print(
                f"{self.label}... ({time.monotonic() - started:.0f} s)",
                file=self.stream,
                flush=True,
            )

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._ticker is not None:
            self._ticker.join()
        if self._bar is not None:
            self._bar.stop()
