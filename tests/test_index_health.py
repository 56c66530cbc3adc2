"""A damaged index repairs itself (issue 16, part 3).

The FAISS file and the BM25 folder are derived from SQLite: damaged, wrong-dimension or
wrong-generation ones are detected on load (against what the commit recorded) and rebuilt
from SQLite with a one-line warning; a damaged database says so and what to do; `newsbot
check [--repair]` reports and repairs; a read-only index directory answers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core import Newsbot
from bot.errors import IndexDamagedError
from bot.index.embedded import EmbeddedIndex
from bot.index_health import LEXICAL_RECORD, VECTORS_RECORD, check_index
from bot.ingest import ingest
from tests.conftest import write_article
from tests.fakes import FakeEncoder

QUESTION = "When did the mayor resign?"


@pytest.fixture
def news(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    folder.mkdir()
    write_article(
        folder, "mayor.txt", "Mayor resigns", "The mayor resigned on Monday. She cited health.",
        Source="Gazette", Published="2018-02-05",
    )  # fmt: skip
    write_article(folder, "zoo.txt", "Panda arrives", "A giant panda arrived at the city zoo.")
    return folder


@pytest.fixture
def index(settings: Settings, encoder: FakeEncoder, news: Path) -> Path:
    """An index of two articles at generation 1, closed (as a new process finds it)."""
    store = EmbeddedIndex.open(
        settings.index, fingerprint=encoder.fingerprint, dim=encoder.dim, create=True
    )
    assert not ingest([str(news)], store, encoder).failed
    store.close()
    return settings.index


def ask(settings: Settings, encoder: FakeEncoder, question: str = QUESTION) -> str:
    store = EmbeddedIndex.open(settings.index, fingerprint=encoder.fingerprint)
    try:
        return Newsbot(settings, encoder=encoder, store=store).ask(question).text
    finally:
        store.close()


def damage_notices(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "is damaged" in r.getMessage()]


def forget_records(index: Path) -> None:
    """As an index written before commits recorded their files."""
    with contextlib.closing(sqlite3.connect(index / "newsbot.sqlite")) as conn:
        conn.execute("DELETE FROM meta WHERE key IN (?, ?)", (VECTORS_RECORD, LEXICAL_RECORD))
        conn.commit()


def vectors_file(index: Path, generation: int = 1) -> Path:
    return index / f"vectors.{generation:06d}.faiss"


# --- the vector file ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda f: f.write_bytes(f.read_bytes()[:100]), "is 100 bytes where"),
        (lambda f: f.write_bytes(os.urandom(f.stat().st_size)), "checksum differs"),
        (lambda f: f.write_bytes(b""), "is 0 bytes where"),
    ],
    ids=["truncated", "overwritten", "emptied"],
)
def test_a_damaged_vector_file_is_rebuilt_and_answers_stay_the_same(
    index: Path, settings: Settings, encoder: FakeEncoder, caplog: pytest.LogCaptureFixture,
    damage: object, problem: str,
) -> None:  # fmt: skip
    before = ask(settings, encoder)
    damage(vectors_file(index))  # type: ignore[operator]
    with caplog.at_level(logging.WARNING):
        assert ask(settings, encoder) == before == "The mayor resigned on Monday. [1]"
    [notice] = damage_notices(caplog)
    assert problem in notice and notice.endswith(
        "rebuilt it from the database for now. `newsbot check --repair` or the next ingest "
        "writes it back."
    )


def test_the_next_ingest_writes_a_healthy_generation(
    index: Path, settings: Settings, encoder: FakeEncoder, news: Path
) -> None:
    vectors_file(index).write_bytes(b"garbage")
    store = EmbeddedIndex.open(index, fingerprint=encoder.fingerprint)
    report = ingest([str(news)], store, encoder)  # nothing new to add
    assert report.generation == 2 and not report.failed
    assert check_index(store).ok
    store.close()


def test_a_vector_file_of_another_dimension_is_rebuilt(
    index: Path, settings: Settings, encoder: FakeEncoder, caplog: pytest.LogCaptureFixture
) -> None:
    from bot import vectors

    forget_records(index)  # judged by what the file holds, as in an older index
    vectors.save(vectors.new_index(32), vectors_file(index))
    with caplog.at_level(logging.WARNING):
        assert ask(settings, encoder) == "The mayor resigned on Monday. [1]"
    [notice] = damage_notices(caplog)
    assert "holds vectors of dimension 32, this index's are 64" in notice


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "older-index"])
def test_a_vector_file_of_another_generation_is_rebuilt(
    index: Path, settings: Settings, encoder: FakeEncoder, news: Path,
    caplog: pytest.LogCaptureFixture, recorded: bool,
) -> None:  # fmt: skip
    write_article(news, "bridge.txt", "Bridge opens", "The new harbour bridge opened on Friday.")
    store = EmbeddedIndex.open(index, fingerprint=encoder.fingerprint)
    assert ingest([str(news)], store, encoder).generation == 2
    store.close()
    if not recorded:
        forget_records(index)
    shutil.copy(vectors_file(index, 1), vectors_file(index, 2))  # generation 1's vectors
    with caplog.at_level(logging.WARNING):
        assert ask(settings, encoder, "When did the harbour bridge open?") == (
            "The new harbour bridge opened on Friday. [1]"
        )
    [notice] = damage_notices(caplog)
    expected = "bytes where" if recorded else "holds 2 vectors for 3 chunks"
    assert expected in notice


# --- the BM25 folder ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("df.json", b"{not json"),
        ("chunk_ids.npy", b"\x93NUMPY garbage"),
        ("params.index.json", b""),
    ],
)
def test_damaged_lexical_files_are_rebuilt(
    index: Path, settings: Settings, encoder: FakeEncoder, caplog: pytest.LogCaptureFixture,
    name: str, content: bytes,
) -> None:  # fmt: skip
    (index / "lexical.000001" / name).write_bytes(content)
    with caplog.at_level(logging.WARNING):
        assert ask(settings, encoder) == "The mayor resigned on Monday. [1]"
    [notice] = damage_notices(caplog)
    assert f"lexical.000001 is damaged ({name} is" in notice


def test_damaged_lexical_files_of_an_older_index_are_rebuilt(
    index: Path, settings: Settings, encoder: FakeEncoder, caplog: pytest.LogCaptureFixture
) -> None:
    forget_records(index)
    (index / "lexical.000001" / "df.json").write_bytes(b"{not json")
    with caplog.at_level(logging.WARNING):
        assert ask(settings, encoder) == "The mayor resigned on Monday. [1]"
    [notice] = damage_notices(caplog)
    assert "unreadable (" in notice


# --- the database ---------------------------------------------------------------------------


def damage_table(index: Path, table: str) -> None:
    """Overwrite the root page of `table` with garbage, as a disk error would."""
    db = index / "newsbot.sqlite"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_schema WHERE name=?", (table,)
        ).fetchone()
    with db.open("r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xa5" * page_size)


def test_a_damaged_database_says_so_and_what_to_do(
    index: Path, settings: Settings, encoder: FakeEncoder
) -> None:
    damage_table(index, "chunks")
    with pytest.raises(IndexDamagedError) as damaged:
        ask(settings, encoder)
    message = str(damaged.value)
    assert message.startswith(f"The index database {index}/newsbot.sqlite is damaged (")
    assert "Restore it from a backup, or move" in message and "newsbot check" in message


def test_check_reports_a_healthy_index(cli, index: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("check")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"Index {index}/ (generation 1, 2 articles, 2 chunks)",
        "  ok       newsbot.sqlite: SQLite quick check passed",
        "  ok       vectors.000001.faiss: 2 vectors, dimension 64, flat",
        "  ok       lexical.000001/: 2 chunks",
    ]


def test_check_finds_damage_and_repair_rebuilds_the_derived_files(cli, index: Path) -> None:  # type: ignore[no-untyped-def]
    vectors_file(index).write_bytes(b"garbage")
    (index / "lexical.000001" / "df.json").write_bytes(b"{")
    found = cli("check")
    assert found.exit_code == 1
    assert "  DAMAGED  vectors.000001.faiss: vectors.000001.faiss is 7 bytes where" in found.output
    assert "  DAMAGED  lexical.000001/: df.json is 1 bytes where" in found.output
    assert "`newsbot check --repair` rebuilds the derived files from the database." in found.output
    repaired = cli("check", "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert repaired.output.startswith(
        "Repaired: rebuilt the vector and BM25 files from SQLite (generation 2).\n"
        f"Index {index}/ (generation 2, 2 articles, 2 chunks)\n"
    )
    assert cli("check").exit_code == 0
    assert cli("check", "--repair").output.startswith("Nothing to repair.")


def test_check_names_a_damaged_database(cli, index: Path) -> None:  # type: ignore[no-untyped-def]
    damage_table(index, "chunks")
    result = cli("check", "--repair")
    assert result.exit_code == 1
    assert "  DAMAGED  newsbot.sqlite: damaged (" in result.output
    assert "restore it from a backup, or move the index directory away" in result.output


# --- a read-only index ----------------------------------------------------------------------


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """`folder` as a read-only volume (a bind mount, as root) or directory (otherwise)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    mount = folder.with_name(folder.name + "-ro")
    mount.mkdir()
    bind = subprocess.run(["mount", "--bind", str(folder), str(mount)], capture_output=True)
    if bind.returncode != 0:
        pytest.skip(f"cannot bind-mount as root here: {bind.stderr.decode().strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(mount)], check=True)
        yield mount
    finally:
        # Lazily: a loaded BM25 index may still map a file of it until collected.
        subprocess.run(["umount", "--lazy", str(mount)], check=True)


def test_a_read_only_index_answers_and_refuses_to_ingest_clearly(
    index: Path, settings: Settings, encoder: FakeEncoder, news: Path
) -> None:
    with read_only(index) as ro:
        ro_settings = settings.model_copy(update={"index": ro})
        assert ask(ro_settings, encoder) == "The mayor resigned on Monday. [1]"
        store = EmbeddedIndex.open(ro, fingerprint=encoder.fingerprint)
        assert [a.headline for a in store.listing()] == ["Mayor resigns", "Panda arrives"]
        assert check_index(store).ok
        with pytest.raises(Exception, match=r"cannot write to .*ingest and rm need write access"):
            ingest([str(news)], store, encoder)
        store.close()


def test_check_on_either_backend(cli, backend_env: Settings, backend: str, news: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("ingest", str(news)).exit_code == 0
    result = cli("check")
    assert result.exit_code == 0, result.output
    if backend == "embedded":
        assert "  ok       vectors.000001.faiss: 2 vectors, dimension 64, flat" in result.output
    else:  # PostgreSQL keeps its search structures in the database
        assert "no derived files: its search structures live in the database" in result.output
        assert "2 articles, 2 chunks" in result.output
