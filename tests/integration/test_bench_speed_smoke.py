"""The speed benchmark scripts still run, end to end, on tiny inputs (not timed here)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import ROOT
from tests.integration.test_bench_smoke import run, tiny_evalset

BENCH = ROOT / "bench"


def rows(output: str) -> list[list[str]]:
    """The cells of a printed Markdown table's body rows."""
    return [
        [c.strip() for c in line.strip("|").split("|")]
        for line in output.splitlines()
        if line.startswith("| ") and not line.startswith("|---")
    ][1:]


def test_ingest_speed(tmp_path: Path) -> None:
    out = run(str(BENCH / "ingest_speed.py"), "--articles", "3", "--repeats", "1",
              "--cache", str(tmp_path), cwd=tmp_path)  # fmt: skip
    table = rows(out)
    assert [r[0].split(":")[0] for r in table] == [
        "raw encoder", "newsbot encoder pass (minilm, with sentence vectors)",
        "newsbot ingest, end to end (minilm)",
    ]  # fmt: skip
    assert table[0][3] == "1.00×" and all(float(r[1]) > 0 for r in table)
    assert "ingest / floor = " in out


def test_answer_latency(tmp_path: Path) -> None:
    out = run(str(BENCH / "answer_latency.py"), "--articles", "4", "--questions", "3",
              "--repeats", "1", "--cache", str(tmp_path), cwd=tmp_path)  # fmt: skip
    table = rows(out)
    assert [r[0].split(":")[0] for r in table] == [
        "newsbot",
        "bare retrieval",
        "LangChain tutorial",
    ]
    assert table[1][3] == "1.00×" and all(float(r[1]) > 0 for r in table)
    assert "targets ≤ 2× and ≤ 150 ms" in out


def test_cold_start(tmp_path: Path) -> None:
    out = run(str(BENCH / "cold_start.py"), "--articles", "3", "--runs", "1", "--warmups", "0",
              "--cache", str(tmp_path), cwd=tmp_path)  # fmt: skip
    table = rows(out)
    assert [r[0] for r in table][1:] == ["newsbot ask QUESTION", "newsbot --help"]
    assert all(float(r[1]) > 0 for r in table)
    assert "cold ask / floor = " in out and "newsbot --help " in out


def test_vectors_scale(tmp_path: Path) -> None:
    out = run(str(BENCH / "vectors_scale.py"), "--articles", "4", "--sizes", "3000",
              "--queries", "5", "--repeats", "1", "--cache", str(tmp_path),
              cwd=tmp_path)  # fmt: skip
    table = rows(out)
    assert [r[1] for r in table] == ["flat (exact, baseline)", "ivf", "hnsw"]
    assert table[0][4] == "1.000"  # exact search agrees with itself
    assert all(0 < float(r[4]) <= 1 for r in table)


def test_encoder_speed(tmp_path: Path) -> None:
    evalset = tiny_evalset(tmp_path)
    out = run(str(BENCH / "encoder_speed.py"), str(evalset), "--articles", "3",
              "--repeats", "1", "--cache", str(tmp_path), cwd=tmp_path)  # fmt: skip
    table = rows(out)
    assert [r[0] for r in table] == ["minilm (baseline)", "minilm-int8"]
    assert table[0][2] == table[0][4] == "1.00×"  # first and warm pass against themselves
    assert table[0][7] == "1.000"  # recall@5 on 2 easy questions
    assert "adopt if ≥ 1.5× and ≥ -0.010" in out


def test_ingest_vs_tutorial(tmp_path: Path) -> None:
    from tests.conftest import SEEDS

    out = run(str(BENCH / "ingest_vs_tutorial.py"), str(SEEDS), "--rounds", "1",
              "--cache", str(tmp_path), cwd=tmp_path)  # fmt: skip
    table = rows(out)
    assert [r[0] for r in table] == ["1", "median", "peak RSS MB"]
    assert float(table[0][1]) > 0 and float(table[0][2]) > 0
    assert "newsbot ingest / tutorial = " in out and "target ≤ 0.6" in out
    assert "the tutorial makes 0 splits" not in out  # the tutorial really ran


def test_encoder_precision(tmp_path: Path) -> None:
    from tests.conftest import SEEDS

    out = run(str(BENCH / "encoder_precision.py"), str(SEEDS), "--chunks", "3",
              "--rounds", "1", cwd=tmp_path)  # fmt: skip
    table = rows(out)
    assert [r[0] for r in table] == ["float32", "bfloat16"]
    assert table[0][1] == "float32" and table[0][4] == "1.00×"
    assert table[0][5] == "1.00000"  # float32 against itself
    assert float(table[1][5]) >= 0.999  # bfloat16, or float32 on a CPU without it


def test_sentence_only_dense(tmp_path: Path) -> None:
    evalset = tiny_evalset(tmp_path)
    questions, corpus, index = evalset / "questions.jsonl", evalset / "corpus", tmp_path / "idx"
    run("-m", "bot", "--index", str(index), "eval", str(questions), "--corpus", str(corpus),
        cwd=ROOT)  # fmt: skip
    for extra in ([], ["--context"]):
        scores = tmp_path / "scores.json"
        out = run(str(BENCH / "sentence_only_dense.py"), str(index), str(questions),
                  str(corpus), "--scores-json", str(scores), *extra, cwd=tmp_path)  # fmt: skip
        said = r"dense search over \d+ sentence vectors" + " and context lines" * bool(extra)
        assert re.search(said, out), out
        assert json.loads(scores.read_text())["all"]["recall"]["5"] == 1.0
