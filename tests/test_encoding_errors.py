"""Each refusal of the bytes -> text step, through every loader that reads text: the message
names the file, says what is wrong and where, and garbled text is never let through.

(Feeds are not here: the XML parser reads their declared encoding itself.)
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from bot.errors import ArticleError
from bot.index import IndexReader
from bot.ingest import ingest
from bot.loaders import load_source
from bot.loaders.encoding import decode_text
from tests.conftest import write_article
from tests.fakes import FakeEncoder

BODY = "Mayor resigns\n\nThe mayor resigned on Monday, the city said.\n"  # 60 characters
assert len(BODY.encode()) == 60

# Text that can't be read in any encoding: the bytes a Windows code page leaves undefined
# (0x81, 0x8D, 0x8F, 0x90, 0x9D), mixed with high bytes, and no NUL that would say "binary".
NOT_TEXT = bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D]) * 40

# (bytes, the exact reason). Byte positions count from the start of the file, BOM included.
REFUSED = {
    "UTF-8 with a BOM, then a byte that isn't UTF-8": (
        codecs.BOM_UTF8 + BODY.encode() + b"\xff and more",
        "broken utf-8-sig text (byte 63)",
    ),
    "UTF-16 with a BOM, cut off mid-character": (
        codecs.BOM_UTF16_LE + BODY.encode("utf-16-le") + b"\x41",
        "broken utf-16 text (byte 122)",
    ),
    "UTF-16 with a BOM and half a surrogate pair": (
        codecs.BOM_UTF16_LE + "ab".encode("utf-16-le") + b"\x00\xd8" + "cd".encode("utf-16-le"),
        "broken utf-16 text (byte 6)",
    ),
    "UTF-32 with a BOM and a code point past U+10FFFF": (
        codecs.BOM_UTF32_LE + "ab".encode("utf-32-le") + b"\x00\x00\x11\x00",
        "broken utf-32 text (byte 12)",
    ),
    "not UTF-8 and not text in any common encoding": (
        NOT_TEXT,
        "not UTF-8 (bad byte at 0) and not text in any common encoding",
    ),
    "a NUL byte in the raw data": (
        b"Mayor\x00resigns\n\nBody.",
        "looks like a binary file, not text",
    ),
    "a NUL character in decoded UTF-16": (
        codecs.BOM_UTF16_LE + "Mayor\x00resigns\n\nBody.".encode("utf-16-le"),
        "looks like a binary file, not text",
    ),
    "nothing but whitespace": (b" \r\n\t\n", "file is empty"),
    "nothing but control characters": (b"\x01\x02\x1b\n", "file is empty"),
}

# Every loader that turns the file's bytes into text itself.
TEXT_FORMATS = ["story.txt", "story.md", "story.html", "story.json", "story.jsonl"]


@pytest.mark.parametrize("case", list(REFUSED))
def test_decode_refuses_with_what_and_where(case: str) -> None:
    data, reason = REFUSED[case]
    with pytest.raises(ArticleError) as info:
        decode_text("story.txt", data)
    assert (info.value.source, info.value.reason) == ("story.txt", reason)


@pytest.mark.parametrize("name", TEXT_FORMATS)
@pytest.mark.parametrize("case", list(REFUSED))
def test_every_text_loader_gives_the_same_refusal(case: str, name: str) -> None:
    data, reason = REFUSED[case]
    with pytest.raises(ArticleError) as info:
        load_source(name, data)
    assert str(info.value) == f"{name}: {reason}"


def test_a_broken_file_is_reported_by_ingest_and_the_good_one_still_goes_in(
    tmp_path: Path, store: IndexReader, encoder: FakeEncoder
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write_article(folder, "good.txt", "Budget passes", "The council passed the budget.")
    (folder / "bom.txt").write_bytes(REFUSED["UTF-8 with a BOM, then a byte that isn't UTF-8"][0])
    (folder / "junk.txt").write_bytes(NOT_TEXT)
    report = ingest([str(folder)], store, encoder)
    assert report.added == 1
    assert sorted((Path(f.source).name, f.reason) for f in report.failed) == [
        ("bom.txt", "broken utf-8-sig text (byte 63)"),
        ("junk.txt", "not UTF-8 (bad byte at 0) and not text in any common encoding"),
    ]
    assert [a.headline for a in store.listing()] == ["Budget passes"]


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (codecs.BOM_UTF8 + BODY.encode(), BODY),
        (codecs.BOM_UTF16_BE + BODY.encode("utf-16-be"), BODY),
        (codecs.BOM_UTF32_LE + BODY.encode("utf-32-le"), BODY),
        ("Café owners\n\nThe café owners protested.".encode("cp1252"),
         "Café owners\n\nThe café owners protested."),
    ],
)  # fmt: skip
def test_whole_text_in_those_encodings_is_read_exactly(data: bytes, text: str) -> None:
    """The other side of each refusal: the same encodings, undamaged, are read as written."""
    assert decode_text("story.txt", data) == text
