"""Questions newsbot can't take are usage errors that say what to fix: empty, too long,
or a mistyped filter key; real filters and text with colons go through."""

from __future__ import annotations

import pytest

from bot.errors import QuestionError
from bot.query import FILTER_KEYS, parse_query
from bot.question_check import NEEDED, check_question


@pytest.mark.parametrize("question", ["", "   ", "\t\n", "\u00a0", "???", " ¿? "])
def test_no_question_at_all(question: str) -> None:
    with pytest.raises(QuestionError) as error:
        check_question(question, 1000)
    assert str(error.value) == NEEDED


def test_the_limit_is_named() -> None:
    assert check_question("x" * 1000, 1000) == "x" * 1000
    with pytest.raises(QuestionError) as error:
        check_question("x" * 1234, 1000)
    assert str(error.value) == (
        "The question is 1,234 characters long; the limit is 1,000. Ask it in fewer words."
    )


def test_surrounding_white_space_is_dropped_not_counted() -> None:
    assert check_question("  Who resigned?  \n", 14) == "Who resigned?"


@pytest.mark.parametrize(
    ("question", "meant"),
    [
        ("form:herald Who resigned?", "from"),
        ("Who resigned? Form:Herald", "from"),
        ('Who resigned? fron:"the independent"', "from"),
        ("What happened befor:2018-03-01?", "before"),
        ("What happened aftr:2018-03-01?", "after"),
        ("untill:2018-03-01 strikes", "until"),
        ("outlt:reuters strikes", "outlet"),
        ("source:reuters Who resigned?", "from"),
        ("date:2018-02-07 Who resigned?", "on"),
    ],
)
def test_a_mistyped_filter_key_gets_did_you_mean(question: str, meant: str) -> None:
    with pytest.raises(QuestionError) as error:
        check_question(question, 1000)
    assert f"is not a filter; did you mean {meant}:?" in str(error.value)


def test_the_message_quotes_what_was_typed() -> None:
    with pytest.raises(QuestionError) as error:
        check_question("Who resigned? form:herald.", 1000)
    assert str(error.value).startswith("form:herald: form: is not a filter; did you mean from:?")


@pytest.mark.parametrize("question", ["in:2018 strikes", "What happened to:2018-03-01?"])
def test_an_unknown_key_with_a_date_points_to_the_date_filters(question: str) -> None:
    with pytest.raises(QuestionError) as error:
        check_question(question, 1000)
    assert "is not a filter; for dates use after:, before: or on:" in str(error.value)


@pytest.mark.parametrize(
    "question",
    [
        "from:reuters Who resigned?",
        'FROM:"the independent" after:2018-02-01 before:2018-03-01 on:2018-02-07 strikes',
        "outlet:herald since:2018-01-01 until:2018-02-01 budget",
        "What was announced at re:Invent?",
        "What is on https://gazette.example/mayor?",
        "Who spoke at 9:30 on Monday?",
        ":eyes: Who resigned?",
        "Who said: we will not resign?",
        "What is a 1:100 ratio?",
        "note:the mayor resigned",
    ],
)
def test_real_filters_and_text_with_colons_pass(question: str) -> None:
    assert check_question(question, 1000) == question


def test_every_key_parse_query_knows_passes() -> None:
    for key in FILTER_KEYS:
        question = f"Who resigned? {key}:2018-02-07"
        assert check_question(question, 1000) == question
        assert parse_query(question).filtered, key


def test_a_filter_date_that_cant_be_read_is_a_question_error() -> None:
    with pytest.raises(QuestionError, match="can't read the date 'yesterday'"):
        parse_query("Who resigned? after:yesterday")
