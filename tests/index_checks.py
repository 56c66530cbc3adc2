"""Checks of an index's inner agreement that hold for every backend."""

from __future__ import annotations

import numpy as np

from bot.index import IndexReader


def chunk_ids(store: IndexReader) -> set[int]:
    return set(store.chunk_ids_of(store.article_ids()))


def searchable_ids(store: IndexReader) -> set[int]:
    """Every chunk id the dense search can return (the FAISS file, or the vector rows)."""
    n = store.vector_count()
    if n == 0:
        return set()
    _, ids = store.dense_search(np.ones(store.dim, np.float32) / np.sqrt(store.dim), n + 10)
    return set(ids.tolist())


def consistent(store: IndexReader) -> None:
    """What dense search finds is exactly the stored chunks, each with its sentences."""
    ids = chunk_ids(store)
    assert searchable_ids(store) == ids
    assert store.count("chunks") == len(ids)
    assert {s.chunk_id for s in store.sentences(ids)} == ids
