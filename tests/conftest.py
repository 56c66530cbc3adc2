from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from bot.core import Newsbot
from bot.embeddings import register_encoder
from bot.store import Store
from tests.fakes import FakeEncoder

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


@pytest.fixture
def store(settings: Settings, encoder: FakeEncoder) -> Iterator[Store]:
    s = Store.open(settings.index, fingerprint=encoder.fingerprint, dim=encoder.dim, create=True)
    yield s
    s.close()


@pytest.fixture
def newsbot(settings: Settings, encoder: FakeEncoder, store: Store) -> Newsbot:
    return Newsbot(settings, encoder=encoder, store=store)


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
