"""JSON and JSON Lines: one article per object.

A `.json` file holds one object, a list of objects, or an object with the list under
`articles`, `items`, `entries`, `data`, `results`, `posts` or `stories` (JSON Feed
included). A `.jsonl` file holds one object per line; a bad line is reported with its
line number and the other lines still go in.

Common field names are recognised (see FIELDS); `--map headline=title_text` (dotted
paths allowed: `--map outlet=source.name`) reads a field from another key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.articles import Article
from bot.errors import ArticleError, ConfigError
from bot.loaders.encoding import decode_text
from bot.loaders.fields import (
    build_article,
    date_value,
    html_paragraphs,
    list_value,
    looks_like_html,
    text_paragraphs,
    text_value,
)

# Article field -> keys tried in order (case-insensitive). The first non-empty value wins.
FIELDS: dict[str, tuple[str, ...]] = {
    "headline": ("headline", "title", "heading", "name"),
    "body": (
        "body",
        "text",
        "content",
        "articlebody",
        "article_body",
        "full_text",
        "fulltext",
        "content_text",
        "content_html",
        "story",
        "html",
        "summary",
        "description",
    ),
    "url": ("url", "link", "canonical_url", "permalink", "weburl", "external_url"),
    "published": (
        "published",
        "date",
        "pubdate",
        "published_at",
        "publishedat",
        "datepublished",
        "date_published",
        "pub_date",
        "publication_date",
        "created_at",
        "timestamp",
    ),
    "updated": ("updated", "modified", "updated_at", "datemodified", "date_modified", "lastmod"),
    "outlet": ("outlet", "source", "publisher", "site", "site_name", "sitename", "publication"),
    "byline": ("byline", "author", "authors", "by", "creator", "writer"),
    "credits": ("credits", "credit", "agency", "agencies"),
    "captions": ("captions", "caption"),
    "id": ("id", "guid", "uuid", "article_id", "_id"),
}
NUMBER_TOO_LONG = "JSON holds a number too long to read (over 4,300 digits)"
LIST_KEYS = ("articles", "items", "entries", "data", "results", "posts", "stories")


@dataclass(frozen=True)
class FieldMap:
    """User mappings from `--map FIELD=KEY`; KEY may be a dotted path into nested objects."""

    keys: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, specs: list[str]) -> FieldMap:
        keys = {}
        for spec in specs:
            name, sep, key = spec.partition("=")
            name, key = name.strip().lower(), key.strip()
            if not sep or not key:
                raise ConfigError(f"--map {spec!r}: write it as FIELD=KEY, e.g. headline=title")
            if name not in FIELDS:
                raise ConfigError(
                    f"--map {spec!r}: unknown field {name!r}; fields: {', '.join(FIELDS)}"
                )
            keys[name] = key
        return cls(keys)

    def get(self, obj: Mapping[str, Any], name: str) -> Any:
        if name in self.keys:
            return _path(obj, self.keys[name])
        lowered = {str(k).lower(): v for k, v in obj.items()}
        for key in FIELDS[name]:
            if lowered.get(key) not in (None, "", [], {}):
                return lowered[key]
        return None


def _path(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(obj, Mapping) or part not in obj:
            return None
        obj = obj[part]
    return obj


def parse_json(
    source: str, data: bytes, fields: FieldMap | None = None
) -> tuple[list[Article], list[ArticleError]]:
    fields = fields or FieldMap()
    text = decode_text(source, data)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArticleError(source, _json_reason(exc), exc.lineno) from None
    except RecursionError:
        raise ArticleError(source, "JSON nested too deeply") from None
    except ValueError:  # Python refuses integers of more than 4,300 digits
        raise ArticleError(source, NUMBER_TOO_LONG) from None
    objects, outlet = _objects(doc)
    if objects is None:
        raise ArticleError(source, "JSON holds no article object (expected an object or a list)")
    if not objects:
        raise ArticleError(source, "JSON holds an empty list of articles")
    articles, errors = [], []
    for n, obj in enumerate(objects, start=1):
        where = "" if len(objects) == 1 else f"item {n}: "
        try:
            if not isinstance(obj, Mapping):
                raise ArticleError(source, f"{where}expected a JSON object")
            item = "" if len(objects) == 1 else _item(obj, fields, f"#{n}")
            articles.append(_article(source, obj, fields, item, outlet))
        except ArticleError as exc:
            errors.append(ArticleError(source, f"{where}{exc.reason}" if where else exc.reason))
    return _unique_items(articles), errors


def _objects(doc: Any) -> tuple[list[Any] | None, str | None]:
    if isinstance(doc, list):
        return doc, None
    if isinstance(doc, Mapping):
        for key in LIST_KEYS:
            if isinstance(doc.get(key), list):
                # A feed-like wrapper: its title names the outlet (JSON Feed, NewsAPI-style).
                return doc[key], text_value(doc.get("title") or doc.get("source"))
        return [doc], None
    return None, None


def parse_jsonl(
    source: str, data: bytes, fields: FieldMap | None = None, *, by_content: bool = False
) -> tuple[list[Article], list[ArticleError]]:
    """One article per line. Objects without an id or URL are known by their line number,
    or with `by_content` (standard input: a stream has no lines to come back to) by
    their content, so a later pipe's first line doesn't replace an earlier one's."""
    fields = fields or FieldMap()
    text = decode_text(source, data)
    articles, errors = [], []
    # Only "\n" ends a line: str.splitlines() would also split inside a JSON string at a
    # raw U+2028, U+0085 or form feed, which JSON allows there.
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(ArticleError(source, _json_reason(exc), n))
            continue
        except RecursionError:
            errors.append(ArticleError(source, "JSON nested too deeply", n))
            continue
        except ValueError:
            errors.append(ArticleError(source, NUMBER_TOO_LONG, n))
            continue
        if not isinstance(obj, Mapping):
            errors.append(ArticleError(source, "expected a JSON object on this line", n))
            continue
        try:
            article = _article(source, obj, fields, _item(obj, fields, f"line:{n}"), None)
        except ArticleError as exc:
            errors.append(ArticleError(source, exc.reason, n))
            continue
        if by_content and article.item.startswith("line:"):
            article = replace(article, item=f"content:{article.content_hash[:32]}")
        articles.append(article)
    if not articles and not errors:
        raise ArticleError(source, "file has no JSON lines")
    return _unique_items(articles), errors


def _json_reason(exc: json.JSONDecodeError) -> str:
    # json's messages end in " at" / " starting at" because it appends the position.
    what = exc.msg.removesuffix(" at").removesuffix(" starting")
    return f"not valid JSON at column {exc.colno} ({what[:1].lower()}{what[1:]})"


def _item(obj: Mapping[str, Any], fields: FieldMap, fallback: str) -> str:
    """A key that stays put when lines are inserted above: the id, else the URL."""
    if (ident := text_value(fields.get(obj, "id"))) is not None:
        return f"id:{ident}"
    if (url := text_value(fields.get(obj, "url"))) is not None:
        return f"url:{url}"
    return fallback


def _unique_items(articles: list[Article]) -> list[Article]:
    """The same id twice in one file: the later one is a later version, and wins."""
    latest = {a.item: a for a in articles}
    return list(latest.values())


def _article(
    source: str, obj: Mapping[str, Any], fields: FieldMap, item: str, outlet: str | None
) -> Article:
    raw_body = fields.get(obj, "body")
    if isinstance(raw_body, Mapping):  # {"content": {"rendered": "<p>..."}} and the like
        raw_body = text_value(raw_body.get("rendered") or raw_body.get("text"))
    paragraphs: list[str] = []
    captions: list[str] = list(_list(fields.get(obj, "captions")))
    if isinstance(raw_body, list):
        paragraphs = [t for t in (text_value(p) for p in raw_body) if t]
    elif isinstance(raw_body, str):
        if looks_like_html(raw_body):
            paragraphs, found = html_paragraphs(raw_body)
            captions += found
        else:
            paragraphs = text_paragraphs(raw_body)
    return build_article(
        source,
        headline=text_value(fields.get(obj, "headline")),
        paragraphs=paragraphs,
        captions=captions,
        credits=list_value(fields.get(obj, "credits")),
        outlet=text_value(fields.get(obj, "outlet")) or outlet,
        byline=text_value(fields.get(obj, "byline")),
        published=date_value(fields.get(obj, "published")),
        updated=date_value(fields.get(obj, "updated")),
        url=text_value(fields.get(obj, "url")),
        item=item,
    )


def _list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [t for t in (text_value(v) for v in value) if t]
    text = text_value(value)
    return [text] if text else []
