"""SIGKILL an ingest at many points: the index must load, FAISS and SQLite must agree,
and it must hold either the old or the new set of articles."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import faiss

from bot.index.embedded import EmbeddedIndex
from tests.conftest import ROOT, write_article

# An ingest run in a child process with a deterministic, slowed-down fake encoder.
CHILD = """
import sys, time
from bot.embeddings import register_encoder
from tests.fakes import FakeEncoder

class Slow(FakeEncoder):
    def encode_with_sentences(self, texts, spans):
        time.sleep(0.004 * len(texts))
        return super().encode_with_sentences(texts, spans)

register_encoder("fake", Slow)
from bot.cli import main
sys.argv = ["newsbot", "ingest", "--prune", *sys.argv[1:]]
main()
"""


def start_ingest(index: Path, folder: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NEWSBOT_INDEX": str(index),
        "NEWSBOT_ENCODER": "fake",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def article_hashes(index: Path) -> frozenset[str]:
    conn = sqlite3.connect(index / "newsbot.sqlite")
    try:
        return frozenset(r[0] for r in conn.execute("SELECT content_hash FROM articles"))
    finally:
        conn.close()


def check_consistent(index: Path) -> frozenset[str]:
    store = EmbeddedIndex.open(index, fingerprint="fake:bag-of-words")
    try:
        faiss_ids = set(faiss.vector_to_array(store.search_index().id_map).tolist())
        sql_ids = {r[0] for r in store._rows("SELECT id FROM chunks")}
        assert faiss_ids == sql_ids
        orphans = store._rows(
            "SELECT count(*) FROM sentences WHERE chunk_id NOT IN (SELECT id FROM chunks)"
        )
        assert orphans[0][0] == 0
        return article_hashes(index)
    finally:
        store.close()


def make_corpus(folder: Path, n: int, tag: str) -> None:
    """n articles in mixed formats: plain text, Markdown, and lines of one JSONL file."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(n):
        paragraphs = [
            f"Story {i} paragraph {p} reports event {tag}{i}-{p} in district {p * i}."
            for p in range(6)
        ]
        headline = f"Headline {tag} {i}"
        if i % 4 == 3:
            lines.append(json.dumps({"id": f"{tag}{i}", "title": headline,
                                     "text": "\n\n".join(paragraphs)}))  # fmt: skip
        elif i % 4 == 2:
            body = "\n\n".join(paragraphs)
            (folder / f"story{i:03d}.md").write_text(f"---\ntitle: {headline}\n---\n{body}\n")
        else:
            write_article(folder, f"story{i:03d}.txt", headline, *paragraphs)
    if lines:
        (folder / "batch.jsonl").write_text("\n".join(lines) + "\n")


def test_sigkill_at_many_points_leaves_old_or_new(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    make_corpus(corpus, 40, "old")
    base = tmp_path / "base"
    assert start_ingest(base, corpus).wait(120) == 0
    old = check_consistent(base)

    # The new state: 20 edited, 20 removed... by replacing the folder with a new corpus.
    shutil.rmtree(corpus)
    make_corpus(corpus, 20, "old")
    make_corpus(corpus / "more", 80, "new")
    reference = tmp_path / "reference"
    shutil.copytree(base, reference)
    started = time.perf_counter()
    assert start_ingest(reference, corpus).wait(120) == 0
    full = time.perf_counter() - started
    new = check_consistent(reference)
    assert old != new

    # Kill points spread over the time a whole ingest took, from at once to the very end; the
    # last one comes after the process has ended, whatever the load, so both states are met.
    outcomes = []
    points = 16
    for k in range(points):
        work = tmp_path / f"run{k}"
        shutil.copytree(base, work)
        proc = start_ingest(work, corpus)
        if k == points - 1:
            assert proc.wait(120) == 0
        else:
            time.sleep(full * k / (points - 1))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = check_consistent(work)
        assert state in (old, new), f"kill point {k}: neither the old nor the new set"
        outcomes.append("new" if state == new else "old")
        # The interrupted index still takes a normal ingest afterwards.
        if k % 5 == 0:
            assert start_ingest(work, corpus).wait(120) == 0
            assert check_consistent(work) == new
        shutil.rmtree(work)
    assert outcomes[0] == "old" and outcomes[-1] == "new", outcomes
