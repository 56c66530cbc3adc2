"""Reworded and time-bound questions over a small dated archive of look-alike stories
(real model, real index): the sentence with the asked-for figure wins over the lead, and
"this week" picks this week's story over last year's."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core import Newsbot
from bot.embeddings import Encoder
from tests.integration.fresh_index import fresh_index

ARTICLES = [
    {
        "headline": "Late frost hits valley cherry growers",
        "outlet": "Valley Ledger",
        "published": "2024-04-09T08:00:00+00:00",
        "body": (
            "A late frost on Sunday night destroyed roughly half of the cherry blossoms in the "
            "Okanagan valley, growers said on Monday. "
            "The growers' association put the loss at 3,100 tonnes of cherries, worth about "
            "$12 million at last year's prices. "
            "Orchard owners lit fires and ran wind machines through the night. "
            "Insurers said claims would be assessed over the coming weeks."
        ),
    },
    {
        "headline": "Frost damages apple orchards in the valley",
        "outlet": "Valley Ledger",
        "published": "2023-04-11T08:00:00+00:00",
        "body": (
            "An overnight frost damaged apple blossoms across the Okanagan valley, growers said "
            "on Tuesday. "
            "The growers' association estimated that 800 tonnes of apples were lost. "
            "Growers said the cold snap was the worst in a decade."
        ),
    },
    {
        "headline": "Council approves new bus depot",
        "outlet": "Valley Ledger",
        "published": "2024-04-08T08:00:00+00:00",
        "body": (
            "The city council voted 7-2 on Monday to build a bus depot on the old rail yard. "
            "Construction is expected to take two years."
        ),
    },
]


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory, real_encoder: Encoder) -> Newsbot:
    root = tmp_path_factory.mktemp("frost")
    archive = root / "archive.jsonl"
    archive.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    directory = root / "index"
    store, report = fresh_index(directory, [archive], real_encoder)
    assert report.added == 3
    settings = Settings(index=Path(directory), _env_file=None)  # type: ignore[call-arg]
    return Newsbot(settings, encoder=real_encoder, store=store)


def test_the_sentence_with_the_amount_beats_the_lead(bot: Newsbot) -> None:
    answer = bot.ask("How many tonnes of cherries did the frost destroy?", as_of=date(2024, 4, 10))
    assert answer.text.startswith("The growers' association put the loss at 3,100 tonnes")
    assert answer.short_answer is not None and answer.short_answer.text == "3,100 tonnes"


def test_reworded_amount_question(bot: Newsbot) -> None:
    answer = bot.ask("How big was the cherry crop loss?", as_of=date(2024, 4, 10))
    assert answer.text.startswith("The growers' association put the loss at 3,100 tonnes")


@pytest.mark.parametrize(
    ("as_of", "fact"), [(date(2024, 4, 12), "3,100 tonnes"), (date(2023, 4, 13), "800 tonnes")]
)
def test_this_week_picks_this_weeks_story(bot: Newsbot, as_of: date, fact: str) -> None:
    answer = bot.ask("How many tonnes did the frost destroy this week?", as_of=as_of)
    assert fact in answer.text
    assert answer.citations[0].published.date() <= as_of  # type: ignore[union-attr]
    assert any(n.startswith("Newest source published") for n in answer.notes)


def test_an_article_after_the_as_of_day_is_not_used(bot: Newsbot) -> None:
    # On 1 January 2024 the cherry frost had not happened; last year's apple frost had.
    answer = bot.ask("How many tonnes did the frost destroy?", as_of=date(2024, 1, 1))
    assert "800 tonnes" in answer.text and "3,100" not in answer.text
    assert all(n.headline.startswith("Frost damages apple") for n in answer.retrieved[:1])


def test_unrelated_question_is_declined(bot: Newsbot) -> None:
    answer = bot.ask("Who won the regional hockey final?", as_of=date(2024, 4, 10))
    assert answer.declined
