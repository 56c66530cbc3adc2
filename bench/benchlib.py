"""Small helpers shared by the speed benchmarks: percentiles, peak memory, tables."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Child:
    """A finished child process: what it printed last (JSON), its time and peak memory."""

    result: dict
    seconds: float
    peak_rss_mb: float


# Linux charges a child the resident memory of the process that forked it: at exec the
# kernel records the old (copied) address space's high-water mark in ru_maxrss. A
# benchmark parent that has loaded the model would make every child look as big as
# itself, so a small reaper process starts the child, times it and reads its rusage.
_REAPER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:], stdout=sys.stdout, stderr=sys.stderr)
_, status, usage = os.wait4(proc.pid, 0)
seconds = time.perf_counter() - started
with open(sys.argv[1], "w") as f:
    json.dump({"code": os.waitstatus_to_exitcode(status), "seconds": seconds,
               "maxrss_kb": usage.ru_maxrss}, f)
"""


def run_child(args: Sequence[str], env: dict[str, str] | None = None) -> Child:
    """Run a command through the reaper, which times it and reads its own peak RSS
    (ru_maxrss), and parse the last line it printed that starts with '{' as JSON."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory() as tmp,
    ):
        report = Path(tmp) / "reaper.json"
        reaper = [sys.executable, "-c", _REAPER, str(report), *args]
        subprocess.run(reaper, stdout=out, stderr=err, env=env, check=False)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        reaped = json.loads(report.read_text()) if report.exists() else {"code": -1}
    if reaped["code"]:
        sys.stderr.write(stderr)
        raise SystemExit(f"{' '.join(args)} failed with exit code {reaped['code']}")
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    return Child(result, reaped["seconds"], reaped["maxrss_kb"] / 1024)


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min); {os.cpu_count()} CPUs"


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
