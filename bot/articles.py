"""The Article record every loader produces, and its content hash."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Article:
    """One article. Fields that the source doesn't give stay None: nothing is invented."""

    headline: str
    body: str  # paragraphs separated by a blank line; captions and credits are not in it
    source_path: str
    outlet: str | None = None
    byline: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    url: str | None = None
    credits: tuple[str, ...] = ()
    captions: tuple[str, ...] = ()
    item: str = ""  # position inside a multi-article source (JSONL line, feed entry)
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def content_hash(self) -> str:
        """Hash of headline and body with white space folded: same story text, same hash."""
        text = _SPACE.sub(" ", f"{self.headline}\n{self.body}").strip().lower()
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def attribution(self) -> str | None:
        """Outlet if known, else the credits line, for showing next to a headline."""
        if self.outlet:
            return self.outlet
        return ", ".join(self.credits) if self.credits else None
