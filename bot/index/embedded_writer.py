"""One ingest into the embedded index: rows go into an open SQLite transaction, vectors
into a private copy of the FAISS index; `commit` writes the next generation's FAISS file
and BM25 folder, then commits the rows (see bot/index/embedded.py for why that order)."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot import index_health, vectors
from bot.articles import Article
from bot.chunking import Chunk
from bot.dates import to_iso
from bot.index import derived
from bot.index.embedded_schema import DB_NAME, connect, now
from bot.index.story_groups import assign_story
from bot.terms import content_terms

if TYPE_CHECKING:
    from bot.index.embedded import EmbeddedIndex

log = logging.getLogger(__name__)


class EmbeddedWriter:
    def __init__(self, index: EmbeddedIndex) -> None:
        self.store = index
        self.conn = connect(index.directory / DB_NAME)
        self.conn.execute("BEGIN IMMEDIATE")
        self.base_generation = index.generation()
        # A private copy: readers keep searching the committed index meanwhile.
        try:
            self.index, damage = index_health.load_vectors(
                index.vector_path(self.base_generation),
                self.base_generation,
                index.dim,
                self._q,
                index.build_vectors,
            )
        except FileNotFoundError:
            self.index, damage = index.load_vectors(self.base_generation), None
        self._removed_chunks: list[int] = []
        self._new_file: Path | None = None
        self._new_lexical: Path | None = None
        self.changed = damage is not None  # a damaged file is replaced by this commit
        self._done = False

    def _q(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        return self.conn.execute(sql, params).fetchall()

    # files: their hash decides whether a file needs parsing at all
    def file_hash(self, path: str) -> str | None:
        rows = self._q("SELECT file_hash FROM files WHERE path=?", (path,))
        return rows[0][0] if rows else None

    def set_file(self, path: str, file_hash: str, size: int) -> None:
        self.conn.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET "
            "file_hash=excluded.file_hash, size=excluded.size, ingested_at=excluded.ingested_at",
            (path, file_hash, size, now()),
        )

    def forget_hashes(self, paths: Iterable[str]) -> None:
        self.conn.executemany("UPDATE files SET file_hash='' WHERE path=?", [(p,) for p in paths])

    def known_files(self) -> list[str]:
        return [r[0] for r in self._q("SELECT path FROM files")]

    def article_count(self) -> int:
        self._collect_orphans()
        return int(self._q("SELECT count(*) FROM articles")[0][0])

    # articles and their sources
    def article_id(self, content_hash: str) -> int | None:
        rows = self._q("SELECT id FROM articles WHERE content_hash=?", (content_hash,))
        return rows[0][0] if rows else None

    def source_articles(self, path: str) -> dict[str, int]:
        return dict(self._q("SELECT item, article_id FROM sources WHERE path=?", (path,)))

    def link_source(self, path: str, item: str, article_id: int) -> None:
        self.conn.execute(
            "INSERT INTO sources VALUES (?, ?, ?) ON CONFLICT(path, item) DO UPDATE SET "
            "article_id=excluded.article_id",
            (path, item, article_id),
        )
        self.changed = True

    def unlink_sources(self, path: str, keep_items: Iterable[str] = ()) -> None:
        keep = list(keep_items)
        marks = ",".join("?" * len(keep))
        extra = f" AND item NOT IN ({marks})" if keep else ""
        cur = self.conn.execute(f"DELETE FROM sources WHERE path=?{extra}", (path, *keep))
        if cur.rowcount:
            self.changed = True

    def add_article(
        self,
        article: Article,
        chunks: Sequence[Chunk],
        embed_hashes: Sequence[str],
        chunk_vectors: np.ndarray,
        sentence_vectors: Sequence[np.ndarray],
        *,
        content_hash: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> int:
        a = article
        cur = self.conn.execute(
            "INSERT INTO articles (content_hash, headline, body, outlet, byline, published, "
            "updated, url, published_ts, credits, captions, added_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                content_hash or a.content_hash, a.headline, a.body, a.outlet, a.byline,
                to_iso(a.published), to_iso(a.updated), a.url,
                a.published.timestamp() if a.published else None,
                json.dumps(list(a.credits)), json.dumps(list(a.captions)), now(),
            ),
        )  # fmt: skip
        article_id = int(cur.lastrowid or 0)
        story_id, keys = assign_story(article_id, a.body, a.text_hash, self)
        self.conn.executemany(
            "INSERT INTO story_bands VALUES (?, ?)", [(k, article_id) for k in keys]
        )
        self.conn.execute(
            "INSERT INTO article_meta VALUES (?, ?, ?)",
            (article_id, story_id, json.dumps(extra or {}, ensure_ascii=False, sort_keys=True)),
        )
        chunk_ids = []
        for chunk, embed_hash, vec, sent_vecs in zip(
            chunks, embed_hashes, chunk_vectors, sentence_vectors, strict=True
        ):
            terms = " ".join(content_terms(f"{a.headline}\n{a.body[chunk.start : chunk.end]}"))
            cur = self.conn.execute(
                "INSERT INTO chunks (article_id, ord, start_char, end_char, embed_hash, terms, "
                "vector) VALUES (?,?,?,?,?,?,?)",
                (article_id, chunk.ord, chunk.start, chunk.end, embed_hash, terms,
                 derived.blob(vec)),
            )  # fmt: skip
            chunk_id = int(cur.lastrowid or 0)
            chunk_ids.append(chunk_id)
            self.conn.executemany(
                "INSERT INTO sentences (chunk_id, article_id, start_char, end_char, vector) "
                "VALUES (?,?,?,?,?)",
                [
                    (chunk_id, article_id, s, e, derived.blob(sv))
                    for (s, e), sv in zip(chunk.sentences, sent_vecs, strict=True)
                ],
            )
        if chunk_ids:
            vectors.add(self.index, np.asarray(chunk_vectors), np.asarray(chunk_ids, np.int64))
        self.changed = True
        return article_id

    # story grouping reads (bot/index/story_groups.py)
    def story_with_band(self, key: int) -> int | None:
        same = self._q(
            "SELECT m.story_id FROM story_bands b JOIN article_meta m "
            "ON m.article_id = b.article_id WHERE b.band_key = ? LIMIT 1",
            (key,),
        )
        return same[0][0] if same else None

    def candidates(self, keys: list[int], limit: int) -> list[tuple[int, str]]:
        marks = ",".join("?" * len(keys))
        return [
            (r[0], r[1])
            for r in self._q(
                "SELECT a.id, a.body FROM articles a WHERE a.id IN (SELECT article_id FROM "
                f"story_bands WHERE band_key IN ({marks}) GROUP BY article_id "
                f"ORDER BY count(*) DESC LIMIT {int(limit)})",
                keys,
            )
        ]

    def story_of(self, article_id: int) -> int:
        return int(
            self._q("SELECT story_id FROM article_meta WHERE article_id=?", (article_id,))[0][0]
        )

    def cached_vectors(
        self, embed_hashes: Iterable[str]
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        wanted = list(set(embed_hashes))
        found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            marks = ",".join("?" * len(part))
            for chunk_id, embed_hash, data in self._q(
                f"SELECT id, embed_hash, vector FROM chunks WHERE embed_hash IN ({marks})", part
            ):
                if embed_hash in found:
                    continue
                sents = self._q(
                    "SELECT vector FROM sentences WHERE chunk_id=? ORDER BY id", (chunk_id,)
                )
                found[embed_hash] = (
                    derived.from_blob(data),
                    np.stack([derived.from_blob(s[0]) for s in sents])
                    if sents
                    else np.zeros((0, 0)),
                )
        return found

    def forget_source(self, path: str, item: str | None = None) -> int:
        before = self.article_count()
        if item is None:
            self.conn.execute("DELETE FROM files WHERE path=?", (path,))
            self.conn.execute("DELETE FROM sources WHERE path=?", (path,))
        else:
            self.conn.execute("DELETE FROM sources WHERE path=? AND item=?", (path, item))
        self.changed = True
        return before - self.article_count()

    def remove_article(self, article_id: int) -> None:
        self.conn.execute("DELETE FROM sources WHERE article_id=?", (article_id,))
        self._collect_orphans()

    def _collect_orphans(self) -> None:
        """Delete articles no source points to any more, with their chunks and vectors."""
        orphans = [
            r[0]
            for r in self._q(
                "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM sources)"
            )
        ]
        if not orphans:
            return
        marks = ",".join("?" * len(orphans))
        self._removed_chunks += [
            r[0] for r in self._q(f"SELECT id FROM chunks WHERE article_id IN ({marks})", orphans)
        ]
        self.conn.execute(f"DELETE FROM articles WHERE id IN ({marks})", orphans)
        self.changed = True

    def commit(self) -> int:
        self._collect_orphans()
        if not self.changed:
            self.rollback()
            return self.base_generation
        vectors.remove(self.index, self._removed_chunks)
        live = int(self._q("SELECT count(*) FROM chunks")[0][0])
        rebuild_as = vectors.plan(self.index, self.store.index_type, live)
        if rebuild_as is not None:
            log.info("rebuilding the vector index as %s for %d vectors", rebuild_as, live)
            self.index = derived.build_vectors(
                self.conn, self.store.dim, self.store.index_type, rebuild_as
            )
        generation = self.base_generation + 1
        self._new_file = self.store.vector_path(generation)
        vectors.save(self.index, self._new_file)
        self._new_lexical = self.store.lexical_path(generation)
        lexical = derived.build_lexical(self.conn)
        lexical.save(self._new_lexical)
        index_health.record_derived(
            self.conn, generation, self._new_file, self.index, self._new_lexical, lexical.n
        )
        self.conn.execute("UPDATE meta SET value=? WHERE key='generation'", (str(generation),))
        self.conn.execute("COMMIT")  # the moment the new generation exists
        self._done = True
        self.conn.close()
        self._drop_old_files(keep={generation, generation - 1})
        return generation

    def rollback(self) -> None:
        if self._done:
            return
        self._done = True
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self.conn.close()
        if self._new_file is not None:
            self._new_file.unlink(missing_ok=True)
        if self._new_lexical is not None:
            shutil.rmtree(self._new_lexical, ignore_errors=True)

    def _drop_old_files(self, keep: set[int]) -> None:
        """Old generations (and leftovers of crashed ingests) are deleted; the previous one
        stays a little longer for readers that are loading it right now."""
        for path in [
            *self.store.directory.glob("*vectors.*"),
            *self.store.directory.glob("*lexical.*"),
        ]:
            parts = path.name.split(".")
            if path.name.startswith(".") or not parts[1].isdigit() or int(parts[1]) not in keep:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
