"""A fresh embedded index built from sources with a real encoder, as integration tests set
one up."""

from __future__ import annotations

from pathlib import Path

from bot.embeddings import Encoder
from bot.index.embedded import EmbeddedIndex
from bot.ingest import IngestReport, ingest


def fresh_index(
    directory: Path, sources: list[Path], encoder: Encoder
) -> tuple[EmbeddedIndex, IngestReport]:
    """A new index at `directory` holding `sources`, and the report of ingesting them."""
    store = EmbeddedIndex.open(
        directory, fingerprint=encoder.fingerprint, dim=encoder.dim, create=True
    )
    return store, ingest([str(s) for s in sources], store, encoder)
