"""The embedded index's search structures, derived from the vectors and stems kept in
SQLite: a FAISS file and a BM25 folder per generation (see bot/vectors.py, bot/lexical.py).
Either can be rebuilt from the database at any time without re-embedding."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from bot import vectors
from bot.lexical import LexicalIndex

VECTOR_BATCH = 50_000  # rows read from SQLite at a time when rebuilding the vector index


def vector_path(directory: Path, generation: int) -> Path:
    return directory / f"vectors.{generation:06d}.faiss"


def lexical_path(directory: Path, generation: int) -> Path:
    return directory / f"lexical.{generation:06d}"


def blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, "<f4").tobytes()


def from_blob(data: bytes) -> np.ndarray:
    return np.frombuffer(data, "<f4")


def build_lexical(conn: sqlite3.Connection, lock: threading.RLock | None = None) -> LexicalIndex:
    """BM25 over the stored terms of every chunk the connection sees."""
    with lock or contextlib.nullcontext():
        rows = conn.execute("SELECT id, terms FROM chunks").fetchall()
    return LexicalIndex.build((chunk_id, terms.split()) for chunk_id, terms in rows)


def build_vectors(
    conn: sqlite3.Connection,
    dim: int,
    index_type: str,
    kind: str | None = None,
    lock: threading.RLock | None = None,
) -> vectors.Index:
    """A FAISS index of every chunk vector the connection sees, read in batches; an
    approximate kind is trained first on an evenly spread sample."""
    with lock or contextlib.nullcontext():
        n = int(conn.execute("SELECT count(*) FROM chunks").fetchone()[0])
        kind = kind or vectors.choose(index_type, n)
        wanted = vectors.train_size(kind, n)
        sample = np.zeros((0, dim), np.float32)
        if wanted:
            step = max(1, n // wanted)
            rows = conn.execute(
                "SELECT vector FROM (SELECT vector, row_number() OVER (ORDER BY id) AS r "
                "FROM chunks) WHERE r % ? = 0 LIMIT ?",
                (step, wanted),
            ).fetchall()
            sample = np.stack([from_blob(r[0]) for r in rows]) if rows else sample

        def batches() -> Iterator[tuple[np.ndarray, np.ndarray]]:
            last = -1
            while True:
                rows = conn.execute(
                    "SELECT id, vector FROM chunks WHERE id > ? ORDER BY id LIMIT ?",
                    (last, VECTOR_BATCH),
                ).fetchall()
                if not rows:
                    return
                last = rows[-1][0]
                ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
                yield ids, np.stack([from_blob(r[1]) for r in rows])

        return vectors.build(kind, dim, n, sample, batches())
