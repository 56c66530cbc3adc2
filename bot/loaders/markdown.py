"""Markdown articles with YAML (---) or TOML (+++) front matter.

    ---
    title: Mayor resigns
    outlet: Gazette
    date: 2018-02-05T10:00:00-05:00
    author: Jane Doe
    url: https://gazette.example/mayor
    credits: [AP]
    ---
    The mayor resigned on **Monday**. ...

Markup is removed (the body is what readers see, so quotes read cleanly); image alt
texts and short non-sentence lines become captions. Without a title in the front
matter, the first `# heading` is the headline.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from bot.articles import Article
from bot.errors import ArticleError
from bot.loaders.encoding import decode_text
from bot.loaders.fields import build_article, date_value, list_value, text_value

# Characters that start inline markup. Articles use some tens per paragraph; thousands
# make markdown-it crawl (20 MB of "[a](" would take about twenty minutes).
_MARKUP = re.compile(r"[\[\]()*_`<>!&\\~]")
MAX_PARAGRAPH_MARKUP = 2_000
MAX_MARKUP_CHARS = 50_000  # in a whole file; beyond it the rest is read as plain text
MAX_YAML_VALUES = 10_000  # front matter holds tens of values; aliases can make billions
_FRONT = re.compile(r"\A(---|\+\+\+)[ \t]*\n(.*?)\n(?:---|\+\+\+|\.\.\.)[ \t]*(?:\n|\Z)", re.S)

KEYS: dict[str, tuple[str, ...]] = {
    "headline": ("title", "headline"),
    "outlet": ("outlet", "source", "publisher", "site", "publication"),
    "byline": ("author", "authors", "byline", "by"),
    "published": ("date", "published", "pubdate", "published_at", "publishdate"),
    "updated": ("updated", "lastmod", "modified", "updated_at"),
    "url": ("url", "link", "canonical", "permalink"),
    "credits": ("credits", "credit", "agency"),
}


def parse_markdown(source: str, data: bytes) -> Article:
    text = decode_text(source, data).replace("\r\n", "\n").replace("\r", "\n")
    meta, body = _front_matter(source, text)
    paragraphs, captions, heading = markdown_paragraphs(body)
    headline = _get(meta, "headline")
    if headline is None and heading is not None:
        headline = heading
    return build_article(
        source,
        headline=text_value(headline),
        paragraphs=paragraphs,
        captions=captions,
        credits=list_value(_get(meta, "credits")),
        outlet=text_value(_get(meta, "outlet")),
        byline=text_value(_get(meta, "byline")),
        published=date_value(_get(meta, "published")),
        updated=date_value(_get(meta, "updated")),
        url=text_value(_get(meta, "url")),
    )


def _get(meta: dict[str, Any], field: str) -> Any:
    lowered = {str(k).lower(): v for k, v in meta.items()}
    for key in KEYS[field]:
        if lowered.get(key) not in (None, "", []):
            return lowered[key]
    return None


def _front_matter(source: str, text: str) -> tuple[dict[str, Any], str]:
    match = _FRONT.match(text.lstrip("\ufeff"))
    if not match:
        return {}, text
    fence, raw = match.group(1), match.group(2)
    try:
        if fence == "+++":
            import tomllib

            meta: Any = tomllib.loads(raw)
        else:
            meta = _yaml(source, raw)
    except ArticleError:
        raise
    except Exception as exc:  # yaml and tomllib raise a variety of parse errors
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f" (front matter line {line + 2})" if line is not None else ""
        kind = "TOML" if fence == "+++" else "YAML"
        raise ArticleError(source, f"front matter is not valid {kind}{where}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ArticleError(source, "front matter is not a set of `key: value` lines")
    return meta, text[match.end() :]


def _yaml(source: str, raw: str) -> Any:
    """YAML front matter, refused when aliases (`*name`) would expand it past
    MAX_YAML_VALUES values: a few hundred bytes of nested aliases expand to billions."""
    import yaml

    loader = yaml.SafeLoader(raw)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, MAX_YAML_VALUES) > MAX_YAML_VALUES:
            raise ArticleError(
                source,
                f"front matter expands to more than {MAX_YAML_VALUES:,} values through "
                "YAML aliases (&name/*name)",
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_size(node: Any, limit: int) -> int:
    """How many values `node` holds once every alias is expanded, counted without
    expanding: each node's size is computed once. A cycle counts as over the limit."""
    import yaml

    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(n: Any) -> int:
        key = id(n)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            return limit + 1  # an alias inside its own anchor: endless when expanded
        open_nodes.add(key)
        total = 1
        if isinstance(n, yaml.SequenceNode):
            total += sum(size(child) for child in n.value)
        elif isinstance(n, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in n.value)
        open_nodes.discard(key)
        sizes[key] = total = min(total, limit + 1)
        return total

    return size(node)


def markdown_paragraphs(text: str) -> tuple[list[str], list[str], str | None]:
    """(paragraphs, image alt texts, first level-1 heading) of a Markdown body."""
    blocks, inline = _parsers()
    env: dict[str, Any] = {}  # link reference definitions, for the inline pass
    tokens = blocks.parse(text, env)
    paragraphs: list[str] = []
    captions: list[str] = []
    heading: str | None = None
    budget = MAX_MARKUP_CHARS
    for i, token in enumerate(tokens):
        if token.type != "inline":
            continue
        # Inline markup is parsed where it is ordinary; a paragraph thick with brackets
        # and asterisks (markdown-it takes ~100x longer per character on those) is read
        # as plain text, so a file's parse time stays bounded.
        marks = len(_MARKUP.findall(token.content))
        if marks <= min(MAX_PARAGRAPH_MARKUP, budget):
            budget -= marks
            children = inline.parseInline(token.content, env)[0].children or []
            line, alts = _inline_text(children)
        else:
            line, alts = " ".join(token.content.split()), []
        captions += alts
        opener = tokens[i - 1] if i else None
        if (
            opener is not None
            and opener.type == "heading_open"
            and opener.tag == "h1"
            and heading is None
            and not paragraphs
        ):
            heading = line
            continue
        if line:
            paragraphs.append(line)
    return paragraphs, captions, heading


@lru_cache(maxsize=1)
def _parsers() -> tuple[Any, Any]:
    """A block parser that leaves inline markup for later, and an inline parser."""
    from markdown_it import MarkdownIt

    blocks = MarkdownIt("commonmark")
    blocks.core.ruler.disable("inline")
    return blocks, MarkdownIt("commonmark")


def _inline_text(children: list[Any]) -> tuple[str, list[str]]:
    parts: list[str] = []
    alts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image" and (alt := " ".join(child.content.split())):
            alts.append(alt)
    return " ".join("".join(parts).split()), alts
