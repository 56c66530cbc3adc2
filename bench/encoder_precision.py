"""The float model in bfloat16 (what `minilm` runs in on a CPU with native bfloat16)
against float32: encoder speed on news chunks and their sentences, and how close the vectors
stay.

    .venv/bin/python bench/encoder_precision.py ../shared/eval/news/corpus --chunks 200

The texts are the first --chunks chunks ingest would embed from the corpus (by file name),
each with its sentences, as `encode_with_sentences` embeds them. Each precision runs in a
fresh process, alternating, --rounds times; each process embeds the texts twice (a first and
a warm pass). Medians of the warm passes; cosines of every vector against float32's.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from benchlib import load_note, median, run_child, table

PRECISIONS = ("float32", "bfloat16")


def news_texts(corpus: Path, chunks: int) -> tuple[list[str], list[list[tuple[int, int]]]]:
    from bot.ingest import prepare
    from bot.loaders import LoadOptions, load_source

    texts: list[str] = []
    spans: list[list[tuple[int, int]]] = []
    for path in sorted(corpus.rglob("*.txt")):
        for article in load_source(str(path), path.read_bytes(), LoadOptions()).articles:
            for _, text, sentence_spans in prepare(article)[1]:
                texts.append(text)
                spans.append(sentence_spans)
        if len(texts) >= chunks:
            break
    return texts[:chunks], spans[:chunks]


def worker(precision: str, corpus: Path, chunks: int, out: Path) -> dict[str, object]:
    from bot.embeddings import Encoder, _load_model

    class Float32(Encoder):
        def _load(self) -> Any:
            self.precision = "float32"
            return _load_model("cpu")

    encoder = Float32(device="cpu") if precision == "float32" else Encoder(device="cpu")
    texts, spans = news_texts(corpus, chunks)
    encoder.model  # noqa: B018 (load outside the timed passes)
    seconds = []
    for _ in range(2):
        started = time.perf_counter()
        vectors, sentences = encoder.encode_with_sentences(texts, spans)
        seconds.append(time.perf_counter() - started)
    np.save(out, np.concatenate([vectors, *sentences]))
    return {
        "precision": encoder.precision,
        "first": seconds[0],
        "warm": seconds[1],
        "texts": len(texts),
        "sentences": sum(len(s) for s in spans),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="a folder of .txt news articles")
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        precision, out = args.worker
        print(json.dumps(worker(precision, args.corpus, args.chunks, Path(out))))
        return
    work = Path(tempfile.mkdtemp(prefix="encoder-precision-"))
    runs: dict[str, list[dict[str, object]]] = {p: [] for p in PRECISIONS}
    before = load_note()
    for r in range(args.rounds):
        for precision in PRECISIONS if r % 2 == 0 else PRECISIONS[::-1]:
            out = work / f"{precision}.npy"
            child = run_child(
                [
                    sys.executable,
                    __file__,
                    str(args.corpus),
                    "--chunks",
                    str(args.chunks),
                    "--worker",
                    precision,
                    str(out),
                ]
            )
            runs[precision].append(child.result)
            print(f"  round {r + 1} {precision}: {child.result['warm']:.1f} s", file=sys.stderr)
    reference = np.load(work / "float32.npy")
    rows = []
    for precision in PRECISIONS:
        cosines = np.sum(np.load(work / f"{precision}.npy") * reference, axis=1)
        warm = median([float(x["warm"]) for x in runs[precision]])  # type: ignore[arg-type]
        first = median([float(x["first"]) for x in runs[precision]])  # type: ignore[arg-type]
        base = median([float(x["warm"]) for x in runs["float32"]])  # type: ignore[arg-type]
        ran = {str(x["precision"]) for x in runs[precision]}
        rows.append(
            [
                precision,
                ", ".join(sorted(ran)),
                f"{first:.1f}",
                f"{warm:.1f}",
                f"{base / warm:.2f}×",
                f"{cosines.min():.5f}",
                f"{cosines.mean():.5f}",
            ]
        )
    sample = runs["float32"][0]
    print(
        f"{sample['texts']} chunks and their {sample['sentences']} sentences from "
        f"{args.corpus}; {args.rounds} rounds, alternating; load before: {before}; "
        f"after: {load_note()}\n"
    )
    print(
        table(
            [
                "asked",
                "ran in",
                "first pass s",
                "warm pass s",
                "speed-up",
                "cosine min",
                "cosine mean",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
