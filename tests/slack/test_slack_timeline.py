"""`timeline: TOPIC` in Slack (a mention, a DM or /ask): the story so far, posted like an
answer (escaped, with its sources, votes and Share), through the real HTTP wire."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from bot.records import Citation, Timeline, TimelineEntry
from bot.slack_render import FEEDBACK_DOWN, FEEDBACK_UP, SHARE
from tests.slack.conftest import (
    BotOverHttp,
    FakeSlack,
    ScriptedAsk,
    action_payload,
    direct_message,
    mention,
)


class ScriptedTimeline:
    def __init__(self) -> None:
        self.topics: list[str] = []

    def __call__(self, topic: str) -> Timeline:
        self.topics.append(topic)
        when = datetime(2021, 3, 2, 9, tzinfo=UTC)
        cites = [
            Citation(1, 1, "Fire at plant", "Coastal Wire", when, "https://c.example/1",
                     "/s/1.txt", "At least 300 residents were evacuated <!channel>.", 0, 50,
                     ("Millbrook Ledger",)),
            Citation(2, 2, "Evacuation widens", "Millbrook Ledger",
                     datetime(2021, 3, 3, 18, tzinfo=UTC), None, "/s/2.txt",
                     "About 1,200 residents were evacuated.", 10, 47),
        ]  # fmt: skip
        return Timeline(topic, [TimelineEntry(c, 0.5) for c in cites], found=2,
                        search_query=topic)  # fmt: skip


def test_a_timeline_mention_posts_the_story_so_far(
    bot_factory: Callable[..., BotOverHttp], fake_slack: FakeSlack, ask: ScriptedAsk
) -> None:
    timeline = ScriptedTimeline()
    bot = bot_factory(timeline_fn=timeline)
    bot.event(mention(fake_slack, "timeline: Millbrook plant fire"))
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert timeline.topics == ["Millbrook plant fire"] and ask.calls == []
    blocks = post.args["blocks"]
    assert blocks[0]["text"]["text"] == (
        "The story so far: Millbrook plant fire (2 entries, oldest first)\n"
        "2 Mar 2021 · Coastal Wire: At least 300 residents were evacuated &lt;!channel&gt;. [1]\n"
        "3 Mar 2021 · Millbrook Ledger: About 1,200 residents were evacuated. [2]"
    )
    sources = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    assert sources == [
        "*[1]* Coastal Wire · 2 Mar 2021 — <https://c.example/1|Fire at plant> "
        "(also ran in Millbrook Ledger)",
        "*[2]* Millbrook Ledger · 3 Mar 2021 — Evacuation widens",
    ]
    assert [e["action_id"] for e in blocks[-1]["elements"]] == [FEEDBACK_UP, FEEDBACK_DOWN]
    assert "<!channel>" not in json.dumps(post.args)


def test_a_timeline_by_dm_and_by_slash_command_which_can_be_shared(
    bot_factory: Callable[..., BotOverHttp], fake_slack: FakeSlack, ask: ScriptedAsk
) -> None:
    timeline = ScriptedTimeline()
    bot = bot_factory(timeline_fn=timeline)
    bot.event(direct_message(fake_slack, "Timeline:Millbrook fire from:ledger"))
    fake_slack.wait_for("chat.postMessage")
    url = fake_slack.response_url("tl")
    bot.command("timeline: Millbrook fire", response_url=url)
    reply = fake_slack.wait_for("response_url")[0]
    assert timeline.topics == ["Millbrook fire from:ledger", "Millbrook fire"] and not ask.calls
    blocks = reply.args["blocks"]
    assert blocks[0]["elements"][0]["text"] == "Question: timeline: Millbrook fire"
    assert blocks[1]["text"]["text"].startswith("The story so far: Millbrook fire")
    buttons = {e["action_id"]: e["value"] for e in blocks[-1]["elements"]}
    share_url = fake_slack.response_url("share")
    bot.action(action_payload(SHARE, buttons[SHARE], user="U1", channel="C1",
                              response_url=share_url))  # fmt: skip
    shared = fake_slack.wait_for("response_url", 3)[1]
    assert shared.args["response_type"] == "in_channel"
    assert shared.args["blocks"][1]["text"]["text"] == blocks[1]["text"]["text"]


def test_without_a_timeline_function_the_text_is_a_question(
    bot: BotOverHttp, fake_slack: FakeSlack, ask: ScriptedAsk
) -> None:
    bot.event(mention(fake_slack, "timeline: Millbrook fire"))
    fake_slack.wait_for("chat.postMessage")
    assert ask.calls == [("timeline: Millbrook fire", ())]
