"""Property-based: random bytes and random structures into every loader give either a
clean ArticleError or valid articles, never a crash."""

from __future__ import annotations

import json
import os
from xml.sax.saxutils import escape

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.articles import Article
from bot.errors import ArticleError
from bot.loaders import FORMATS, load_source

SUFFIXES = sorted({s for s in FORMATS if s})  # every loader, by its file types
# LOADER_FUZZ_EXAMPLES=1000 for a longer hunt; the suite's 60 keep it to seconds.
PROPERTY = settings(
    max_examples=int(os.environ.get("LOADER_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def check(name: str, data: bytes) -> None:
    try:
        loaded = load_source(name, data)
    except ArticleError as exc:
        assert str(exc).startswith(name) and exc.reason
        return
    assert loaded.articles or len(loaded.errors) > 1
    for article in loaded.articles:
        assert_valid(article, name)
    for error in loaded.errors:
        assert isinstance(error, ArticleError) and str(error).startswith(name)


def assert_valid(article: Article, name: str) -> None:
    assert article.headline.strip() and article.body.strip()
    assert article.source_path == name
    for date in (article.published, article.updated):
        assert date is None or date.tzinfo is not None
    assert len(article.content_hash) == 64


@PROPERTY
@given(suffix=st.sampled_from(SUFFIXES), data=st.binary(max_size=2000))
def test_random_bytes_into_every_loader(suffix: str, data: bytes) -> None:
    check(f"random{suffix}", data)


@PROPERTY
@given(suffix=st.sampled_from(SUFFIXES), text=st.text(max_size=1500))
def test_random_text_into_every_loader(suffix: str, text: str) -> None:
    check(f"random{suffix}", text.encode("utf-8"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=80),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            ["title", "headline", "body", "text", "content", "date", "published", "url",
             "source", "author", "authors", "id", "articles", "items", "credits", "name"]
        ) | st.text(max_size=10),
        children,
        max_size=6,
    ),
    max_leaves=20,
)  # fmt: skip


@PROPERTY
@given(value=json_values)
def test_random_json_structures(value: object) -> None:
    check("random.json", json.dumps(value).encode())


@PROPERTY
@given(lines=st.lists(json_values | st.text(max_size=60), max_size=6))
def test_random_jsonl_lines(lines: list[object]) -> None:
    data = "\n".join(v if isinstance(v, str) else json.dumps(v) for v in lines).encode()
    check("random.jsonl", data)


@PROPERTY
@given(
    meta=st.dictionaries(
        st.sampled_from(["title", "date", "updated", "author", "outlet", "url", "credits"])
        | st.text(max_size=8),
        st.none() | st.integers() | st.text(max_size=40) | st.lists(st.text(max_size=10)),
        max_size=6,
    ),
    body=st.text(max_size=400),
)
def test_random_markdown_front_matter(meta: dict[str, object], body: str) -> None:
    check("random.md", f"---\n{yaml.safe_dump(meta)}---\n{body}".encode())


tags = st.sampled_from(["p", "div", "article", "h1", "li", "ul", "figure", "figcaption", "b"])
html_trees = st.recursive(
    st.text(max_size=60).map(escape),
    lambda children: st.tuples(tags, st.lists(children, max_size=4)).map(
        lambda t: f"<{t[0]}>{''.join(t[1])}</{t[0]}>"
    ),
    max_leaves=15,
)


@PROPERTY
@given(title=st.text(max_size=40), tree=html_trees, cut=st.integers(0, 400))
def test_random_and_truncated_html(title: str, tree: str, cut: int) -> None:
    page = f"<html><head><title>{escape(title)}</title></head><body>{tree}</body></html>"
    check("random.html", page.encode()[: max(cut, 1)] if cut < 200 else page.encode())


entry_fields = st.dictionaries(
    st.sampled_from(["title", "link", "guid", "pubDate", "description", "author", "category"]),
    st.text(max_size=60),
    max_size=6,
)


@PROPERTY
@given(entries=st.lists(entry_fields, max_size=4), cut=st.integers(0, 600), atom=st.booleans())
def test_random_and_truncated_feeds(entries: list[dict[str, str]], cut: int, atom: bool) -> None:
    if atom:
        items = "".join(
            "<entry>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in e.items()) + "</entry>"
            for e in entries
        )
        feed = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>{items}</feed>'
    else:
        items = "".join(
            "<item>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in e.items()) + "</item>"
            for e in entries
        )
        feed = f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    data = feed.encode()
    check("random.rss", data[:cut] if cut < 300 else data)
