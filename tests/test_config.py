from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import Settings
from tests.conftest import ROOT


def test_environment_and_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("NEWSBOT_INDEX=/srv/news-index\nNEWSBOT_TOP_K=7\n")
    settings = Settings()
    assert settings.index == Path("/srv/news-index")
    assert settings.top_k == 7
    monkeypatch.setenv("NEWSBOT_TOP_K", "3")  # the environment wins over .env
    assert Settings().top_k == 3
    assert Settings(top_k=4).top_k == 4  # explicit options (CLI flags) win over both


def test_invalid_value_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_TOP_K", "zero")
    with pytest.raises(ValueError, match="top_k"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_only_config_reads_the_environment() -> None:
    reads = re.compile(r"os\.environ\[|os\.environ\.get|os\.getenv|getenv\(")
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "bot").rglob("*.py")
        if p.name != "config.py" and reads.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []
