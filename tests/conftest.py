from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from pydantic import SecretStr
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from bot.core import Newsbot
from bot.embeddings import register_encoder
from bot.index import IndexReader, open_index
from bot.index.embedded import EmbeddedIndex
from tests.fakes import FakeEncoder
from tests.pg_server import drop_schema, new_schema, test_server

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED = SEEDS / "000_2251c5819029a4df.txt"

register_encoder("fake", FakeEncoder)


@pytest.fixture
def encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        index=tmp_path / "index",
        encoder="fake",
        history_file=tmp_path / "history",
        _env_file=None,  # type: ignore[call-arg]
    )


# The contract: tests that take `store` (or `backend`) run once per index backend.
BACKENDS = ["embedded", "postgresql"]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A real PostgreSQL with pgvector (see tests/pg_server.py)."""
    with test_server() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def backend_settings(
    backend: str, settings: Settings, request: pytest.FixtureRequest
) -> Iterator[Settings]:
    """The settings of a fresh index of `backend`: a directory, or a schema of its own."""
    if backend == "embedded":
        yield settings
        return
    url = request.getfixturevalue("pg_url")
    schema = new_schema()
    yield settings.model_copy(update={"database_url": SecretStr(url), "database_schema": schema})
    drop_schema(url, schema)


@pytest.fixture
def backend_env(backend_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The backend's settings as NEWSBOT_* variables, for CLI tests."""
    if backend_settings.database_url is not None:
        monkeypatch.setenv("NEWSBOT_DATABASE_URL", backend_settings.database_url.get_secret_value())
        monkeypatch.setenv("NEWSBOT_DATABASE_SCHEMA", backend_settings.database_schema)
    return backend_settings


@pytest.fixture
def store(backend_settings: Settings, encoder: FakeEncoder) -> Iterator[IndexReader]:
    s = open_index(backend_settings, fingerprint=encoder.fingerprint, dim=encoder.dim, create=True)
    yield s
    s.close()


@pytest.fixture
def embedded_store(settings: Settings, encoder: FakeEncoder) -> Iterator[EmbeddedIndex]:
    """The embedded index, for tests of its files (FAISS, SQLite, BM25 folders)."""
    s = EmbeddedIndex.open(
        settings.index, fingerprint=encoder.fingerprint, dim=encoder.dim, create=True
    )
    yield s
    s.close()


@pytest.fixture
def newsbot(backend_settings: Settings, encoder: FakeEncoder, store: IndexReader) -> Newsbot:
    return Newsbot(backend_settings, encoder=encoder, store=store)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run `newsbot ARGS...` through typer's runner: fake encoder, index in tmp_path."""
    monkeypatch.setenv("NEWSBOT_INDEX", str(tmp_path / "index"))
    monkeypatch.setenv("NEWSBOT_ENCODER", "fake")
    monkeypatch.setenv("NEWSBOT_HISTORY_FILE", str(tmp_path / "history"))
    monkeypatch.chdir(tmp_path)  # no stray .env; relative paths land in tmp_path
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, **options: object) -> Result:
        return runner.invoke(app, list(args), input=input, **options)  # type: ignore[arg-type]

    return invoke


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """The seed article in a folder of its own, free to modify."""
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


def write_article(folder: Path, name: str, headline: str, *paragraphs: str, **headers: str) -> Path:
    lines = [headline] + [f"{k.capitalize()}: {v}" for k, v in headers.items()] + [""]
    path = folder / name
    path.write_text("\n".join(lines) + "\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return path
