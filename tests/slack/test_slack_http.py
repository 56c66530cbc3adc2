"""The real bolt app behind newsbot's HTTP server on 127.0.0.1, driven with signed requests.

Every assertion is about what the fake Slack received (or what Slack would have got back).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.core import Newsbot
from bot.errors import IndexMissingError
from bot.index.embedded import EmbeddedIndex
from bot.ingest import ingest
from bot.records import Answer, Turn
from bot.slack import ANSWER_THREADS, ChannelPacer
from bot.slack_render import FEEDBACK_DOWN, FEEDBACK_UP, SHARE, unescape
from tests.clock import FakeClock
from tests.conftest import write_article
from tests.fakes import FakeEncoder
from tests.slack.conftest import (
    SIGNING_SECRET,
    BotOverHttp,
    ScriptedAsk,
    action_payload,
    citation,
    direct_message,
    log_everything,
    make_answer,
    mention,
    sign,
)
from tests.slack.fake_slack import APP_TOKEN, BOT_ID, BOT_TOKEN, BOT_USER_ID, Call, FakeSlack

pytestmark = pytest.mark.integration


def mrkdwn_objects(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for block in blocks:
        if isinstance(block.get("text"), dict) and block["text"]["type"] == "mrkdwn":
            found.append(block["text"])
        found += [e for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return found


def answer_id_of(post: Call) -> str:
    actions = [b for b in post.args["blocks"] if b["type"] == "actions"]
    return str(actions[0]["elements"][0]["value"])


# --- where it answers ----------------------------------------------------------------------


def test_mention_gets_a_threaded_reply_with_sources(
    bot: BotOverHttp, fake_slack: FakeSlack, ask: ScriptedAsk
) -> None:
    event = mention(fake_slack, "When did the mayor resign?")
    assert bot.event(event).status == 200

    post = fake_slack.wait_for("chat.postMessage")[0]
    fake_slack.wait_for("reactions.remove")
    assert post.token == BOT_TOKEN
    assert (post.args["channel"], post.args["thread_ts"]) == ("C1", event["ts"])
    assert post.args["text"] == "The mayor resigned on Monday. [1]"  # the plain-text fallback
    blocks = post.args["blocks"]
    assert [b["type"] for b in blocks] == ["section", "context", "actions"]
    assert blocks[0]["text"]["text"] == "The mayor resigned on Monday. [1]"
    assert blocks[1]["elements"][0]["text"] == (
        "*[1]* Gazette · 5 Feb 2018 — <https://gazette.example/mayor|Mayor resigns>"
    )
    buttons = [e["action_id"] for e in blocks[2]["elements"]]
    assert buttons == [FEEDBACK_UP, FEEDBACK_DOWN]
    assert post.args["unfurl_links"] is False and post.args["unfurl_media"] is False
    # the question reached the answerer without the bot's mention, and only once
    assert ask.calls == [("When did the mayor resign?", ())]
    # work-started signal: :eyes: on the question, removed once the answer is out
    add = fake_slack.calls_to("reactions.add")[0]
    remove = fake_slack.calls_to("reactions.remove")[0]
    assert add.args == {"channel": "C1", "timestamp": event["ts"], "name": "eyes"}
    assert remove.args == add.args
    assert add.at < post.at < remove.at


def test_direct_message_gets_a_reply_in_the_dm(
    bot: BotOverHttp, fake_slack: FakeSlack, ask: ScriptedAsk
) -> None:
    event = direct_message(fake_slack, "When did the mayor resign?")
    bot.event(event)
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert post.args["channel"] == "D1"
    assert "thread_ts" not in post.args  # a DM is answered in the conversation itself
    assert post.args["text"] == "The mayor resigned on Monday. [1]"
    assert ask.calls == [("When did the mayor resign?", ())]


def test_dm_follow_up_uses_the_recent_conversation(
    bot: BotOverHttp, fake_slack: FakeSlack, ask: ScriptedAsk
) -> None:
    bot.event(direct_message(fake_slack, "When did the mayor resign?"), event_id="Ev1")
    fake_slack.wait_for("chat.postMessage")
    bot.event(direct_message(fake_slack, "Why did she resign?"), event_id="Ev2")
    fake_slack.wait_for("chat.postMessage", 2)
    assert fake_slack.calls_to("conversations.history")[-1].args["channel"] == "D1"
    assert ask.calls[1] == (
        "Why did she resign?",
        (Turn("When did the mayor resign?", "The mayor resigned on Monday. [1]"),),
    )


def test_mention_in_a_thread_uses_its_earlier_questions_and_answers(
    bot: BotOverHttp, fake_slack: FakeSlack, ask: ScriptedAsk
) -> None:
    root = fake_slack.seed("C1", user="U1", text=f"<@{BOT_USER_ID}> Who carried out the strikes?")
    t0 = root["ts"]
    fake_slack.seed(
        "C1",
        user=BOT_USER_ID,
        bot_id=BOT_ID,
        thread_ts=t0,
        text="The coalition carried out the strikes &amp; raids. [1]",
    )
    fake_slack.seed("C1", user="U2", thread_ts=t0, text="interesting, thanks")  # not a question
    fake_slack.seed("C1", user="U3", bot_id="B0OTHER", thread_ts=t0, text="another bot")
    event = mention(fake_slack, "Who denounced them?", user="U2", thread_ts=t0)

    bot.event(event)
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert post.args["thread_ts"] == t0  # in the same thread, not a new one
    replies = fake_slack.calls_to("conversations.replies")[0]
    assert (replies.args["channel"], replies.args["ts"]) == ("C1", t0)
    assert ask.calls == [
        (
            "Who denounced them?",
            (
                Turn(
                    "Who carried out the strikes?",
                    "The coalition carried out the strikes & raids. [1]",
                ),
            ),
        )
    ]


def test_a_long_thread_gives_its_latest_turns(
    bot: BotOverHttp, fake_slack: FakeSlack, ask: ScriptedAsk
) -> None:
    root = fake_slack.seed("C1", user="U1", text=f"<@{BOT_USER_ID}> Question 0?")
    t0 = root["ts"]
    fake_slack.seed("C1", user=BOT_USER_ID, bot_id=BOT_ID, thread_ts=t0, text="Answer 0.")
    for i in range(1, 150):  # 300 messages: more than one page of conversations.replies
        fake_slack.seed("C1", user="U1", thread_ts=t0, text=f"<@{BOT_USER_ID}> Question {i}?")
        fake_slack.seed("C1", user=BOT_USER_ID, bot_id=BOT_ID, thread_ts=t0, text=f"Answer {i}.")

    bot.event(mention(fake_slack, "And now?", thread_ts=t0))
    fake_slack.wait_for("chat.postMessage")
    assert ask.calls == [
        ("And now?", tuple(Turn(f"Question {i}?", f"Answer {i}.") for i in range(145, 150)))
    ]
    pages = fake_slack.calls_to("conversations.replies")
    assert len(pages) == 2 and pages[1].args["cursor"] == "200"


def test_empty_mention_gets_help(bot: BotOverHttp, fake_slack: FakeSlack, ask: ScriptedAsk) -> None:
    event = fake_slack.seed("C1", user="U1", text=f"<@{BOT_USER_ID}>")
    bot.event({**event, "type": "app_mention", "channel": "C1"})
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert "/ask QUESTION" in post.args["text"]
    assert post.args["thread_ts"] == event["ts"]
    assert ask.calls == []


# --- /ask and its buttons ------------------------------------------------------------------


def test_slash_command_answers_ephemerally_and_can_be_shared(
    bot: BotOverHttp, fake_slack: FakeSlack, ask: ScriptedAsk
) -> None:
    url = fake_slack.response_url("cmd1")
    reply = bot.command("When did the mayor resign?", response_url=url)
    assert reply.status == 200
    assert (
        json.loads(reply.body)["text"] == "Searching the articles for: When did the mayor resign?"
    )

    answer = fake_slack.wait_for("response_url")[0]
    assert answer.args["url"] == "/response/cmd1"
    assert answer.args["response_type"] == "ephemeral"
    blocks = answer.args["blocks"]
    assert blocks[0]["elements"][0]["text"] == "Question: When did the mayor resign?"
    assert blocks[1]["text"]["text"] == "The mayor resigned on Monday. [1]"
    buttons = {e["action_id"]: e["value"] for e in blocks[-1]["elements"]}
    assert set(buttons) == {FEEDBACK_UP, FEEDBACK_DOWN, SHARE}

    share_url = fake_slack.response_url("share1")
    bot.action(
        action_payload(SHARE, buttons[SHARE], user="U1", channel="C1", response_url=share_url)
    )
    shared, deleted = fake_slack.wait_for("response_url", 3)[1:]
    assert shared.args["response_type"] == "in_channel"
    assert (
        shared.args["blocks"][0]["elements"][0]["text"] == "<@U1> asked: When did the mayor resign?"
    )
    assert shared.args["text"] == "The mayor resigned on Monday. [1]"
    assert SHARE not in {e["action_id"] for e in shared.args["blocks"][-1]["elements"]}
    assert deleted.args["delete_original"] is True
    assert ask.calls == [("When did the mayor resign?", ())]


def test_the_answer_replaces_the_searching_note(
    bot_factory: Callable[..., BotOverHttp], fake_slack: FakeSlack
) -> None:
    long_text = "The council agreed on a budget for flood defences. " * 1000  # two messages
    bot = bot_factory(ask_fn=ScriptedAsk(reply=lambda q: make_answer(q, long_text)))
    bot.command("What did the council agree?", response_url=fake_slack.response_url("cmd"))
    first, second = fake_slack.wait_for("response_url", 2)
    assert first.args["replace_original"] is True  # "Searching the articles for: …" goes
    assert first.args["blocks"][0]["elements"][0]["text"].startswith("Question: ")
    assert second.args["replace_original"] is False  # the rest follows it

    failing = bot_factory(ask_fn=ScriptedAsk(error=RuntimeError("disk on fire")))
    failing.command("Anything?", response_url=fake_slack.response_url("fail"))
    failed = [c for c in fake_slack.wait_for("response_url", 3) if c.args["url"].endswith("fail")]
    assert failed[0].args["text"].startswith(":warning: Sorry, something went wrong")
    assert failed[0].args["replace_original"] is True

    fake_slack.fail("response_url", "cant_update_message")  # Slack won't replace it: post after
    bot.command("When?", response_url=fake_slack.response_url("norepl"))
    tries = [c for c in fake_slack.wait_for("response_url", 4) if c.args["url"].endswith("norepl")]
    [refused] = [c for c in fake_slack.calls_to("response_url", ok_only=False) if c.error]
    assert refused.error == "cant_update_message" and refused.args["replace_original"] is True
    assert tries[0].args["replace_original"] is False
    assert tries[0].args["blocks"] == refused.args["blocks"]


def test_a_follow_up_in_the_thread_of_a_shared_answer_knows_the_question(
    bot: BotOverHttp, fake_slack: FakeSlack, ask: ScriptedAsk
) -> None:
    bot.command("When did the mayor resign?", response_url=fake_slack.response_url("cmd"))
    answer = fake_slack.wait_for("response_url")[0]
    share_id = answer.args["blocks"][-1]["elements"][-1]["value"]
    share_url = fake_slack.response_url("share", channel="C1")
    bot.action(action_payload(SHARE, share_id, user="U1", channel="C1", response_url=share_url))
    fake_slack.wait_for("response_url", 3)
    [shared] = fake_slack.messages["C1"]  # the thread starts with newsbot's shared answer

    bot.event(mention(fake_slack, "Why did she resign?", user="U2", thread_ts=shared["ts"]))
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert post.args["thread_ts"] == shared["ts"]
    assert ask.calls[1] == (
        "Why did she resign?",
        (Turn("When did the mayor resign?", "The mayor resigned on Monday. [1]"),),
    )


@pytest.mark.parametrize(
    ("error", "hint"),
    [
        ("channel_not_found", "/invite @newsbot"),
        ("not_in_channel", "/invite @newsbot"),
        ("expired_url", "Slack said: expired_url"),
    ],
)
def test_a_failed_share_keeps_the_answer_and_says_why(
    bot: BotOverHttp, fake_slack: FakeSlack, error: str, hint: str
) -> None:
    bot.command("When did the mayor resign?", response_url=fake_slack.response_url("cmd"))
    answer = fake_slack.wait_for("response_url")[0]
    share_id = answer.args["blocks"][-1]["elements"][-1]["value"]

    fake_slack.fail("response_url", error)  # the in-channel post is refused
    share_url = fake_slack.response_url("share")
    bot.action(action_payload(SHARE, share_id, user="U1", channel="C9", response_url=share_url))
    told = fake_slack.wait_for("response_url", 2)[1]
    fake_slack.settle(quiet=0.5)

    [refused] = [c for c in fake_slack.calls_to("response_url", ok_only=False) if c.error]
    assert refused.args["response_type"] == "in_channel" and refused.error == error
    assert told.args["url"] == "/response/share"
    assert told.args["response_type"] == "ephemeral" and told.args["replace_original"] is False
    assert told.args["text"].startswith(":warning: I couldn't share the answer in this channel")
    assert hint in told.args["text"]
    # the ephemeral answer is kept: nothing asked Slack to delete it
    assert not [c for c in fake_slack.calls_to("response_url") if c.args.get("delete_original")]
    assert len(fake_slack.calls_to("response_url")) == 2


def test_slash_command_without_a_question_shows_usage(
    bot: BotOverHttp, fake_slack: FakeSlack, ask: ScriptedAsk
) -> None:
    reply = bot.command("  ", response_url=fake_slack.response_url("c"))
    assert json.loads(reply.body)["text"].startswith("Usage: /ask QUESTION")
    fake_slack.settle(quiet=0.5)
    assert ask.calls == [] and fake_slack.calls_to("response_url") == []


def test_votes_are_stored_with_question_answer_and_citations(
    bot: BotOverHttp, fake_slack: FakeSlack
) -> None:
    bot.event(mention(fake_slack, "When did the mayor resign?"))
    answer_id = answer_id_of(fake_slack.wait_for("chat.postMessage")[0])

    url = fake_slack.response_url("vote")
    reply = bot.action(
        action_payload(FEEDBACK_DOWN, answer_id, user="U2", channel="C1", response_url=url)
    )
    assert reply.status == 200
    thanks = fake_slack.wait_for("response_url")[0]
    assert thanks.args["text"] == "Thanks! Your 👎 is recorded."
    assert thanks.args["response_type"] == "ephemeral"
    bot.action(action_payload(FEEDBACK_UP, answer_id, user="U2", channel="C1", response_url=url))
    fake_slack.wait_for("response_url", 2)

    [vote] = bot.feedback.feedback()  # the second click replaced the first
    assert (vote.vote, vote.user, vote.channel, vote.asked_by) == ("up", "U2", "C1", "U1")
    assert vote.question == "When did the mayor resign?"
    assert vote.answer == "The mayor resigned on Monday. [1]"
    assert vote.citations[0]["headline"] == "Mayor resigns"
    assert vote.citations[0]["url"] == "https://gazette.example/mayor"
    assert abs(vote.time.timestamp() - time.time()) < 60


def test_vote_on_an_unknown_answer_says_so(bot: BotOverHttp, fake_slack: FakeSlack) -> None:
    url = fake_slack.response_url("vote")
    bot.action(action_payload(FEEDBACK_UP, "0" * 32, user="U2", channel="C1", response_url=url))
    reply = fake_slack.wait_for("response_url")[0]
    assert reply.args["text"].startswith(":warning: That answer is no longer in newsbot's records")
    assert bot.feedback.feedback() == []


# --- never slow, never twice ---------------------------------------------------------------


class GatedAsk(ScriptedAsk):
    """Answers only once the test opens the gate; counts the questions being worked on."""

    def __init__(self) -> None:
        super().__init__(gate=threading.Event())
        self.running = 0
        self.most_running = 0
        self._lock = threading.Lock()

    def __call__(self, question: str, history: Sequence[Turn]) -> Answer:
        with self._lock:
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        try:
            return super().__call__(question, history)
        finally:
            with self._lock:
                self.running -= 1

    def open(self) -> None:
        assert self.gate is not None
        self.gate.set()

    def wait_running(self, count: int, timeout: float = 30.0) -> None:
        """Until `count` questions are being worked on (held at the gate)."""
        deadline = time.monotonic() + timeout
        while self.running < count:
            assert time.monotonic() < deadline, f"{self.running} of {count} answers started"
            time.sleep(0.01)


# Acks are tested by order, not by the clock: the answer is held at a gate until the ack has
# come back. An ack made to wait for the answer would never come (the request would time out),
# however fast or slow the machine.


def test_the_ack_and_the_work_started_signal_come_before_the_answer(
    bot_factory: Callable[..., BotOverHttp], fake_slack: FakeSlack
) -> None:
    gated = GatedAsk()
    bot = bot_factory(ask_fn=gated)
    event = mention(fake_slack, "When did the mayor resign?")
    try:
        reply = bot.event(event)
        assert reply.status == 200
        eyes = fake_slack.wait_for("reactions.add")[0]  # the user sees work started
        gated.wait_running(1)
        assert fake_slack.calls_to("chat.postMessage") == []
    finally:
        gated.open()
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert eyes.at < post.at
    assert post.args["thread_ts"] == event["ts"]


def test_ask_is_acknowledged_before_its_answer_is_worked_on(
    bot_factory: Callable[..., BotOverHttp], fake_slack: FakeSlack
) -> None:
    gated = GatedAsk()
    bot = bot_factory(ask_fn=gated)
    try:
        reply = bot.command("When did the mayor resign?", response_url=fake_slack.response_url("g"))
        assert reply.status == 200
        assert json.loads(reply.body)["text"].startswith("Searching the articles for:")
        gated.wait_running(1)
        assert fake_slack.calls_to("response_url") == []
    finally:
        gated.open()
    assert fake_slack.wait_for("response_url")[0].args["replace_original"] is True


def test_acks_never_wait_behind_more_answers_than_the_pools_have_threads(
    bot_factory: Callable[..., BotOverHttp], fake_slack: FakeSlack
) -> None:
    gated = GatedAsk()
    bot = bot_factory(ask_fn=gated)
    in_flight = 40  # more than bolt's listener pool (32) and than the answer pool
    for i in range(in_flight):
        bot.event(mention(fake_slack, f"Question {i}?", channel=f"C{i}"), event_id=f"EvMany{i}")
    try:
        gated.wait_running(ANSWER_THREADS)  # the answers hold every thread they can
        command = bot.command("Anything?", response_url=fake_slack.response_url("many"))
        click = bot.action(
            action_payload(
                FEEDBACK_UP,
                "0" * 32,
                user="U2",
                channel="C1",
                response_url=fake_slack.response_url("v"),
            )
        )
    finally:
        gated.open()
    # Acknowledged while every answer is held: bolt gives up on an ack after 3 s, so an ack
    # queued behind the answers would have come back as an error, not as these.
    assert command.status == 200, command
    assert json.loads(command.body)["text"].startswith("Searching the articles")
    assert click.status == 200, click
    assert gated.most_running == ANSWER_THREADS  # the answer pool is bounded; the rest queued
    fake_slack.wait_for("chat.postMessage", in_flight, timeout=30)  # the queued ones too
    fake_slack.wait_for("response_url", 2, timeout=10)  # the /ask answer and the vote's reply


def test_redeliveries_are_answered_once(
    bot: BotOverHttp, fake_slack: FakeSlack, ask: ScriptedAsk
) -> None:
    event = mention(fake_slack, "When did the mayor resign?")
    first = bot.event(event, event_id="EvSame")
    retries = [
        bot.event(
            event,
            event_id="EvSame",
            headers={"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"},
        )
        for n in (1, 2, 3)
    ]
    assert [r.status for r in [first, *retries]] == [200, 200, 200, 200]
    fake_slack.wait_for("chat.postMessage")
    fake_slack.settle()
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert len(ask.calls) == 1


def test_a_retry_of_an_event_never_received_is_answered(
    bot: BotOverHttp, fake_slack: FakeSlack, ask: ScriptedAsk
) -> None:
    event = mention(fake_slack, "When did the mayor resign?")
    bot.event(event, event_id="EvLost", headers={"X-Slack-Retry-Num": "1"})
    fake_slack.wait_for("chat.postMessage")
    fake_slack.settle()
    assert len(fake_slack.calls_to("chat.postMessage")) == 1 and len(ask.calls) == 1


@pytest.mark.parametrize("first", ["app_mention", "message.im"])
def test_one_message_delivered_as_a_mention_and_as_a_dm_is_answered_once(
    bot: BotOverHttp,
    fake_slack: FakeSlack,
    ask: ScriptedAsk,
    caplog: pytest.LogCaptureFixture,
    first: str,
) -> None:
    """A DM that mentions the bot comes as two events with their own event ids: the dedupe
    key is the message (channel and ts), not the event."""
    log_everything(caplog)
    im = direct_message(fake_slack, f"<@{BOT_USER_ID}> When did the mayor resign?")
    deliveries = {
        "app_mention": ({**im, "type": "app_mention"}, "EvAsMention"),
        "message.im": (im, "EvAsMessage"),
    }
    second = "message.im" if first == "app_mention" else "app_mention"
    for kind in (first, second):
        event, event_id = deliveries[kind]
        assert bot.event(event, event_id=event_id).status == 200  # both acknowledged
    # The second is dropped before it is acknowledged, so this holds without waiting.
    dropped = [r.getMessage() for r in caplog.records if r.getMessage().startswith("dropped")]
    assert dropped == [f"dropped a redelivered event {deliveries[second][1]} (retry ?)"]
    fake_slack.wait_for("chat.postMessage")
    fake_slack.settle()
    assert ask.calls == [("When did the mayor resign?", ())]
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_two_messages_with_the_same_words_are_both_answered(
    bot: BotOverHttp, fake_slack: FakeSlack, ask: ScriptedAsk
) -> None:
    """The dedupe is of one message, not of a question asked twice."""
    bot.event(direct_message(fake_slack, "When did the mayor resign?"), event_id="EvOne")
    fake_slack.wait_for("chat.postMessage")
    bot.event(direct_message(fake_slack, "When did the mayor resign?"), event_id="EvTwo")
    fake_slack.wait_for("chat.postMessage", 2)
    assert len(ask.calls) == 2


def test_messages_from_bots_are_ignored(
    bot: BotOverHttp, fake_slack: FakeSlack, ask: ScriptedAsk
) -> None:
    own = direct_message(
        fake_slack, "The mayor resigned on Monday.", user=BOT_USER_ID, bot_id=BOT_ID
    )
    other = direct_message(
        fake_slack, "Who is the mayor?", user="U9", bot_id="B0OTHER", subtype="bot_message"
    )
    other_mention = mention(fake_slack, "Who is the mayor?", user="U9", bot_id="B0OTHER")
    edit = direct_message(fake_slack, "Who is the mayor?", subtype="message_changed")
    replies = [
        bot.event(e, event_id=f"Ev{i}") for i, e in enumerate([own, other, other_mention, edit])
    ]
    assert all(r.status == 200 for r in replies)  # acknowledged, so Slack won't retry
    fake_slack.settle()
    assert ask.calls == []
    assert fake_slack.calls_to("chat.postMessage") == []


# --- request checks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "headers"),
    [
        ("wrong", {"signature": "v0=" + "0" * 64}),
        ("other secret", {"signature": "other"}),
        ("stale", {"timestamp": int(time.time()) - 10 * 60}),
        ("missing", {"signature": None}),
        ("no timestamp", {"send_timestamp": False}),
    ],
)
def test_bad_signatures_get_401(
    bot: BotOverHttp, fake_slack: FakeSlack, ask: ScriptedAsk, kind: str, headers: dict[str, Any]
) -> None:
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": "EvX",
            "team_id": "T0NEWS",
            "event": mention(fake_slack, "When did the mayor resign?"),
        }
    )
    if headers.get("signature") == "other":
        ts = int(time.time())
        headers = {"signature": sign(body, ts, "not-" + SIGNING_SECRET), "timestamp": ts}
    reply = bot.post(body, **headers)
    assert reply.status == 401, kind
    fake_slack.settle(quiet=0.5)
    assert ask.calls == [] and fake_slack.calls_to("chat.postMessage") == []


def test_stale_but_correctly_signed_request_is_refused(bot: BotOverHttp) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc"})
    old = int(time.time()) - 6 * 60
    assert bot.post(body, timestamp=old, signature=sign(body, old)).status == 401


def test_url_verification_returns_the_challenge(bot: BotOverHttp) -> None:
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    reply = bot.post(json.dumps({"token": "t", "challenge": challenge, "type": "url_verification"}))
    assert reply.status == 200
    assert json.loads(reply.body) == {"challenge": challenge}


# --- rendering -----------------------------------------------------------------------------


def test_article_text_cannot_ping_mention_or_link(
    bot_factory: Callable[..., BotOverHttp],
    fake_slack: FakeSlack,
    tmp_path: Path,
    settings: Settings,
) -> None:
    """A real (fake-encoder) index; its article tries <!channel>, a mention and a link."""
    folder = tmp_path / "articles"
    folder.mkdir()
    write_article(
        folder,
        "alert.txt",
        "Council <!here> warns staff",
        "Officials asked staff to alert <!channel> and <@U0BOSS> about the flood, "
        "see <https://evil.example|this page> & the hotline.",
        Source="Gazette <!everyone>",
        URL="https://gazette.example/flood?a=1&b=<2>",
    )
    encoder = FakeEncoder()
    store = EmbeddedIndex.open(
        settings.index, fingerprint=encoder.fingerprint, dim=encoder.dim, create=True
    )
    ingest([str(folder)], store, encoder)
    newsbot = Newsbot(settings, encoder=encoder, store=store)
    bot = bot_factory(ask_fn=lambda q, h: newsbot.ask(q, history=h))

    bot.event(mention(fake_slack, "Whom did officials ask staff to alert about the flood?"))
    post = fake_slack.wait_for("chat.postMessage")[0]
    store.close()

    sent = json.dumps(post.args, ensure_ascii=False)
    for forbidden in ("<!channel>", "<!here>", "<!everyone>", "<@U0BOSS>", "<https://evil.example"):
        assert forbidden not in sent
    section = post.args["blocks"][0]["text"]["text"]
    assert "&lt;!channel&gt; and &lt;@U0BOSS&gt;" in section
    assert "see &lt;https://evil.example|this page&gt; &amp; the hotline." in section
    assert unescape(section).startswith("Officials asked staff to alert <!channel>")
    source = post.args["blocks"][1]["elements"][0]["text"]
    # the only link is ours: the article's own URL, with its < > percent-encoded
    assert source == (
        "*[1]* Gazette &lt;!everyone&gt; · undated — "
        "<https://gazette.example/flood?a=1&amp;b=%3C2%3E|Council &lt;!here&gt; warns staff>"
    )
    assert all(obj["verbatim"] is True for obj in mrkdwn_objects(post.args["blocks"]))
    assert post.args["parse"] == "none" and post.args["link_names"] is False


def test_formatting_marks_and_emoji_codes_from_articles_show_as_typed(
    bot_factory: Callable[..., BotOverHttp], fake_slack: FakeSlack
) -> None:
    z = "\u200b"  # zero-width space: Slack can no longer pair the mark or read the :code:
    text = "The ratio was 1:100:2, *not* _final_ or ~struck~; see `code` and snake_case. [1]"
    cite = citation(headline="*Breaking*: fire :fire: in the_city")
    bot = bot_factory(ask_fn=ScriptedAsk(reply=lambda q: make_answer(q, text, citations=[cite])))

    bot.command("Is _this_ :100: bold*?", response_url=fake_slack.response_url("fmt"))
    post = fake_slack.wait_for("response_url")[0]
    question, section, source = (
        post.args["blocks"][0]["elements"][0]["text"],
        post.args["blocks"][1]["text"]["text"],
        post.args["blocks"][2]["elements"][0]["text"],
    )
    assert section == (
        f"The ratio was 1:{z}100:2, {z}*{z}not{z}*{z} {z}_{z}final{z}_{z} or {z}~{z}struck{z}~{z}; "
        f"see {z}`{z}code{z}`{z} and snake_case. [1]"
    )
    assert question == f"Question: Is {z}_{z}this{z}_{z} :{z}100: bold{z}*{z}?"
    assert source == (
        "*[1]* Gazette · 5 Feb 2018 — "
        f"<https://gazette.example/mayor|{z}*{z}Breaking{z}*{z}: fire :{z}fire: in the_city>"
    )
    assert post.args["text"] == section  # the notification reads the same
    assert unescape(section) == text  # nothing else changed: the invisible marks go on reading


class RecordingPacer(ChannelPacer):
    """The app's pacer on a fake clock, noting when (on that clock) each message went out."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(1.0, clock=clock, sleep=clock.sleep)
        self.clock = clock
        self.start = clock()
        self.sent: list[tuple[str, float]] = []

    def wait(self, channel: str) -> None:
        super().wait(channel)
        self.sent.append((channel, self.clock()))


def test_a_long_answer_is_split_within_limits_and_paced(
    bot_factory: Callable[..., BotOverHttp], fake_slack: FakeSlack
) -> None:
    sentence = "The council & the mayor <agreed> on a budget of 4.5 million for flood defences. "
    paragraphs = [sentence * 40 + f"[{i % 60 + 1}]" for i in range(35)]  # ~112,000 characters
    text = "\n\n".join(paragraphs)
    cites = [citation(i, headline=f"Budget story {i}") for i in range(1, 61)]
    long_ask = ScriptedAsk(reply=lambda q: make_answer(q, text, citations=cites))
    pacer = RecordingPacer(FakeClock())
    bot = bot_factory(ask_fn=long_ask, pacer=pacer)

    event = mention(fake_slack, "What did the council agree?")
    bot.event(event)
    fake_slack.wait_for("reactions.remove", timeout=30)
    posts = fake_slack.calls_to("chat.postMessage")
    assert not [c for c in fake_slack.calls if c.error]  # Slack accepted every message
    assert len(posts) >= 3
    assert all(p.args["thread_ts"] == event["ts"] for p in posts)
    for p in posts:
        assert len(p.args["blocks"]) <= 50
        assert all(
            len(b["text"]["text"]) <= 3000 for b in p.args["blocks"] if b["type"] == "section"
        )
        assert len(p.args["text"]) <= 40_000
    sections = [
        b["text"]["text"] for p in posts for b in p.args["blocks"] if b["type"] == "section"
    ]
    # nothing lost, no word or entity cut: the words read back exactly
    assert unescape(" ".join(sections)).split() == text.split()
    sources = [b for p in posts for b in p.args["blocks"] if b["type"] == "context"]
    assert len(sources) == 60
    assert posts[-1].args["blocks"][-1]["type"] == "actions"
    assert all(b["type"] != "actions" for p in posts[:-1] for b in p.args["blocks"])
    # One message a second in a channel, on the pacer's clock: each was sent when scheduled.
    assert pacer.sent == [("C1", pacer.start + i) for i in range(len(posts))]


def test_a_source_too_long_for_slack_loses_its_link_not_the_answer(
    bot_factory: Callable[..., BotOverHttp], fake_slack: FakeSlack
) -> None:
    """522 non-ASCII URL characters percent-encode to 3,000+; 300 '&' escape to 1,500."""
    url = "https://gazette.example/" + "é" * 498
    headline = "&" * 300
    cite = citation(headline=headline, url=url, also_ran_in=("&" * 200,))
    bot = bot_factory(ask_fn=ScriptedAsk(reply=lambda q: make_answer(q, citations=[cite])))

    bot.event(mention(fake_slack, "When did the mayor resign?"))
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert not [c for c in fake_slack.calls if c.error]  # Slack accepted it (no invalid_blocks)
    assert post.args["text"] == "The mayor resigned on Monday. [1]"
    [source] = [b["elements"][0]["text"] for b in post.args["blocks"] if b["type"] == "context"]
    assert len(source) <= 3000
    assert source.startswith("*[1]* Gazette · 5 Feb 2018 — " + "&amp;" * 300)
    assert "<https://" not in source  # the link didn't fit; the headline did


# --- access and errors ---------------------------------------------------------------------


def test_allow_lists_are_honoured_politely(
    bot_factory: Callable[..., BotOverHttp],
    fake_slack: FakeSlack,
    slack_settings: Settings,
    ask: ScriptedAsk,
) -> None:
    settings = slack_settings.model_copy(
        update={"slack_allowed_channels": ["C0DESK"], "slack_allowed_users": ["U1", "U2"]}
    )
    bot = bot_factory(settings=settings)

    bot.event(mention(fake_slack, "Who is the mayor?", channel="C0SPORTS"), event_id="Ev1")
    refusal = fake_slack.wait_for("chat.postEphemeral")[0]
    assert (refusal.args["channel"], refusal.args["user"]) == ("C0SPORTS", "U1")
    assert refusal.args["text"] == (
        "Sorry, newsbot isn't enabled in this channel. You can ask me in a direct message."
    )

    bot.event(
        direct_message(fake_slack, "Who is the mayor?", user="U7", channel="D7"), event_id="Ev2"
    )
    dm_refusal = fake_slack.wait_for("chat.postMessage")[0]
    assert dm_refusal.args["channel"] == "D7"
    assert dm_refusal.args["text"].startswith("Sorry, newsbot isn't enabled for your account")

    slash = bot.command(
        "Who is the mayor?", response_url=fake_slack.response_url("x"), channel="C0SPORTS"
    )
    assert json.loads(slash.body)["text"].startswith("Sorry, newsbot isn't enabled in this channel")

    bot.event(mention(fake_slack, "Who is the mayor?", user="U2", channel="C0DESK"), event_id="Ev3")
    answered = fake_slack.wait_for("chat.postMessage", 2)[1]
    assert answered.args["channel"] == "C0DESK"
    fake_slack.settle()
    assert [q for q, _ in ask.calls] == ["Who is the mayor?"]  # only the allowed one was asked


def test_an_error_is_never_silent_and_logs_hold_no_secrets(
    bot_factory: Callable[..., BotOverHttp], fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    log_everything(caplog)  # bot's loggers, slack_sdk's and slack_bolt's
    failing = ScriptedAsk(error=RuntimeError("disk on fire"))
    bot = bot_factory(ask_fn=failing)
    event = mention(fake_slack, "When did the mayor resign?")
    bot.event(event)
    post = fake_slack.wait_for("chat.postMessage")[0]
    fake_slack.wait_for("reactions.remove")
    assert post.args["thread_ts"] == event["ts"]
    assert post.args["text"].startswith(":warning: Sorry, something went wrong while answering.")
    ref = post.args["text"].split("reference ")[1].rstrip(").")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name == "bot.slack"]
    assert errors and ref in errors[0].getMessage() and "disk on fire" in errors[0].getMessage()
    logged = caplog.text
    for secret in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET):
        assert secret not in logged
    libraries = {r.name.split(".")[0] for r in caplog.records}
    assert {"slack_sdk", "slack_bolt"} <= libraries  # their debug logs were captured too


def test_a_newsbot_error_is_shown_as_its_message(
    bot_factory: Callable[..., BotOverHttp], fake_slack: FakeSlack
) -> None:
    bot = bot_factory(
        ask_fn=ScriptedAsk(error=IndexMissingError("No index in /srv/index: run newsbot ingest"))
    )
    bot.event(direct_message(fake_slack, "Anything?"))
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert post.args["text"] == (
        ":warning: Sorry, I couldn't answer that: No index in /srv/index: run newsbot ingest"
    )


def test_logs_do_not_carry_whole_articles(
    bot_factory: Callable[..., BotOverHttp], fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    article_text = "A sentence from the article body that must stay out of the logs. " * 20
    bot = bot_factory(ask_fn=ScriptedAsk(reply=lambda q: make_answer(q, article_text)))
    bot.event(mention(fake_slack, "What does the article say?"))
    fake_slack.wait_for("reactions.remove")
    assert "must stay out of the logs" not in caplog.text
    assert any("answered U1 in C1" in r.getMessage() for r in caplog.records)


def test_rate_limited_post_is_retried_after_retry_after(
    bot: BotOverHttp, fake_slack: FakeSlack
) -> None:
    fake_slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    bot.event(mention(fake_slack, "When did the mayor resign?"))
    fake_slack.wait_for("chat.postMessage", timeout=20)
    fake_slack.settle()
    attempts = fake_slack.calls_to("chat.postMessage", ok_only=False)
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0  # Retry-After was waited out
    assert attempts[1].args["text"] == "The mayor resigned on Monday. [1]"


def test_a_rate_limited_response_url_is_retried_after_retry_after(
    bot: BotOverHttp, fake_slack: FakeSlack
) -> None:
    fake_slack.rate_limit("response_url", times=1, retry_after=1)
    bot.command("When did the mayor resign?", response_url=fake_slack.response_url("cmd429"))
    answer = fake_slack.wait_for("response_url", timeout=20)[0]
    attempts = fake_slack.calls_to("response_url", ok_only=False)
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0  # Retry-After was waited out
    assert answer.args["url"] == "/response/cmd429"
    assert answer.args["blocks"][1]["text"]["text"] == "The mayor resigned on Monday. [1]"


def test_questions_that_cant_be_asked_get_how_to_ask_not_a_decline(
    bot_factory: Callable[..., BotOverHttp], fake_slack: FakeSlack, newsbot: Newsbot
) -> None:
    """The real core over a (fake-encoder) index: its checks reach Slack as notices."""
    bot = bot_factory(ask_fn=lambda q, h: newsbot.ask(q, history=h))
    bot.event(mention(fake_slack, "???"), event_id="Ev1")
    bot.event(direct_message(fake_slack, "form:herald Who resigned?"), event_id="Ev2")
    bot.command("Who " + "really " * 200 + "resigned?", response_url=fake_slack.response_url("c"))
    posts = {  # what the user reads: without the zero-width spaces that keep :codes: literal
        c.args["channel"]: c.args["text"].replace("\u200b", "")
        for c in fake_slack.wait_for("chat.postMessage", 2)
    }
    assert posts["C1"] == "A question is needed: write what you want to know about the articles."
    assert posts["D1"].startswith("form:herald: form: is not a filter; did you mean from:?")
    [replaced] = fake_slack.wait_for("response_url")
    assert replaced.args["replace_original"] is True
    assert replaced.args["text"] == (
        "The question is 1,413 characters long; the limit is 1,000. Ask it in fewer words."
    )
    assert not any("warning" in text or "couldn't find" in text for text in posts.values())
