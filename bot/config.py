"""Settings: the only place that reads the environment and `.env`.

Every option has a `NEWSBOT_*` variable; a `.env` file in the working directory works too.
Settings are built once at the edge (CLI, Slack runner) and passed in.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    # -- ingest of feeds (issue 3) -----------------------------------------------------
    feed_timeout: float = Field(
        20.0, gt=0, description="Seconds to wait for a feed URL before giving up on it."
    )

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)
