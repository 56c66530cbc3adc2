"""Which story a new article belongs to, for any backend: the MinHash bands of bot/stories.py
find candidates among stored articles, and the closest real match gives its story."""

from __future__ import annotations

from typing import Protocol

from bot import stories


class StoryLookup(Protocol):
    """What grouping reads from an index, as the writing transaction sees it."""

    def story_with_band(self, key: int) -> int | None:
        """The story of some article stored under this band key."""

    def candidates(self, keys: list[int], limit: int) -> list[tuple[int, str]]:
        """(id, body) of the articles sharing most of these band keys, at most `limit`."""

    def story_of(self, article_id: int) -> int: ...


def assign_story(
    article_id: int, body: str, text_hash: str, lookup: StoryLookup
) -> tuple[int, list[int]]:
    """(story id, band keys to store for the article). A new story's id is the article's."""
    text_shingles = stories.shingles(body)
    sig = stories.signature(text_shingles)
    if sig is None:
        # Too short to compare by shingles: only the very same headline and body (a copy
        # under another outlet, URL or date) joins a story.
        key = stories.exact_key(text_hash)
        same = lookup.story_with_band(key)
        return (same if same is not None else article_id), [key]
    keys = stories.band_keys(sig)
    match = stories.best_match(text_shingles, lookup.candidates(keys, stories.MAX_CANDIDATES))
    return (lookup.story_of(match) if match is not None else article_id), keys
