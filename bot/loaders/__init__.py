"""Turn files into Articles. One module per format; this module picks the loader.

| suffix                      | loader                 |
|-----------------------------|------------------------|
| .txt, .text, none           | text.py (seed style)   |
| .md, .markdown              | markdown.py            |
| .html, .htm                 | html.py (trafilatura)  |
| .json / .jsonl, .ndjson     | jsonfeed.py            |
| .rss, .atom, .xml; URLs     | feeds.py (feedparser)  |
"""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.articles import Article
from bot.errors import ArticleError
from bot.loaders.jsonfeed import FieldMap

log = logging.getLogger(__name__)

STDIN = "-"  # read JSON Lines from standard input
STDIN_KEY = "<stdin>"  # how the index knows what came from standard input

FORMATS: dict[str, str] = {
    ".txt": "text", ".text": "text", "": "text",
    ".md": "markdown", ".markdown": "markdown",
    ".html": "html", ".htm": "html",
    ".json": "json",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".rss": "feed", ".atom": "feed", ".xml": "feed",
}  # fmt: skip
SUFFIXES = set(FORMATS)
MB = 1024 * 1024  # the unit of NEWSBOT_MAX_FILE_MB, and of every size in messages


def megabytes(size: float) -> str:
    """A size for a message, in the unit the size limit is set in."""
    return f"{size / MB:.3g} MB"


@dataclass(frozen=True)
class LoadOptions:
    fields: FieldMap = field(default_factory=FieldMap)


@dataclass
class Loaded:
    """What one source gave: its articles, and the items that failed (with reasons)."""

    articles: list[Article]
    errors: list[ArticleError] = field(default_factory=list)
    # Feeds roll: an entry that dropped out of the feed was not deleted by the newsroom.
    additive: bool = False


def expand_paths(paths: Iterable[str]) -> tuple[list[Path], list[ArticleError]]:
    """Expand directories (recursively) and globs into a sorted list of files.

    A directory walk skips hidden files and folders (.git, .cache, editor backups); a
    hidden file named on the command line is still read. Paths that match nothing are
    reported as errors rather than silently skipped.
    """
    files: list[Path] = []
    errors: list[ArticleError] = []
    for raw in paths:
        pattern = glob.has_magic(raw)
        matches = sorted(glob.glob(raw, recursive=True)) if pattern else [raw]
        if not matches:
            errors.append(ArticleError(raw, "no file matches this pattern"))
        for match in matches:
            path = Path(match)
            # The folder the user gave: a directory, or where a pattern starts. A symbolic
            # link found inside it that leads out of it is not read (an archive can't make
            # /etc/passwd answerable); a file named on the command line is read as named.
            root = _pattern_root(raw) if pattern else path
            if path.is_dir():
                files.extend(_walk(path, root))
            elif path.is_file() and (not pattern or _inside(path, root)):
                files.append(path)
            elif not path.is_file():
                errors.append(ArticleError(raw, "no such file or directory"))
    return _unique(files), errors


def _walk(folder: Path, root: Path) -> list[Path]:
    found = []
    for here, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # never descend into .git
        found += [
            p for p in (Path(here, n) for n in names) if _is_article_file(p) and _inside(p, root)
        ]
    return sorted(found)


def _inside(path: Path, root: Path) -> bool:
    """Whether `path`, its links followed, stays inside `root`; a note says when not."""
    target, top = path.resolve(), root.resolve()
    if target.is_relative_to(top):
        return True
    log.warning(
        "skipped %s: a symbolic link to %s, outside %s/", path, target, root.as_posix().rstrip("/")
    )
    return False


def _pattern_root(pattern: str) -> Path:
    """The folder a glob pattern starts in: its parts before the first wildcard."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts[:-1]:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")


def _is_article_file(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".") and path.suffix.lower() in SUFFIXES


def _unique(files: list[Path]) -> list[Path]:
    seen: set[Path] = set()
    out = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def format_of(source: str, data: bytes | None = None) -> str:
    """The loader for a source: by suffix; URLs are feeds unless they serve a web page."""
    from bot.loaders.feeds import is_url

    if source in (STDIN, STDIN_KEY):
        return "jsonl"
    if is_url(source):
        head = (data or b"")[:512].lstrip().lower()
        if head.startswith((b"{", b"[")):
            return "json"
        return "html" if head.startswith((b"<!doctype html", b"<html")) else "feed"
    suffix = Path(source).suffix.lower()
    if suffix not in FORMATS:
        raise ArticleError(source, f"unsupported file type {suffix!r}")
    return FORMATS[suffix]


def load_source(source: str, data: bytes, options: LoadOptions | None = None) -> Loaded:
    """Parse one source's bytes. Raises ArticleError when the source as a whole is
    unusable; items that fail inside a multi-article source come back in `errors`
    (each with its own reason and line), next to the articles that were read."""
    from bot.date_range import dated_within_range

    options = options or LoadOptions()
    kind = format_of(source, data)
    if kind in ("json", "jsonl", "feed"):
        multi = _MULTI[kind]
        articles, errors = multi(source, data, options)
        if not articles and len(errors) == 1:
            raise errors[0]
        additive = kind == "feed" or source in (STDIN, STDIN_KEY)
        # A date outside 1800-2200 is stored as unknown, with a warning (bot/date_range.py).
        return Loaded([dated_within_range(a) for a in articles], errors, additive=additive)
    return Loaded([dated_within_range(_SINGLE[kind](source, data))])


def load_articles(source: str, data: bytes) -> Iterator[Article]:
    """Parse one file's articles (the first failing item raises)."""
    loaded = load_source(source, data)
    if loaded.errors:
        raise loaded.errors[0]
    yield from loaded.articles


def _text(source: str, data: bytes) -> Article:
    from bot.loaders.text import decode_text, parse_text_article

    return parse_text_article(decode_text(source, data), source)


def _markdown(source: str, data: bytes) -> Article:
    from bot.loaders.markdown import parse_markdown

    return parse_markdown(source, data)


def _html(source: str, data: bytes) -> Article:
    from bot.loaders.html import parse_html

    return parse_html(source, data)


def _json(source: str, data: bytes, options: LoadOptions) -> tuple[list[Article], list]:
    from bot.loaders.jsonfeed import parse_json

    return parse_json(source, data, options.fields)


def _jsonl(source: str, data: bytes, options: LoadOptions) -> tuple[list[Article], list]:
    from bot.loaders.jsonfeed import parse_jsonl

    return parse_jsonl(source, data, options.fields, by_content=source in (STDIN, STDIN_KEY))


def _feed(source: str, data: bytes, options: LoadOptions) -> tuple[list[Article], list]:
    from bot.loaders.feeds import parse_feed

    return parse_feed(source, data)


_SINGLE: dict[str, Callable[[str, bytes], Article]] = {
    "text": _text,
    "markdown": _markdown,
    "html": _html,
}
_MULTI: dict[str, Callable[[str, bytes, LoadOptions], tuple[list[Article], list]]] = {
    "json": _json,
    "jsonl": _jsonl,
    "feed": _feed,
}
