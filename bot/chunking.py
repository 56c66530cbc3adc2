"""Article -> chunks of whole sentences, with character offsets into the article body.

A chunk is one or more consecutive paragraphs up to a word budget; a paragraph longer
than the budget is cut between sentences. Every sentence keeps its own offsets so
answers can quote it verbatim and cite exactly where it stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.articles import Article

MAX_WORDS = 110
_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\n)[^\n]+)*")


@dataclass(frozen=True)
class Chunk:
    ord: int
    start: int  # offsets into Article.body
    end: int
    sentences: tuple[tuple[int, int], ...]  # (start, end) into Article.body


def split_sentences(text: str, base: int = 0) -> list[tuple[int, int]]:
    """Sentence spans of `text`, shifted by `base`, white space trimmed."""
    from sentencex import segment  # small and pure Python; handles "U.S." and "Sen." well

    spans = []
    pos = 0
    for sentence in segment("en", text):
        stripped = sentence.strip()
        if not stripped:
            continue
        start = text.find(stripped, pos)
        if start < 0:  # the segmenter normalised something; fall back to the cursor
            start = pos
        end = start + len(stripped)
        spans.append((base + start, base + end))
        pos = end
    return spans


def paragraph_spans(body: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _PARAGRAPH.finditer(body)]


def chunk_article(article: Article, max_words: int = MAX_WORDS) -> list[Chunk]:
    """Chunks of the article's paragraphs and sentences. A paragraph or sentence that
    repeats an earlier one word for word is left out (it ends the chunk before it): its
    text is in the body once per copy, but its vectors are stored once, so repeated text
    can't multiply the index's size (a 2 MB file of one paragraph made a 67 MB index)."""
    body = article.body
    chunks: list[Chunk] = []
    current: list[tuple[int, int]] = []
    words = 0
    paragraphs_seen: set[str] = set()
    sentences_seen: set[str] = set()

    def close() -> None:
        nonlocal current, words
        if current:
            chunks.append(_make(len(chunks), current))
        current, words = [], 0

    for p_start, p_end in paragraph_spans(body):
        if _first_time(body[p_start:p_end], paragraphs_seen):
            sentences = split_sentences(body[p_start:p_end], p_start)
        else:
            sentences = []
        if not sentences:
            close()  # a repeated paragraph: its copy is not chunked
            continue
        p_words = _count_words(body, sentences)
        if current and words + p_words > max_words:
            close()
        for span in sentences:
            if not _first_time(body[span[0] : span[1]], sentences_seen):
                close()
                continue
            s_words = _count_words(body, [span])
            if current and words + s_words > max_words:
                close()
            current.append(span)
            words += s_words
    close()
    return chunks


def _first_time(text: str, seen: set[str]) -> bool:
    """Whether `text` (white space and case folded) is new to `seen`; records it."""
    key = " ".join(text.split()).casefold()
    if key in seen:
        return False
    seen.add(key)
    return True


def _make(ord_: int, sentences: list[tuple[int, int]]) -> Chunk:
    return Chunk(ord_, sentences[0][0], sentences[-1][1], tuple(sentences))


def _count_words(body: str, spans: list[tuple[int, int]]) -> int:
    return sum(len(body[s:e].split()) for s, e in spans)


def context_prefix(article: Article) -> str:
    """What each chunk is embedded with, so a passage carries its story's context."""
    parts = [article.headline]
    meta = [
        x for x in (article.outlet, article.published and article.published.date().isoformat()) if x
    ]
    if meta:
        parts.append(" · ".join(meta))
    return " — ".join(parts) + "\n"
