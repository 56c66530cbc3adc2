"""The Article record every loader produces, and its identity (content hash)."""

from __future__ import annotations

import hashlib
import json
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
    def text_hash(self) -> str:
        """Hash of headline and body with white space folded and case ignored."""
        return hashlib.sha256(self._folded_text().encode("utf-8")).hexdigest()

    @property
    def content_hash(self) -> str:
        """The article's identity: its text (as in `text_hash`) and every piece of
        metadata stored with it. The same file at two paths is one article with two
        sources; the same wire text under another outlet, URL, date or byline is an
        article of its own, grouped with its copies into one story (bot/stories.py)."""
        meta = [
            self.outlet, self.byline,
            self.published.isoformat() if self.published else None,
            self.updated.isoformat() if self.updated else None,
            self.url, list(self.credits), list(self.captions),
        ]  # fmt: skip
        identity = json.dumps([self._folded_text(), meta], ensure_ascii=False)
        return hashlib.sha256(identity.encode("utf-8")).hexdigest()

    def _folded_text(self) -> str:
        return _SPACE.sub(" ", f"{self.headline}\n{self.body}").strip().lower()

    @property
    def attribution(self) -> str | None:
        """Outlet if known, else the credits line, for showing next to a headline."""
        if self.outlet:
            return self.outlet
        return ", ".join(self.credits) if self.credits else None
