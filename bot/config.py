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

    index: Path = Field(
        Path("index"), description="Index directory: the SQLite database and its FAISS files."
    )
    # --- A shared index on PostgreSQL + pgvector (bot/index/postgres.py, docs/scaling-out.md)
    database_url: SecretStr | None = Field(
        None,
        description="`postgresql://user:password@host:5432/db`: use this PostgreSQL database "
        "(with pgvector) as the index instead of the index directory (see Scaling out).",
    )
    database_read_url: SecretStr | None = Field(
        None,
        description="A read replica for answering processes (`ask`, `chat`, `slack`); ingests "
        "and feedback always use `NEWSBOT_DATABASE_URL`.",
    )
    database_schema: str = Field(
        "newsbot", pattern=r"^[a-z_][a-z0-9_]{0,62}$", description="Schema of newsbot's tables."
    )
    database_pool_size: int = Field(4, ge=1, le=100, description="Connections per process.")
    database_timeout: float = Field(
        10.0, gt=0, le=300, description="Seconds to wait for a database connection."
    )
    encoder: str = Field(
        "minilm",
        description="Sentence encoder: `minilm`, or `minilm-int8` (8-bit, faster to ingest, "
        "slightly less accurate; see Performance). Must be the one the index was built with.",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto",
        description="Where the encoder runs: `auto` (a CUDA GPU when PyTorch sees one, else the "
        "CPU), `cpu`, or `cuda` (an error if there is none). `minilm-int8` runs on the CPU. "
        "On a CPU with native bfloat16 (AVX512-BF16 or AMX), `minilm` runs in bfloat16.",
    )
    top_k: int = Field(10, ge=1, le=100, description="Articles listed in `retrieved`.")
    answer_words: int = Field(
        60, ge=10, description="Word budget of an answer, `[n]` markers included."
    )
    long_answer_words: int = Field(150, ge=20, description="Word budget with `--long`.")
    timezone: str = Field(
        "UTC",
        description="The newsroom's time zone: where days start for `yesterday`, `on:`, and "
        "for the dates `list` and `stats` show.",
    )
    history_file: Path = Field(Path.home() / ".newsbot_history", description="REPL line history.")
    max_file_mb: float = Field(
        20.0,
        gt=0,
        description="Larger files (and feeds, standard input) are refused at ingest; "
        "1 MB = 1,048,576 bytes, as in ingest's messages.",
    )
    lock_timeout: float = Field(
        0.0, ge=0, description="Seconds an ingest waits for another ingest's lock (`--wait`)."
    )
    # The encoder reads the first 256 word pieces (about 1,000 characters of English), so a
    # longer question is searched by its start only: refuse it rather than answer part of it.
    max_question_chars: int = Field(
        1000,
        ge=20,
        description="Longest question accepted, in characters (CLI, REPL, Slack); a longer "
        "one is refused with the limit named.",
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
        description="Chat model for generative answers, `provider:model` as LangChain names "
        "them (`openai:gpt-4o-mini`, `ollama:llama3.1`); unset or `none`: quoted answers only.",
    )
    llm_base_url: str | None = Field(
        None,
        description="The model's server, e.g. `http://localhost:8080/v1` (OpenAI-compatible "
        "servers, Ollama); with a URL and no key, no provider key from the environment is sent.",
    )
    llm_api_key: SecretStr | None = Field(
        None,
        description="API key for the model's server; otherwise the provider's own variable "
        "(`OPENAI_API_KEY`...).",
    )
    llm_timeout: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="Seconds the model may take per question, retries included, before the "
        "quoted answer is shown.",
    )
    llm_retries: int = Field(
        2, ge=0, le=5, description="Retries after a timeout, refused connection, 429 or 5xx."
    )

    @field_validator("database_url", "database_read_url", mode="before")
    @classmethod
    def _blank_url(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("llm", "llm_base_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in {"", "none", "extractive"}:
            return None
        return value.strip() if isinstance(value, str) else value

    # --- Slack front (`newsbot slack`, bot/slack.py) ---
    slack_bot_token: SecretStr | None = Field(
        None,
        validation_alias=_slack_alias("slack_bot_token"),
        description="Slack bot token (`xoxb-…`).",
    )
    slack_app_token: SecretStr | None = Field(
        None,
        validation_alias=_slack_alias("slack_app_token"),
        description="App-level token (`xapp-…`, scope `connections:write`) for Socket Mode.",
    )
    slack_signing_secret: SecretStr | None = Field(
        None,
        validation_alias=_slack_alias("slack_signing_secret"),
        description="Signing secret, for `newsbot slack --http`.",
    )
    slack_api_url: str = Field(
        SLACK_API_URL, description="Slack Web API base URL (a proxy, a test server)."
    )
    slack_allowed_channels: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated channel IDs where the bot answers; empty: every channel "
        "it is in.",
    )
    slack_allowed_users: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated user IDs the bot answers; empty: everyone.",
    )
    slack_dms: bool = Field(True, description="Answer direct messages.")
    feedback_db: Path | None = Field(
        None,
        description="Where 👍 / 👎 votes are stored; unset: `feedback.sqlite` beside the index "
        "directory.",
    )

    @field_validator("slack_allowed_channels", "slack_allowed_users", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    # -- ingest of feeds (issue 3) -----------------------------------------------------
    feed_timeout: float = Field(
        20.0,
        gt=0,
        description="Seconds a feed URL's whole download may take (connecting, headers and "
        "body) before it is reported failed.",
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
        description="Vector index: `auto` (exact up to 100,000 chunks, then `ivf`), `flat`, "
        "`ivf` (8-bit codes, k-means lists) or `hnsw` (graph over 8-bit codes); applied at the "
        "next ingest.",
    )
