"""Shared by the structured loaders: reading loosely-typed metadata values, turning HTML
or plain text into paragraphs, and assembling a valid Article (or a clear error)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from typing import Any

from bot.articles import Article
from bot.dates import parse_date
from bot.errors import ArticleError
from bot.loaders.text import CREDIT_ITEM, CREDITS, PARAGRAPH_BREAK, is_caption
from bot.safe_text import strip_controls

MAX_DATE_CHARS = 80  # longer "dates" are not dates; dateparser would only waste time on them
HEADLINE_FALLBACK_WORDS = 14
_RFC822 = re.compile(
    r"^(\w{3},\s*)?\d{1,2}\s+\w{3}\s+\d{4}\s+\d{1,2}:\d{2}(:\d{2})?\s+([+-]\d{4}|GMT|UT|UTC|Z)$"
)
_SPACE = re.compile(r"[ \t\r\f\v\u00a0]+")
_TAG = re.compile(
    r"<\s*/?\s*(p|div|br|li|h[1-6]|blockquote|article|section|span|a|em|strong|b|i)\b", re.I
)


def text_value(value: Any) -> str | None:
    """A metadata value as one line of text: strings as given, names out of author or
    publisher objects ({"name": ...}), lists joined with commas; None when empty."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = " ".join(strip_controls(value).split())
        return text or None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping):
        for key in ("name", "title", "value", "text", "href", "url"):
            if (found := text_value(value.get(key))) is not None:
                return found
        return None
    if isinstance(value, list | tuple):
        parts = [t for t in (text_value(v) for v in value) if t]
        return ", ".join(dict.fromkeys(parts)) or None
    return None


def list_value(value: Any) -> tuple[str, ...]:
    """A metadata value as a list of short texts (credits, tags)."""
    if isinstance(value, list | tuple):
        return tuple(dict.fromkeys(t for t in (text_value(v) for v in value) if t))
    text = text_value(value)
    if text is None:
        return ()
    if CREDITS.match(text):
        return tuple(c.strip() for c in CREDIT_ITEM.findall(text))
    return tuple(p.strip() for p in re.split(r"[;,]", text) if p.strip())


def date_value(value: Any) -> datetime | None:
    """A timezone-aware datetime from an ISO string, free text (dateparser), a YAML
    date, or a Unix timestamp; None when absent or unreadable."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value  # milliseconds are common in JSON
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    text = text_value(value)
    if text is None or len(text) > MAX_DATE_CHARS:
        return None
    if _RFC822.match(text):  # RSS dates; keeps their own offset
        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            pass
    try:
        return parse_date(text)
    except (ValueError, OverflowError):
        return None


def looks_like_html(text: str) -> bool:
    return bool(_TAG.search(text))


def html_paragraphs(fragment: str) -> tuple[list[str], list[str]]:
    """Paragraphs and figure captions of an HTML fragment (a feed entry, a JSON field).
    Raises ArticleError (without a source: the caller names the item) when it nests too
    deep to parse in good time."""
    import lxml.html
    from lxml import etree

    from bot.loaders.markup import check_depth, drop_control_refs

    check_depth("", fragment)
    try:
        root = lxml.html.fragment_fromstring(drop_control_refs(fragment), create_parent="div")
    except (etree.ParserError, ValueError):
        return [], []
    for bad in root.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    captions = [_line(c.text_content()) for c in root.xpath("//figcaption")]
    for figure in root.xpath("//figcaption"):
        figure.drop_tree()
    blocks = root.xpath("//p|//li|//h1|//h2|//h3|//h4|//h5|//h6|//blockquote[not(.//p)]|//pre|//td")
    paragraphs = [_line(b.text_content()) for b in blocks] if blocks else []
    if not any(paragraphs):
        paragraphs = text_paragraphs(_br_text(root))
    return [p for p in paragraphs if p], [c for c in captions if c]


def _br_text(root: Any) -> str:
    for br in root.xpath("//br"):
        br.tail = "\n\n" + (br.tail or "")
    return str(root.text_content())


def text_paragraphs(text: str) -> list[str]:
    """Paragraphs of plain text: blank lines separate them; with no blank line at all,
    every line is a paragraph. Hard-wrapped lines inside a paragraph are joined."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    parts = PARAGRAPH_BREAK.split(text) if PARAGRAPH_BREAK.search(text) else text.split("\n")
    return [p for p in (_line(part) for part in parts) if p]


def _line(text: str) -> str:
    return _SPACE.sub(" ", " ".join(text.split("\n"))).strip()


def build_article(
    source: str,
    *,
    headline: str | None,
    paragraphs: Sequence[str],
    captions: Iterable[str] = (),
    credits: Sequence[str] = (),
    split_captions: bool = True,
    **fields: Any,
) -> Article:
    """An Article from extracted parts. Short non-sentence lines become captions (kept,
    never quoted), a trailing `[AP] [Reuters]` line becomes credits; no body is an error.
    Control characters and escape sequences are taken out of every text (JSON `\\u001b`,
    HTML and XML character references and Markdown entities decode to them)."""
    paragraphs = [p for p in (strip_controls(p).strip() for p in paragraphs) if p]
    captions = [c for c in (text_value(c) for c in captions) if c]
    credits = [c for c in (text_value(c) for c in credits) if c]
    fields = {k: strip_controls(v) if isinstance(v, str) else v for k, v in fields.items()}
    headline = text_value(headline)
    if len(paragraphs) > 1 and headline and paragraphs[0] == headline:
        paragraphs = paragraphs[1:]  # pages often repeat the title as the first heading
    credits = tuple(credits)
    if paragraphs and CREDITS.match(paragraphs[-1]):
        credits = credits or tuple(c.strip() for c in CREDIT_ITEM.findall(paragraphs[-1]))
        paragraphs = paragraphs[:-1]
    found_captions = [p for p in paragraphs if split_captions and is_caption(p)]
    body = [p for p in paragraphs if not (split_captions and is_caption(p))]
    if not body:
        what = "a headline but no body text" if headline else "no body text"
        raise ArticleError(source, f"article has {what}")
    if not headline:
        # No title in the source: the start of the first paragraph stands in, as news
        # systems do for slugs; it is shown, never quoted as evidence.
        words = body[0].split()
        headline = " ".join(words[:HEADLINE_FALLBACK_WORDS]) + (
            " …" if len(words) > HEADLINE_FALLBACK_WORDS else ""
        )
    return Article(
        headline=headline,
        body="\n\n".join(body),
        source_path=source,
        credits=credits,
        captions=tuple(dict.fromkeys([*captions, *found_captions])),
        **fields,
    )
