"""The quality benchmark scripts still run, end to end, on a tiny evaluation set."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from bot.answer import MIN_SCORE
from tests.conftest import ROOT

NEWS = ROOT / "tests" / "data" / "news"


def tiny_evalset(tmp_path: Path) -> Path:
    evalset = tmp_path / "evalset"
    shutil.copytree(NEWS, evalset / "corpus")
    questions = [
        {
            "id": "a",
            "question": "How many people rallied for the library?",
            "answers": ["4,000"],
            "evidence": [{"article_file": "2018-02-11-rally-gazette.txt", "text": ""}],
            "type": "how_many",
        },
        {
            "id": "b",
            "question": "What raise did transit workers accept?",
            "answers": ["3 percent"],
            "evidence": [{"article_file": "2018-02-20-strike-ends.txt", "text": ""}],
            "type": "what",
        },
        {
            "id": "c",
            "question": "Who won the 2018 World Cup?",
            "answers": [],
            "evidence": [],
            "type": None,
        },
    ]
    (evalset / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    return evalset


def run(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_baselines_and_tuning_scripts(tmp_path: Path) -> None:
    evalset = tiny_evalset(tmp_path)
    table = run(str(ROOT / "bench" / "baselines.py"), str(evalset), cwd=tmp_path)
    rows = [line for line in table.splitlines() if line.startswith("| ") and "system" not in line]
    assert [r.split("|")[1].strip() for r in rows] == [
        "LangChain tutorial",
        "BM25 alone",
        "newsbot",
    ]
    assert all(float(r.split("|")[3]) == 1.0 for r in rows)  # recall@5 on 2 easy questions

    features = tmp_path / "features.json"
    tune = str(ROOT / "bench" / "tune_news.py")
    run(tune, "dump", str(evalset), "--out", str(features), "--index", str(tmp_path / "idx"),
        cwd=tmp_path)  # fmt: skip
    dumped = json.loads(features.read_text())
    assert [q["id"] for q in dumped] == ["a", "b", "c"]
    assert any(c["correct"] for c in dumped[0]["cands"])  # the 4,000 sentence is a candidate
    out = run(tune, "grid", str(features), cwd=tmp_path)
    assert f"| **{MIN_SCORE:.2f}** |" in out  # the shipped threshold is marked
    assert "features: all answerable 1.000" in out.splitlines()[1]  # both easy ones on top
