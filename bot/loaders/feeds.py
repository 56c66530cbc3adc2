"""RSS 2.0 and Atom feeds (feedparser), from a file or a URL.

Each entry is an article. The full text is taken where the feed carries it
(`content:encoded`, Atom `<content>`), else the summary. The feed's title names the
outlet unless an entry says otherwise. Entries are keyed by their id (guid), else their
link, so re-reading a feed recognises entries already indexed.
"""

from __future__ import annotations

import re
from typing import Any

from bot.articles import Article
from bot.errors import ArticleError
from bot.loaders.fields import (
    build_article,
    date_value,
    html_paragraphs,
    looks_like_html,
    text_paragraphs,
    text_value,
)
from bot.loaders.markup import (
    check_depth,
    drop_control_refs_bytes,
    without_entity_declarations,
)


def is_url(raw: str) -> bool:
    return raw.startswith(("http://", "https://"))


def fetch_url(url: str, *, timeout: float, max_bytes: int) -> bytes:
    """GET a feed within `timeout` seconds in all and a size limit (bot/loaders/fetch.py);
    errors say what happened."""
    from bot.loaders.fetch import fetch

    return fetch(url, timeout=timeout, max_bytes=max_bytes)


def parse_feed(source: str, data: bytes) -> tuple[list[Article], list[ArticleError]]:
    import feedparser

    if not data.strip():
        raise ArticleError(source, "file is empty")
    # Bounded work: no entity declarations to expand, no nesting that takes the parser
    # minutes; references to control characters dropped (XML forbids them).
    data = without_entity_declarations(data)
    check_depth(source, _as_bytes_of_ascii_markup(data))
    data = drop_control_refs_bytes(data)
    # feedparser reads damaged feeds leniently, which real feeds need (undefined HTML
    # entities are common), but a cut-off file would pass as a shorter feed.
    if (cut := truncation(data)) is not None:
        raise ArticleError(source, f"truncated XML: {cut}")
    parsed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=False)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        detail = f" ({_first_line(problem)})" if problem else ""
        raise ArticleError(source, f"not an RSS or Atom feed{detail}")
    if not parsed.entries:
        if parsed.get("bozo"):
            raise ArticleError(
                source, f"broken feed, no entries read ({_first_line(parsed.bozo_exception)})"
            )
        raise ArticleError(source, "feed has no entries")
    outlet = text_value(parsed.feed.get("title"))
    articles, errors, seen = [], [], set()
    for n, entry in enumerate(parsed.entries, start=1):
        item = _item(entry, n)
        try:
            article = _entry(source, entry, outlet, item)
        except ArticleError as exc:
            title = text_value(entry.get("title"))
            label = f"entry {n}" + (f" ({title[:60]})" if title else "")
            errors.append(ArticleError(source, f"{label}: {exc.reason}"))
            continue
        if item not in seen:
            seen.add(item)
            articles.append(article)
    if not articles and parsed.get("bozo"):
        raise ArticleError(source, f"broken feed ({_first_line(parsed.bozo_exception)})")
    return articles, errors


_END_ERRORS = {"no element found", "unclosed token", "unclosed CDATA section", "partial character"}
_XML_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<([\w:.-]+)", re.S)
_TRAILER = re.compile(rb"(?:\s|<!--.*?-->)*\Z", re.S)


def truncation(data: bytes) -> str | None:
    """How an XML document is cut short ("ends inside <item> at line 12"), or None when
    it is whole. Only the end counts: other damage is left to the lenient parser."""
    import xml.parsers.expat

    parser = xml.parsers.expat.ParserCreate()
    parser.UseForeignDTD(True)  # undefined entities such as &nbsp; are skipped, not fatal
    parser.ExternalEntityRefHandler = lambda *args: 1
    open_elements: list[str] = []
    parser.StartElementHandler = lambda name, attrs: open_elements.append(name)
    parser.EndElementHandler = lambda name: open_elements.pop() if open_elements else None
    try:
        parser.Parse(data, True)
        return None
    except xml.parsers.expat.ExpatError as exc:
        reason = xml.parsers.expat.ErrorString(exc.code)
        if reason in _END_ERRORS:  # the input ran out inside a tag, a CDATA section, ...
            inside = f"inside <{open_elements[-1]}>" if open_elements else "before its root element"
            return f"ends {inside} at line {exc.lineno}"
    # Expat stopped early on other damage; whether the end is whole, the root tells.
    text = _as_bytes_of_ascii_markup(data)
    root = _XML_PROLOG.match(text)
    if root is None:
        return None  # not XML at all: the feed parser says what it is
    closing = re.compile(rb"</\s*" + re.escape(root.group(1)) + rb"\s*>")
    ends = [m.end() for m in closing.finditer(text)]
    if ends and _TRAILER.match(text, ends[-1]):
        return None
    return f"does not end with </{root.group(1).decode('ascii', 'replace')}>"


def _as_bytes_of_ascii_markup(data: bytes) -> bytes:
    """UTF-16/32 documents re-encoded as UTF-8, so tag names can be matched as bytes."""
    for bom, encoding in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                          (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):  # fmt: skip
        if data.startswith(bom):
            return data.decode(encoding, "replace").encode("utf-8")
    return data


def _first_line(problem: Any) -> str:
    return str(problem).strip().splitlines()[0][:120] if str(problem).strip() else "unreadable"


def _item(entry: Any, n: int) -> str:
    if ident := text_value(entry.get("id")):
        return f"id:{ident}"
    if link := text_value(entry.get("link")):
        return f"url:{link}"
    return f"entry:{n}"


def _entry(source: str, entry: Any, outlet: str | None, item: str) -> Article:
    paragraphs, captions = _entry_text(entry)
    entry_outlet = text_value((entry.get("source") or {}).get("title"))
    return build_article(
        source,
        headline=text_value(entry.get("title")),
        paragraphs=paragraphs,
        captions=captions,
        outlet=entry_outlet or outlet,
        byline=text_value(entry.get("author")),
        # The raw strings keep the feed's own offset; feedparser's *_parsed are UTC only.
        published=date_value(entry.get("published") or entry.get("created")),
        # dict.get: feedparser's own get() maps a missing `updated` to the published date.
        updated=date_value(dict.get(entry, "updated")),
        url=_web_link(entry),
        item=item,
    )


def _web_link(entry: Any) -> str | None:
    """The entry's link if it is a web address. feedparser also makes a link of a
    permalink guid, which may be a bare id ("u1"): that is no URL."""
    link = text_value(entry.get("link"))
    return link if link and is_url(link) else None


def _entry_text(entry: Any) -> tuple[list[str], list[str]]:
    """The longest text the entry carries: full content if present, else the summary."""
    candidates = [c.get("value", "") for c in entry.get("content", []) or []]
    candidates.append(entry.get("summary", "") or "")
    best = max(candidates, key=len)
    if looks_like_html(best):
        return html_paragraphs(best)
    return text_paragraphs(best), []
