"""Dump, for every dev question, the candidate sentences and their scoring features.

    python bench/tune_features.py ../shared/eval/dev --out bench/out/features.json

`bench/tune.py` then searches weights and decline thresholds on the dump, so tuning runs
in seconds without the model. Uses the same retrieval and features as `newsbot ask`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from bot.config import Settings
from bot.core import Newsbot
from bot.evaluate import default_index, load_questions, normalize
from bot.index.embedded import EmbeddedIndex
from bot.ingest import ingest
from bot.query import parse_query
from bot.retrieval import Retriever
from bot.terms import content_terms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("evalset", type=Path, help="folder with corpus/ and questions.jsonl")
    parser.add_argument("--out", type=Path, default=Path("bench/out/features.json"))
    args = parser.parse_args()
    corpus = args.evalset / "corpus"
    settings = Settings(index=default_index(corpus))
    bot = Newsbot(settings)
    store = EmbeddedIndex.open(
        settings.index, fingerprint=bot.encoder.fingerprint, dim=bot.encoder.dim, create=True
    )
    ingest([str(corpus)], store, bot.encoder)
    questions = load_questions(args.evalset / "questions.jsonl")
    retriever = Retriever(store, bot.encoder)
    rows = []
    for q in questions:
        query = parse_query(q.question, q.question_date)
        r = retriever.search(query, k_articles=10)
        sentences = store.sentences(p.chunk.id for p in r.passages)
        by_chunk = {p.chunk.id: p for p in r.passages}
        q_terms = sorted(set(content_terms(query.text)))
        texts = [by_chunk[s.chunk_id].article.body[s.start : s.end] for s in sentences]
        alone = bot.encoder.encode(texts) if texts else np.zeros((0, bot.encoder.dim))
        cands = []
        for s, text, vec_alone in zip(sentences, texts, alone, strict=True):
            p = by_chunk[s.chunk_id]
            terms = set(content_terms(text))
            cands.append(
                {
                    "sim": float(s.vector @ r.query_vector),
                    "sim_alone": float(vec_alone @ r.query_vector),
                    "matched": [t for t in q_terms if t in terms],
                    "rank": p.rank,
                    "pscore": p.score,
                    "start": s.start,
                    "words": len(text.split()),
                    "article": Path(p.article.source_path).name,
                    "chunk": s.chunk_id,
                    "sid": s.id,
                    "correct": any(normalize(a) in normalize(text) for a in q.answers),
                    "text": text,
                }
            )
        rows.append(
            {
                "id": q.id,
                "question": q.question,
                "answerable": q.answerable,
                "answers": list(q.answers),
                "gold": sorted(q.evidence_files),
                "q_terms": q_terms,
                "idf": {t: r.lexical.idf(t) if r.lexical else 1.0 for t in q_terms},
                "retrieved": [Path(a.source_path).name for a, _ in r.articles],
                "candidates": cands,
            }
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows), encoding="utf-8")
    print(f"{len(rows)} questions -> {args.out}")


if __name__ == "__main__":
    main()
