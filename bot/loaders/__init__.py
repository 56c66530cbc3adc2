"""Turn files into Articles. One module per format; this module picks the loader."""

from __future__ import annotations

import glob
from collections.abc import Iterable, Iterator
from pathlib import Path

from bot.articles import Article
from bot.errors import ArticleError
from bot.loaders.text import decode_text, parse_text_article

TEXT_SUFFIXES = {".txt", ".text", ""}


def expand_paths(paths: Iterable[str]) -> tuple[list[Path], list[ArticleError]]:
    """Expand directories (recursively) and globs into a sorted list of files.

    Paths that match nothing are reported as errors rather than silently skipped.
    """
    files: list[Path] = []
    errors: list[ArticleError] = []
    for raw in paths:
        matches = sorted(glob.glob(raw, recursive=True)) if glob.has_magic(raw) else [raw]
        if not matches:
            errors.append(ArticleError(raw, "no file matches this pattern"))
        for match in matches:
            path = Path(match)
            if path.is_dir():
                files.extend(p for p in sorted(path.rglob("*")) if _is_article_file(p))
            elif path.is_file():
                files.append(path)
            else:
                errors.append(ArticleError(raw, "no such file or directory"))
    return _unique(files), errors


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


def load_articles(source: str, data: bytes) -> Iterator[Article]:
    """Parse one file's bytes. Raises ArticleError when nothing usable is in it."""
    suffix = Path(source).suffix.lower()
    if suffix not in SUFFIXES:
        raise ArticleError(source, f"unsupported file type {suffix!r}")
    yield parse_text_article(decode_text(source, data), source)


SUFFIXES = TEXT_SUFFIXES
