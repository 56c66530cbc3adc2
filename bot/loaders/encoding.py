"""Bytes -> text: UTF-8 first, then the common legacy encodings (charset-normalizer)."""

from __future__ import annotations

import codecs
import re
from typing import Any

from bot.errors import ArticleError
from bot.safe_text import strip_controls

# What charset-normalizer may choose from. Restricting it to encodings newsrooms actually
# produce keeps it from picking exotic code pages that happen to decode a short text.
COMMON_ENCODINGS = [
    "cp1252", "cp1250", "cp1251", "koi8_r", "iso8859_2", "cp1253", "cp1254",
    "cp1255", "cp1256", "cp1257", "shift_jis", "euc_jp", "gb18030", "big5", "euc_kr",
]  # fmt: skip
# cp1250/cp1257 differ from cp1252 in a handful of letters; on near-ties the Western
# code page is the likelier one for an English-language archive.
WESTERN_TIE = 0.1
_NONCHARACTER = re.compile(r"[\ufffe\uffff]")
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def decode_text(source: str, data: bytes) -> str:
    """Decode text in UTF-8 (with or without BOM), UTF-16/32 with a BOM, or a common
    legacy encoding; refuse empty and binary data with a reason."""
    if not data.strip():
        raise ArticleError(source, "file is empty")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _check_text(source, data.decode(encoding))
            except UnicodeDecodeError as exc:
                # utf-8-sig counts from after its BOM, utf-16/32 from the start of the file
                where = exc.start + (len(bom) if encoding == "utf-8-sig" else 0)
                raise ArticleError(source, f"broken {encoding} text (byte {where})") from exc
    if b"\x00" in data[:4096]:
        raise ArticleError(source, "looks like a binary file, not text")
    try:
        return _check_text(source, data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        utf8_error = exc.start
    mixed = _line_by_line(source, data)
    if mixed is not None:
        return _check_text(source, mixed)
    return _check_text(source, _legacy(source, data, utf8_error))


def _line_by_line(source: str, data: bytes) -> str | None:
    """A file mixing UTF-8 lines with lines in a legacy encoding (a page pasted from an
    old export into a UTF-8 file), decoded line by line: UTF-8 where it reads, the legacy
    encoding the other lines share where it doesn't. None when no line is UTF-8 beyond
    ASCII: then the whole file is in one legacy encoding."""
    lines = data.split(b"\n")
    bad = {i for i, line in enumerate(lines) if not _is_utf8(line)}
    if all(line.isascii() for i, line in enumerate(lines) if i not in bad):
        return None
    encoding = _legacy_encoding(b"\n".join(lines[i] for i in sorted(bad)))
    return "\n".join(
        line.decode(encoding, "replace") if i in bad else line.decode("utf-8")
        for i, line in enumerate(lines)
    )


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _legacy_encoding(data: bytes) -> str:
    from charset_normalizer import from_bytes

    results = list(from_bytes(data, cp_isolation=COMMON_ENCODINGS))
    return _best(results).encoding if results else "cp1252"


def _legacy(source: str, data: bytes, utf8_error: int) -> str:
    from charset_normalizer import from_bytes

    results = list(from_bytes(data, cp_isolation=COMMON_ENCODINGS))
    if not results:
        raise ArticleError(
            source,
            f"not UTF-8 (bad byte at {utf8_error}) and not text in any common encoding",
        )
    return str(_best(results))


def _best(results: list[Any]) -> Any:
    best = results[0]
    western = next((r for r in results if r.encoding == "cp1252"), None)
    if western is not None and western.chaos <= best.chaos + WESTERN_TIE:
        best = western
    return best


def _check_text(source: str, text: str) -> str:
    if "\x00" in text[:4096]:
        raise ArticleError(source, "looks like a binary file, not text")
    # Control characters and escape sequences are never article text (and XML/HTML
    # parsers refuse control characters).
    text = _NONCHARACTER.sub("", strip_controls(text))
    if not text.strip():
        raise ArticleError(source, "file is empty")
    return text
