"""FAISS behind a few functions: build, add, remove, search, save atomically, load.

Vectors are unit length, so inner product equals cosine similarity.
Files are FAISS's own binary format (no pickle) and replace the old file by rename.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

Index = Any  # faiss.Index; faiss is imported lazily so `newsbot --help` stays fast


def new_index(dim: int) -> Index:
    import faiss

    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def add(index: Index, vectors: np.ndarray, ids: np.ndarray) -> None:
    if len(ids):
        index.add_with_ids(np.ascontiguousarray(vectors, np.float32), ids.astype(np.int64))


def remove(index: Index, ids: list[int]) -> None:
    if ids:
        import faiss

        index.remove_ids(faiss.IDSelectorBatch(np.asarray(ids, np.int64)))


def search(
    index: Index, query: np.ndarray, k: int, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, ids) for one query vector; `allowed` restricts to those ids."""
    import faiss

    k = min(k, index.ntotal)
    if k <= 0:
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    params = None
    if allowed is not None:
        params = faiss.SearchParameters(
            # type: ignore[call-arg]
            sel=faiss.IDSelectorBatch(allowed.astype(np.int64))
        )
    scores, ids = index.search(
        np.ascontiguousarray(query.reshape(1, -1), np.float32), k, params=params
    )
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]


def save(index: Index, path: Path) -> None:
    """Write to a temporary file, flush it to disk, then rename over `path`."""
    import faiss

    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    faiss.write_index(index, str(tmp))
    _fsync(tmp)
    os.replace(tmp, path)
    _fsync(path.parent)


def load(path: Path) -> Index:
    import faiss

    if not path.exists():
        raise FileNotFoundError(path)
    return faiss.read_index(str(path))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
