"""HTML and XML before a parser sees them: bounded nesting, no entity declarations, and no
character references to control characters.

The parsers are fast on real pages and feeds but not on hostile ones: a feed nested a
hundred thousand elements deep takes feedparser seconds per megabyte, and entity
declarations (a "billion laughs" DTD) make a few hundred bytes expand without bound. A
single `&#11;` makes libxml2 give up on a whole page. Each guard here ends in a clear
per-file error or a harmless repair, so the other files of an ingest go in.
"""

from __future__ import annotations

import re

from bot.errors import ArticleError

# Real pages nest some tens of elements, feeds a handful plus the HTML they carry: far
# below this, and this is far below what makes the parsers slow (feedparser took seconds
# for 20,000 levels).
MAX_DEPTH = 512

_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));?")
_CHAR_REF_BYTES = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));?")
# An escape sequence written with references: `&#27;[2J`, `&#x1b;]0;title&#7;`. The whole
# sequence goes, not only its ESC (which would leave "[2J" in the text).
_ESC = r"&#(?:0*27|[xX]0*1[bB]);"
_ESC_SEQUENCE = (
    _ESC + r"(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][^<]{0,1024}?(?:&#(?:0*7|[xX]0*7);|" + _ESC + r"\\)"
    r"|[ -%'-/]*[0-;=-~])?"  # never the "<" of a tag or the "&" of a reference
)
_ESC_SEQUENCE_TEXT = re.compile(_ESC_SEQUENCE)
_ESC_SEQUENCE_BYTES = re.compile(_ESC_SEQUENCE.encode())
# The internal subset of a DOCTYPE: where entities are declared. Feeds don't need one; the
# lenient feed parser knows the HTML entity names (&nbsp;) without it.
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.S | re.I)
# A start or end tag, written or escaped (&lt;p&gt;). A tag's attributes end at the next
# bracket, written or escaped, so the scan stays linear in text full of "<a" or "&lt;a".
_TAG = re.compile(
    r"<(/?)([a-zA-Z][\w:.-]*)(?:\s[^<>]*?)?(/?)>"
    r"|&lt;(/?)([a-zA-Z][\w:.-]*)(?:\s(?:[^<>&/]|&(?!lt;|gt;)|/(?!&gt;))*)?(/?)&gt;"
)
# Elements that never hold others, or that the HTML parser closes by itself when the next
# one opens: they don't deepen the tree however many stand open in the source.
_FLAT = frozenset(
    """area base br col embed hr img input link meta param source track wbr p li dt dd tr td
    th option optgroup thead tbody tfoot colgroup rp rt rb rtc""".split()
)


def _replacement(code: int) -> str | None:
    """What a reference to `code` becomes: None to keep it as written, "" to drop it."""
    if code in (0x9, 0xA, 0xD) or 0x20 <= code < 0x7F:
        return None
    if code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return ""
    if 0x80 <= code <= 0x9F:
        # HTML reads these as Windows-1252 (&#150; is an en dash); the five codes that
        # Windows-1252 leaves undefined are dropped.
        try:
            return bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            return ""
    return None


def _code(match: re.Match[str] | re.Match[bytes]) -> int:
    hex_digits, decimal = match.group(1), match.group(2)
    return int(hex_digits, 16) if hex_digits else int(decimal)


def drop_control_refs(text: str) -> str:
    """`&#11;`, `&#x1b;`, `&#0;` dropped; `&#150;` read as Windows-1252 (an en dash)."""
    if "&#" not in text:
        return text

    def fix(m: re.Match[str]) -> str:
        new = _replacement(_code(m))
        return m.group(0) if new is None else new

    return _CHAR_REF.sub(fix, _ESC_SEQUENCE_TEXT.sub("", text))


def drop_control_refs_bytes(data: bytes) -> bytes:
    """`drop_control_refs` on the bytes of an ASCII-compatible document (a feed)."""
    if b"&#" not in data:
        return data

    def fix(m: re.Match[bytes]) -> bytes:
        new = _replacement(_code(m))
        if new is None:
            return m.group(0)
        # As a reference again: the document's own encoding may not hold the character.
        return "".join(f"&#{ord(c)};" for c in new).encode("ascii")

    return _CHAR_REF_BYTES.sub(fix, _ESC_SEQUENCE_BYTES.sub(b"", data))


def without_entity_declarations(data: bytes) -> bytes:
    """The document with its DOCTYPE's internal subset (entity declarations) removed."""
    if b"<!ENTITY" not in data[:65536].upper():
        return data
    return _INTERNAL_SUBSET.sub(b"", data, count=1)


def check_depth(source: str, text: str | bytes, limit: int = MAX_DEPTH) -> None:
    """Refuse markup whose elements nest deeper than `limit`. Counted in the source text,
    tags escaped as `&lt;div&gt;` too (feeds carry HTML that way), so no parser ever
    builds the tree; works on damaged documents, which the lenient parsers still read."""
    as_text = text.decode("latin-1") if isinstance(text, bytes) else text
    depth = 0
    for m in _TAG.finditer(as_text):
        raw = m.group(2) is not None
        closing, name, self_closing = m.group(*((1, 2, 3) if raw else (4, 5, 6)))
        name = name.lower()
        if self_closing or name in _FLAT:
            continue
        if closing:
            depth = max(0, depth - 1)
            continue
        depth += 1
        if depth > limit:
            raise ArticleError(source, f"markup is nested more than {limit} elements deep")
