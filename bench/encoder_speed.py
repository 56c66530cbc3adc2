"""The int8 encoder (minilm-int8) against the float model (minilm): speed and recall.

    .venv/bin/python bench/encoder_speed.py ../shared/eval/dev
    .venv/bin/python bench/encoder_speed.py ../shared/eval/dev --articles 300 --repeats 5

Speed: newsbot's encoder pass (`encode_with_sentences`, what ingest runs) over the chunk
texts of generated news-length articles, twice in each process: the first pass of a fresh
process, and a second, warm one (what an overnight ingest runs at after its first minute;
the int8 kernels are markedly slower on their first pass). Then the time to embed one
question (what every answer waits for). Each encoder in its own process, alternating,
medians of --repeats; the speed-up is judged on the warm pass.
Quality: `newsbot eval` on the evaluation set with each encoder (an index of its own per
encoder, kept in --cache), article recall@5 and the rest of its table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import load_note, median, run_child, table
from ingest_speed import chunk_texts
from newsgen import write_corpus

ENCODERS = ("minilm", "minilm-int8")


def worker(name: str, corpus: Path, questions: list[str]) -> dict[str, float]:
    from bot.embeddings import get_encoder

    encoder = get_encoder(name)
    encoder.encode(["warm up"])
    texts, spans = chunk_texts(corpus)
    seconds = []
    for _ in range(2):  # a fresh process's first pass, then a warm one
        started = time.perf_counter()
        encoder.encode_with_sentences(texts, spans)
        seconds.append(time.perf_counter() - started)
    query_ms = []
    for q in questions:
        t = time.perf_counter()
        encoder.encode([q])
        query_ms.append((time.perf_counter() - t) * 1000)
    return {
        "first_chunks_per_s": len(texts) / seconds[0],
        "chunks_per_s": len(texts) / seconds[1],
        "chunks": len(texts),
        "query_ms": median(query_ms),
    }


def eval_scores(evalset: Path, encoder: str, cache: Path) -> dict[str, str]:
    newsbot = shutil.which("newsbot", path=str(Path(sys.executable).parent)) or "newsbot"
    env = {**os.environ, "NEWSBOT_ENCODER": encoder}
    index = cache / f"eval-{evalset.resolve().name}-{encoder}"
    scores = cache / f"scores-{evalset.resolve().name}-{encoder}.json"
    subprocess.run(
        [newsbot, "--index", str(index), "eval", str(evalset / "questions.jsonl"),
         "--corpus", str(evalset / "corpus"), "--scores-json", str(scores)],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    overall = json.loads(scores.read_text(encoding="utf-8"))["all"]
    return {
        "article recall@1": f"{overall['recall']['1']:.3f}",
        "article recall@5": f"{overall['recall']['5']:.3f}",
        "answer accuracy": f"{overall['accuracy']:.3f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("evalset", type=Path, help="folder with corpus/ and questions.jsonl")
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "newsbot-bench")
    parser.add_argument("--worker", choices=ENCODERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    corpus = args.cache / f"news-{args.articles}"
    questions = write_corpus(corpus, args.articles)[:100]
    if args.worker:
        print(json.dumps(worker(args.worker, corpus, questions)))
        return

    runs: dict[str, list[dict[str, float]]] = {e: [] for e in ENCODERS}
    rss: dict[str, float] = {}
    for _ in range(args.repeats):
        for name in ENCODERS:
            child = run_child(
                [sys.executable, __file__, str(args.evalset), "--worker", name,
                 "--articles", str(args.articles), "--cache", str(args.cache)]
            )  # fmt: skip
            runs[name].append(child.result)
            rss[name] = max(rss.get(name, 0.0), child.peak_rss_mb)
    scores = {name: eval_scores(args.evalset, name, args.cache) for name in ENCODERS}
    speed = {e: median([r["chunks_per_s"] for r in runs[e]]) for e in ENCODERS}
    first = {e: median([r["first_chunks_per_s"] for r in runs[e]]) for e in ENCODERS}
    query = {e: median([r["query_ms"] for r in runs[e]]) for e in ENCODERS}
    recall = {e: float(scores[e]["article recall@5"]) for e in ENCODERS}
    base = ENCODERS[0]
    print(
        f"{runs[base][0]['chunks']} chunks of {args.articles} generated articles, "
        f"{args.repeats} runs each, alternating; eval set {args.evalset}; {load_note()}\n"
    )
    rows = [
        [e + (" (baseline)" if e == base else ""), f"{first[e]:.1f}",
         f"{first[e] / first[base]:.2f}×", f"{speed[e]:.1f}",
         f"{speed[e] / speed[base]:.2f}×", f"{query[e]:.1f}",
         scores[e]["article recall@1"], scores[e]["article recall@5"],
         f"{recall[e] - recall[base]:+.3f}", scores[e]["answer accuracy"], f"{rss[e]:,.0f}"]
        for e in ENCODERS
    ]  # fmt: skip
    print(
        table(
            ["encoder", "first pass chunks/s", "speed-up", "warm chunks/s", "speed-up",
             "query ms", "recall@1", "recall@5",
             "Δ recall@5", "answer accuracy", "peak RSS MB"],
            rows,
        )
    )  # fmt: skip
    fast = ENCODERS[1]
    ok = speed[fast] / speed[base] >= 1.5 and recall[base] - recall[fast] <= 0.01
    print(
        f"\n{fast}: {speed[fast] / speed[base]:.2f}× the warm throughput "
        f"({first[fast] / first[base]:.2f}× on a fresh process's first pass), recall@5 "
        f"{recall[fast] - recall[base]:+.3f}; adopt if ≥ 1.5× and ≥ -0.010: "
        f"{'PASS' if ok else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
