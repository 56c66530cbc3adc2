"""Test doubles. The fake encoder is deterministic and meaningful: a text's vector is the
normalised sum of fixed random vectors of its words, so shared words mean similar vectors."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from bot.embeddings import Encoder
from bot.terms import stem

DIM = 64
_WORD = re.compile(r"\w+")


def word_vector(word: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(word.lower().encode()).digest()[:8], "little")
    return np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)


def bag_of_words(text: str) -> np.ndarray:
    """Stems, so "resigned" and "resign" mean the same, as they would to the real model."""
    vec = np.zeros(DIM, np.float32)
    for word in _WORD.findall(text):
        vec += word_vector(stem(word.lower()))
    norm = np.linalg.norm(vec)
    return vec / norm if norm else vec


class FakeEncoder(Encoder):
    """Bag-of-words vectors; counts how many texts it embedded."""

    name = "fake"

    def __init__(self) -> None:
        super().__init__()
        self.dim = DIM
        self.calls = 0
        self.texts_embedded = 0

    @property
    def fingerprint(self) -> str:
        return "fake:bag-of-words"

    def encode_with_sentences(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        self.calls += 1
        self.texts_embedded += len(texts)
        vectors = np.stack([bag_of_words(t) for t in texts]) if texts else np.zeros((0, DIM))
        span_vectors = [
            np.stack([bag_of_words(t[s:e]) for s, e in sp])
            if sp
            else np.zeros((0, DIM), np.float32)
            for t, sp in zip(texts, spans, strict=True)
        ]
        return vectors.astype(np.float32), span_vectors
