"""Dated evidence, newer coverage, changed figures, related coverage and the story so far,
on the real model and the developing story of tests/data/story/.

The story: a fire at a chemical plant in Millbrook (2-20 March 2021). The wire report of
2 March (run again by the Millbrook Ledger) says at least 300 residents were evacuated;
3 March says about 1,200, 4 March about 1,600; then the fire is put out, residents return
and the company is fined. Around it: a same-day story on Oakdale's shelters (about 250
residents evacuated *to Oakdale*: the same words, another count), a warehouse fire in
Eastport (about 50 residents evacuated: another story) and Millbrook's school budget.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from bot.core import Newsbot
from bot.embeddings import Encoder
from bot.render import figures_line, newer_coverage_lines, related_coverage, to_json, to_text
from bot.slack_render import answer_messages
from tests.conftest import ROOT
from tests.integration.fresh_index import fresh_index

STORY = ROOT / "tests" / "data" / "story"
PRECAUTION = "How many residents were evacuated as a precaution?"


@pytest.fixture(scope="module")
def story_index(tmp_path_factory: pytest.TempPathFactory, real_encoder: Encoder) -> Path:
    directory = tmp_path_factory.mktemp("story") / "index"
    store, report = fresh_index(directory, [STORY], real_encoder)
    assert report.added == 10 and not report.failed
    store.close()
    return directory


@pytest.fixture(scope="module")
def bot(story_index: Path, real_encoder: Encoder) -> Newsbot:
    settings = Settings(index=story_index, timezone="America/New_York", _env_file=None)  # type: ignore[call-arg]
    return Newsbot(settings, encoder=real_encoder)


def test_every_source_is_dated_next_to_its_marker(bot: Newsbot) -> None:
    answer = bot.ask(PRECAUTION, as_of=date(2021, 3, 25))
    assert "At least 300 residents were evacuated" in answer.text
    text = to_text(answer, full_sources=False)
    assert re.search(r"^\[1\] (Millbrook Ledger|Coastal Wire) · 2 Mar 2021 — Fire at Millbrook",
                     text, re.M)  # fmt: skip
    assert to_json(answer)["citations"][0]["published"].startswith("2021-03-02T")


def test_a_superseded_figure_gets_newer_coverage_and_a_figures_line(bot: Newsbot) -> None:
    answer = bot.ask(PRECAUTION, as_of=date(2021, 3, 4))
    assert "At least 300 residents were evacuated" in answer.text
    assert newer_coverage_lines(answer) == [
        "Newer coverage: Millbrook fire still burning as evacuation grows — "
        "Coastal Wire, 4 Mar 2021",
        "Newer coverage: Millbrook evacuation widens as plant fire keeps burning — "
        "Millbrook Ledger, 3 Mar 2021",
    ]
    assert answer.figures_differ is not None
    line = figures_line(answer.figures_differ)
    assert line.startswith("Figures differ: At least 300 residents were evacuated (")
    assert line.endswith("→ About 1,600 residents have now been evacuated (Coastal Wire, 4 Mar)")
    data = to_json(answer)
    newest = data["citations"][0]["newer_coverage"][0]
    assert newest["headline"] == "Millbrook fire still burning as evacuation grows"
    other = data["figures_differ"]["other"]
    assert other["quote"].startswith("About 1,600 residents have now been evacuated")
    body = (STORY / "2021-03-04-evacuation-grows.txt").read_text(encoding="utf-8")
    assert other["text"] in body


def test_the_as_of_day_hides_what_came_later(bot: Newsbot) -> None:
    answer = bot.ask(PRECAUTION, as_of=date(2021, 3, 3))
    line = figures_line(answer.figures_differ) if answer.figures_differ else ""
    assert "1,600" not in line and "1,200 residents were evacuated" in line
    assert all("4 Mar" not in n for n in newer_coverage_lines(answer))


def test_near_misses_get_no_figures_line(bot: Newsbot) -> None:
    # On 2 March only the Oakdale story gives another count: of residents taken to Oakdale.
    first_day = bot.ask(PRECAUTION, as_of=date(2021, 3, 2))
    assert "At least 300" in first_day.text and first_day.figures_differ is None
    # Oakdale's and Eastport's counts are of other things; Millbrook's later counts are
    # not about them.
    oakdale = bot.ask("How many residents were taken to the Oakdale shelters?",
                      as_of=date(2021, 3, 25))  # fmt: skip
    assert "About 250 residents" in oakdale.text and oakdale.figures_differ is None
    eastport = bot.ask("How many residents were evacuated in Eastport?", as_of=date(2021, 3, 25))
    assert "About 50 residents" in eastport.text and eastport.figures_differ is None
    assert newer_coverage_lines(eastport) == []  # no later article on the warehouse fire


def test_only_the_sources_used_then_related_coverage_once(bot: Newsbot) -> None:
    answer = bot.ask("When was the fire at the Delmar Chemicals plant put out?",
                     as_of=date(2021, 3, 25))  # fmt: skip
    assert "put out the fire" in answer.text
    cited = {c.article_id for c in answer.citations}
    related = related_coverage(answer)
    assert 0 < len(related) <= 3 and not cited & {r.article_id for r in related}
    # retrieved but about something else: not related coverage
    precaution = bot.ask(PRECAUTION, as_of=date(2021, 3, 4))
    assert any(r.headline == "Millbrook school board approves budget" for r in precaution.retrieved)
    assert [r.headline for r in related_coverage(precaution)] == [
        "Warehouse fire in Eastport forces evacuations",
        "Oakdale opens shelters for Millbrook fire evacuees",
    ]
    text = to_text(answer)
    assert text.count("Millbrook plant fire put out after three days") == 1
    assert "Related coverage:\n  " in text
    assert len(to_json(answer)["retrieved"]) > len(answer.citations)  # `retrieved` as before
    [message] = answer_messages(answer, answer_id="x")
    contexts = [b["elements"][0]["text"] for b in message.blocks if b["type"] == "context"]
    assert sum(t.startswith("*Related coverage:*") for t in contexts) == 1


def test_the_story_so_far(bot: Newsbot) -> None:
    timeline = bot.timeline("Millbrook chemical plant fire", as_of=date(2021, 3, 25))
    entries = [e.citation for e in timeline.entries]
    days = [c.published.date().isoformat() for c in entries]  # type: ignore[union-attr]
    assert days == ["2021-03-02", "2021-03-02", "2021-03-03", "2021-03-04", "2021-03-05",
                    "2021-03-09", "2021-03-20"]  # fmt: skip
    headlines = [c.headline for c in entries]
    assert (
        headlines.count("Fire at Millbrook chemical plant forces evacuations") == 1
    )  # copies once
    first = entries[headlines.index("Fire at Millbrook chemical plant forces evacuations")]
    assert {first.attribution, *first.also_ran_in} == {"Coastal Wire", "Millbrook Ledger"}
    assert "Warehouse fire in Eastport forces evacuations" not in headlines
    assert "Millbrook school board approves budget" not in headlines
    # What each follow-up adds, not its first line: the growing count.
    by_day = {c.published.date().isoformat(): c.quote for c in entries}  # type: ignore[union-attr]
    assert by_day["2021-03-03"].startswith("About 1,200 residents were evacuated")
    assert by_day["2021-03-04"].startswith("About 1,600 residents have now been evacuated")
    for c in entries:  # verbatim
        path = Path(c.source_path)
        assert c.quote in path.read_text(encoding="utf-8")
    short = bot.timeline("Millbrook chemical plant fire", as_of=date(2021, 3, 25), limit=3)
    kept = [c.published.date().isoformat() for c in (e.citation for e in short.entries)]  # type: ignore[union-attr]
    assert kept[0] == "2021-03-02" and kept[-1] == "2021-03-20" and len(kept) == 3
    ledger = bot.timeline("Millbrook chemical plant fire from:ledger", as_of=date(2021, 3, 25))
    assert {e.citation.attribution for e in ledger.entries} == {"Millbrook Ledger"}
    early = bot.timeline("Millbrook chemical plant fire", as_of=date(2021, 3, 3))
    assert max(e.citation.published.date() for e in early.entries) == date(2021, 3, 3)  # type: ignore[union-attr]


@pytest.fixture
def cli(story_index: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    monkeypatch.setenv("NEWSBOT_INDEX", str(story_index))
    monkeypatch.setenv("NEWSBOT_TIMEZONE", "America/New_York")
    runner = CliRunner()
    return lambda *args, input=None: runner.invoke(app, list(args), input=input)


def test_the_commands_show_it(cli: Callable[..., Result]) -> None:
    asked = cli("ask", "--as-of", "2021-03-04", PRECAUTION)
    assert asked.exit_code == 0, asked.output
    assert "\n\nFigures differ: At least 300 residents were evacuated (" in asked.output
    assert "Newer coverage: Millbrook fire still burning as evacuation grows" in asked.output
    data = json.loads(cli("ask", "--json", "--as-of", "2021-03-04", PRECAUTION).output)
    assert data["schema_version"] == 1 and data["figures_differ"]["other"]["text"]
    told = cli("timeline", "--as-of", "2021-03-25", "Millbrook chemical plant fire")
    assert told.output.startswith("The story so far: Millbrook chemical plant fire (7 entries")
    script = f"{PRECAUTION}\n/sources\n/timeline Millbrook chemical plant fire\n"
    chat = cli("chat", "--as-of", "2021-03-04", input=script)
    assert "Figures differ:" in chat.output and "Newer coverage:\n  newer than [1]" in chat.output
    assert "The story so far: Millbrook chemical plant fire (4 entries" in chat.output


def test_slack_shows_it_over_the_real_wire(bot: Newsbot, story_index: Path, tmp_path: Path) -> None:
    """A mention and a `timeline:` /ask, answered by the real bot through the bolt app over
    HTTP, posted to the fake Slack: the figures line, dated sources, newer and related
    coverage as context blocks; the story so far with its dated sources."""
    from tests.slack.conftest import SIGNING_SECRET, mention, serve_bot
    from tests.slack.fake_slack import BOT_TOKEN, FakeSlack

    with FakeSlack() as fake_slack:
        settings = Settings(
            index=story_index,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=fake_slack.api_url,
            feedback_db=tmp_path / "feedback.sqlite",
            _env_file=None,  # type: ignore[call-arg]
        )
        with serve_bot(
            settings,
            lambda q, history: bot.ask(q, history=history),
            timeline_fn=lambda topic: bot.timeline(topic),
        ) as slack:
            slack.event(mention(fake_slack, PRECAUTION))
            post = fake_slack.wait_for("chat.postMessage", timeout=60)[0]
            url = fake_slack.response_url("timeline")
            slack.command("timeline: Millbrook chemical plant fire", response_url=url)
            told = fake_slack.wait_for("response_url", timeout=60)[0]
            fake_slack.settle(quiet=0.3)

    contexts = [b["elements"][0]["text"] for b in post.args["blocks"] if b["type"] == "context"]
    assert contexts[0].startswith("*Figures differ:* At least 300 residents were evacuated (")
    assert contexts[0].endswith(
        "→ About 1,600 residents have now been evacuated (Coastal Wire, 4 Mar)"
    )
    assert re.match(r"\*\[1\]\* (Millbrook Ledger|Coastal Wire) · 2 Mar 2021 — ", contexts[1])
    # as of today: the newest on the story first, the figure's article among them
    assert contexts[2:4] == [
        "*Newer coverage:* Millbrook plant fire put out after three days — Coastal Wire, "
        "5 Mar 2021",
        "*Newer coverage:* Millbrook fire still burning as evacuation grows — Coastal Wire, "
        "4 Mar 2021",
    ]
    assert sum(c.startswith("*Related coverage:* ") for c in contexts) == 1
    blocks = told.args["blocks"]
    [story] = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert story.startswith("The story so far: Millbrook chemical plant fire (7 entries")
    assert "\n4 Mar 2021 · Coastal Wire: About 1,600 residents have now been evacuated" in story
    sources = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    assert sources[0] == "Question: timeline: Millbrook chemical plant fire"
    assert sources[-1].startswith("*[7]* Coastal Wire · 20 Mar 2021 — ")
