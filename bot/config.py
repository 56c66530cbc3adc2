"""Settings: the only place that reads the environment and `.env`.

Every option has a `NEWSBOT_*` variable; a `.env` file in the working directory works too.
Settings are built once at the edge (CLI, Slack runner) and passed in.
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    timezone: str = Field(
        "UTC", description="The newsroom's time zone: when days start for 'yesterday', 'on:'."
    )
    history_file: Path = Field(Path.home() / ".newsbot_history", description="REPL line history.")
    max_file_mb: float = Field(20.0, gt=0, description="Files larger than this are refused.")
    lock_timeout: float = Field(
        0.0, ge=0, description="Seconds an ingest waits for another ingest's lock."
    )
    # The encoder reads the first 256 word pieces (about 1,000 characters of English), so a
    # longer question is searched by its start only: refuse it rather than answer part of it.
    max_question_chars: int = Field(
        1000, ge=20, description="Longest question accepted, in characters (CLI, REPL, Slack)."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use a name like Europe/London)"
            ) from None
        return value

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.timezone)

    # --- Generative answers (bot/llm.py, bot/generate.py, bot/verify.py) ---
    llm: str | None = Field(
        None,
        description="LangChain chat model spec (openai:gpt-4o-mini, ollama:llama3.1); "
        "unset or 'none': extractive answers only.",
    )
    llm_base_url: str | None = Field(
        None, description="Server URL for the model (OpenAI-compatible servers, Ollama)."
    )
    llm_api_key: SecretStr | None = Field(None, description="API key for the model's server.")
    llm_timeout: float = Field(
        60.0, gt=0, le=3600, description="Seconds the model may take per question, retries too."
    )
    llm_retries: int = Field(
        2, ge=0, le=5, description="Retries after a timeout, refused connection, 429 or 5xx."
    )

    @field_validator("llm", "llm_base_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in {"", "none", "extractive"}:
            return None
        return value.strip() if isinstance(value, str) else value

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

    # -- ingest of feeds (issue 3) -----------------------------------------------------
    feed_timeout: float = Field(
        20.0, gt=0, description="Seconds to wait for a feed URL before giving up on it."
    )

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def feedback_path(self) -> Path:
        return self.feedback_db or self.index.parent / "feedback.sqlite"

    # --- Speed and scale (issue 7: bot/vectors.py, the encoders in bot/embeddings.py) ---
    index_type: Literal["auto", "flat", "ivf", "hnsw"] = Field(
        "auto",
        description="FAISS index kind: auto (exact up to 100,000 chunks, then IVF), flat, "
        "ivf (8-bit codes, k-means lists) or hnsw (graph over 8-bit codes).",
    )
