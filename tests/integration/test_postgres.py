"""The PostgreSQL index with real processes and a real server: sharded ingests at once,
two ingests of one file, SIGKILL mid-ingest, a chat process seeing a commit, a lost
connection, moving an embedded index over, and the same answers as the embedded index."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from bot.core import Newsbot
from bot.embeddings import Encoder
from bot.errors import IndexUnavailableError
from bot.index import open_index
from bot.index.embedded import EmbeddedIndex
from bot.index.urls import DatabaseUrl
from bot.ingest import ingest
from tests.conftest import ROOT, SEEDS, write_article
from tests.fakes import FakeEncoder
from tests.integration.test_concurrency import CHILD, ZEBRA, Chat, wait_for
from tests.integration.test_crash_safety import make_corpus
from tests.pg_server import drop_schema, new_schema

EXAMPLES = ROOT / "examples"


@pytest.fixture
def schema(pg_url: str) -> Iterator[str]:
    name = new_schema()
    yield name
    drop_schema(pg_url, name)


def settings_for(pg_url: str, schema: str, tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        index=tmp_path / "index",
        encoder="fake",
        database_url=SecretStr(pg_url),
        database_schema=schema,
        _env_file=None,
    )


def newsbot(pg_url: str, schema: str, *args: str, slow: float = 0.0,
            ready: Path | None = None, hold: Path | None = None,
            **kw: Any) -> subprocess.Popen[str]:  # fmt: skip
    """The CLI in a child process on the database, with the (slowed) fake encoder."""
    env = {
        **os.environ,
        "NEWSBOT_DATABASE_URL": pg_url,
        "NEWSBOT_DATABASE_SCHEMA": schema,
        "NEWSBOT_ENCODER": "fake",
        "NEWSBOT_HISTORY_FILE": os.devnull,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "SLOW": str(slow),
        "READY": str(ready or ""),
        "HOLD": str(hold or ""),
    }
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, *args], env=env, cwd=ROOT, text=True, **kw
    )


def wait_until_backend(pg_url: str, condition: str, seconds: float = 30) -> None:
    """Until a session other than ours matches `condition` in pg_stat_activity: the test acts
    once the server says the moment has come, not after a sleep a loaded machine outlasts."""
    deadline = time.monotonic() + seconds
    with psycopg.connect(pg_url, autocommit=True) as admin:
        while not admin.execute(
            f"SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND {condition}"
        ).fetchone()[0]:  # type: ignore[index]
            assert time.monotonic() < deadline, f"no session with {condition}"
            time.sleep(0.02)


def snapshot(pg_url: str, schema: str) -> dict[str, Any]:
    """What an index holds, independent of the ids it gave: sources, articles, chunks,
    sentences and which articles share a story."""
    with psycopg.connect(pg_url) as conn:
        conn.execute(f"SET search_path = {schema}, public")
        sources = conn.execute(
            "SELECT s.path, s.item, a.content_hash FROM sources s JOIN articles a "
            "ON a.id = s.article_id"
        ).fetchall()
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM chunks), "
            "(SELECT count(*) FROM sentences), (SELECT count(DISTINCT content_hash) FROM articles)"
        ).fetchone()
        stories = conn.execute(
            "SELECT array_agg(content_hash ORDER BY content_hash) FROM articles GROUP BY story_id"
        ).fetchall()
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    assert counts is not None and counts[0] == counts[3], "an article stored twice"
    assert int(meta["chunks"]) == counts[1]  # the BM25 statistics kept up
    return {
        "sources": sorted(sources),
        "counts": counts,
        "stories": sorted(tuple(s[0]) for s in stories),
    }


def wire_corpus(folder: Path) -> None:
    """Articles in several formats, with wire copies that must form one story."""
    make_corpus(folder, 40, "wire")
    shutil.copytree(EXAMPLES, folder / "examples")
    shutil.copy(EXAMPLES / "council-vote.md", folder / "council-vote-copy.md")


def test_two_shards_at_once_fill_the_index_a_single_ingest_would(
    pg_url: str, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    wire_corpus(corpus)
    single, sharded = new_schema(), new_schema()
    try:
        assert newsbot(pg_url, single, "ingest", str(corpus)).wait(180) == 0
        shards = [
            newsbot(
                pg_url,
                sharded,
                "ingest",
                "--shard",
                f"{k}/2",
                str(corpus),
                slow=0.005,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for k in (1, 2)
        ]
        outputs = [p.communicate(timeout=300) for p in shards]
        assert [p.returncode for p in shards] == [0, 0], outputs
        added = [int(out.split(" added")[0].split()[-1]) for out, _ in outputs]
        # Each did a share; a copy whose original is in the other share is added there too,
        # then joins the original when its ingest commits.
        assert all(added) and 51 <= sum(added) <= 52
        assert snapshot(pg_url, sharded) == snapshot(pg_url, single)
        # Once more, unchanged: every shard finds its share already there.
        again = newsbot(pg_url, sharded, "ingest", "--shard", "1/2", str(corpus),
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        out, _ = again.communicate(timeout=120)
        assert out.startswith("0 added, 0 updated")
    finally:
        drop_schema(pg_url, single)
        drop_schema(pg_url, sharded)


def test_a_second_ingest_of_the_same_files_stops_clearly_or_waits(
    pg_url: str, schema: str, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    make_corpus(corpus, 40, "same")
    ready = tmp_path / "ready"
    first = newsbot(pg_url, schema, "ingest", str(corpus), slow=0.15, ready=ready,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    wait_for(ready, first)
    refused = newsbot(pg_url, schema, "ingest", str(corpus),
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    _, err = refused.communicate(timeout=60)
    assert first.poll() is None, "the first ingest ended before the second one came"
    assert refused.returncode == 1, err
    assert "Error: Another ingest is writing" in err and "--wait SECONDS" in err
    queued = newsbot(pg_url, schema, "ingest", "--wait", "120", str(corpus),
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    out, err = queued.communicate(timeout=180)
    assert queued.returncode == 0, err
    assert first.wait(60) == 0
    assert out.startswith("0 added, 0 updated, 40 unchanged")  # it saw the first one's commit
    assert snapshot(pg_url, schema)["counts"][0] == 40


def test_sigkill_mid_ingest_leaves_the_previous_state(
    pg_url: str, schema: str, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    make_corpus(corpus, 20, "old")
    assert newsbot(pg_url, schema, "ingest", str(corpus)).wait(120) == 0
    old = snapshot(pg_url, schema)
    make_corpus(corpus / "more", 40, "new")
    ready = tmp_path / "ready"
    for delay in (0.0, 0.3, 0.8):
        ready.unlink(missing_ok=True)
        proc = newsbot(pg_url, schema, "ingest", str(corpus), slow=0.02, ready=ready,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        wait_for(ready, proc)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert snapshot(pg_url, schema) == old, f"killed {delay} s in"
    assert newsbot(pg_url, schema, "ingest", str(corpus)).wait(120) == 0
    assert snapshot(pg_url, schema)["counts"][0] == 60


def test_chat_sees_an_ingest_only_after_its_commit(
    pg_url: str, schema: str, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    make_corpus(corpus, 20, "old")
    assert newsbot(pg_url, schema, "ingest", str(corpus)).wait(120) == 0
    chat = Chat(newsbot(pg_url, schema, "chat", **Chat.PIPES))
    question = "Where was the zebra that escaped from the circus found?"
    assert ZEBRA not in chat.ask(question)
    write_article(corpus, "zebra.txt", "Zebra escapes circus", ZEBRA, Source="Gazette")
    make_corpus(corpus / "more", 40, "new")
    ready, go = tmp_path / "ready", tmp_path / "go"
    ingest_proc = newsbot(pg_url, schema, "ingest", str(corpus), slow=0.02, ready=ready,
                          hold=go, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    wait_for(ready, ingest_proc)
    during = [chat.ask(question), chat.ask(question)]  # while the ingest is held mid-way
    assert ingest_proc.poll() is None
    go.touch()
    while ingest_proc.poll() is None:
        during.append(chat.ask(question))
    assert ingest_proc.returncode == 0
    assert len(during) >= 2 and all("Error" not in a for a in during), during
    seen = [ZEBRA in a for a in during]
    assert not seen[0] and seen == sorted(seen), seen  # old until the commit, then new
    assert ZEBRA in chat.ask(question)  # same process, no restart
    chat.close()


def test_a_lost_connection_is_retried_and_an_unreachable_server_is_named_without_password(
    pg_url: str, schema: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(pg_url, schema, tmp_path)
    encoder = FakeEncoder()
    store = open_index(settings, fingerprint=encoder.fingerprint, dim=encoder.dim, create=True)
    ingest([str(EXAMPLES)], store, encoder)
    with psycopg.connect(pg_url, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND datname = current_database() "
            "AND backend_type = 'client backend'"
        ).fetchone()
    assert killed is not None and killed[0] >= 1
    assert store.count("articles") == 11  # the pool replaced the dead connection
    # A connection lost in the middle of a read: the read runs again on a new one.
    import threading

    caplog.set_level(logging.WARNING, "bot.index.postgres")
    results: list[object] = []
    reader = threading.Thread(
        target=lambda: results.append(store._read("SELECT 42 FROM pg_sleep(1.5)"))
    )
    reader.start()
    wait_until_backend(pg_url, "state = 'active' AND query LIKE '%%pg_sleep(1.5)%%'")
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE query LIKE '%%pg_sleep(1.5)%%' AND pid <> pg_backend_pid()"
        )
    reader.join(30)
    assert results == [[(42,)]]
    assert "lost the connection to postgresql://" in caplog.text and "retrying" in caplog.text
    store.close()

    caplog.set_level(logging.DEBUG)
    secret = "pa55-w0rd-never-shown"
    dead = settings.model_copy(update={
        "database_url": SecretStr(f"postgresql://newsbot:{secret}@127.0.0.1:9/newsbot"),
        "database_timeout": 2.0,
    })  # fmt: skip
    with pytest.raises(IndexUnavailableError) as refused:
        open_index(dead)
    message = str(refused.value)
    assert "postgresql://newsbot:***@127.0.0.1:9/newsbot is unreachable" in message
    assert "NEWSBOT_DATABASE_URL" in message
    assert secret not in message and secret not in caplog.text
    env = {"NEWSBOT_DATABASE_URL": f"postgresql://newsbot:{secret}@127.0.0.1:9/newsbot",
           "NEWSBOT_DATABASE_TIMEOUT": "2"}  # fmt: skip
    result = CliRunner().invoke(app, ["stats"], env=env)
    assert result.exit_code == 1 and "is unreachable" in result.output
    assert secret not in result.output


def test_migrate_applies_named_migrations_and_copies_an_index_once(
    pg_url: str, schema: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"NEWSBOT_INDEX": str(tmp_path / "index"), "NEWSBOT_ENCODER": "fake",
           "NEWSBOT_DATABASE_SCHEMA": schema}  # fmt: skip
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(EXAMPLES), str(SEEDS)], env=env).exit_code == 0
    moved = runner.invoke(app, ["migrate", "--to", pg_url], env=env)
    assert moved.exit_code == 0, moved.output
    assert "12 articles copied" in moved.output and "0 already there" in moved.output
    assert "checked: articles 12, chunks" in moved.output
    assert "12/12 articles" in moved.output  # progress
    again = runner.invoke(app, ["migrate", "--to", pg_url], env=env)
    assert "0 articles copied" in again.output and "12 already there" in again.output
    on_db = {**env, "NEWSBOT_DATABASE_URL": pg_url}
    up = runner.invoke(app, ["migrate"], env=on_db)
    assert up.exit_code == 0 and f"schema '{schema}' is up to date" in up.output
    with psycopg.connect(pg_url) as conn:
        names = conn.execute(f"SELECT name FROM {schema}.migrations").fetchall()
    assert names == [("m001_initial",)]
    # The vectors were copied, not made again: the same numbers in both.
    embedded = EmbeddedIndex.open(tmp_path / "index")
    db = open_index(settings_for(pg_url, schema, tmp_path))
    e_sent = embedded.sentences(embedded.chunk_ids_of(embedded.article_ids()))
    d_sent = db.sentences(db.chunk_ids_of(db.article_ids()))
    assert len(e_sent) == len(d_sent) > 50
    assert all(np.array_equal(a.vector, b.vector) for a, b in zip(e_sent, d_sent, strict=True))
    stats = runner.invoke(app, ["--database-url", pg_url, "stats"], env=env).output
    assert stats.startswith(f"Index: postgresql, {DatabaseUrl.parse(pg_url).safe} (schema")
    assert "12 articles" in stats
    embedded.close()
    db.close()


QUESTIONS = [
    "How many troops loyal to Assad were reported killed?",
    "Who is the coalition spokesman?",
    "Which tanks did the pro-regime forces use?",
    "How many homes did the storm knock out power to?",
    "Who is the new superintendent?",
    "from:herald What closes Elm Street?",
    "What did the council vote on in March 2024?",
    "What is the price of tea in Lisbon?",
]


def test_both_backends_give_the_same_answers_over_seeds_and_examples(
    real_encoder: Encoder, pg_url: str, schema: str, tmp_path: Path
) -> None:
    answers = []
    for settings in (
        Settings(index=tmp_path / "embedded", _env_file=None),  # type: ignore[call-arg]
        settings_for(pg_url, schema, tmp_path).model_copy(update={"encoder": "minilm"}),
    ):
        store = open_index(settings, fingerprint=real_encoder.fingerprint,
                           dim=real_encoder.dim, create=True)  # fmt: skip
        ingest([str(SEEDS), str(EXAMPLES)], store, real_encoder)
        bot = Newsbot(settings, encoder=real_encoder, store=store)
        answers.append([
            (a.text, a.declined, [(c.headline, c.quote, c.also_ran_in) for c in a.citations],
             [r.headline for r in a.retrieved], a.notes)
            for a in (bot.ask(q, as_of=date(2024, 4, 1)) for q in QUESTIONS)
        ])  # fmt: skip
        store.close()
    embedded, postgres = answers
    assert sum(not declined for _, declined, *_ in embedded) >= 5
    for question, e, p in zip(QUESTIONS, embedded, postgres, strict=True):
        assert e == p, question


def test_an_article_removed_while_another_ingest_links_it_stops_that_ingest_clearly(
    pg_url: str, schema: str, tmp_path: Path
) -> None:
    import threading

    from bot.errors import IndexBusyError

    settings = settings_for(pg_url, schema, tmp_path)
    encoder = FakeEncoder()
    store = open_index(settings, fingerprint=encoder.fingerprint, dim=encoder.dim, create=True)
    folder = tmp_path / "a"
    folder.mkdir()
    path = write_article(folder, "a.txt", "Pier reopens", "The pier reopened on Friday.")
    ingest([str(folder)], store, encoder)
    (article_id,) = store.article_ids()
    outcome: list[BaseException | None] = []

    def link_meanwhile(ready: threading.Event) -> None:
        try:
            with store.writer() as second:
                ready.set()
                second.link_source("/elsewhere/b.txt", "", article_id)  # waits for the first
                second.commit()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    with store.writer() as first:
        assert first.forget_source(str(path.resolve())) == 1  # the article is gone (uncommitted)
        ready = threading.Event()
        thread = threading.Thread(target=link_meanwhile, args=(ready,))
        thread.start()
        assert ready.wait(10)
        wait_until_backend(pg_url, "wait_event_type = 'Lock'")  # the second waits on the row
        first.commit()
    thread.join(30)
    (error,) = outcome
    assert isinstance(error, IndexBusyError), error
    assert "Another ingest changed the same articles" in str(error) and "Run it again" in str(error)
    assert store.count("articles") == 0 and store.count("sources") == 0  # nothing half-done
    store.close()


def test_the_hnsw_graph_finds_what_exact_search_finds_with_and_without_a_filter(
    pg_url: str, schema: str, tmp_path: Path
) -> None:
    from tests.fakes import bag_of_words

    settings = settings_for(pg_url, schema, tmp_path)
    encoder = FakeEncoder()
    store = open_index(settings, fingerprint=encoder.fingerprint, dim=encoder.dim, create=True)
    make_corpus(tmp_path / "corpus", 40, "graph")
    ingest([str(tmp_path / "corpus"), str(EXAMPLES)], store, encoder)
    query = bag_of_words("Story 7 paragraph 3 reports event graph7-3 in district 21")
    allowed = store.chunk_ids_matching(("gazette",))
    exact = [store.dense_search(query, 10), store.dense_search(query, 10, allowed)]
    store.exact_max = store.exact_filter_max = 0  # the graph answers, iterative scan for filters
    graph = [store.dense_search(query, 10), store.dense_search(query, 10, allowed)]
    for (e_scores, e_ids), (g_scores, g_ids) in zip(exact, graph, strict=True):
        assert g_ids.tolist() == e_ids.tolist()
        assert np.allclose(g_scores, e_scores, atol=1e-5)
    assert set(graph[1][1].tolist()) <= set(allowed.tolist()) and len(graph[1][1]) == 5
    store.close()
