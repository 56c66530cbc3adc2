"""Figures and what they count (bot/figures.py): read only when what is counted is pinned
down, and never from years, names with numbers, ranges or changes."""

from __future__ import annotations

import pytest

from bot.figures import mentions, names, strangers, unambiguous, words_of


def read(text: str) -> list[tuple[str, float, tuple[str, ...]]]:
    return [(m.text, m.value, m.thing) for m in mentions(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Over 100 killed in the earthquake.", [("Over 100 killed", 100.0, ("kill",))]),
        ("The quake killed 150 people on Monday.", [("killed 150 people", 150.0, ("kill",))]),
        (
            "At least 300 residents were evacuated from streets near the plant.",
            [("At least 300 residents were evacuated", 300.0, ("resid", "evacu"))],
        ),
        (
            "The storm destroyed 1,200 homes in the valley.",
            [("destroyed 1,200 homes", 1200.0, ("home", "destroy"))],
        ),
        (
            "Some 2.5 million people were displaced.",
            [("Some 2.5 million people were displaced", 2.5e6, ("displac",))],
        ),
        (
            "Chen won 54 percent of the vote.",
            [("54 percent of the vote", 54.0, ("percent", "vote"))],
        ),
        (
            "Turnout was 61.5% of the electorate.",
            [("61.5% of the electorate", 61.5, ("percent", "elector"))],
        ),
        (
            "The government pledged $2.5 billion in aid.",
            [("$2.5 billion in aid", 2.5e9, ("dollar", "aid"))],
        ),
        (
            "Nearly 40 flights were cancelled.",
            [("Nearly 40 flights were cancelled", 40.0, ("flight", "cancel"))],
        ),
    ],
)
def test_figures_and_what_they_count(text: str, expected: list) -> None:  # type: ignore[type-arg]
    assert read(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "In 2018, the council met twice.",  # a year
        "The strike lasted 21 days.",  # a duration
        "A 45 year old man was arrested.",  # an age
        "Route 9 buses were halted.",  # a name with a number
        "Flight 370 vanished in 2014.",
        "The toll rose from 100 to 150 killed.",  # a change: neither figure stands alone
        "Between 5 and 9 people were hurt.",  # a range
        "A city of 100,000 people, it employs 1,000 workers.",  # nothing pins down the count
        "The firm was fined $5 million.",  # an amount of nothing named
        "The index rose 3 percent.",  # a percentage of nothing named
        "The meeting starts at 9:30 on 2018-02-08.",
        "Scores: 3-1 after extra time.",
        "He was No. 4 in the rankings.",
    ],
)
def test_numbers_that_are_not_counts_are_left_alone(text: str) -> None:
    assert read(text) == []


def test_a_thing_counted_twice_with_different_values_is_ambiguous() -> None:
    text = (
        "In the north 100 homes were destroyed, and in the south 40 homes were destroyed; "
        "about 300 people were evacuated."
    )
    clear = unambiguous(mentions(text))
    assert set(clear) == {("evacu",)}
    same = unambiguous(mentions("Over 100 killed. Officials confirmed 100 killed."))
    assert same[("kill",)].value == 100.0  # the same value twice is no doubt
    # "Earlier 900 …" isn't read as a figure to show (it could be "Route 900 …"), but it
    # still makes the count doubtful
    text = "About 1,200 residents were evacuated. Earlier 900 residents were evacuated."
    assert [m.value for m in mentions(text)] == [1200.0]
    assert unambiguous(mentions(text), mentions(text, loose=True)) == {}


def test_people_stand_for_the_counted_ones_so_phrasings_meet() -> None:
    [a] = mentions("Over 100 killed when the dam burst.")
    [b] = mentions("The flood killed 150 people downstream.")
    [c] = mentions("About 150 people were killed.")
    [d] = mentions("About 150 people were injured.")
    assert a.thing == b.thing == c.thing != d.thing


def test_names_are_who_and_where_not_days_or_the_opening_capital() -> None:
    sentence = "About 250 residents were evacuated to Oakdale on Tuesday, Mayor Tom Greer said."
    assert names(sentence) == {"oakdale", "mayor", "tom", "greer"}
    assert names("Police said 30 people died in 2008 in Millbrook's centre.") == {
        "2008",
        "millbrook",
    }
    assert names("Officials said 30 died, AP reported.", ignore=["AP"]) == set()


def test_strangers_are_names_the_other_article_never_mentions() -> None:
    article = words_of("Fire at Millbrook plant\n\nThe Delmar Chemicals plant in Millbrook burned.")
    assert strangers({"millbrook"}, article) == set()
    assert strangers({"oakdale", "millbrook"}, article) == {"oakdale"}
