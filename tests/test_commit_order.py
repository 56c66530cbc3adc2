"""Commit ordering: an ingest's rows become visible only once the next generation's vector and
lexical files are in place. A failure in between leaves the previous generation, whole, and
nothing for a reader to repair (the index rebuilds a missing file on open, with a warning:
that must not happen here, so the test watches the log as well as the data).

Only public entry points are used (ingest, EmbeddedIndex.open, the generation and its file
paths), so the test holds whatever module the writer lives in. (PostgreSQL has no files
beside its one transaction; its rollback is the contract suite's.)
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from bot.index.embedded import EmbeddedIndex
from bot.ingest import ingest
from bot.query import parse_query
from bot.retrieval import Retriever
from tests.conftest import write_article
from tests.fakes import FakeEncoder


def snapshot(store: EmbeddedIndex) -> tuple[int, list[int], int, int]:
    """Generation, articles, and the sizes of the vector and lexical indexes it serves."""
    return (
        store.generation(),
        sorted(store.article_ids()),
        store.search_index().ntotal,
        len(store.lexical().chunk_ids),
    )


def found(store: EmbeddedIndex, encoder: FakeEncoder, question: str) -> list[str]:
    retrieval = Retriever(store, encoder).search(parse_query(question, date(2024, 1, 1)))
    return [a.headline for a, _ in retrieval.articles]


def test_a_failure_after_the_rows_are_staged_leaves_the_previous_generation_and_no_rebuild(
    embedded_store: EmbeddedIndex,
    encoder: FakeEncoder,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = embedded_store
    folder = tmp_path / "articles"
    folder.mkdir()
    write_article(folder, "zoo.txt", "Panda born at the zoo", "A panda was born at the zoo.")
    ingest([str(folder)], store, encoder)
    before = snapshot(store)
    generation = before[0]

    # The last step before the rows are committed is writing the next generation's BM25
    # folder. A file already in its place makes that step fail, as a full disk would: by
    # then the rows are staged and the next vector file is written.
    blocker = store.lexical_path(generation + 1)
    blocker.write_text("in the way", encoding="utf-8")
    write_article(folder, "budget.txt", "Council passes budget", "The council passed the budget.")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(OSError):
        ingest([str(folder)], store, encoder)

    reader = EmbeddedIndex.open(store.directory, fingerprint=encoder.fingerprint)
    try:
        assert snapshot(reader) == before
        assert "Council passes budget" not in found(reader, encoder, "council budget")
        assert snapshot(store) == before  # the store the ingest used, too
    finally:
        reader.close()
    assert not store.vector_path(generation + 1).exists()  # the failed generation's file went
    rebuilds = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING or "rebuild" in r.getMessage().lower()
    ]
    assert rebuilds == []

    # Once the disk has room again, the same ingest goes through as the next generation.
    blocker.unlink()
    report = ingest([str(folder)], store, encoder)
    assert (report.added, report.generation) == (1, generation + 1)
    assert found(store, encoder, "council budget")[0] == "Council passes budget"
    assert not [p.name for p in store.directory.iterdir() if ".tmp" in p.name]
