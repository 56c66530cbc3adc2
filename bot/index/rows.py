"""The rows an index hands out: articles, chunks, sentences, listing lines. Every backend
returns these, so retrieval, answers and fronts never see a database row."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from bot.records import SourceFields


@dataclass(frozen=True)
class ArticleRow:
    id: int
    headline: str
    body: str
    outlet: str | None
    byline: str | None
    published: datetime | None
    updated: datetime | None
    url: str | None
    credits: tuple[str, ...]
    captions: tuple[str, ...]
    sources: tuple[str, ...]
    story_id: int | None = None  # copies of one wire story share it (see bot/stories.py)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def story_key(self) -> int:
        """What retrieval groups by: the story, or the article itself."""
        return self.story_id if self.story_id is not None else self.id

    @property
    def source_path(self) -> str:
        return self.sources[0] if self.sources else ""

    @property
    def attribution(self) -> str | None:
        return attribution(self.outlet, self.credits)

    def source_fields(self) -> SourceFields:
        return SourceFields(
            article_id=self.id, headline=self.headline, attribution=self.attribution,
            published=self.published, url=self.url, source_path=self.source_path,
        )  # fmt: skip


@dataclass(frozen=True)
class ChunkRow:
    id: int
    article_id: int
    ord: int
    start: int
    end: int


@dataclass(frozen=True)
class SentenceRow:
    id: int
    chunk_id: int
    article_id: int
    start: int
    end: int
    vector: np.ndarray  # float32, unit length


@dataclass(frozen=True)
class ListedArticle:
    """One line of `newsbot list`: an article without its body."""

    id: int
    headline: str
    outlet: str | None
    credits: tuple[str, ...]
    byline: str | None
    published: datetime | None
    url: str | None
    story_id: int
    chunks: int
    source_path: str
    sources: int

    @property
    def attribution(self) -> str | None:
        return attribution(self.outlet, self.credits)


def attribution(outlet: str | None, credits: str | Sequence[str]) -> str | None:
    """The outlet, or the credits line (a JSON list as stored, or a sequence)."""
    if outlet:
        return outlet
    names = json.loads(credits) if isinstance(credits, str) else list(credits)
    return ", ".join(names) if names else None
