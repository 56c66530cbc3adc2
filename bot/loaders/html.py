"""Web pages: main text, title, date, byline, URL and site extracted with trafilatura.

Boilerplate (navigation, footers, comments) is dropped by trafilatura. Dates come from
the page's own metadata (`article:published_time`, JSON-LD or microdata `datePublished`,
...), never from the file, the URL or guesses in the text; `article:modified_time` gives
`updated`. Without a site name the outlet is the host name of the page's URL.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from bot.articles import Article
from bot.errors import ArticleError
from bot.loaders.encoding import decode_text
from bot.loaders.fields import build_article, date_value, html_paragraphs, text_value
from bot.loaders.markup import check_depth, drop_control_refs

PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "datepublished",
    "date", "dc.date", "dc.date.issued", "dcterms.created", "pubdate", "publishdate",
    "sailthru.date", "parsely-pub-date",
)  # fmt: skip
UPDATED_META = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified")


@lru_cache(maxsize=1)
def _config() -> Any:
    from trafilatura.settings import use_config

    config = use_config()
    # Short wire briefs are articles too: keep extraction on them instead of falling
    # back to a flattened baseline text.
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "20")
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", "10")
    config.set("DEFAULT", "EXTENSIVE_DATE_SEARCH", "off")  # no dates guessed from the text
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # signals don't work off the main thread
    return config


def parse_html(source: str, data: bytes) -> Article:
    import trafilatura
    from lxml import etree

    text = decode_text(source, data)
    check_depth(source, text)
    text = drop_control_refs(text)  # libxml2 gives up on a whole page at one `&#11;`
    try:
        doc: Any = trafilatura.bare_extraction(
            text,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            config=_config(),
            date_extraction_params={
                "extensive_search": False,
                "original_date": True,
                "outputformat": "%Y-%m-%dT%H:%M:%S%z",
            },
        )
    except (etree.LxmlError, ValueError) as exc:
        raise ArticleError(source, f"unreadable HTML ({exc})") from None
    if doc is None or doc.body is None:
        raise ArticleError(source, "no article text found in the HTML")
    paragraphs = _body_paragraphs(doc.body)
    meta = _page_meta(text)
    # Not trafilatura's own date (htmldate): without metadata it falls back to a date in
    # the URL (/2023/07/19/), the title or the text, which is a guess.
    published = _first_date(meta, PUBLISHED_META)
    return build_article(
        source,
        headline=text_value(doc.title),
        paragraphs=paragraphs,
        captions=_figcaptions(text),
        outlet=text_value(doc.sitename) or text_value(doc.hostname),
        byline=text_value(doc.author),
        published=published,
        updated=_first_date(meta, UPDATED_META),
        url=text_value(doc.url),
    )


def _body_paragraphs(body: Any) -> list[str]:
    """trafilatura's XML body: <p>, <head>, <list><item>, <quote>, <table> blocks."""
    out = []
    for element in body:
        if element.tag == "list":
            out += [" ".join("".join(item.itertext()).split()) for item in element.iter("item")]
        else:
            out.append(" ".join("".join(element.itertext()).split()))
    return [p for p in out if p]


def _page_meta(text: str) -> dict[str, str]:
    """<meta> name/property -> content, plus JSON-LD datePublished/dateModified."""
    import json

    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(text.encode("utf-8"))
    except (etree.LxmlError, ValueError):
        return {}
    meta: dict[str, str] = {}
    for tag in root.iter("meta"):
        key = (tag.get("property") or tag.get("name") or tag.get("itemprop") or "").lower()
        if key and tag.get("content"):
            meta.setdefault(key, tag.get("content"))
    # schema.org microdata on the page's own elements: <time itemprop="datePublished" ...>
    for tag in root.xpath('//*[@itemprop="datePublished" or @itemprop="dateModified"]'):
        if value := tag.get("datetime") or tag.get("content"):
            meta.setdefault(tag.get("itemprop").lower(), value)
    for script in root.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict):
                for key in ("datePublished", "dateModified"):
                    if isinstance(item.get(key), str):
                        meta.setdefault(key.lower(), item[key])
    return meta


def _first_date(meta: dict[str, str], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if key in meta and (found := date_value(meta[key])) is not None:
            return found
    return None


def _figcaptions(text: str) -> list[str]:
    if "figcaption" not in text:
        return []
    _, captions = html_paragraphs(text)
    return captions
