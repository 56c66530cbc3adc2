"""Fixtures for the Slack front: the fake Slack, a scripted answerer, and the real bolt app
served over HTTP on 127.0.0.1 (signed requests) or connected over Socket Mode."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.config import Settings
from bot.feedback import FeedbackStore
from bot.records import Answer, Citation, Turn
from bot.slack import create_app, make_client, serve_http, socket_mode_handler
from tests.slack.fake_slack import APP_TOKEN, BOT_TOKEN, BOT_USER_ID, TEAM_ID, FakeSlack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def citation(marker: int = 1, **fields: Any) -> Citation:
    values: dict[str, Any] = {
        "marker": marker,
        "article_id": marker,
        "headline": "Mayor resigns",
        "attribution": "Gazette",
        "published": datetime(2018, 2, 5, tzinfo=UTC),
        "url": "https://gazette.example/mayor",
        "source_path": "/archive/mayor.txt",
        "quote": "The mayor resigned on Monday.",
        "start": 0,
        "end": 29,
    }
    values.update(fields)
    return Citation(**values)


def make_answer(question: str, text: str | None = None, **fields: Any) -> Answer:
    values: dict[str, Any] = {
        "question": question,
        "text": text if text is not None else "The mayor resigned on Monday. [1]",
        "declined": False,
        "citations": [citation()],
    }
    values.update(fields)
    return Answer(**values)


@dataclass
class ScriptedAsk:
    """An injected ask_fn: records each call, waits `delay` (and for `gate` to open, when
    given), answers with `reply(question)`."""

    reply: Callable[[str], Answer] = make_answer
    delay: float = 0.0
    error: Exception | None = None
    gate: threading.Event | None = None
    calls: list[tuple[str, tuple[Turn, ...]]] = field(default_factory=list)

    def __call__(self, question: str, history: Sequence[Turn]) -> Answer:
        self.calls.append((question, tuple(history)))
        if self.gate is not None:
            assert self.gate.wait(60), "the test never opened the gate"
        if self.delay:
            time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return self.reply(question)


def log_everything(caplog: pytest.LogCaptureFixture) -> None:
    """Capture every logger at DEBUG, the Slack libraries' too (whatever level they were set to:
    `newsbot slack` quiets them, and that sticks for the rest of the test process)."""
    for name in (None, "slack_sdk", "slack_bolt"):
        caplog.set_level(logging.DEBUG, logger=name)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def slack_settings(tmp_path: Path, fake_slack: FakeSlack) -> Settings:
    return Settings(
        index=tmp_path / "index",
        history_file=tmp_path / "history",
        slack_bot_token=BOT_TOKEN,
        slack_app_token=APP_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        feedback_db=tmp_path / "feedback.sqlite",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def ask() -> ScriptedAsk:
    return ScriptedAsk()


def sign(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    """Slack's request signature: v0=HMAC-SHA256(secret, 'v0:timestamp:body')."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Reply:
    status: int
    body: str
    seconds: float


class BotOverHttp:
    """The real bolt app behind newsbot's HTTP server, and a Slack-like client for it."""

    def __init__(self, port: int, feedback: FeedbackStore) -> None:
        self.port = port
        self.feedback = feedback

    def post(
        self,
        body: str,
        *,
        content_type: str = "application/json",
        timestamp: int | None = None,
        signature: str | None = "sign",
        headers: dict[str, str] | None = None,
        send_timestamp: bool = True,
    ) -> Reply:
        """POST to the events path, signed like Slack unless told otherwise."""
        ts = int(time.time()) if timestamp is None else timestamp
        sent = {"Content-Type": content_type}
        if send_timestamp:  # signed with `ts` either way
            sent["X-Slack-Request-Timestamp"] = str(ts)
        if signature == "sign":
            sent["X-Slack-Signature"] = sign(body, ts)
        elif signature is not None:
            sent["X-Slack-Signature"] = signature
        sent.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        started = time.monotonic()
        conn.request("POST", "/slack/events", body=body.encode(), headers=sent)
        response = conn.getresponse()
        text = response.read().decode()
        seconds = time.monotonic() - started
        conn.close()
        return Reply(response.status, text, seconds)

    def event(self, event: dict[str, Any], *, event_id: str = "Ev0001", **kw: Any) -> Reply:
        return self.post(json.dumps(event_body(event, event_id)), **kw)

    def command(
        self, text: str, *, response_url: str, user: str = "U1", channel: str = "C1"
    ) -> Reply:
        return self.post(
            urlencode(command_payload(text, response_url=response_url, user=user, channel=channel)),
            content_type="application/x-www-form-urlencoded",
        )

    def action(self, payload: dict[str, Any]) -> Reply:
        return self.post(
            urlencode({"payload": json.dumps(payload)}),
            content_type="application/x-www-form-urlencoded",
        )


def event_body(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0NEWSBOT",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    }


def command_payload(text: str, *, response_url: str, user: str, channel: str) -> dict[str, str]:
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "channel_id": channel,
        "channel_name": "directmessage" if channel.startswith("D") else "newsroom",
        "user_id": user,
        "user_name": "reporter",
        "command": "/ask",
        "text": text,
        "api_app_id": "A0NEWSBOT",
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }


def action_payload(
    action_id: str, value: str, *, user: str, channel: str, response_url: str
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": user},
        "api_app_id": "A0NEWSBOT",
        "token": "legacy-verification-token",
        "container": {"type": "message", "channel_id": channel, "is_ephemeral": False},
        "channel": {"id": channel, "name": "newsroom"},
        "trigger_id": "1.2.3",
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "newsbot_answer_actions",
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }


def mention(
    fake: FakeSlack, text: str, *, user: str = "U1", channel: str = "C1", **extra: Any
) -> dict[str, Any]:
    """A user's message mentioning the bot, stored in the fake's channel like Slack would."""
    message = fake.seed(channel, user=user, text=f"<@{BOT_USER_ID}> {text}", **extra)
    return {**message, "type": "app_mention", "channel": channel, "event_ts": message["ts"]}


def direct_message(
    fake: FakeSlack, text: str, *, user: str = "U1", channel: str = "D1", **extra: Any
) -> dict[str, Any]:
    message = fake.seed(channel, user=user, text=text, **extra)
    return {**message, "channel": channel, "channel_type": "im", "event_ts": message["ts"]}


@contextmanager
def serve_bot(settings: Settings, ask_fn: Any, **app_options: Any) -> Iterator[BotOverHttp]:
    """The bolt app answering with `ask_fn`, served over HTTP on 127.0.0.1 until exit;
    `app_options` go to `create_app` (its own defaults otherwise, e.g. real pacing)."""
    feedback = FeedbackStore(settings.feedback_path)
    app = create_app(
        ask_fn,
        client=make_client(settings),
        settings=settings,
        feedback=feedback,
        **app_options,
    )
    server = serve_http(app, host="127.0.0.1", port=0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield BotOverHttp(server.server_port, feedback)
    finally:
        server.shutdown()
        server.server_close()
        feedback.close()


@pytest.fixture
def bot_factory(
    fake_slack: FakeSlack, slack_settings: Settings, ask: ScriptedAsk
) -> Iterator[Callable[..., BotOverHttp]]:
    """Start the bolt app over HTTP, optionally with other settings, answerer or `create_app`
    options (a pacer with a fake clock)."""
    with ExitStack() as running:

        def start(
            settings: Settings = slack_settings,
            ask_fn: Any = ask,
            post_interval: float = 0.0,
            **app_options: Any,
        ) -> BotOverHttp:
            return running.enter_context(
                serve_bot(settings, ask_fn, post_interval=post_interval, **app_options)
            )

        yield start
        fake_slack.settle(quiet=0.3)


@pytest.fixture
def bot(bot_factory: Callable[..., BotOverHttp]) -> BotOverHttp:
    return bot_factory()


@pytest.fixture
def socket_bot(
    fake_slack: FakeSlack, slack_settings: Settings, ask: ScriptedAsk
) -> Iterator[FeedbackStore]:
    """The bolt app connected to the fake Slack over Socket Mode (built-in WebSocket client)."""
    feedback = FeedbackStore(slack_settings.feedback_path)
    app = create_app(
        ask,
        client=make_client(slack_settings),
        settings=slack_settings,
        feedback=feedback,
        post_interval=0.0,
    )
    handler = socket_mode_handler(app, APP_TOKEN)
    handler.connect()
    fake_slack.wait_for_socket()
    yield feedback
    fake_slack.settle(quiet=0.3)
    # The built-in client's close() waits for its reader, blocked in recv() for up to 3 s;
    # pings from the server wake it up so the test doesn't wait.
    closer = threading.Thread(target=handler.close)
    closer.start()
    while closer.is_alive():
        fake_slack.nudge()
        closer.join(0.05)
    feedback.close()
