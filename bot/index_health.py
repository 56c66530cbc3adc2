"""The index's derived files checked on load, rebuilt from SQLite when damaged; a damaged
database named as such; and an index on a read-only directory or volume opened for reading.

SQLite is the source of truth: every vector and every chunk's terms are stored there. The
FAISS file and the BM25 folder of a generation are derived from it, so a commit records
what it wrote (each file's size and SHA-256, the vectors' dimension and count) in the
same transaction that makes the generation visible. Loading checks the files against that
record (size first, then the checksum), then the loaded index's dimension and count. A
truncated, overwritten, wrong-dimension or wrong-generation file, or a damaged BM25
folder, is rebuilt from SQLite in memory with a one-line warning; the next ingest, or
`newsbot check --repair`, writes fresh files. An index written before these records
existed is checked by dimension and by count against the chunks table.

A damaged database can't be rebuilt from anything newsbot holds: the message says so and
what to do. `newsbot check` reports on all of it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bot.errors import IndexDamagedError

log = logging.getLogger(__name__)

VECTORS_RECORD = "vectors_file"  # meta keys; their values are JSON (see `record`)
LEXICAL_RECORD = "lexical_files"
_BLOCK = 1 << 20
# SQLite's result codes for a damaged file (sqlite3.DatabaseError.sqlite_errorcode).
_DAMAGED = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB

Rows = Callable[[str, Sequence[object]], list[tuple]]  # a read on the store's connection


# -- at commit ----------------------------------------------------------------------
def files_of(path: Path) -> dict[str, list[Any]]:
    """name -> [size, sha256] of a file, or of every file in a folder."""
    paths = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    return {p.name: [p.stat().st_size, _sha256(p)] for p in paths}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def record(conn: sqlite3.Connection, key: str, generation: int, path: Path, **facts: Any) -> None:
    """Record what a commit wrote, inside the commit's own transaction."""
    value = json.dumps({"generation": generation, "files": files_of(path), **facts})
    conn.execute(
        "INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
        (key, value),
    )


def record_derived(
    conn: sqlite3.Connection,
    generation: int,
    vectors_file: Path,
    index: Any,
    lexical_dir: Path,
    lexical_chunks: int,
) -> None:
    """The commit's hook: what the new generation's FAISS file and BM25 folder hold."""
    record(conn, VECTORS_RECORD, generation, vectors_file, dim=int(index.d), count=index.ntotal)
    record(conn, LEXICAL_RECORD, generation, lexical_dir, count=lexical_chunks)


# -- on load ------------------------------------------------------------------------
@dataclass
class Finding:
    """One derived file (or the database) and what is wrong with it (None: healthy)."""

    what: str  # "vectors.000005.faiss", "lexical.000005/", "newsbot.sqlite"
    problem: str | None = None
    detail: str = ""  # what a healthy file holds: "1,234 vectors, dimension 384"
    loaded: Any = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.problem is None


def _snapshot(rows: Rows, key: str) -> tuple[int, int, dict[str, Any] | None]:
    """(committed generation, chunks, the record under `key`) read as one statement, so
    they describe the same commit."""
    (generation, chunks, value), *_ = rows(
        "SELECT (SELECT value FROM meta WHERE key='generation'), "
        "(SELECT count(*) FROM chunks), (SELECT value FROM meta WHERE key=?)",
        (key,),
    )
    return int(generation), int(chunks), json.loads(value) if value else None


def _files_problem(path: Path, recorded: dict[str, Any]) -> str | None:
    for name, (size, sha) in recorded.get("files", {}).items():
        file = path / name if path.is_dir() else path
        if not file.is_file():
            return f"{name} is missing"
        actual = file.stat().st_size
        if actual != size:
            return f"{name} is {actual:,} bytes where {size:,} were written"
        if _sha256(file) != sha:
            return f"{name} is not the file that was written (checksum differs)"
    return None


def inspect_vectors(path: Path, generation: int, dim: int, rows: Rows) -> Finding:
    """Check a generation's FAISS file; `loaded` holds the index when it is healthy."""
    from bot import vectors

    finding = Finding(path.name)
    if not path.exists():
        finding.problem = "missing"
        return finding
    committed, chunks, recorded = _snapshot(rows, VECTORS_RECORD)
    if recorded is not None and recorded.get("generation") != generation:
        recorded = None  # written by another commit: judged by what the file holds
    if recorded is not None and (problem := _files_problem(path, recorded)):
        finding.problem = problem
        return finding
    try:
        index = vectors.load(path)
    except Exception as exc:  # FAISS raises RuntimeError with its C++ message, or worse
        # FAISS's messages open with the C++ function and source line; the end says what.
        finding.problem = f"unreadable ({_first_line(exc).rsplit('Error: ', 1)[-1][:100]})"
        return finding
    live = vectors.live_count(index)
    if int(index.d) != dim:
        finding.problem = f"holds vectors of dimension {index.d}, this index's are {dim}"
    elif recorded is not None and index.ntotal != recorded.get("count"):
        finding.problem = f"holds {index.ntotal:,} vectors where {recorded['count']:,} were written"
    elif recorded is None and committed == generation and live != chunks:
        finding.problem = f"holds {live:,} vectors for {chunks:,} chunks (another generation's?)"
    if finding.ok:
        finding.detail = f"{live:,} vectors, dimension {index.d}, {vectors.kind(index)}"
        finding.loaded = index
    return finding


def inspect_lexical(path: Path, generation: int, rows: Rows) -> Finding:
    """Check a generation's BM25 folder; `loaded` holds the index when it is healthy."""
    from bot.lexical import LexicalIndex

    finding = Finding(f"{path.name}/")
    if not path.is_dir():
        finding.problem = "missing"
        return finding
    committed, chunks, recorded = _snapshot(rows, LEXICAL_RECORD)
    if recorded is not None and recorded.get("generation") != generation:
        recorded = None
    if recorded is not None and (problem := _files_problem(path, recorded)):
        finding.problem = problem
        return finding
    try:
        lexical = LexicalIndex.load(path)
    except Exception as exc:  # json, numpy and bm25s each raise their own errors
        finding.problem = f"unreadable ({_first_line(exc)})"
        return finding
    expected = recorded.get("count") if recorded is not None else None
    if expected is None and committed == generation:
        expected = chunks
    if expected is not None and lexical.n != expected:
        finding.problem = f"indexes {lexical.n:,} chunks where {expected:,} were written"
    else:
        finding.detail = f"{lexical.n:,} chunks"
        finding.loaded = lexical
    return finding


def load_vectors(
    path: Path, generation: int, dim: int, rows: Rows, rebuild: Callable[[], Any]
) -> tuple[Any, str | None]:
    """The generation's FAISS index, or one rebuilt from SQLite when the file is damaged
    (and the problem, so a writer knows to write fresh files). Raises FileNotFoundError
    when the file is missing: the caller knows whether that is news (a race with a commit)."""
    finding = inspect_vectors(path, generation, dim, rows)
    if finding.problem == "missing":
        raise FileNotFoundError(path)
    if finding.ok:
        return finding.loaded, None
    index = rebuild()
    _warn(path, finding.problem)
    return index, finding.problem


def load_lexical(path: Path, generation: int, rows: Rows, rebuild: Callable[[], Any]) -> Any:
    """The generation's BM25 index, or one rebuilt from SQLite when it is missing or damaged."""
    finding = inspect_lexical(path, generation, rows)
    if finding.ok:
        return finding.loaded
    if finding.problem == "missing":
        if generation:
            log.warning("%s is missing; rebuilding it", path)
    else:
        _warn(path, finding.problem)
    return rebuild()


def _warn(path: Path, problem: str | None) -> None:
    log.warning(
        "%s is damaged (%s); rebuilt it from the database for now. `newsbot check --repair` "
        "or the next ingest writes it back.",
        path,
        problem,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0][:160] if text else "") or type(exc).__name__


# -- the database -------------------------------------------------------------------
def is_damage(exc: sqlite3.DatabaseError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) in _DAMAGED


def damaged(db: Path, exc: sqlite3.DatabaseError) -> IndexDamagedError:
    return IndexDamagedError(
        f"The index database {db} is damaged ({exc}); its articles can't be read. Restore "
        f"it from a backup, or move {db.parent}/ away and run newsbot ingest on the archive "
        "again. `newsbot check` shows what is wrong."
    )


@contextlib.contextmanager
def database_errors(db: Path) -> Iterator[None]:
    """SQLite's "database disk image is malformed" as an error that says what to do."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            raise damaged(db, exc) from exc
        raise


def connect(db: Path, connect_rw: Callable[[Path], sqlite3.Connection]) -> sqlite3.Connection:
    """A connection for the store: read-write when the directory allows it, else
    read-only, so an index on a read-only directory or volume still answers."""
    with contextlib.suppress(sqlite3.OperationalError):
        conn = connect_rw(db)
        conn.execute("SELECT count(*) FROM meta").fetchone()
        return conn
    return connect_read_only(db)


def connect_read_only(db: Path) -> sqlite3.Connection:
    """Read-only, through SQLite's own read-only mode; on a read-only volume, where SQLite
    can't create the WAL's shared-memory file, as an immutable file (a snapshot: restart
    readers there after an ingest elsewhere)."""
    uri = f"file:{quote(str(db.resolve()))}?mode=ro"
    for options in ("", "&immutable=1"):
        conn = sqlite3.connect(
            uri + options, uri=True, check_same_thread=False, isolation_level=None, timeout=30
        )
        try:
            conn.execute("SELECT count(*) FROM meta").fetchone()
        except sqlite3.OperationalError:
            conn.close()
            continue
        log.info("%s opened read-only", db)
        return conn
    raise sqlite3.OperationalError(f"unable to open {db} even read-only")


def check_database(rows: Rows, db: Path) -> Finding:
    """SQLite's own quick check of every page."""
    finding = Finding(db.name)
    try:
        result = [r[0] for r in rows("PRAGMA quick_check", ())]
    except (sqlite3.DatabaseError, IndexDamagedError) as exc:
        finding.problem = f"damaged ({_first_line(exc.__cause__ or exc)})"
        return finding
    if result != ["ok"]:
        finding.problem = "damaged (" + "; ".join(result[:3]) + ")"
    else:
        finding.detail = "SQLite quick check passed"
    return finding


# -- newsbot check [--repair] -------------------------------------------------------
@dataclass
class Health:
    directory: Path
    generation: int
    articles: int
    chunks: int
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    @property
    def database_ok(self) -> bool:
        return self.findings[0].ok


def check_index(store: Any) -> Health:
    """The database's quick check, then the committed generation's derived files (of the
    embedded index: PostgreSQL keeps its search structures inside the database)."""
    if getattr(store, "backend", "embedded") != "embedded":
        info = store.info()
        finding = Finding(info.location, detail="no derived files: its search structures "
                          "live in the database, which checks its own pages")  # fmt: skip
        return Health(Path(info.location.rstrip("/")), info.generation, store.count("articles"),
                      store.count("chunks"), [finding])  # fmt: skip
    db = store.directory / "newsbot.sqlite"
    database = check_database(store._rows, db)
    generation = store.generation()
    findings = [database]
    articles = chunks = 0
    if database.ok:
        articles, chunks = store.count("articles"), store.count("chunks")
        findings.append(
            inspect_vectors(store.vector_path(generation), generation, store.dim, store._rows)
        )
        findings.append(inspect_lexical(store.lexical_path(generation), generation, store._rows))
        for f in findings[1:]:
            if f.problem == "missing" and generation == 0:
                f.problem, f.detail = None, "none yet (empty index)"
    return Health(store.directory, generation, articles, chunks, findings)


def health_text(health: Health) -> str:
    lines = [
        f"Index {health.directory}/ (generation {health.generation}, "
        f"{health.articles:,} articles, {health.chunks:,} chunks)"
    ]
    for f in health.findings:
        lines.append(
            f"  {'ok' if f.ok else 'DAMAGED':<8} {f.what}: {f.detail if f.ok else f.problem}"
        )
    if not health.database_ok:
        lines.append(
            "The database is the source of truth and can't be rebuilt from the derived files: "
            "restore it from a backup, or move the index directory away and run newsbot ingest "
            "on the archive again."
        )
    elif not health.ok:
        lines.append("`newsbot check --repair` rebuilds the derived files from the database.")
    return "\n".join(lines)


def repair(store: Any, lock_timeout: float = 0.0) -> int:
    """Rebuild the derived files from the database as a new generation (atomically, under
    the ingest lock, like an ingest); returns the generation written."""
    with store.writer(lock_timeout) as writer:
        writer.index = store.build_vectors()
        writer.changed = True
        generation: int = writer.commit()
    return generation
