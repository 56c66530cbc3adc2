"""Near-duplicate stories: one agency story run by several outlets with small edits.

Each article body gets a MinHash signature over its 5-word shingles. Signatures are cut
into bands; articles sharing a band are candidates, and a candidate joins the story
when the shingle sets really overlap: Jaccard similarity >= JACCARD, or the shorter
text is nearly contained in the longer (a copy trimmed to fit: CONTAINMENT). Texts too
short to shingle join a story only with copies of the same headline and body. Pure
functions; the store keeps signatures and band keys in SQLite.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable

import numpy as np

SHINGLE_WORDS = 5
MIN_WORDS = 40  # shorter texts share too many stock phrases to be grouped safely
BANDS = 20
ROWS = 3  # 60 hash functions; P(candidate) ≈ 0.93 at Jaccard 0.5, 0.12 at 0.15
JACCARD = 0.5
CONTAINMENT = 0.8
MAX_CANDIDATES = 50

_WORD = re.compile(r"\w+")
_PRIME = np.uint64(4294967311)  # a prime above 2**32: (a*x + b) mod p stays in uint64
_MASK = np.uint64(0xFFFFFFFF)
_RNG = np.random.default_rng(20180208)  # fixed: signatures must agree across processes
_A = _RNG.integers(1, 2**32 - 1, BANDS * ROWS, dtype=np.uint64)
_B = _RNG.integers(0, 2**32 - 1, BANDS * ROWS, dtype=np.uint64)


def shingles(text: str) -> set[int]:
    """CRC32 of every run of SHINGLE_WORDS lower-cased words; empty for short texts."""
    words = _WORD.findall(text.lower())
    if len(words) < MIN_WORDS:
        return set()
    return {
        zlib.crc32(" ".join(words[i : i + SHINGLE_WORDS]).encode("utf-8"))
        for i in range(len(words) - SHINGLE_WORDS + 1)
    }


def exact_key(text_hash: str) -> int:
    """A band key for texts too short to shingle: copies with the same headline and body
    (and another outlet, URL or date) still form one story. It can't collide with a
    MinHash band's key, whose band number is below BANDS."""
    return int(text_hash[:8], 16) | (BANDS << 32) | (int(text_hash[8:13], 16) << 40)


def signature(shingle_set: set[int]) -> np.ndarray | None:
    """MinHash signature (BANDS*ROWS uint32), or None when the text is too short."""
    if not shingle_set:
        return None
    x = np.fromiter(shingle_set, np.uint64, len(shingle_set))
    hashed = ((np.outer(x, _A) + _B) % _PRIME) & _MASK
    return hashed.min(axis=0).astype(np.uint32)


def band_keys(sig: np.ndarray) -> list[int]:
    """One signed 63-bit key per band (band number included), for an SQLite index."""
    keys = []
    for band in range(BANDS):
        chunk = sig[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = zlib.crc32(chunk, band) | (band << 32) | (zlib.adler32(chunk) << 40)
        keys.append(digest & 0x7FFF_FFFF_FFFF_FFFF)
    return keys


def similarity(a: set[int], b: set[int]) -> tuple[float, float]:
    """(Jaccard, containment of the smaller in the larger) of two shingle sets."""
    if not a or not b:
        return 0.0, 0.0
    common = len(a & b)
    return common / len(a | b), common / min(len(a), len(b))


def same_story(a: set[int], b: set[int]) -> bool:
    jaccard, containment = similarity(a, b)
    return jaccard >= JACCARD or containment >= CONTAINMENT


def best_match(text_shingles: set[int], candidates: Iterable[tuple[int, str]]) -> int | None:
    """The candidate (id, body) most similar to the text, if it is the same story."""
    best: tuple[float, int] | None = None
    for candidate_id, body in candidates:
        other = shingles(body)
        if same_story(text_shingles, other):
            score = max(similarity(text_shingles, other))
            if best is None or score > best[0]:
                best = (score, candidate_id)
    return best[1] if best else None
