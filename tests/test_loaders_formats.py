"""Each loader on the shipped examples and on the shapes newsrooms actually produce."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.errors import ArticleError, ConfigError
from bot.loaders import Loaded, LoadOptions, format_of, load_source
from bot.loaders.encoding import decode_text
from bot.loaders.jsonfeed import FieldMap
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
EST = timezone(timedelta(hours=-5))


def load(name: str, options: LoadOptions | None = None) -> Loaded:
    path = EXAMPLES / name
    return load_source(str(path), path.read_bytes(), options)


def test_markdown_front_matter_becomes_fields() -> None:
    (a,) = load("council-vote.md").articles
    assert a.headline == "Riverton council approves new bus routes"
    assert (a.outlet, a.byline) == ("Riverton Gazette", "Maria Lopez")
    assert a.published == datetime(2024, 3, 12, 18, 40, tzinfo=EST)
    assert a.updated == datetime(2024, 3, 13, 9, 15, tzinfo=EST)
    assert a.url == "https://gazette.example/2024/03/12/bus-routes"
    assert a.credits == ("Gazette staff",)
    assert a.body.startswith("The Riverton city council voted 7-2 on Tuesday")
    assert "**" not in a.body and "Dana Price said" in a.body  # markup removed
    assert "A city bus at the Main Street depot" in a.captions  # image alt text
    assert "What happens next" in a.captions and "What happens next" not in a.body


def test_markdown_without_front_matter_takes_the_first_heading() -> None:
    data = b"# Pier reopens\n\nThe pier reopened on Friday after repairs.\n"
    (a,) = load_source("pier.md", data).articles
    assert (a.headline, a.body, a.published, a.outlet) == (
        "Pier reopens",
        "The pier reopened on Friday after repairs.",
        None,
        None,
    )


def test_markdown_toml_front_matter_and_bad_yaml() -> None:
    data = b'+++\ntitle = "Pier reopens"\ndate = 2024-03-01T10:00:00Z\n+++\nIt reopened today.\n'
    (a,) = load_source("pier.md", data).articles
    assert a.headline == "Pier reopens" and a.published == datetime(2024, 3, 1, 10, tzinfo=UTC)
    with pytest.raises(ArticleError, match=r"pier.md: front matter is not valid YAML \(front"):
        load_source("pier.md", b"---\ntitle: [unclosed\n---\nBody text here.\n")


def test_html_page_main_text_and_metadata() -> None:
    (a,) = load("hospital-wing.html").articles
    assert a.headline == "Hospital opens children's wing"
    assert (a.outlet, a.byline) == ("Riverton Herald", "Sam Okafor")
    assert a.url == "https://herald.example/news/hospital-childrens-wing"
    assert a.published == datetime(2024, 3, 14, 7, 30, tzinfo=EST)
    assert a.updated is None
    assert a.body.startswith("Riverton General Hospital opened its new children's wing")
    assert len(a.body.split("\n\n")) == 3
    assert "rights reserved" not in a.body and "Sports" not in a.body  # boilerplate dropped
    assert a.captions == ("The new wing's entrance on Elm Street",)


def test_html_without_a_date_stays_undated() -> None:
    page = b"<html><head><title>Fair opens</title></head><body><article><p>" + (
        b"The county fair opened on Friday with forty rides and a pie contest.</p></article>"
    )
    (a,) = load_source("fair.html", page).articles
    assert a.published is None and a.updated is None


def test_html_date_comes_from_metadata_never_from_the_url_or_the_text() -> None:
    page = (
        b'<html><head><title>Fair opens</title><link rel="canonical" '
        b'href="https://gazette.example/2023/07/19/fair-opens"></head><body><article>'
        b"<p>July 19, 2023</p><p>The county fair opened on Friday with forty rides and a "
        b"pie contest, the organisers said.</p></article></body></html>"
    )
    (a,) = load_source("fair.html", page).articles
    assert a.url == "https://gazette.example/2023/07/19/fair-opens"
    assert a.published is None  # the URL's /2023/07/19/ and the text's date are guesses
    assert a.outlet == "gazette.example"  # no site name: the host stands in
    marked = page.replace(
        b"<p>July 19", b'<p><time itemprop="datePublished" datetime="2023-07-19T09:00:00Z">July 19'
    ).replace(b"2023</p>", b"2023</time></p>")
    (b,) = load_source("fair.html", marked).articles
    assert b.published == datetime(2023, 7, 19, 9, tzinfo=UTC)


def test_json_wrapper_with_common_field_names() -> None:
    loaded = load("archive.json")
    first, second = loaded.articles
    assert first.item == "id:gz-2024-0301" and second.item == "id:gz-2024-0302"
    assert first.headline == "Library extends weekend hours"
    assert first.byline == "Priya Nair"
    assert first.published == datetime(2024, 3, 4, 11, tzinfo=EST)  # RFC 822, own offset
    assert first.body.split("\n\n")[1].startswith("The board said the longer hours")  # HTML
    assert second.published is None  # no date given: none invented
    assert second.body.count("\n\n") == 1


def test_jsonl_objects_nested_outlet_and_free_text_dates() -> None:
    copies = load("wire-copies.jsonl").articles
    assert [a.outlet for a in copies] == ["Valley Times", "Riverton Herald", "Morning Post"]
    assert copies[1].published == datetime(2024, 3, 16, 6, tzinfo=UTC)
    assert copies[2].published == datetime(2024, 3, 16, 13, tzinfo=UTC)  # "8:00 AM EST"
    assert all(a.published and a.published.tzinfo for a in copies)


def test_jsonl_bad_lines_are_reported_with_line_numbers() -> None:
    data = "\n".join(
        [
            json.dumps({"title": "Good one", "text": "The good one has a body."}),
            '{"title": "cut off", "text": "trunc',
            "[1, 2]",
            json.dumps({"title": "No body"}),
            "",
            json.dumps({"title": "Good two", "text": "The second good one has a body."}),
        ]
    ).encode()
    loaded = load_source("feed.jsonl", data)
    assert [a.headline for a in loaded.articles] == ["Good one", "Good two"]
    assert [a.item for a in loaded.articles] == ["line:1", "line:6"]
    assert [(e.line, e.reason) for e in loaded.errors] == [
        (2, "not valid JSON at column 30 (unterminated string)"),
        (3, "expected a JSON object on this line"),
        (4, "article has a headline but no body text"),
    ]
    assert str(loaded.errors[0]).startswith("feed.jsonl:2: not valid JSON")


def test_jsonl_lines_end_at_newlines_only() -> None:
    # U+2028 (line separator) and U+0085 may stand raw inside a JSON string.
    rows = [{"title": "Council vote", "text": "The vote passed.\u2028It was close.\u0085Yes."},
            {"title": "Bridge", "text": "The bridge reopens."}]  # fmt: skip
    data = ("\r\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n{bad\n").encode()
    loaded = load_source("wire.jsonl", data)
    assert [a.headline for a in loaded.articles] == ["Council vote", "Bridge"]
    assert [(e.line, e.reason[:14]) for e in loaded.errors] == [(3, "not valid JSON")]


def test_jsonl_with_only_bad_lines_reports_each_line() -> None:
    loaded = load_source("x.jsonl", b'{"title": "cut\n[1]\n{"title": "no body"}\n')
    assert loaded.articles == []
    assert [e.line for e in loaded.errors] == [1, 2, 3]


def test_field_map_reads_other_names_and_dotted_paths() -> None:
    data = json.dumps(
        {"hed": "Dam inspection ordered", "copy": {"main": "Engineers will inspect the dam."},
         "meta": {"paper": "Lakeside Daily"}, "time": "2024-01-02T03:04:05+01:00"}
    ).encode()  # fmt: skip
    fields = FieldMap.parse(
        ["headline=hed", "body=copy.main", "outlet=meta.paper", "published=time"]
    )
    (a,) = load_source("x.json", data, LoadOptions(fields=fields)).articles
    assert (a.headline, a.body, a.outlet) == (
        "Dam inspection ordered",
        "Engineers will inspect the dam.",
        "Lakeside Daily",
    )
    assert a.published == datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=1)))
    with pytest.raises(ConfigError, match="unknown field 'hedline'"):
        FieldMap.parse(["hedline=hed"])
    with pytest.raises(ConfigError, match="FIELD=KEY"):
        FieldMap.parse(["headline"])


def test_rss_full_content_and_summary_only_entries() -> None:
    loaded = load("herald-feed.rss")
    full, summary_only = loaded.articles
    assert loaded.additive and not loaded.errors
    assert full.item == "id:herald-2024-0311"
    assert full.outlet == "Riverton Herald" and full.byline == "Sam Okafor"
    assert full.published == datetime(2024, 3, 11, 20, 5, tzinfo=EST)
    assert full.updated is None  # RSS has no updated date; none invented
    assert full.body.startswith("The Riverton school board on Monday named Angela Brooks")
    assert "chose a deputy" not in full.body  # the full text, not the summary
    assert summary_only.body.startswith("The Elm Street bridge will be closed")


def test_truncated_feed_is_one_clear_error_not_a_shorter_feed() -> None:
    rss = (EXAMPLES / "herald-feed.rss").read_bytes()
    in_description = rss[: rss.index(b"Drivers are asked")]
    after_an_item = rss[: rss.rindex(b"</item>") + len(b"</item>")]
    atom = (EXAMPLES / "gazette-atom.xml").read_bytes()
    for name, data, reason in [
        ("cut.rss", in_description, "truncated XML: ends inside <description> at line 21"),
        ("cut.rss", after_an_item, "truncated XML: ends inside <channel> at line 22"),
        ("cut.atom", atom[: atom.rindex(b"</feed>")], "truncated XML: ends inside <feed>"),
    ]:
        with pytest.raises(ArticleError) as info:
            load_source(name, data)
        assert str(info.value).startswith(f"{name}: {reason}")


def test_slightly_malformed_but_whole_feeds_are_still_read() -> None:
    # Undefined HTML entities and a bare "&" are common in real feeds; feedparser copes.
    rss = (EXAMPLES / "herald-feed.rss").read_bytes()
    damaged = rss.replace(b"Local news from", b"Local&nbsp;news &amp from").replace(
        b"for repairs to its deck", b"for repairs to its deck &mdash; and rails"
    )
    assert len(load_source("herald.rss", damaged).articles) == 2
    cut_after_damage = damaged[: damaged.rindex(b"</rss>")]
    with pytest.raises(ArticleError, match="does not end with </rss>"):
        load_source("herald.rss", cut_after_damage)


def test_feed_url_is_only_ever_a_web_address() -> None:
    items = [
        "<guid>u1</guid>",  # a guid is a permalink by default, but this one is no URL
        '<guid isPermaLink="true">https://herald.example/2</guid>',
        '<guid isPermaLink="false">https://herald.example/internal/3</guid>',
        "<link>/relative/4</link>",
    ]
    rss = "".join(
        f"<item><title>Story {n}</title>{x}<description>Body {n} of the day.</description></item>"
        for n, x in enumerate(items, start=1)
    )
    data = f'<rss version="2.0"><channel><title>H</title>{rss}</channel></rss>'.encode()
    loaded = load_source("h.rss", data)
    assert [a.url for a in loaded.articles] == [None, "https://herald.example/2", None, None]
    assert loaded.articles[0].item == "id:u1"


def test_atom_entry() -> None:
    (a,) = load("gazette-atom.xml").articles
    assert a.headline == "Snow plow contract goes to local firm"
    assert a.outlet == "Riverton Gazette" and a.byline == "Maria Lopez"
    assert a.published == datetime(2024, 3, 18, 10, tzinfo=EST)
    assert a.updated == datetime(2024, 3, 18, 13, 30, tzinfo=EST)
    assert a.url == "https://gazette.example/2024/03/18/plow-contract"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("a.md", b"", "file is empty"),
        ("a.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("a.html", b"<html><head><title>Only a title</title></head><body></body></html>",
         "no article text"),
        ("a.json", b'{"title": "x", "text": "cut', "not valid JSON"),
        ("a.json", b"42", "no article object"),
        ("a.json", b'{"articles": []}', "empty list"),
        ("a.rss", b"<rss><channel><item><title>cut", "truncated XML: ends inside <title>"),
        ("a.rss", b"hello, not xml at all", "not an RSS or Atom feed"),
        ("a.xml", b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
         b"</channel></rss>", "feed has no entries"),
        ("a.docx", b"PK\x03\x04", "unsupported file type '.docx'"),
    ],
)  # fmt: skip
def test_bad_inputs_raise_one_clear_error(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(ArticleError) as info:
        load_source(name, data)
    assert reason in str(info.value)
    assert str(info.value).startswith(name)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Café owners protest\n\nThe café owners said the new rules were unfair.", "cp1252"),
        ("Grüße aus München\n\nDer Bürgermeister trat am Montag zurück, sagte die Stadt.",
         "latin-1"),
        ("Мэр ушёл в отставку\n\nМэр города ушёл в отставку в понедельник, сообщили власти.",
         "cp1251"),
        ("Mayor resigns\n\nThe mayor resigned on Monday, the city said.", "utf-16"),
        ("Mayor resigns\n\nThe mayor resigned on Monday, the city said.", "utf-8-sig"),
    ],
)  # fmt: skip
def test_common_encodings_are_decoded(text: str, encoding: str) -> None:
    assert decode_text("a.txt", text.encode(encoding)) == text


def test_format_of_urls_and_stdin() -> None:
    assert format_of("-") == "jsonl"
    assert format_of("https://x.example/feed") == "feed"
    assert format_of("https://x.example/a", b"  <!DOCTYPE html><html>") == "html"
    assert format_of("https://x.example/api", b'{"items": []}') == "json"
    assert format_of(str(Path("a/b.HTM"))) == "html"
