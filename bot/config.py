"""Settings: the only place that reads the environment and `.env`.

Every option has a `NEWSBOT_*` variable; a `.env` file in the working directory works too.
Settings are built once at the edge (CLI, Slack runner) and passed in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SLACK_API_URL = "https://slack.com/api/"


def _slack_alias(name: str) -> AliasChoices:
    """Slack's own variable names work with or without the NEWSBOT_ prefix."""
    return AliasChoices(f"NEWSBOT_{name.upper()}", name.upper())


class Settings(BaseSettings):
    """All of newsbot's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSBOT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    index: Path = Field(Path("index"), description="Index directory (FAISS + SQLite).")
    encoder: str = Field("minilm", description="Sentence encoder used for new indexes.")
    top_k: int = Field(10, ge=1, le=100, description="Articles listed in `retrieved`.")
    answer_words: int = Field(60, ge=10, description="Word budget of a short answer.")
    long_answer_words: int = Field(150, ge=20, description="Word budget with --long.")
    history_file: Path = Field(Path.home() / ".newsbot_history", description="REPL line history.")
    max_file_mb: float = Field(20.0, gt=0, description="Files larger than this are refused.")
    lock_timeout: float = Field(
        0.0, ge=0, description="Seconds an ingest waits for another ingest's lock."
    )

    # --- Slack front (`newsbot slack`, bot/slack.py) ---
    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=_slack_alias("slack_bot_token"), description="xoxb- bot token."
    )
    slack_app_token: SecretStr | None = Field(
        None, validation_alias=_slack_alias("slack_app_token"), description="xapp- Socket Mode."
    )
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=_slack_alias("slack_signing_secret"), description="--http mode."
    )
    slack_api_url: str = Field(SLACK_API_URL, description="Slack Web API base URL.")
    slack_allowed_channels: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Channel IDs where the bot answers (empty: all)."
    )
    slack_allowed_users: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="User IDs the bot answers (empty: everyone)."
    )
    slack_dms: bool = Field(True, description="Answer direct messages.")
    feedback_db: Path | None = Field(
        None, description="Feedback database (default: feedback.sqlite beside the index)."
    )

    @field_validator("slack_allowed_channels", "slack_allowed_users", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def feedback_path(self) -> Path:
        return self.feedback_db or self.index.parent / "feedback.sqlite"
