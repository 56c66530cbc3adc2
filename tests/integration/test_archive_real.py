"""The real path end to end: the installed `newsbot` command and the real model on every
example format, feeds over real HTTP on 127.0.0.1 (good, failing, too slow), duplicate
wire copies cited once, and the LangChain suites on the real encoder."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore
from langchain_tests.integration_tests import (
    RetrieversIntegrationTests,
    VectorStoreIntegrationTests,
)

from bot.embeddings import get_encoder
from bot.langchain_store import NewsbotRetriever, NewsbotVectorStore
from tests.conftest import ROOT
from tests.integration.fresh_index import fresh_index

EXAMPLES = ROOT / "examples"
NEWSBOT = shutil.which("newsbot", path=str(Path(sys.executable).parent)) or "newsbot"


class FeedServer(BaseHTTPRequestHandler):
    """/feed.rss: the example feed; /down: HTTP 503; /slow: answers after 6 s."""

    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(6)
        if self.path == "/feed.rss":
            body = (EXAMPLES / "herald-feed.rss").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
        elif self.path == "/page":
            body = (EXAMPLES / "hospital-wing.html").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
        else:
            body = b"down for maintenance"
            self.send_response(503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up (the timeout case)
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def feed_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FeedServer)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def run(*args: str, index: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NEWSBOT, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "NEWSBOT_INDEX": str(index), **env},
    )


def test_feeds_over_http_good_failing_and_slow(tmp_path: Path, feed_url: str) -> None:
    index = tmp_path / "index"
    result = run("ingest", f"{feed_url}/feed.rss", f"{feed_url}/page", f"{feed_url}/down",
                 f"{feed_url}/slow", index=index, NEWSBOT_FEED_TIMEOUT="2")  # fmt: skip
    # The timeout covers each whole download: 2 s leaves a loaded machine room to serve the
    # good ones, and /slow still runs out of it.
    assert result.returncode == 2, result.stderr
    assert f"failed: {feed_url}/down: the server answered HTTP 503" in result.stderr
    assert f"failed: {feed_url}/slow: no answer within 2 s (timed out)" in result.stderr
    assert result.stdout.startswith("3 added, 0 updated, 0 unchanged, 0 removed, 2 failed")
    answer = json.loads(run("ask", "--json", "Who is the new superintendent?", index=index).stdout)
    assert "Angela Brooks" in answer["answer"]
    assert answer["citations"][0]["source_path"] == f"{feed_url}/feed.rss"
    again = run("ingest", f"{feed_url}/feed.rss", index=index)
    assert again.stdout.startswith("0 added, 0 updated, 2 unchanged")


def test_every_format_with_the_real_model_and_wire_copies_cited_once(tmp_path: Path) -> None:
    index = tmp_path / "index"
    first = run("ingest", str(EXAMPLES), index=index)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("11 added, 0 updated, 0 unchanged, 0 removed, 0 failed")
    again = run("ingest", str(EXAMPLES), index=index)
    assert again.stdout.startswith("0 added, 0 updated, 11 unchanged")
    asked = {
        "How many homes lost power in the valley storm?": "more than 30,000 homes",
        "How many beds does the new children's wing have?": "forty beds",
        "When will the first buses on the new routes run?": "September",
        "Who won the snow plow contract?": "Riverton Hauling",
        "How long will the library stay open on weekends?": "8 p.m.",
        "How much trash did volunteers pull from the river?": "two tons",
    }
    # One chat process answers them all (the model loads once).
    script = "".join(f"/new\n{q}\n/sources\n" for q in asked) + "/quit\n"
    chat = subprocess.run(
        [NEWSBOT, "chat"], input=script, capture_output=True, text=True, timeout=300, cwd=ROOT,
        env={**os.environ, "NEWSBOT_INDEX": str(index),
             "NEWSBOT_HISTORY_FILE": str(tmp_path / "h")},
    )  # fmt: skip
    assert chat.returncode == 0, chat.stderr
    answers = chat.stdout.split("New conversation.")[1:]
    for (question, expected), answer in zip(asked.items(), answers, strict=True):
        assert expected in answer.split("[1]")[0], (question, answer)
    assert "    also ran in: " in answers[0]  # /sources names the other outlets
    storm = json.loads(run("ask", "--json", next(iter(asked)), index=index).stdout)
    (citation,) = storm["citations"]
    assert set(citation["also_ran_in"]) | {citation["attribution"]} == {
        "Valley Times", "Riverton Herald", "Morning Post",
    }  # fmt: skip
    retrieved_storm = [r for r in storm["retrieved"] if "wire-copies" in r["source_path"]]
    assert len(retrieved_storm) == 1  # the story appears once
    listed = run("list", "--outlet", "Riverton Herald", index=index).stdout
    assert "4 articles" in listed
    assert "2024-03-14  Riverton Herald           Hospital opens children's wing" in listed


def _real() -> Embeddings:
    return get_encoder("minilm")


class TestVectorStoreSuiteOnTheRealEncoder(VectorStoreIntegrationTests):
    @staticmethod
    def get_embeddings() -> Embeddings:
        return _real()

    @property
    def has_async(self) -> bool:
        return False  # the async paths are the same code, covered on the fake encoder

    @pytest.fixture
    def vectorstore(self, tmp_path: Path) -> Iterator[VectorStore]:  # type: ignore[override]
        vs = NewsbotVectorStore.open(tmp_path / "index", self.get_embeddings())
        yield vs
        vs.store.close()


class TestRetrieverSuiteOnTheSeedIndex(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _index(self, tmp_path: Path) -> Iterator[None]:
        encoder = get_encoder("minilm")
        self._store, _ = fresh_index(tmp_path / "index", [EXAMPLES], encoder)
        yield
        self._store.close()

    @property
    def retriever_constructor(self) -> type[NewsbotRetriever]:
        return NewsbotRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, object]:
        return {"store": self._store, "encoder": get_encoder("minilm")}

    @property
    def retriever_query_example(self) -> str:
        return "What did the storm do to the valley?"
