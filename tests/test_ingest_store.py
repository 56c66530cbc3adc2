from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import faiss
import numpy as np
import pytest

from bot import vectors
from bot.config import Settings
from bot.errors import IndexBusyError, IndexFormatError, IndexMissingError
from bot.index import IndexReader, open_index
from bot.index.embedded import PUBLISHED_RANGE_SQL, EmbeddedIndex
from bot.index.embedded_schema import DB_NAME
from bot.ingest import ingest
from tests.conftest import SEED, write_article
from tests.fakes import FakeEncoder
from tests.index_checks import chunk_ids, consistent, searchable_ids


def faiss_ids(store: EmbeddedIndex) -> set[int]:
    index = store.search_index()
    return set(faiss.vector_to_array(index.id_map).tolist())


def test_ingest_seed_stores_articles_chunks_and_vectors(
    store: IndexReader, encoder: FakeEncoder, seed_copy: Path
) -> None:
    report = ingest([str(seed_copy)], store, encoder)
    assert (report.added, report.failed, report.generation) == (1, [], 1)
    assert store.count("articles") == 1
    assert store.count("chunks") == report.chunks_embedded > 3
    consistent(store)
    (article,) = store.articles(store.article_ids()).values()
    assert article.credits[0] == "AP"
    sentences = store.sentences(chunk_ids(store))
    assert all(
        article.body[s.start : s.end].strip() == article.body[s.start : s.end] for s in sentences
    )
    assert all(abs(np.linalg.norm(s.vector) - 1) < 1e-4 for s in sentences)


def test_reingest_unchanged_changes_nothing(
    store: IndexReader, encoder: FakeEncoder, seed_copy: Path
) -> None:
    ingest([str(seed_copy)], store, encoder)
    embedded = encoder.texts_embedded
    before = (store.generation(), chunk_ids(store))
    report = ingest([str(seed_copy)], store, encoder)
    assert (report.added, report.updated, report.unchanged) == (0, 0, 1)
    assert encoder.texts_embedded == embedded
    assert (store.generation(), chunk_ids(store)) == before


def test_changed_file_replaces_its_chunks_and_reuses_unchanged_vectors(
    store: IndexReader, encoder: FakeEncoder, seed_copy: Path
) -> None:
    ingest([str(seed_copy)], store, encoder)
    old_ids = chunk_ids(store)
    path = seed_copy / SEED.name
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("No Americans were injured", "No Americans were hurt"), encoding="utf-8"
    )
    embedded = encoder.texts_embedded
    report = ingest([str(seed_copy)], store, encoder)
    assert (report.added, report.updated) == (0, 1)
    assert store.count("articles") == 1
    new_ids = chunk_ids(store)
    assert not new_ids & old_ids  # every old chunk row is gone ...
    assert searchable_ids(store) == new_ids  # ... from the rows and from the search
    assert report.chunks_embedded == 1  # only the edited chunk was embedded again
    assert encoder.texts_embedded == embedded + 1
    (article,) = store.articles(store.article_ids()).values()
    assert "were hurt" in article.body


def test_same_content_in_two_files_is_stored_once_with_both_sources(
    store: IndexReader, encoder: FakeEncoder, seed_copy: Path
) -> None:
    shutil.copy(seed_copy / SEED.name, seed_copy / "copy.txt")
    report = ingest([str(seed_copy)], store, encoder)
    assert (report.added, report.copies) == (1, 1)  # counted as one article
    assert store.count("articles") == 1
    (article,) = store.articles(store.article_ids()).values()
    assert sorted(Path(p).name for p in article.sources) == ["000_2251c5819029a4df.txt", "copy.txt"]


def test_size_on_disk_counts_every_file_of_the_index(
    embedded_store: EmbeddedIndex, encoder: FakeEncoder, seed_copy: Path
) -> None:
    store = embedded_store
    ingest([str(seed_copy)], store, encoder)
    lexical = [p for p in store.directory.rglob("*") if p.is_file() and "lexical." in str(p)]
    assert lexical  # the BM25 index is a folder of files
    every_file = sum(p.stat().st_size for p in store.directory.rglob("*") if p.is_file())
    assert store.disk_bytes() == every_file


def test_bad_file_is_reported_and_good_files_still_go_in(
    store: IndexReader, encoder: FakeEncoder, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write_article(folder, "good.txt", "Good headline", "A good body sentence.")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    report = ingest([str(folder), str(tmp_path / "nope.txt")], store, encoder)
    assert report.added == 1
    reasons = sorted(str(f) for f in report.failed)
    assert len(reasons) == 3
    assert any("empty.txt: file is empty" in r for r in reasons)
    assert any("binary.txt: looks like a binary file" in r for r in reasons)
    assert any("nope.txt: no such file" in r for r in reasons)


def test_oversized_file_is_refused(
    store: IndexReader, encoder: FakeEncoder, tmp_path: Path
) -> None:
    path = write_article(tmp_path, "big.txt", "Big", "word " * 1000)
    report = ingest([str(path)], store, encoder, max_bytes=1000)
    assert report.added == 0
    assert "over the" in str(report.failed[0])


def test_size_limit_message_speaks_the_unit_of_the_setting(
    store: IndexReader, encoder: FakeEncoder, tmp_path: Path
) -> None:
    limit = Settings(max_file_mb=20, _env_file=None).max_file_bytes  # type: ignore[call-arg]
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(int(20.5 * 1024 * 1024))  # sparse: costs no disk
    (failure,) = ingest([str(path)], store, encoder, max_bytes=limit).failed
    assert failure.reason == "file is 20.5 MB, over the 20 MB limit"


def test_failure_before_commit_leaves_previous_index_loadable(
    embedded_store: EmbeddedIndex, encoder: FakeEncoder, seed_copy: Path, tmp_path: Path
) -> None:
    store = embedded_store
    ingest([str(seed_copy)], store, encoder)
    before = (store.generation(), chunk_ids(store))

    class Exploding(FakeEncoder):
        def encode_with_sentences(self, texts, spans):  # type: ignore[no-untyped-def]
            raise RuntimeError("power cut")

    write_article(seed_copy, "new.txt", "New story", "Something else happened today.")
    with pytest.raises(RuntimeError):
        ingest([str(seed_copy)], store, Exploding())
    reopened = EmbeddedIndex.open(store.directory, fingerprint=encoder.fingerprint)
    assert (reopened.generation(), chunk_ids(reopened)) == before
    assert faiss_ids(reopened) == before[1]
    assert not list(store.directory.glob("*.tmp*"))


def test_missing_vector_file_is_rebuilt_from_sqlite(
    embedded_store: EmbeddedIndex, encoder: FakeEncoder, seed_copy: Path
) -> None:
    store = embedded_store
    ingest([str(seed_copy)], store, encoder)
    expected = chunk_ids(store)
    store.vector_path(store.generation()).unlink()
    reopened = EmbeddedIndex.open(store.directory, fingerprint=encoder.fingerprint)
    assert faiss_ids(reopened) == expected


def test_reader_sees_new_articles_after_commit_without_reopening(
    store: IndexReader,
    backend_settings: Settings,
    encoder: FakeEncoder,
    seed_copy: Path,
) -> None:
    ingest([str(seed_copy)], store, encoder)
    reader = open_index(backend_settings, fingerprint=encoder.fingerprint)
    assert reader.vector_count() == len(chunk_ids(store))
    write_article(seed_copy, "new.txt", "Budget passes", "The council passed the budget.")
    ingest([str(seed_copy)], store, encoder)
    assert reader.vector_count() == len(chunk_ids(store))
    assert searchable_ids(reader) == chunk_ids(store)
    assert reader.count("articles") == 2
    reader.close()


def test_second_writer_of_a_source_is_refused_with_a_clear_message(store: IndexReader) -> None:
    with store.writer() as first:
        first.file_hash("/archive/a.txt")
        with (
            pytest.raises(IndexBusyError, match="Another ingest is writing"),
            store.writer(lock_timeout=0.1) as second,
        ):
            second.file_hash("/archive/a.txt")


def test_missing_index_and_other_encoder_are_refused(
    backend_settings: Settings, store: IndexReader
) -> None:
    elsewhere = backend_settings.model_copy(
        update={"index": backend_settings.index.parent / "nowhere", "database_schema": "nowhere"}
    )
    with pytest.raises(IndexMissingError, match="newsbot ingest"):
        open_index(elsewhere)
    with pytest.raises(IndexFormatError, match="encoder"):
        open_index(backend_settings, fingerprint="some-other-model")


def test_newer_format_is_refused(embedded_store: EmbeddedIndex) -> None:
    store = embedded_store
    conn = sqlite3.connect(store.directory / DB_NAME)
    conn.execute("UPDATE meta SET value='99' WHERE key='format_version'")
    conn.commit()
    conn.close()
    with pytest.raises(IndexFormatError, match="format 99"):
        EmbeddedIndex.open(store.directory)


def test_vector_file_is_faiss_format_not_pickle(
    embedded_store: EmbeddedIndex, encoder: FakeEncoder, seed_copy: Path
) -> None:
    store = embedded_store
    ingest([str(seed_copy)], store, encoder)
    path = store.vector_path(store.generation())
    assert not path.read_bytes().startswith(b"\x80")  # pickle protocol marker
    assert vectors.load(path).ntotal == store.count("chunks")


def test_prune_removes_articles_whose_files_are_gone(
    store: IndexReader, encoder: FakeEncoder, seed_copy: Path
) -> None:
    other = write_article(seed_copy, "other.txt", "Other story", "Another thing happened.")
    ingest([str(seed_copy)], store, encoder)
    other.unlink()
    report = ingest([str(seed_copy)], store, encoder, prune=True)
    assert report.removed == 1
    assert store.count("articles") == 1
    consistent(store)


def test_the_published_range_is_read_from_the_date_index_not_a_scan(
    embedded_store: EmbeddedIndex,
) -> None:
    assert embedded_store.published_range() == (None, None)
    ingest([str(SEED)], embedded_store, FakeEncoder())
    first, last = embedded_store.published_range()
    assert first == last == embedded_store.articles(embedded_store.article_ids())[1].published
    with sqlite3.connect(embedded_store.directory / DB_NAME) as db:
        steps = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {PUBLISHED_RANGE_SQL}")]
    assert not any(step.startswith("SCAN articles") for step in steps), steps
