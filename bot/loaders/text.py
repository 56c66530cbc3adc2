"""Plain-text articles in the seed's shape.

Headline on the first non-empty line
Source: Outlet            (optional header lines: Source, Published, Updated, By/Author, URL)

Paragraphs separated by blank lines.

Map of Syria              (short caption lines: kept, but out of the body and of answers)

[AP] [Reuters]            (a trailing line of bracketed credits)
"""

from __future__ import annotations

import re

from bot.articles import Article
from bot.dates import parse_date
from bot.errors import ArticleError
from bot.loaders.encoding import decode_text

__all__ = ["decode_text", "is_caption", "parse_text_article"]

HEADER = re.compile(
    r"^(source|outlet|published|date|updated|by|author|byline|url)\s*:\s*(.+?)\s*$", re.I
)
CREDITS = re.compile(r"^\s*(\[[^\[\]\n]+\]\s*)+$")
CREDIT_ITEM = re.compile(r"\[([^\[\]\n]+)\]")
PARAGRAPH_BREAK = re.compile(r"\n[ \t\u00a0]*\n")
ENDS_SENTENCE = re.compile(r"[.!?…:;\"”’'»)\]]$")
CAPTION_MAX_WORDS = 12


def is_caption(paragraph: str) -> bool:
    """A photo or map caption: one short line that doesn't end like a sentence."""
    words = paragraph.split()
    return (
        "\n" not in paragraph
        and 0 < len(words) <= CAPTION_MAX_WORDS
        and not ENDS_SENTENCE.search(paragraph.rstrip(")").rstrip() or "")
        and not paragraph.lstrip().startswith(("“", '"'))
    )


def parse_text_article(text: str, source: str) -> Article:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = _skip_blank(lines, 0)
    if i >= len(lines):
        raise ArticleError(source, "file has no text")
    headline = lines[i].strip()
    headers, i = _read_headers(lines, i + 1)
    paragraphs = [_unwrap(p) for p in PARAGRAPH_BREAK.split("\n".join(lines[i:]))]
    paragraphs = [p for p in paragraphs if p]
    credits: tuple[str, ...] = ()
    if paragraphs and CREDITS.match(paragraphs[-1]):
        credits = tuple(c.strip() for c in CREDIT_ITEM.findall(paragraphs.pop()))
    captions = tuple(p for p in paragraphs if is_caption(p))
    body_paragraphs = [p for p in paragraphs if not is_caption(p)]
    if not body_paragraphs:
        raise ArticleError(source, "article has a headline but no body text")
    return Article(
        headline=headline,
        body="\n\n".join(body_paragraphs),
        source_path=source,
        outlet=headers.get("source") or headers.get("outlet"),
        byline=headers.get("by") or headers.get("author") or headers.get("byline"),
        published=parse_date(headers.get("published") or headers.get("date")),
        updated=parse_date(headers.get("updated")),
        url=headers.get("url"),
        credits=credits,
        captions=captions,
    )


def _skip_blank(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def _read_headers(lines: list[str], i: int) -> tuple[dict[str, str], int]:
    """Header lines directly under the headline (a blank line between is allowed)."""
    j = _skip_blank(lines, i)
    headers: dict[str, str] = {}
    while j < len(lines) and (match := HEADER.match(lines[j].strip())):
        headers.setdefault(match.group(1).lower(), match.group(2))
        j += 1
    return (headers, j) if headers else ({}, i)


def _unwrap(paragraph: str) -> str:
    """Join hard-wrapped lines of one paragraph; keep the characters otherwise as written."""
    return " ".join(line.strip() for line in paragraph.strip().split("\n") if line.strip())
