"""The Slack front's small parts, without Slack: text parsing, history, access, dedupe, pacing."""

from __future__ import annotations

import time

import pytest

from bot.config import Settings
from bot.records import Turn
from bot.slack import (
    NOT_ENABLED_CHANNEL,
    NOT_ENABLED_CHANNEL_DM,
    NOT_ENABLED_DM,
    NOT_ENABLED_USER,
    Access,
    ChannelPacer,
    SeenEvents,
    conversation_turns,
    question_text,
)
from tests.clock import FakeClock


def test_question_text_removes_the_mention_and_slack_markup() -> None:
    assert question_text("<@UBOT> Who is the spokesman?", "UBOT") == "Who is the spokesman?"
    assert question_text("hey <@UBOT|newsbot>, AT&amp;T &lt;3?", "UBOT") == "hey , AT&T <3?"
    assert question_text("what did <@U2|jane> say in <#C1|desk>?", "UBOT") == (
        "what did @jane say in #desk?"
    )
    assert question_text(
        "<!here> see <https://x.example/a|x.example/a> and <https://y.example>", "UBOT"
    ) == ("@here see x.example/a and https://y.example")
    # filters and time phrases pass through untouched, for the core to parse
    assert question_text("<@UBOT>  from:reuters   last week  strikes", "UBOT") == (
        "from:reuters last week strikes"
    )
    assert question_text("<@UBOT>", "UBOT") == ""


def _msg(ts: str, text: str, **extra: str) -> dict[str, str]:
    return {"ts": ts, "text": text, **extra}


def test_conversation_turns_pair_questions_with_our_answers() -> None:
    messages = [
        _msg("1.0", "<@UBOT> Who carried out the strikes?", user="U1"),
        _msg("2.0", "The coalition &amp; allies. [1]", user="UBOT", bot_id="BBOT"),
        _msg("3.0", "nice", user="U2"),  # no mention: chatter, not a question
        _msg("4.0", "<@UBOT> And the casualties?", user="U2"),
        _msg("5.0", ":warning: Sorry, something went wrong", user="UBOT", bot_id="BBOT"),
        _msg("6.0", "<@UBOT> Where?", user="U1"),
        _msg("7.0", "East of the river. [1]", bot_id="BBOT"),
        _msg("7.5", "Second part of that answer.", bot_id="BBOT"),
        _msg("8.0", "beep", user="U9", bot_id="B0OTHER"),
        _msg("9.0", "<@UBOT> Who denounced them?", user="U1"),  # the question being answered
        _msg("10.0", "<@UBOT> later question", user="U1"),
    ]
    turns = conversation_turns(
        messages, before_ts="9.0", bot_user_id="UBOT", bot_id="BBOT", dm=False
    )
    assert turns == [
        Turn("Who carried out the strikes?", "The coalition & allies. [1]"),
        Turn("Where?", "East of the river. [1]"),
    ]


def test_conversation_turns_in_a_dm_need_no_mention() -> None:
    messages = [_msg("1.0", "Who resigned?", user="U1"), _msg("2.0", "The mayor. [1]", user="UBOT")]
    turns = conversation_turns(
        messages, before_ts="3.0", bot_user_id="UBOT", bot_id="BBOT", dm=True
    )
    assert turns == [Turn("Who resigned?", "The mayor. [1]")]


def test_access_rules() -> None:
    everyone = Access()
    assert everyone.refusal("U1", "C1", dm=False) is None
    assert everyone.refusal("U1", "D1", dm=True) is None

    desk = Access(channels=frozenset({"CDESK"}), users=frozenset({"U1"}))
    assert desk.refusal("U1", "CDESK", dm=False) is None
    assert desk.refusal("U1", "D1", dm=True) is None  # DMs aren't channels on the list
    assert desk.refusal("U1", "COTHER", dm=False) == NOT_ENABLED_CHANNEL_DM
    assert desk.refusal("U2", "CDESK", dm=False) == NOT_ENABLED_USER
    assert desk.refusal("U2", "D2", dm=True) == NOT_ENABLED_USER

    no_dms = Access(channels=frozenset({"CDESK"}), dms=False)
    assert no_dms.refusal("U1", "D1", dm=True) == NOT_ENABLED_DM
    assert no_dms.refusal("U1", "COTHER", dm=False) == NOT_ENABLED_CHANNEL


def test_seen_events_drops_repeats_until_they_expire() -> None:
    clock = FakeClock()
    seen = SeenEvents(ttl=3600, clock=clock)
    assert seen.first_time(["event:Ev1", "message:C1:1.0"])
    assert not seen.first_time(["event:Ev1"])
    assert not seen.first_time(["event:Ev2", "message:C1:1.0"])  # same message, another event
    assert seen.first_time(["event:Ev3"])
    clock.advance(3599)
    assert not seen.first_time(["event:Ev3"])  # within the hour: a repeat (seen again now)
    clock.advance(2)
    assert seen.first_time(["event:Ev1"])  # over an hour since it was last seen
    assert not seen.first_time(["event:Ev3"])  # seen again 2 s ago
    bounded = SeenEvents(max_size=2)
    for i in range(5):
        bounded.first_time([f"event:{i}"])
    assert bounded.first_time(["event:0"])  # the oldest keys were let go


def test_channel_pacer_spaces_messages_per_channel() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ChannelPacer(1.0, clock=lambda: now[0], sleep=sleep)
    pacer.wait("C1")
    pacer.wait("C1")
    pacer.wait("C2")  # another channel doesn't wait for C1
    pacer.wait("C1")
    assert slept == [1.0, 1.0]
    now[0] += 5
    pacer.wait("C1")  # a quiet channel posts at once
    assert slept == [1.0, 1.0]


def test_channel_pacer_on_the_real_clock_waits_at_least_the_interval() -> None:
    """A lower bound only: a loaded machine can make the waits longer, never shorter."""
    pacer = ChannelPacer(0.2)
    started = time.monotonic()
    for _ in range(3):
        pacer.wait("C1")
    assert time.monotonic() - started >= 0.4


def test_slack_settings_read_slacks_own_names_with_or_without_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-plain")
    monkeypatch.setenv("NEWSBOT_SLACK_APP_TOKEN", "xapp-prefixed")
    monkeypatch.setenv("NEWSBOT_SLACK_ALLOWED_CHANNELS", " C1, C2 ,")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.slack_bot_token is not None and settings.slack_app_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-plain"
    assert settings.slack_app_token.get_secret_value() == "xapp-prefixed"
    assert "xoxb-plain" not in repr(settings)  # secrets never print
    assert settings.slack_allowed_channels == ["C1", "C2"]
    assert settings.slack_allowed_users == []
    monkeypatch.setenv("NEWSBOT_SLACK_BOT_TOKEN", "xoxb-prefixed")  # the prefixed name wins
    assert Settings(_env_file=None).slack_bot_token.get_secret_value() == "xoxb-prefixed"  # type: ignore[call-arg, union-attr]
    assert settings.feedback_path == settings.index.parent / "feedback.sqlite"
