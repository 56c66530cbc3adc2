"""What dense retrieval would lose without chunk vectors: `newsbot eval` over an existing
embedded index whose dense search is replaced by one over the stored sentence vectors (a
chunk scored by its best sentence, or, with `--context`, by its article's context line when
that is closer). Ingest would then embed only sentences and one line per article, about
half the word pieces (docs/performance.md, "Ingest against the LangChain tutorial").

    python bench/sentence_only_dense.py INDEX QUESTIONS CORPUS [--context] [--scores-json F]

The index must already hold CORPUS (eval then ingests nothing). Compare with plain
`newsbot --index INDEX eval QUESTIONS --corpus CORPUS`."""

from __future__ import annotations

import argparse
import sqlite3
from typing import Any

import numpy as np

from bot.chunking import context_prefix
from bot.embeddings import get_encoder
from bot.index.embedded import EmbeddedIndex
from bot.index.embedded_schema import DB_NAME


class SentenceDense:
    """Sentence vectors and context-line vectors of one index, searched per chunk."""

    def __init__(self, store: EmbeddedIndex, context: bool) -> None:
        db = sqlite3.connect(store.directory / DB_NAME)
        rows = db.execute("SELECT chunk_id, vector FROM sentences ORDER BY id").fetchall()
        chunks = db.execute("SELECT id, article_id FROM chunks ORDER BY id").fetchall()
        self.chunk_ids = np.asarray([c[0] for c in chunks], np.int64)
        row_of = {c: n for n, c in enumerate(self.chunk_ids.tolist())}
        self.sentence_rows = np.asarray([row_of[r[0]] for r in rows], np.int64)
        self.sentences = np.stack([np.frombuffer(r[1], np.float32) for r in rows])
        self.lines: np.ndarray | None = None
        if context:
            articles = store.articles(sorted({c[1] for c in chunks}))
            order = sorted(articles)
            lines = [context_prefix(articles[i]).strip() for i in order]  # type: ignore[arg-type]
            vectors = get_encoder("minilm").encode(lines)
            at = {a: n for n, a in enumerate(order)}
            self.lines = vectors[[at[c[1]] for c in chunks]]
        what = " and context lines" if context else ""
        print(f"dense search over {len(rows)} sentence vectors{what} ({len(chunks)} chunks)")

    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None) -> Any:
        q = np.asarray(vector, np.float32).reshape(-1)
        best = np.full(len(self.chunk_ids), -2.0, np.float32)
        np.maximum.at(best, self.sentence_rows, self.sentences @ q)
        if self.lines is not None:
            best = np.maximum(best, self.lines @ q)
        ids = self.chunk_ids
        if allowed is not None:
            keep = np.isin(ids, allowed)
            ids, best = ids[keep], best[keep]
        order = np.argsort(-best)[:k]
        return best[order], ids[order]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index")
    parser.add_argument("questions")
    parser.add_argument("corpus")
    parser.add_argument("--context", action="store_true", help="also the context line")
    parser.add_argument("--scores-json")
    args = parser.parse_args()
    searches: dict[int, SentenceDense] = {}

    def dense_search(self: EmbeddedIndex, vector: np.ndarray, k: int, allowed: Any = None) -> Any:
        if id(self) not in searches:
            searches[id(self)] = SentenceDense(self, args.context)
        return searches[id(self)].search(vector, k, allowed)

    EmbeddedIndex.dense_search = dense_search  # type: ignore[method-assign]
    from bot.cli import app

    extra = ["--scores-json", args.scores_json] if args.scores_json else []
    app(["--index", args.index, "eval", args.questions, "--corpus", args.corpus, *extra])


if __name__ == "__main__":
    main()
