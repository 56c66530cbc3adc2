"""The documentation stays true: the configuration page is the settings object's, and the
README's links lead somewhere. (`./run test` also builds the site with mkdocs --strict.)"""

from __future__ import annotations

import re

from bot import config_doc
from bot.config import Settings
from tests.conftest import ROOT


def test_configuration_page_matches_the_settings() -> None:
    assert config_doc.PAGE.read_text(encoding="utf-8") == config_doc.page(), (
        "docs/configuration.md differs from bot/config.py's Settings: "
        "run .venv/bin/python -m bot.config_doc --write"
    )


def test_every_setting_has_a_row_with_its_variable_and_meaning() -> None:
    page = config_doc.page()
    for name, field in Settings.model_fields.items():
        assert field.description, f"Settings.{name} needs a description: it is the docs"
        row = next(line for line in page.splitlines() if f"`NEWSBOT_{name.upper()}`" in line)
        assert " ".join(field.description.split()) in row


def test_defaults_read_as_a_user_writes_them() -> None:
    rows = {line.split(" | ")[0]: line for line in config_doc.page().splitlines()}
    assert "| `~/.newsbot_history` |" in rows["| `NEWSBOT_HISTORY_FILE`"]
    assert "| unset |" in rows["| `NEWSBOT_LLM`"]
    assert "| `true` |" in rows["| `NEWSBOT_SLACK_DMS`"]
    assert "| `20` |" in rows["| `NEWSBOT_MAX_FILE_MB`"]
    assert "| `--llm-timeout` |" in rows["| `NEWSBOT_LLM_TIMEOUT`"]
    assert rows["| `SLACK_BOT_TOKEN` (also `NEWSBOT_SLACK_BOT_TOKEN`)"]


def test_readme_links_lead_to_files() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [t for t in targets if not re.match(r"[a-z]+:", t)]
    assert local, "the README links to the docs"
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, f"README.md links to missing files: {missing}"


def test_readme_stays_short() -> None:
    assert len((ROOT / "README.md").read_bytes()) <= 10_500, "move the detail to docs/"
