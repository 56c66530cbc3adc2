"""BM25 over chunk texts (bm25s), one saved index per generation, like the FAISS file.

Terms are the stems `bot.terms.content_terms` makes, stored per chunk at ingest, so a
commit indexes stored terms instead of re-reading every article. Files are bm25s's JSON
and .npy arrays (loaded without pickle); a directory is written under a temporary name
and renamed into place.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np


class LexicalIndex:
    def __init__(self, bm25: Any, chunk_ids: np.ndarray, df: dict[str, int]) -> None:
        self.bm25 = bm25
        self.chunk_ids = chunk_ids  # sorted ascending: document i is chunk chunk_ids[i]
        self.df = df
        self.n = len(chunk_ids)

    @classmethod
    def build(cls, docs: Iterable[tuple[int, Sequence[str]]]) -> LexicalIndex:
        """From (chunk id, terms) pairs."""
        import bm25s

        pairs = sorted(docs)
        chunk_ids = np.asarray([i for i, _ in pairs], np.int64)
        corpus = [list(terms) or [""] for _, terms in pairs]
        df = Counter(t for terms in corpus for t in set(terms) if t)
        bm25 = bm25s.BM25()
        if corpus:
            bm25.index(corpus, show_progress=False)
        return cls(bm25, chunk_ids, dict(df))

    def idf(self, term: str) -> float:
        """Smoothed inverse document frequency; unknown terms count as rare."""
        return math.log(1 + (self.n + 1) / (self.df.get(term, 0) + 1))

    def search(
        self, terms: Sequence[str], k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, chunk ids) with a positive score; `allowed` restricts chunk ids."""
        known = [t for t in terms if t in self.df]
        if not known or self.n == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        mask = None
        if allowed is not None:
            mask = np.zeros(self.n, np.float32)
            pos = np.searchsorted(self.chunk_ids, allowed)
            ok = (pos < self.n) & (self.chunk_ids[np.minimum(pos, self.n - 1)] == allowed)
            mask[pos[ok]] = 1.0
        scores = self.bm25.get_scores(known, weight_mask=mask)
        k = min(k, self.n)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        top = top[scores[top] > 0]
        return scores[top].astype(np.float32), self.chunk_ids[top]

    def save(self, directory: Path) -> None:
        tmp = directory.with_name(f".{directory.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self.n:
            self.bm25.save(str(tmp), show_progress=False)
        np.save(tmp / "chunk_ids.npy", self.chunk_ids, allow_pickle=False)
        (tmp / "df.json").write_text(json.dumps(self.df), encoding="utf-8")
        shutil.rmtree(directory, ignore_errors=True)  # only a leftover of a crashed ingest
        os.replace(tmp, directory)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        import bm25s

        if not directory.is_dir():
            raise FileNotFoundError(directory)
        chunk_ids = np.load(directory / "chunk_ids.npy", allow_pickle=False)
        df = json.loads((directory / "df.json").read_text(encoding="utf-8"))
        bm25 = (
            bm25s.BM25.load(str(directory), allow_pickle=False, show_progress=False)
            if len(chunk_ids)
            else bm25s.BM25()
        )
        return cls(bm25, chunk_ids, df)
