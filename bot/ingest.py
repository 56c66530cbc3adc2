"""Files -> articles -> chunks -> vectors -> one atomic commit to the index.

Unchanged files are recognised by their byte hash and not parsed again; unchanged
chunk texts reuse their stored vectors. A bad file is reported and skipped; the rest
goes through.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.articles import Article
from bot.chunking import Chunk, chunk_article, context_prefix
from bot.embeddings import Encoder
from bot.errors import ArticleError
from bot.loaders import expand_paths, load_articles
from bot.store import Store, Writer

log = logging.getLogger(__name__)

EMBED_BATCH_CHUNKS = 256  # chunks gathered before a forward pass; bounds memory


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[ArticleError] = field(default_factory=list)
    files: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    seconds: float = 0.0
    generation: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed


Progress = Callable[[str, int, int], None]  # (current file, files done, files total)


@dataclass
class _Pending:
    article: Article
    path: str
    item: str
    status: str  # "added" or "updated"


def file_key(path: Path) -> str:
    """How a file is known in the index: its absolute path."""
    return str(path.resolve())


def ingest(
    paths: Iterable[str],
    store: Store,
    encoder: Encoder,
    *,
    prune: bool = False,
    max_bytes: int = 20 * 1024 * 1024,
    lock_timeout: float = 0.0,
    progress: Progress | None = None,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    files, errors = expand_paths(paths)
    report.failed.extend(errors)
    report.files = len(files)
    with store.writer(lock_timeout) as writer:
        run = _Run(writer, encoder, report)
        for done, path in enumerate(files):
            if progress:
                progress(str(path), done, len(files))
            run.file(path, max_bytes)
        run.flush()
        if prune:
            report.removed += _prune(writer)
        report.generation = writer.commit()
    if progress:
        progress("", len(files), len(files))
    report.seconds = time.perf_counter() - started
    return report


def _prune(writer: Writer) -> int:
    removed = 0
    for path in writer.known_files():
        if not Path(path).exists():
            removed += writer.forget_file(path)
    return removed


class _Run:
    """State of one ingest: articles waiting for vectors, and vectors made this run."""

    def __init__(self, writer: Writer, encoder: Encoder, report: IngestReport) -> None:
        self.writer = writer
        self.encoder = encoder
        self.report = report
        self.pending: dict[str, list[_Pending]] = {}  # content hash -> sources waiting
        self.pending_chunks = 0
        self.fresh: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def file(self, path: Path, max_bytes: int) -> None:
        key = file_key(path)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise ArticleError(
                    str(path),
                    f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit",
                )
            data = path.read_bytes()
        except OSError as exc:
            self.report.failed.append(ArticleError(str(path), f"cannot read: {exc.strerror}"))
            return
        except ArticleError as exc:
            self.report.failed.append(exc)
            return
        digest = hashlib.sha256(data).hexdigest()
        if self.writer.file_hash(key) == digest:
            self.report.unchanged += len(self.writer.source_articles(key))
            return
        try:
            articles = list(load_articles(key, data))
        except ArticleError as exc:
            exc.source = str(path)
            self.report.failed.append(ArticleError(str(path), exc.reason, exc.line))
            return
        self._articles(key, articles)
        self.writer.set_file(key, digest, len(data))

    def _articles(self, key: str, articles: Sequence[Article]) -> None:
        before = self.writer.source_articles(key)
        for article in articles:
            status = "updated" if article.item in before else "added"
            existing = self.writer.article_id(article.content_hash)
            if existing is not None:
                self.writer.link_source(key, article.item, existing)
                if before.get(article.item) == existing:
                    self.report.unchanged += 1
                else:
                    self._count(status)
            else:
                self._queue(_Pending(article, key, article.item, status))
        self.writer.unlink_sources(key, keep_items=[a.item for a in articles])

    def _count(self, status: str) -> None:
        setattr(self.report, status, getattr(self.report, status) + 1)

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
        prepared = [_prepare(group[0].article) for group in groups]
        needed = {h: (t, s) for _, texts in prepared for h, t, s in texts}
        cached = self.writer.cached_vectors(h for h in needed if h not in self.fresh)
        cached.update({h: self.fresh[h] for h in needed if h in self.fresh})
        todo = [h for h in needed if h not in cached]
        if todo:
            vecs, sent_vecs = self.encoder.encode_with_sentences(
                [needed[h][0] for h in todo], [needed[h][1] for h in todo]
            )
            for h, v, sv in zip(todo, vecs, sent_vecs, strict=True):
                self.fresh[h] = cached[h] = (v, sv)
        self.report.chunks_embedded += len(todo)
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
                self._count(p.status)


def _prepare(article: Article) -> tuple[list[Chunk], list[tuple[str, str, list[tuple[int, int]]]]]:
    """Chunks plus, per chunk, (hash of embedded text, embedded text, sentence spans in it)."""
    chunks = chunk_article(article)
    prefix = context_prefix(article)
    texts = []
    for chunk in chunks:
        text = prefix + article.body[chunk.start : chunk.end]
        shift = len(prefix) - chunk.start
        spans = [(s + shift, e + shift) for s, e in chunk.sentences]
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        texts.append((digest, text, spans))
    return chunks, texts
