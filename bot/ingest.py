"""Files, feeds and standard input -> articles -> chunks -> vectors -> one atomic commit.

Unchanged files are recognised by their byte hash and not parsed again; unchanged
chunk texts reuse their stored vectors. A bad file (or a bad line of a JSON Lines file,
or a bad feed entry) is reported and skipped; the rest goes through.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from bot.articles import Article
from bot.chunking import Chunk, chunk_article, context_prefix
from bot.embeddings import SENTENCE_VECTORS, Encoder
from bot.errors import ArticleError
from bot.index import IndexReader, IndexWriter
from bot.loaders import (
    MB,
    STDIN,
    STDIN_KEY,
    Loaded,
    LoadOptions,
    expand_paths,
    load_source,
    megabytes,
)
from bot.loaders.feeds import fetch_url, is_url

log = logging.getLogger(__name__)

EMBED_BATCH_CHUNKS = 256  # chunks gathered before a forward pass; bounds memory
EMBED_SLICE = 64  # chunks per encoder call; progress is reported between calls
PARTIAL = "partial:"  # file hash prefix of a file with bad items: read it again next time


@dataclass
class IngestReport:
    """What an ingest did, counted in articles: a file that holds the very same article
    as another source (text and metadata) adds a source to it, counted in `copies`."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    copies: int = 0  # sources stored as one more source of an article another one gave
    failed: list[ArticleError] = field(default_factory=list)
    files: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    seconds: float = 0.0
    generation: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def articles(self) -> int:
        """Articles this run looked at (new, changed or not)."""
        return self.added + self.updated + self.unchanged


# (current source, sources done, sources total, the report so far); called before each
# source and again between encoder calls while a source's articles are embedded.
Progress = Callable[[str, int, int, IngestReport], None]


@dataclass(frozen=True)
class Source:
    """One input: `key` is how the index knows it (absolute path, URL, <stdin>),
    `label` how the user named it (for messages)."""

    key: str
    label: str
    read: Callable[[int], bytes]  # max bytes -> data; raises ArticleError or OSError
    is_file: bool = True


@dataclass
class _Pending:
    article: Article
    path: str
    item: str
    status: str  # "added" or "updated"


Shard = tuple[int, int]  # (K, N): the K-th of N shares, 1 <= K <= N


def in_shard(key: str, shard: Shard) -> bool:
    """Whether the source known as `key` is in share K of N: by a hash of the key, so
    every worker, on any machine, splits the same sources the same way."""
    k, n = shard
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") % n == k - 1


def parse_shard(value: str) -> Shard:
    """'K/N' -> (K, N)."""
    from bot.errors import ConfigError

    k, sep, n = value.partition("/")
    if not (sep and k.strip().isdigit() and n.strip().isdigit()) or not 1 <= int(k) <= int(n):
        raise ConfigError(f"--shard must be K/N with 1 <= K <= N, e.g. 1/4, not {value!r}")
    return int(k), int(n)


def file_key(path: Path) -> str:
    """How a file is known in the index: its absolute path."""
    return str(path.resolve())


def gather_sources(
    paths: Iterable[str], *, stdin: BinaryIO | None = None, fetch_timeout: float = 20.0
) -> tuple[list[Source], list[ArticleError]]:
    """Files (directories walked, globs expanded), feed URLs, and `-` for standard input."""
    sources: list[Source] = []
    plain: list[str] = []
    for raw in paths:
        if raw == STDIN:
            stream = stdin if stdin is not None else sys.stdin.buffer
            sources.append(Source(STDIN_KEY, STDIN_KEY, _stream_reader(stream), is_file=False))
        elif is_url(raw):
            sources.append(Source(raw, raw, _url_reader(raw, fetch_timeout), is_file=False))
        else:
            plain.append(raw)
    files, errors = expand_paths(plain)
    sources += [Source(file_key(f), str(f), _file_reader(f)) for f in files]
    return sources, errors


def _file_reader(path: Path) -> Callable[[int], bytes]:
    def read(max_bytes: int) -> bytes:
        size = path.stat().st_size
        if size > max_bytes:
            raise ArticleError(
                str(path), f"file is {megabytes(size)}, over the {megabytes(max_bytes)} limit"
            )
        return path.read_bytes()

    return read


def _stream_reader(stream: BinaryIO) -> Callable[[int], bytes]:
    def read(max_bytes: int) -> bytes:
        data = stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ArticleError(STDIN_KEY, f"input is over the {megabytes(max_bytes)} limit")
        return data

    return read


def _url_reader(url: str, timeout: float) -> Callable[[int], bytes]:
    return lambda max_bytes: fetch_url(url, timeout=timeout, max_bytes=max_bytes)


def ingest(
    paths: Iterable[str],
    store: IndexReader,
    encoder: Encoder,
    *,
    prune: bool = False,
    max_bytes: int = 20 * MB,
    lock_timeout: float = 0.0,
    progress: Progress | None = None,
    options: LoadOptions | None = None,
    stdin: BinaryIO | None = None,
    fetch_timeout: float = 20.0,
    shard: Shard | None = None,
) -> IngestReport:
    """`shard` (K, N): only the K-th of N stable shares of the sources, so that N
    workers fill one shared index together (and `prune` only within that share)."""
    started = time.perf_counter()
    report = IngestReport()
    sources, errors = gather_sources(paths, stdin=stdin, fetch_timeout=fetch_timeout)
    if shard is not None:
        sources = [s for s in sources if in_shard(s.key, shard)]
    report.failed.extend(errors)
    report.files = len(sources)
    with store.writer(lock_timeout) as writer:
        run = _Run(writer, encoder, report, options or LoadOptions())
        for done, source in enumerate(sources):
            if progress:
                progress(source.label, done, len(sources), report)
                # A long source (a big JSON Lines file) reports while it is embedded too.
                run.tick = functools.partial(progress, source.label, done, len(sources), report)
            run.source(source, max_bytes)
        run.flush()
        if prune:
            report.removed += _prune(writer, shard)
        report.generation = writer.commit()
    report.seconds = time.perf_counter() - started
    if progress:
        progress("", len(sources), len(sources), report)
    return report


def _prune(writer: IndexWriter, shard: Shard | None) -> int:
    removed = 0
    for path in writer.known_files():
        if shard is not None and not in_shard(path, shard):
            continue  # another worker's share: its files may live on another machine
        # Only files can be gone; feed URLs stay until removed with `newsbot rm`.
        if Path(path).is_absolute() and not Path(path).exists():
            removed += writer.forget_source(path)
    return removed


class _Run:
    """State of one ingest: articles waiting for vectors, and vectors made this run."""

    def __init__(
        self, writer: IndexWriter, encoder: Encoder, report: IngestReport, options: LoadOptions
    ) -> None:
        self.writer = writer
        self.encoder = encoder
        self.report = report
        self.options = options
        self.pending: dict[str, list[_Pending]] = {}  # content hash -> sources waiting
        self.pending_chunks = 0
        self.fresh: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.unchanged: set[int] = set()  # articles seen unchanged, once however many sources
        self.tick: Callable[[], None] = lambda: None  # called between encoder calls

    def source(self, source: Source, max_bytes: int) -> None:
        try:
            data = source.read(max_bytes)
        except OSError as exc:
            self._fail(ArticleError(source.label, f"cannot read: {exc.strerror or exc}"))
            return
        except ArticleError as exc:
            self._fail(ArticleError(source.label, exc.reason, exc.line))
            return
        digest = hashlib.sha256(data).hexdigest()
        if source.key != STDIN_KEY and self.writer.file_hash(source.key) == digest:
            self._unchanged(self.writer.source_articles(source.key).values())
            return
        try:
            loaded = load_source(source.key, data, self.options)
        except ArticleError as exc:
            self._fail(ArticleError(source.label, exc.reason, exc.line))
            return
        for error in loaded.errors:
            self._fail(ArticleError(source.label, error.reason, error.line))
        self._articles(source.key, loaded)
        if source.key != STDIN_KEY:
            # A file with bad items is read again next time, so its errors are not forgotten.
            self.writer.set_file(source.key, (PARTIAL if loaded.errors else "") + digest, len(data))

    def _fail(self, error: ArticleError) -> None:
        log.info("failed: %s", error)
        self.report.failed.append(error)

    def _articles(self, key: str, loaded: Loaded) -> None:
        before = self.writer.source_articles(key)
        for article in loaded.articles:
            status = "updated" if article.item in before else "added"
            existing = self.writer.article_id(article.content_hash)
            if existing is not None:
                self.writer.link_source(key, article.item, existing)
                if before.get(article.item) == existing:
                    self._unchanged([existing])
                elif status == "updated":
                    self.report.updated += 1  # the item now reads as another stored article
                else:
                    self.report.copies += 1  # one more source of an article already stored
            else:
                self._queue(_Pending(article, key, article.item, status))
        if loaded.additive or loaded.errors:
            return  # nothing is removed on the word of a rolling feed or a damaged file
        kept = {a.item for a in loaded.articles}
        if set(before) - kept:
            # Items that vanished from the file: their articles leave unless linked elsewhere.
            count_before = self.writer.article_count()
            self.writer.unlink_sources(key, keep_items=kept)
            self.report.removed += count_before - self.writer.article_count()

    def _unchanged(self, article_ids: Iterable[int]) -> None:
        self.unchanged.update(article_ids)
        self.report.unchanged = len(self.unchanged)

    def _queue(self, pending: _Pending) -> None:
        same_story = self.pending.setdefault(pending.article.content_hash, [])
        same_story.append(pending)
        if len(same_story) == 1:
            self.pending_chunks += max(1, len(pending.article.body) // 600)
        if self.pending_chunks >= EMBED_BATCH_CHUNKS:
            self.flush()

    def flush(self) -> None:
        """Embed what is pending (reusing known vectors) and write the articles."""
        groups = list(self.pending.values())
        self.pending, self.pending_chunks = {}, 0
        if not groups:
            return
        prepared = [prepare(group[0].article) for group in groups]
        needed = {h: (t, s) for _, texts in prepared for h, t, s in texts}
        cached = self.writer.cached_vectors(h for h in needed if h not in self.fresh)
        cached.update({h: self.fresh[h] for h in needed if h in self.fresh})
        # Longest-first across the whole gathering, so each encoder call pads as little as
        # one call over all of them would (bench/ingest_speed.py measures the difference).
        todo = sorted((h for h in needed if h not in cached), key=lambda h: -len(needed[h][0]))
        for i in range(0, len(todo), EMBED_SLICE):
            part = todo[i : i + EMBED_SLICE]
            vecs, sent_vecs = self.encoder.encode_with_sentences(
                [needed[h][0] for h in part], [needed[h][1] for h in part]
            )
            for h, v, sv in zip(part, vecs, sent_vecs, strict=True):
                self.fresh[h] = cached[h] = (v, sv)
            self.report.chunks_embedded += len(part)
            self.tick()
        self.report.chunks_reused += sum(len(t) for _, t in prepared) - len(todo)
        for group, (chunks, texts) in zip(groups, prepared, strict=True):
            hashes = [h for h, _, _ in texts]
            article_id = self.writer.add_article(
                group[0].article,
                chunks,
                hashes,
                np.stack([cached[h][0] for h in hashes]) if hashes else np.zeros((0, 0)),
                [cached[h][1] for h in hashes],
            )
            for p in group:
                self.writer.link_source(p.path, p.item, article_id)
            # One article, however many sources gave it this run.
            if any(p.status == "updated" for p in group):
                self.report.updated += 1
            else:
                self.report.added += 1
            self.report.copies += len(group) - 1


EmbedText = tuple[str, str, list[tuple[int, int]]]  # (hash, text, sentence spans in it)


def prepare(article: Article, prefix: str | None = None) -> tuple[list[Chunk], list[EmbedText]]:
    """Chunks plus, per chunk, (hash of embedded text, embedded text, sentence spans in it).

    `prefix` defaults to the article's context line (headline, outlet, date)."""
    chunks = chunk_article(article)
    prefix = context_prefix(article) if prefix is None else prefix
    texts = []
    for chunk in chunks:
        text = prefix + article.body[chunk.start : chunk.end]
        shift = len(prefix) - chunk.start
        spans = [(s + shift, e + shift) for s, e in chunk.sentences]
        # The recipe of the sentence vectors is part of the key, so vectors made another
        # way are never reused for this text.
        digest = hashlib.sha256(f"{SENTENCE_VECTORS}\n{text}".encode()).hexdigest()
        texts.append((digest, text, spans))
    return chunks, texts
