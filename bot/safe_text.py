"""Control characters and escape sequences: taken out of article text at ingest, and
shown escaped wherever text reaches a terminal.

A newsroom indexes what others wrote. An escape sequence in a headline, a feed's title or
a file name could clear the screen, retitle the window, or plant a clickable link to
another site (OSC 8) when `ask`, `chat`, `list` or `stats` print it. So:

- `strip_controls` removes escape sequences and control characters from article text as it
  is loaded (every loader, whatever format or encoding carried them);
- `terminal_text` and `terminal_line` make any text safe to print: every control character
  is shown as a visible escape (`\\x1b`), and `terminal_line` also shows line breaks in a
  one-line field (a file name with a newline) as `\\n`. Every terminal renderer prints through
  them; already-indexed text and file names are covered too;
- `json_dumps` keeps `--json` output data-exact but free of raw C1 controls and line
  separators (json.dumps escapes only C0 controls when it writes UTF-8).

Slack has its own escaping (bot/slack_render.py): Slack shows no terminal controls.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from typing import Any

# ESC-introduced sequences a terminal acts on: CSI (colours, cursor moves, clear screen),
# OSC/DCS/SOS/PM/APC strings (window titles, hyperlinks, clipboard) ended by BEL or ST,
# and the short two- or three-character escapes (reset, charset switches). Their 8-bit
# C1 forms (U+009B CSI, U+009D OSC ...) too. A string never runs across a line break:
# an unterminated introducer must not swallow the lines after it (it loses only itself).
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n\r]{0,4096}(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-~]"
)
# Control characters that are never text: C0 except tab and line breaks, DEL, and C1.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What a terminal must not receive raw: every C0 but tab and newline, DEL, C1.
_TERMINAL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# In a one-line field: line breaks of every kind, tabs, and the bidirectional overrides
# and isolates that would reorder the rest of the line (a file name spoofing its suffix).
_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Not raw in --json output: C1 controls, line/paragraph separators (json.dumps escapes C0).
_JSON = re.compile(r"[\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def strip_controls(text: str) -> str:
    """Article text without escape sequences or control characters (tab, newline and
    carriage return stay: the loaders read line structure from them)."""
    if not _needs_stripping(text):
        return text
    return _CONTROL.sub("", _SEQUENCE.sub("", text))


def _needs_stripping(text: str) -> bool:
    return _CONTROL.search(text) is not None


def _escaped(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal_text(text: str) -> str:
    """Text safe to print on a terminal: line breaks and tabs kept, every other control
    character (ESC of an escape sequence, BEL, carriage return, C1) shown escaped."""
    return _TERMINAL.sub(lambda m: _escaped(m.group(0)), text)


def terminal_line(text: str) -> str:
    """A one-line field (headline, outlet, file name, URL) safe to print: as
    `terminal_text`, and line breaks, tabs and bidirectional overrides shown escaped."""
    return _LINE.sub(lambda m: _escaped(m.group(0)), text)


def json_dumps(value: Any, **options: Any) -> str:
    """`json.dumps` with UTF-8 text, and C1 controls and line separators escaped."""
    text = json.dumps(value, ensure_ascii=False, **options)
    # Outside strings JSON is plain ASCII, so the only places these can stand are strings,
    # where \\uXXXX means the same character.
    return _JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def valid_unicode(text: str) -> str:
    """Text from a command line or a JSON payload as real characters. Python keeps bytes
    that aren't UTF-8 in `sys.argv` as lone surrogates, which nothing downstream can
    encode; they are read as Windows-1252 (a Latin-1 terminal's "café"), and any other
    lone surrogate becomes U+FFFD."""
    if not _SURROGATE.search(text):
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return raw.decode("utf-8", "newsbot-cp1252")


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """A codecs error handler: bytes that aren't UTF-8 read as Windows-1252."""
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    return bad.decode("cp1252", "replace"), error.end


codecs.register_error("newsbot-cp1252", _cp1252_fallback)


class TerminalFormatter(logging.Formatter):
    """Log lines on a terminal: a warning naming a file prints its name escaped."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal_text(super().format(record))
