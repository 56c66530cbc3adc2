"""Index kinds at 100k and 1M vectors: recall@10 against exact search, latency, build
time and memory, next to the exact (flat) baseline built in the same run.

    .venv/bin/python bench/vectors_scale.py                         # 100k and 1M, all kinds
    .venv/bin/python bench/vectors_scale.py --sizes 100000 --kinds flat,ivf

Vectors are realistic: the real chunk and sentence embeddings of a newsbot index (by
default the generated 1,500-article corpus, built once), each copied many times with a
small random perturbation (a noise vector of norm --noise, then re-normalised), so the
collection keeps the clusters and density of real news embeddings. Queries are real
questions embedded by the same model. Every search goes through `bot.vectors.search` with
k=100, the number of candidates newsbot's retriever asks for; recall@10 compares its top
10 with exact search over the same vectors. Latency: p50/p95 over the queries, the
median of --repeats passes; memory: the index's size as FAISS writes it (what a reader
holds in memory); build: one build (training included), not repeated. Two filters (a
random 1 % and 30 % of the ids, like one outlet's week and a broad date range) report
recall@10 against exact search among the allowed vectors, and p50 latency (one pass).
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import load_note, median, peak_rss_mb, percentile, table
from newsgen import corpus_index, write_corpus

K_SEARCH = 100  # what the retriever asks FAISS for
K_RECALL = 10


def real_vectors(index_dir: Path) -> np.ndarray:
    """Every chunk and sentence vector stored in a newsbot index."""
    conn = sqlite3.connect(index_dir / "newsbot.sqlite")
    rows = conn.execute(
        "SELECT vector FROM chunks UNION ALL SELECT vector FROM sentences"
    ).fetchall()
    conn.close()
    return np.stack([np.frombuffer(r[0], "<f4") for r in rows]).astype(np.float32)


def perturbed(base: np.ndarray, n: int, noise: float, seed: int = 1) -> np.ndarray:
    """n unit vectors: the real ones first, then noisy copies of them in turn."""
    rng = np.random.default_rng(seed)
    dim = base.shape[1]
    out = np.empty((n, dim), np.float32)
    for start in range(0, n, 100_000):
        end = min(n, start + 100_000)
        x = base[np.arange(start, end) % len(base)].copy()
        copies = np.arange(start, end) >= len(base)
        x[copies] += rng.standard_normal((int(copies.sum()), dim)).astype(np.float32) * (
            noise / np.sqrt(dim)
        )
        out[start:end] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def index_bytes(index: object) -> int:
    from bot import vectors

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.faiss"
        vectors.save(index, path)
        return path.stat().st_size


FILTER_SHARES = (0.01, 0.3)  # a narrow filter (one outlet, one week) and a broad one


def filters(n: int) -> list[np.ndarray]:
    """Allowed ids for each filter share: scattered, as an outlet's or a period's chunks."""
    rng = np.random.default_rng(5)
    return [
        np.sort(rng.choice(n, max(1, int(n * share)), replace=False)) for share in FILTER_SHARES
    ]


def filtered_truth(data: np.ndarray, queries: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    scores = queries @ data[allowed].T
    return allowed[np.argsort(-scores, axis=1)[:, :K_RECALL]]


def measure(
    kind: str,
    data: np.ndarray,
    queries: np.ndarray,
    truth: np.ndarray,
    repeats: int,
    allowed_sets: list[tuple[np.ndarray, np.ndarray]],
) -> dict[str, float]:
    from bot import vectors

    n = len(data)
    ids = np.arange(n, dtype=np.int64)
    started = time.perf_counter()
    sample_size = vectors.train_size(kind, n)
    sample = data[:: max(1, n // sample_size)][:sample_size] if sample_size else data[:0]
    batches = ((ids[i : i + 50_000], data[i : i + 50_000]) for i in range(0, n, 50_000))
    index = vectors.build(kind, data.shape[1], n, sample, batches)
    build = time.perf_counter() - started
    size = index_bytes(index)
    p50s, p95s, hits = [], [], 0
    for r in range(repeats):
        times = []
        for i, q in enumerate(queries):
            t = time.perf_counter()
            _, found = vectors.search(index, q, K_SEARCH)
            times.append((time.perf_counter() - t) * 1000)
            if r == 0:
                hits += len(set(found[:K_RECALL].tolist()) & set(truth[i].tolist()))
        p50s.append(percentile(times, 50))
        p95s.append(percentile(times, 95))
    filtered = []
    for allowed, allowed_truth in allowed_sets:
        times, hits = [], 0
        for i, q in enumerate(queries):
            t = time.perf_counter()
            _, found = vectors.search(index, q, K_SEARCH, allowed)
            times.append((time.perf_counter() - t) * 1000)
            hits += len(set(found[:K_RECALL].tolist()) & set(allowed_truth[i].tolist()))
        filtered.append(f"{hits / (len(queries) * K_RECALL):.3f} / {percentile(times, 50):.2f}")
    described = vectors.describe(index)
    del index
    gc.collect()
    return {
        "build_s": build,
        "mb": size / 1e6,
        "recall": hits / (len(queries) * K_RECALL),
        "p50": median(p50s),
        "p95": median(p95s),
        "described": described,  # type: ignore[dict-item]
        "filtered": filtered,  # type: ignore[dict-item]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--kinds", default="flat,ivf,hnsw", help="flat is the baseline")
    parser.add_argument("--articles", type=int, default=1500, help="corpus for real vectors")
    parser.add_argument("--index", type=Path, help="take real vectors from this index instead")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--noise", type=float, default=0.5)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "newsbot-bench")
    args = parser.parse_args()

    import faiss

    from bot.embeddings import get_encoder

    encoder = get_encoder("minilm")
    questions = write_corpus(args.cache / f"news-{args.articles}", args.articles)
    index_dir = args.index or corpus_index(args.articles, "minilm", args.cache)
    base = real_vectors(index_dir)
    queries = encoder.encode(questions[: args.queries])
    kinds = [k for k in args.kinds.split(",") if k]
    print(
        f"{len(base):,} real vectors (chunks and sentences of {index_dir}); "
        f"{len(queries)} real questions; copies perturbed by noise of norm {args.noise}; "
        f"faiss {faiss.__version__}, {faiss.omp_get_max_threads()} threads; {load_note()}\n"
    )
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        data = perturbed(base, n, args.noise)
        exact = faiss.IndexFlatIP(data.shape[1])
        exact.add(data)
        _, truth = exact.search(queries, K_RECALL)
        del exact
        allowed_sets = [(a, filtered_truth(data, queries, a)) for a in filters(n)]
        for kind in kinds:
            m = measure(kind, data, queries, truth, args.repeats, allowed_sets)
            label = "flat (exact, baseline)" if kind == "flat" else kind
            rows.append(
                [f"{n:,}", label, f"{m['build_s']:.1f}", f"{m['mb']:,.0f}",
                 f"{m['recall']:.3f}", f"{m['p50']:.2f}", f"{m['p95']:.2f}", *m["filtered"],
                 m["described"]]
            )  # fmt: skip
            print(f"  {rows[-1]}", file=sys.stderr, flush=True)
        del data
        gc.collect()
    print(
        table(
            [
                "vectors",
                "index",
                "build s",
                "index MB",
                "recall@10",
                "p50 ms",
                "p95 ms",
                *[f"filter {share:.0%}: recall@10 / p50 ms" for share in FILTER_SHARES],
                "as built",
            ],
            rows,
        )
    )
    print(f"\npeak RSS of this benchmark process: {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
