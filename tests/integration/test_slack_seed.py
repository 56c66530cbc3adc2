"""The Slack front with the real Newsbot (real model, seed index) against the fake Slack:
in process over HTTP, and the installed `newsbot slack` command in both run modes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core import Newsbot
from bot.slack_render import FEEDBACK_UP
from tests.chat_fakes import ScriptedChatModel
from tests.conftest import ROOT
from tests.slack.conftest import (
    SIGNING_SECRET,
    BotOverHttp,
    action_payload,
    event_body,
    mention,
    serve_bot,
)
from tests.slack.fake_slack import APP_TOKEN, BOT_ID, BOT_TOKEN, BOT_USER_ID, FakeSlack

NEWSBOT = shutil.which("newsbot", path=str(Path(sys.executable).parent)) or "newsbot"
HEADLINE = "US coalition strikes at pro-Assad forces in eastern Syria, kill over 100"


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@contextmanager
def slack_over_http(
    newsbot: Newsbot, fake_slack: FakeSlack, tmp_path: Path
) -> Iterator[BotOverHttp]:
    """The real bolt app answering with `newsbot`, served over HTTP, talking to the fake."""
    settings = Settings(
        index=newsbot.settings.index,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        feedback_db=tmp_path / "feedback.sqlite",
        _env_file=None,  # type: ignore[call-arg]
    )
    with serve_bot(settings, lambda q, history: newsbot.ask(q, history=history)) as bot:
        yield bot
        fake_slack.settle(quiet=0.3)


@pytest.fixture
def seed_slack(seed_bot: Newsbot, fake_slack: FakeSlack, tmp_path: Path) -> Iterator[BotOverHttp]:
    with slack_over_http(seed_bot, fake_slack, tmp_path) as bot:
        yield bot


def test_real_answer_in_thread_with_follow_up_and_feedback(
    seed_slack: BotOverHttp, fake_slack: FakeSlack
) -> None:
    event = mention(fake_slack, "Who is the coalition spokesman?")
    assert seed_slack.event(event, event_id="EvReal1").status == 200
    post = fake_slack.wait_for("chat.postMessage", timeout=60)[0]
    assert post.args["thread_ts"] == event["ts"]
    assert "Thomas F. Veale" in post.args["text"]
    sources = [b["elements"][0]["text"] for b in post.args["blocks"] if b["type"] == "context"]
    # each source is dated next to its marker (these seed articles have no date)
    [source] = [s for s in sources if s.startswith("*[1]* ")]
    assert source.endswith(f" · undated — {HEADLINE}")

    # a follow-up in a thread: the earlier question comes from conversations.replies
    root = mention(fake_slack, "Who carried out the strikes?")
    seed_slack.event(root, event_id="EvReal2")
    fake_slack.wait_for("chat.postMessage", 2, timeout=60)
    follow = mention(fake_slack, "Who denounced them?", thread_ts=root["ts"])
    seed_slack.event(follow, event_id="EvReal3")
    answer = fake_slack.wait_for("chat.postMessage", 3, timeout=60)[2]
    assert answer.args["thread_ts"] == root["ts"]
    text = answer.args["text"].replace("*", "")  # the short answer is in bold (mrkdwn)
    assert "Both the Kremlin and Damascus have denounced the airstrikes" in text

    answer_id = post.args["blocks"][-1]["elements"][0]["value"]
    seed_slack.action(
        action_payload(
            FEEDBACK_UP,
            answer_id,
            user="U2",
            channel="C1",
            response_url=fake_slack.response_url("v"),
        )
    )
    fake_slack.wait_for("response_url")
    [vote] = seed_slack.feedback.feedback()
    assert vote.question == "Who is the coalition spokesman?"
    assert vote.citations[0]["headline"] == HEADLINE


def test_with_a_model_a_thread_follow_up_is_rewritten_from_the_thread(
    seed_bot: Newsbot, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    model = ScriptedChatModel(
        script=[
            "Who denounced the US coalition strikes on pro-Assad forces in Syria?",
            "Both the Kremlin and Damascus have denounced the airstrikes [1].",
        ]
    )
    newsbot = Newsbot(seed_bot.settings, encoder=seed_bot.encoder, chat_model=model)
    root = fake_slack.seed("C1", user="U1", text=f"<@{BOT_USER_ID}> Who carried out the strikes?")
    fake_slack.seed(
        "C1",
        user=BOT_USER_ID,
        bot_id=BOT_ID,
        thread_ts=root["ts"],
        text="Forces at Deir ez-Zor carried out a series of air and artillery strikes. [1]",
    )
    with slack_over_http(newsbot, fake_slack, tmp_path) as bot:
        bot.event(mention(fake_slack, "Who denounced them?", thread_ts=root["ts"]))
        answer = fake_slack.wait_for("chat.postMessage", timeout=60)[0]

    assert answer.args["thread_ts"] == root["ts"]
    text = answer.args["text"].replace("*", "")  # the short answer is in bold (mrkdwn)
    assert "Both the Kremlin and Damascus have denounced the airstrikes" in text
    # The model rewrote the follow-up from the thread read back from Slack...
    rewrite_prompt = "\n".join(m.text for m in model.calls[0])
    assert "Who carried out the strikes?" in rewrite_prompt
    assert "Who denounced them?" in rewrite_prompt
    # ...and the standalone question is what it was then asked to answer from the sources.
    answer_prompt = "\n".join(m.text for m in model.calls[1])
    assert "<question>Who denounced the US coalition strikes" in answer_prompt
    assert HEADLINE in answer_prompt


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(
    args: list[str], fake: FakeSlack, seed_index: Path, tmp_path: Path
) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "NEWSBOT_INDEX": str(seed_index),
        "NEWSBOT_FEEDBACK_DB": str(tmp_path / "feedback.sqlite"),
        "NEWSBOT_SLACK_API_URL": fake.api_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    }
    return subprocess.Popen(
        [NEWSBOT, *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return proc.returncode, err


def test_newsbot_slack_socket_mode_command(
    fake_slack: FakeSlack, seed_index: Path, tmp_path: Path
) -> None:
    proc = _start(["slack"], fake_slack, seed_index, tmp_path)
    try:
        fake_slack.wait_for_socket(timeout=180)
        event = mention(fake_slack, "Who is the coalition spokesman?")
        envelope_id, sent = fake_slack.send_envelope("events_api", event_body(event, "EvCmd1"))
        assert fake_slack.wait_for_ack(envelope_id).at - sent < 3.0
        post = fake_slack.wait_for("chat.postMessage", timeout=60)[0]
        assert post.args["thread_ts"] == event["ts"]
        assert "Thomas F. Veale" in post.args["text"]
    finally:
        code, err = _stop(proc)
    assert code == 0, err
    assert "newsbot is connected to Slack (Socket Mode)" in err
    assert BOT_TOKEN not in err and APP_TOKEN not in err


def test_newsbot_slack_http_command(
    fake_slack: FakeSlack, seed_index: Path, tmp_path: Path
) -> None:
    port = _free_port()
    proc = _start(
        ["slack", "--http", "--host", "127.0.0.1", "--port", str(port)],
        fake_slack,
        seed_index,
        tmp_path,
    )
    try:
        deadline = time.monotonic() + 180
        while True:  # the port opens once the model and index are loaded
            assert proc.poll() is None, proc.communicate()[1]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "newsbot slack --http never listened"
                time.sleep(0.2)
        client = BotOverHttp(port, feedback=None)  # type: ignore[arg-type]
        challenge = client.post(json.dumps({"type": "url_verification", "challenge": "c-123"}))
        assert json.loads(challenge.body) == {"challenge": "c-123"}
        assert (
            client.post(
                json.dumps({"type": "url_verification", "challenge": "x"}), signature=None
            ).status
            == 401
        )
        event = mention(fake_slack, "Who is the coalition spokesman?")
        reply = client.event(event, event_id="EvCmd2")
        assert reply.status == 200  # ack order and time: tests/slack/test_slack_http.py
        post = fake_slack.wait_for("chat.postMessage", timeout=60)[0]
        assert post.args["thread_ts"] == event["ts"]
        assert "Thomas F. Veale" in post.args["text"]
    finally:
        code, err = _stop(proc)
    assert code == 0, err
    assert f"newsbot is listening for Slack on http://127.0.0.1:{port}/slack/events" in err
