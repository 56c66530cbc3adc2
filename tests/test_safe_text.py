"""Nothing from an article or a file name reaches the terminal raw (issue 16, part 1).

Escape sequences arrive raw, as JSON `\\u001b`, as HTML/XML character references, as
Markdown entities, in feeds; every loader takes them out, and every terminal renderer shows
whatever is left (file names, older indexes) escaped. The property tests feed random control
and escape sequences through every loader and every renderer.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.errors import ArticleError
from bot.loaders import FORMATS, load_source
from bot.records import Answer, Citation, RetrievedArticle, ShortAnswer
from bot.render import (
    ansi_bold,
    closest_articles,
    emphasised,
    full_source,
    outlet,
    source_line,
    sources_text,
    to_text,
)
from bot.repl import after_stream
from bot.safe_text import (
    json_dumps,
    strip_controls,
    terminal_line,
    terminal_text,
    valid_unicode,
)
from tests.conftest import write_article

# What a terminal must never receive from an article: C0 controls but tab and newline,
# DEL, and C1 controls (U+009B is an 8-bit CSI, U+009D an 8-bit OSC).
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SEQUENCES = [
    "\x1b[2J",  # clear the screen
    "\x1b[31;1m",  # colour
    "\x1b]0;PWNED\x07",  # retitle the window
    "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",  # a terminal hyperlink
    "\x1b]52;c;ZXZpbA==\x07",  # write the clipboard
    "\x9b2J",  # 8-bit CSI
    "\x9d0;PWNED\x9c",  # 8-bit OSC
    "\x1bc",  # reset the terminal
    "\x07",
    "\x08\x08\x08",
    "\r",
    "\x7f",
    "\x00",
    "\x1b",
]
PROPERTY = settings(
    max_examples=int(os.environ.get("LOADER_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

hostile = st.lists(
    st.sampled_from(SEQUENCES)
    # Markup characters are the loaders' own business, not this test's: not in the noise.
    | st.text(st.characters(max_codepoint=0x9F, exclude_characters="<>&"), max_size=4)
    | st.sampled_from(["council", "bridge", "vote", "Monday", " ", ". "]),
    min_size=1,
    max_size=12,
).map("".join)


def _wrap(text: str) -> str:
    """A sentence long enough to be body text, carrying `text`."""
    return f"The council voted on the harbour bridge {text} after a long debate on Monday."


# --- the functions -------------------------------------------------------------------------


def test_terminal_text_escapes_every_control_but_newline_and_tab() -> None:
    shown = terminal_text("Title\x1b]0;PWNED\x07 and \x9b2J\r\nnext\tline")
    assert shown == "Title\\x1b]0;PWNED\\x07 and \\x9b2J\\r\nnext\tline"
    assert not RAW.search(shown)


def test_terminal_line_shows_line_breaks_and_bidi_overrides_escaped() -> None:
    assert terminal_line("evil\x1b[41mRED\nname.txt") == "evil\\x1b[41mRED\\nname.txt"
    assert terminal_line("invoice\u202etxt.exe") == "invoice\\u202etxt.exe"
    assert terminal_line("a\u2028b\tc") == "a\\u2028b\\tc"
    assert terminal_line("Café — 東京") == "Café — 東京"  # text stays text


def test_strip_controls_removes_whole_sequences_and_keeps_line_structure() -> None:
    text = "Bridge \x1b]8;;https://evil.example/\x1b\\tolls\x1b]8;;\x1b\\ \x1b[5mrise\x9b0m.\r\n"
    assert strip_controls(text) == "Bridge tolls rise.\r\n"
    assert strip_controls("Plain text\twith a tab.") == "Plain text\twith a tab."
    # An unterminated OSC loses its introducer; the rest stays as text.
    assert strip_controls("a\x1b]0;title") == "a0;title"
    # ... and never swallows the lines after it up to a later terminator.
    assert strip_controls("Head \x9d\nBody one \x9d0;T\x9c.") == "Head \nBody one ."


def test_json_output_escapes_c1_controls_and_line_separators() -> None:
    text = json_dumps({"headline": "a\x9b2J\u2028b\x1bc"})
    assert not RAW.search(text) and "\u2028" not in text
    assert json.loads(text) == {"headline": "a\x9b2J\u2028b\x1bc"}  # the data is exact


def test_valid_unicode_reads_argv_bytes_that_are_not_utf8() -> None:
    latin1 = b"caf\xe9 tolls".decode("utf-8", "surrogateescape")  # as sys.argv holds it
    assert valid_unicode(latin1) == "café tolls"
    assert valid_unicode("a\ud800b") == "a\ufffdb"  # a lone surrogate from a JSON payload
    assert valid_unicode("plain") == "plain"


# --- every loader -------------------------------------------------------------------------


def _documents(text: str) -> dict[str, bytes]:
    """One document per loader, each carrying `text` the way that format would."""
    as_json = json.dumps(text)  # control characters become \u001b escapes
    refs = "".join(f"&#{ord(c)};" if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F else c for c in text)
    refs = xml_escape(refs).replace("&amp;#", "&#")
    hexrefs = re.sub(r"&#(\d+);", lambda m: f"&#x{int(m.group(1)):x};", refs)
    return {
        "a.txt": f"Headline {text}\nSource: Wire {text}\n\n{_wrap(text)}\n".encode(),
        "a.md": f"---\ntitle: {as_json}\noutlet: {as_json}\n---\n{_wrap(refs)}\n".encode(),
        "a.html": (
            f"<html><head><title>Title {refs}</title></head><body><article>"
            f"<h1>Title {refs}</h1><p>{_wrap(refs)}</p><p>{_wrap(hexrefs)}</p>"
            "</article></body></html>"
        ).encode(),
        "a.json": json.dumps(
            {"title": f"T {text}", "body": _wrap(text), "outlet": text, "author": text}
        ).encode(),
        "a.jsonl": (
            json.dumps({"id": 1, "title": text or "t", "body": f"<p>{_wrap(text)}</p>"}) + "\n"
        ).encode(),
        "a.rss": (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire '
            f"{refs}</title><item><guid>1</guid><title>T {refs}</title>"
            f"<author>{refs}</author><description>{_wrap(refs)}</description>"
            f"<content:encoded xmlns:content='http://purl.org/rss/1.0/modules/content/'>"
            f"{xml_escape('<p>' + _wrap(hexrefs) + '</p>')}</content:encoded>"
            "</item></channel></rss>"
        ).encode(),
        "a.atom": (
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>W '
            f"{refs}</title><entry><id>1</id><title>T {refs}</title>"
            f"<summary>{_wrap(refs)}</summary></entry></feed>"
        ).encode(),
    }


def test_every_loader_format_is_probed() -> None:
    assert {Path(name).suffix for name in _documents("x")} >= set(FORMATS) - {
        "",
        ".text",
        ".markdown",
        ".htm",
        ".ndjson",
        ".xml",  # aliases of probed loaders
    }


@PROPERTY
@given(text=hostile)
def test_no_control_character_survives_any_loader(text: str) -> None:
    for name, data in _documents(text).items():
        try:
            loaded = load_source(name, data)
        except ArticleError as exc:  # a raw NUL byte: refused as binary, named safely
            assert "\x00" in text and name == "a.txt", (name, exc)
            assert not RAW.search(terminal_line(str(exc)))
            continue
        assert loaded.articles, (name, loaded.errors)
        for a in loaded.articles:
            for value in (a.headline, a.body, a.outlet, a.byline, a.url, *a.credits, *a.captions):
                assert value is None or not RAW.search(value), (name, value)


# --- every renderer -----------------------------------------------------------------------


def _answer(text: str, path: str) -> Answer:
    citation = Citation(
        marker=1, article_id=1, headline=f"Head {text}", attribution=f"Wire {text}",
        published=datetime(2024, 3, 1, tzinfo=UTC), url=f"https://x.example/{text}",
        source_path=path, quote=_wrap(text), start=0, end=10, also_ran_in=(text,),
    )  # fmt: skip
    retrieved = RetrievedArticle(
        rank=1, article_id=1, headline=f"Head {text}", attribution=text, published=None,
        url=None, source_path=path, score=0.5,
    )  # fmt: skip
    return Answer(
        question=text, text=_wrap(text) + " [1]", declined=False, citations=[citation],
        retrieved=[retrieved], notes=[f"note {text}"],
    )  # fmt: skip


@PROPERTY
@given(text=hostile, name=hostile)
# A long credits line with a comma is shortened next to the marker and shown in full below.
@example(text="\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\,", name="\x1b[2J")
def test_no_control_character_reaches_any_terminal_renderer(text: str, name: str) -> None:
    answer = _answer(text, f"/archive/{name}.txt")
    declined = Answer(question=text, text="x", declined=True, retrieved=answer.retrieved)
    outputs = [
        to_text(answer), to_text(answer, full_sources=False), sources_text(answer),
        to_text(declined), after_stream(answer, text), source_line(answer.citations[0]),
        full_source(answer.citations[0]), closest_articles(declined),
    ]  # fmt: skip
    for output in outputs:
        assert not RAW.search(output), output
    # One-line fields stay on one line, however many line breaks the name holds.
    c = answer.citations[0]
    credits = outlet(c.attribution) != c.attribution
    assert full_source(c).count("\n") == 2 + credits + bool(c.also_ran_in) + bool(c.url)


def test_only_the_short_answers_bold_reaches_the_terminal() -> None:
    text = "Tolls \x1b]0;PWNED\x07rose to $4 \x1b[2Jon Monday."
    answer = _answer("x", "/archive/a.txt")
    quote = replace(answer.citations[0], quote=text, start=0, end=len(text))
    at = text.index("$4")
    answer = replace(
        answer, text=f"{text} [1]", citations=[quote],
        short_answer=ShortAnswer(text="$4", marker=1, start=at, end=at + 2),
    )  # fmt: skip
    shown = to_text(answer, strong=ansi_bold)
    assert "\x1b[1m$4\x1b[22m" in shown  # bold on the key fact
    assert not RAW.search(shown.replace("\x1b[1m$4\x1b[22m", ""))  # nothing else raw
    assert shown.startswith("Tolls \\x1b]0;PWNED\\x07rose to ")


def test_the_short_answer_is_marked_where_article_markers_were_taken_out() -> None:
    text = "The bridge reopened.[2] Tolls rose to $4 on Monday.[3]"
    answer = _answer("x", "/archive/a.txt")
    quote = replace(answer.citations[0], quote=text, start=0, end=len(text))
    at = text.index("$4")
    answer = replace(
        answer, text="The bridge reopened. Tolls rose to $4 on Monday. [1]", citations=[quote],
        short_answer=ShortAnswer(text="$4", marker=1, start=at, end=at + 2),
    )  # fmt: skip
    shown = emphasised(answer, lambda t: f"<{t}>")
    assert shown == "The bridge reopened. Tolls rose to <$4> on Monday. [1]"


# --- the commands, on a terminal ----------------------------------------------------------


def test_list_ask_stats_and_errors_print_no_escape_sequence(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "esc"
    folder.mkdir()
    (folder / "wire.json").write_text(
        json.dumps(
            {
                "id": "w1",
                "title": "Council vote \u001b]0;PWNED\u0007 today",
                "outlet": "Gazette\u001b]8;;https://evil.example/\u001b\\",
                "body": "The council voted to close the harbour bridge for repairs on Monday.",
                "date": "2024-03-01",
            }
        )
    )
    (folder / "page.html").write_text(
        "<html><head><title>Ferry &#27;]0;HTML&#7; resumes</title></head><body><article>"
        "<p>The harbour ferry resumed service on Tuesday &#x9b;2J&#x1b;[31mafter repairs.</p>"
        "</article></body></html>"
    )
    write_article(
        folder, "evil\x1b]0;FILE\x07\nname.txt", "Bridge budget set",
        "The bridge repair budget was set at four million dollars.", Source="Gazette",
    )  # fmt: skip
    (folder / "broken\x1b]0;ERR\x07.json").write_text("{not json")
    ingested = cli("ingest", str(folder))
    assert ingested.exit_code == 2 and "failed: " in ingested.output
    outputs = [ingested.output]
    for args in (
        ["list"], ["list", "--json"], ["stats"], ["stats", "--json"],
        ["ask", "What did the council vote to close?"],
        ["ask", "--json", "What did the council vote to close?"],
        ["ask", "When did the harbour ferry resume service?"],
        ["chat", "How much was the bridge repair budget?"],
    ):  # fmt: skip
        # color=True: click leaves escape codes in, as it does on a terminal.
        result = cli(*args, color=True)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    for output in outputs:
        assert not RAW.search(output), output
    listed = outputs[1]
    assert "evil\\x1b]0;FILE\\x07\\nname.txt" in listed  # the name shown as it is, on one line
    assert len(listed.strip().splitlines()) == 4
