"""Integration tests: the real packaged model, real processes, real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.core import Newsbot
from bot.embeddings import Encoder, get_encoder
from tests.conftest import SEEDS
from tests.integration.fresh_index import fresh_index


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def real_encoder() -> Encoder:
    """The packaged all-MiniLM-L6-v2, loaded once for the whole session."""
    return get_encoder("minilm")


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, real_encoder: Encoder) -> Path:
    directory = tmp_path_factory.mktemp("seed-index") / "index"
    store, report = fresh_index(directory, [SEEDS], real_encoder)
    assert report.added == 1 and not report.failed
    store.close()
    return directory


@pytest.fixture(scope="session")
def seed_bot(
    seed_index: Path, real_encoder: Encoder, tmp_path_factory: pytest.TempPathFactory
) -> Newsbot:
    settings = Settings(
        index=seed_index, history_file=tmp_path_factory.mktemp("h") / "h", _env_file=None
    )  # type: ignore[call-arg]
    return Newsbot(settings, encoder=real_encoder)
