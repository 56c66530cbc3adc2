"""A million vectors in pgvector next to FAISS, in one run on the same vectors and
questions: HNSW build time, recall@10 against exact search, p50 latency, memory and disk.

    .venv/bin/python bench/pg_vectors_scale.py --index /work/idx/issue-13-news-embedded \
        --questions ../shared/eval/news/questions.jsonl            # 1,000,000 vectors
    .venv/bin/python bench/pg_vectors_scale.py --index ... --size 100000   # a quick run

Vectors are synthetic but shaped like news: the real chunk and sentence vectors of an
embedded index (--index), copied with a small random perturbation until there are --size
(bench/vectors_scale.py's `perturbed`). Queries are the eval questions embedded by the
real model. Truth is exact top 10 by inner product (numpy, all vectors). Each system
searches k=100, as newsbot's retriever asks:

- FAISS flat (exact): the embedded index's default up to 100,000 chunks; the baseline.
- FAISS HNSW: `NEWSBOT_INDEX_TYPE=hnsw` (bot/vectors.py: 8-bit codes, M 32, efSearch 512).
- pgvector HNSW: newsbot's PostgreSQL index (`vector(384)`, cosine, m 16,
  ef_construction 64, ef_search 200), built by CREATE INDEX after loading the rows (as
  `newsbot migrate --to` does for a big archive); maintenance_work_mem --build-memory.
- pgvector exact: the same table searched without the index (what PostgreSQL does below
  20,000 chunks), on the first --exact-queries queries only: it is slow at this size.

Memory: FAISS's index as written (what a reader holds); pgvector's HNSW index size (what
must stay in shared buffers or the page cache for fast search). Disk: FAISS file; table
plus index. Latency: p50 over the queries, median of --repeats passes, one connection.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import load_note, median, percentile, table
from pgbench_lib import server
from vectors_scale import index_bytes, perturbed, real_vectors

K_SEARCH = 100
K_RECALL = 10


def recall(found: list[np.ndarray], truth: np.ndarray) -> float:
    hits = sum(
        len(set(f[:K_RECALL].tolist()) & set(t.tolist())) for f, t in zip(found, truth, strict=True)
    )
    return hits / (len(truth) * K_RECALL)


def faiss_row(kind: str, data: np.ndarray, queries: np.ndarray, truth: np.ndarray,
              repeats: int) -> list[str]:  # fmt: skip
    from bot import vectors

    n = len(data)
    ids = np.arange(n, dtype=np.int64)
    started = time.perf_counter()
    size = vectors.train_size(kind, n)
    sample = data[:: max(1, n // size)][:size] if size else data[:0]
    batches = ((ids[i : i + 50_000], data[i : i + 50_000]) for i in range(0, n, 50_000))
    index = vectors.build(kind, data.shape[1], n, sample, batches)
    build = time.perf_counter() - started
    p50s, found = [], []
    for r in range(repeats):
        times = []
        for q in queries:
            t = time.perf_counter()
            _, hit = vectors.search(index, q, K_SEARCH)
            times.append((time.perf_counter() - t) * 1000)
            if r == 0:
                found.append(hit)
        p50s.append(percentile(times, 50))
    mb = index_bytes(index) / 1e6
    del index
    gc.collect()
    label = "FAISS flat (exact, baseline)" if kind == "flat" else f"FAISS {kind}"
    return [label, f"{build:.0f}", f"{recall(found, truth):.3f}", f"{median(p50s):.2f}",
            f"{mb:,.0f}", f"{mb:,.0f}"]  # fmt: skip


def pgvector_rows(
    url: str,
    data: np.ndarray,
    queries: np.ndarray,
    truth: np.ndarray,
    repeats: int,
    exact_queries: int,
    build_memory: str,
) -> list[list[str]]:
    import psycopg
    from pgvector.psycopg import register_vector

    rows = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        register_vector(conn)
        conn.execute("DROP TABLE IF EXISTS bench_vectors")
        conn.execute(f"CREATE TABLE bench_vectors (id bigint, embedding vector({data.shape[1]}))")
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy("COPY bench_vectors (id, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy,
        ):
            copy.set_types(["bigint", "vector"])
            for i, v in enumerate(data):
                copy.write_row((i, v))
        load = time.perf_counter() - started
        print(f"  pgvector: loaded {len(data):,} rows in {load:.0f} s", file=sys.stderr, flush=True)
        conn.execute(f"SET maintenance_work_mem = '{build_memory}'")
        conn.execute("SET max_parallel_maintenance_workers = 1")  # two cores: leader + 1
        started = time.perf_counter()
        conn.execute(
            "CREATE INDEX bench_vectors_hnsw ON bench_vectors USING hnsw "
            "(embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
        )
        build = time.perf_counter() - started
        conn.execute("VACUUM ANALYZE bench_vectors")
        table_mb, index_mb = (
            x / 1e6
            for x in conn.execute(
                "SELECT pg_table_size('bench_vectors'), pg_relation_size('bench_vectors_hnsw')"
            ).fetchone()
        )
        conn.execute("SET hnsw.ef_search = 200")
        p50s, found = [], []
        for r in range(repeats):
            times = []
            for q in queries:
                t = time.perf_counter()
                hit = conn.execute(
                    "SELECT id FROM bench_vectors ORDER BY embedding <=> %s LIMIT %s",
                    (q, K_SEARCH),
                ).fetchall()
                times.append((time.perf_counter() - t) * 1000)
                if r == 0:
                    found.append(np.asarray([h[0] for h in hit]))
            p50s.append(percentile(times, 50))
        rows.append(["pgvector HNSW", f"{build:.0f}", f"{recall(found, truth):.3f}",
                     f"{median(p50s):.2f}", f"{index_mb:,.0f}",
                     f"{table_mb + index_mb:,.0f}"])  # fmt: skip
        print(f"  {rows[-1]}", file=sys.stderr, flush=True)
        times, found = [], []
        for q in queries[:exact_queries]:
            t = time.perf_counter()
            hit = conn.execute(
                "SELECT id FROM (SELECT id, embedding <=> %s AS d FROM bench_vectors OFFSET 0) s "
                "ORDER BY d LIMIT %s",
                (q, K_SEARCH),
            ).fetchall()
            times.append((time.perf_counter() - t) * 1000)
            found.append(np.asarray([h[0] for h in hit]))
        rows.append([f"pgvector exact ({len(times)} queries)", "-",
                     f"{recall(found, truth[:exact_queries]):.3f}", f"{percentile(times, 50):.0f}",
                     "-", f"{table_mb:,.0f}"])  # fmt: skip
        conn.execute("DROP TABLE bench_vectors")
    return rows


def crossover(url: str, data: np.ndarray, queries: np.ndarray, sizes: list[int]) -> list[list[str]]:
    """p50 of exact and HNSW search at small sizes: where the graph starts to pay."""
    import psycopg
    from pgvector.psycopg import register_vector

    rows = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        register_vector(conn)
        for n in sizes:
            conn.execute("DROP TABLE IF EXISTS bench_small")
            conn.execute(f"CREATE TABLE bench_small (id bigint, embedding vector({data.shape[1]}))")
            with (
                conn.cursor() as cur,
                cur.copy(
                    "COPY bench_small (id, embedding) FROM STDIN WITH (FORMAT BINARY)"
                ) as copy,
            ):
                copy.set_types(["bigint", "vector"])
                for i, v in enumerate(data[:n]):
                    copy.write_row((i, v))
            conn.execute(
                "CREATE INDEX ON bench_small USING hnsw (embedding vector_cosine_ops) "
                "WITH (m = 16, ef_construction = 64)"
            )
            conn.execute("VACUUM ANALYZE bench_small")
            conn.execute("SET hnsw.ef_search = 200")
            timings = {}
            for label, sql in (
                ("exact", "SELECT id FROM (SELECT id, embedding <=> %s AS d FROM bench_small "
                          "OFFSET 0) s ORDER BY d LIMIT %s"),
                ("hnsw", "SELECT id FROM bench_small ORDER BY embedding <=> %s LIMIT %s"),
            ):  # fmt: skip
                times = []
                for q in queries:
                    t = time.perf_counter()
                    conn.execute(sql, (q, K_SEARCH)).fetchall()
                    times.append((time.perf_counter() - t) * 1000)
                timings[label] = percentile(times, 50)
            rows.append([f"{n:,}", f"{timings['exact']:.2f}", f"{timings['hnsw']:.2f}"])
            print(f"  {rows[-1]}", file=sys.stderr, flush=True)
        conn.execute("DROP TABLE IF EXISTS bench_small")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="embedded index: real vectors")
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--noise", type=float, default=0.5)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--exact-queries", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--build-memory", default="4GB")
    parser.add_argument("--kinds", default="flat,hnsw", help="FAISS kinds beside pgvector")
    parser.add_argument("--database-url")
    parser.add_argument(
        "--crossover", default="", help="also compare exact and HNSW at these small sizes"
    )
    parser.add_argument("--only-crossover", action="store_true")
    args = parser.parse_args()

    from bot.embeddings import get_encoder
    from bot.evaluate import load_questions

    questions = [q.question for q in load_questions(args.questions)][: args.queries]
    queries = get_encoder("minilm").encode(questions)
    base = real_vectors(args.index)
    data = perturbed(base, args.size, args.noise)
    truth = np.argsort(-(queries @ data.T), axis=1)[:, :K_RECALL]
    print(f"{args.size:,} vectors ({len(base):,} real, copies perturbed by noise of norm "
          f"{args.noise}); {len(queries)} real questions; {load_note()}\n", flush=True)  # fmt: skip
    small = [int(x) for x in args.crossover.split(",") if x]
    if small:
        with server(args.database_url) as url:
            found = crossover(url, data, queries, small)
        print(table(["chunks", "exact p50 ms", "HNSW p50 ms"], found) + "\n", flush=True)
        if args.only_crossover:
            return
    rows = []
    for kind in [k for k in args.kinds.split(",") if k]:
        rows.append(faiss_row(kind, data, queries, truth, args.repeats))
        print(f"  {rows[-1]}", file=sys.stderr, flush=True)
    with server(args.database_url) as url:
        rows += pgvector_rows(url, data, queries, truth, args.repeats, args.exact_queries,
                              args.build_memory)  # fmt: skip
    print(table(["index", "build s", "recall@10", "p50 ms", "memory MB", "disk MB"], rows))
    print(f"\n{load_note()}")


if __name__ == "__main__":
    main()
