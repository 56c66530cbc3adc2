"""The real bolt app over Socket Mode: slack_sdk's built-in WebSocket client connects to the
fake Slack's WebSocket (the URL apps.connections.open returned), gets `hello`, receives
envelopes and acknowledges them."""

from __future__ import annotations

import logging
import threading

import pytest

from bot.feedback import FeedbackStore
from bot.slack_render import FEEDBACK_UP
from tests.slack.conftest import (
    ScriptedAsk,
    action_payload,
    command_payload,
    event_body,
    log_everything,
    mention,
)
from tests.slack.fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack

pytestmark = pytest.mark.integration


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG from before the bot connects (request it before socket_bot)."""
    log_everything(caplog)
    return caplog


def test_connects_with_the_app_token(socket_bot: FeedbackStore, fake_slack: FakeSlack) -> None:
    [open_call] = fake_slack.calls_to("apps.connections.open")
    assert open_call.token == APP_TOKEN  # the xapp- token, not the bot token


def test_mention_envelope_is_acked_at_once_and_answered_in_thread(
    socket_bot: FeedbackStore, fake_slack: FakeSlack, ask: ScriptedAsk
) -> None:
    # The answer is held until the ack and the work-started signal are in: were the ack to
    # wait for the answer, it would never come, whatever the speed of the machine.
    ask.gate = threading.Event()
    event = mention(fake_slack, "When did the mayor resign?")
    try:
        envelope_id, _ = fake_slack.send_envelope("events_api", event_body(event, "EvS1"))
        ack = fake_slack.wait_for_ack(envelope_id, timeout=20)
        eyes = fake_slack.wait_for("reactions.add", timeout=20)[0]
        assert eyes.args["timestamp"] == event["ts"]
        assert fake_slack.calls_to("chat.postMessage") == []
    finally:
        ask.gate.set()
    post = fake_slack.wait_for("chat.postMessage", timeout=20)[0]
    assert ack.at < post.at and eyes.at < post.at
    assert (post.args["channel"], post.args["thread_ts"]) == ("C1", event["ts"])
    assert post.args["text"] == "The mayor resigned on Monday. [1]"
    assert ask.calls == [("When did the mayor resign?", ())]


def test_redelivered_envelopes_are_answered_once(
    socket_bot: FeedbackStore, fake_slack: FakeSlack, ask: ScriptedAsk
) -> None:
    event = mention(fake_slack, "When did the mayor resign?")
    body = event_body(event, "EvS2")
    ids = [fake_slack.send_envelope("events_api", body)[0]]
    ids += [fake_slack.send_envelope("events_api", body, retry_attempt=n)[0] for n in (1, 2)]
    for envelope_id in ids:  # every delivery is acknowledged, so Slack stops retrying
        fake_slack.wait_for_ack(envelope_id)
    fake_slack.wait_for("chat.postMessage")
    fake_slack.settle()
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert len(ask.calls) == 1


def test_slash_command_ack_carries_the_searching_message(
    socket_bot: FeedbackStore, fake_slack: FakeSlack, ask: ScriptedAsk
) -> None:
    payload = command_payload(
        "When did the mayor resign?",
        response_url=fake_slack.response_url("s"),
        user="U1",
        channel="C1",
    )
    envelope_id, _ = fake_slack.send_envelope("slash_commands", payload)
    ack = fake_slack.wait_for_ack(envelope_id)
    assert ack.payload is not None
    assert ack.payload["text"] == "Searching the articles for: When did the mayor resign?"
    assert ack.payload["response_type"] == "ephemeral"
    answer = fake_slack.wait_for("response_url")[0]
    assert answer.args["blocks"][1]["text"]["text"] == "The mayor resigned on Monday. [1]"


def test_feedback_click_over_socket_mode_is_stored(
    socket_bot: FeedbackStore, fake_slack: FakeSlack
) -> None:
    event = mention(fake_slack, "When did the mayor resign?")
    fake_slack.send_envelope("events_api", event_body(event, "EvS3"))
    post = fake_slack.wait_for("chat.postMessage")[0]
    answer_id = post.args["blocks"][-1]["elements"][0]["value"]
    payload = action_payload(
        FEEDBACK_UP, answer_id, user="U5", channel="C1", response_url=fake_slack.response_url("v")
    )
    envelope_id, _ = fake_slack.send_envelope("interactive", payload)
    fake_slack.wait_for_ack(envelope_id)
    fake_slack.wait_for("response_url")  # the thanks comes after the vote is stored
    [vote] = socket_bot.feedback()
    assert (vote.vote, vote.user, vote.question) == ("up", "U5", "When did the mayor resign?")


def test_socket_mode_debug_logs_hold_no_tokens(
    debug_logs: pytest.LogCaptureFixture, socket_bot: FeedbackStore, fake_slack: FakeSlack
) -> None:
    event = mention(fake_slack, "When did the mayor resign?")
    fake_slack.send_envelope("events_api", event_body(event, "EvLog"))
    fake_slack.wait_for("chat.postMessage")
    fake_slack.wait_for("reactions.remove")
    records = debug_logs.get_records("setup") + debug_logs.get_records("call")
    logged = "\n".join(logging.Formatter().format(r) for r in records)
    assert "apps.connections.open" in logged  # the connection (with the app token) was logged
    assert {"slack_sdk", "slack_bolt"} <= {r.name.split(".")[0] for r in records}
    assert APP_TOKEN not in logged and BOT_TOKEN not in logged
