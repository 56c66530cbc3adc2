"""Answer types: what a question asks for, and where such answers stand in a sentence."""

from __future__ import annotations

import pytest

from bot.answer_types import (
    AnswerType,
    answer_spans,
    counted_noun,
    counts,
    expected_type,
    is_question,
)

T = AnswerType


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many homes lost power in the storm?", T.NUMBER),
        ("How much did the council spend on the bridge?", T.NUMBER),
        ("What percentage of voters backed the levy?", T.NUMBER),
        ("What is the new bus fare?", T.NUMBER),
        ("What did the central bank set its main rate at?", T.NUMBER),
        ("Where does the jobless rate stand after the report?", T.NUMBER),
        ("Where did the index close on Tuesday?", T.NUMBER),
        ("Who is the coalition spokesman?", T.PERSON),
        ("Who led the union when it went on strike?", T.PERSON),  # "when" is not the ask
        ("Which former minister chaired the inquiry?", T.PERSON),
        ("Which company bought the mill?", T.ORGANISATION),
        ("Which party won the by-election?", T.ORGANISATION),
        ("Where did the ferry sink?", T.PLACE),
        ("In which city will the summit be held?", T.PLACE),
        ("Which country's embassy was attacked?", T.PLACE),
        ("When did the bridge reopen?", T.DATE),
        ("What year did the mill close?", T.DATE),
        ("How long did the strike last?", T.DURATION),
        ("How long ago did the mill close?", T.DATE),
        ("Which storm flooded the valley?", T.NAME),
        ("Why did the mayor resign?", T.OTHER),
        ("Is the mayor still in office?", T.OTHER),
        # Several sentences: the one that asks decides.
        ("Fares rose this week. Where do they stand now?", T.NUMBER),
        ("The mayor resigned. Who replaced her?", T.PERSON),
        ("How many days in a row did prices fall at the U.S. pumps?", T.NUMBER),
    ],
)
def test_expected_type(question: str, expected: AnswerType) -> None:
    assert expected_type(question) is expected


def texts(sentence: str, wanted: AnswerType, question: str = "") -> list[str]:
    return [s.text for s in answer_spans(sentence, wanted, question)]


def test_numbers_amounts_and_percentages() -> None:
    s = "The levy of US $2.5 million passed with 61.4 percent, and fares rose to €3.20 on 4 March."
    found = texts(s, T.NUMBER)
    assert "US $2.5 million" in found
    assert "61.4 percent" in found
    assert "€3.20" in found
    assert "4" not in found  # part of a date, not an amount


def test_years_and_times_are_dates_not_numbers() -> None:
    s = "The mill, opened in 1921, closed at 10:30 a.m. on Monday, after 250 workers left."
    assert texts(s, T.NUMBER) == ["250"]
    dates = texts(s, T.DATE)
    assert "1921" in dates and "Monday" in dates and "10:30 a.m." in dates


def test_decimal_numbers_are_not_clock_times() -> None:
    assert texts("The fertility rate fell to 1.29 children per woman.", T.NUMBER) == ["1.29"]


def test_durations() -> None:
    found = texts("Planes struck over a three-hour period; talks ran for two weeks.", T.DURATION)
    assert found == ["three-hour", "two weeks"]


def test_names_with_titles_and_initials() -> None:
    s = "“We will respond,” said coalition spokesman Colonel Thomas F. Veale on Thursday."
    assert texts(s, T.PERSON)[0] == "Colonel Thomas F. Veale"


def test_organisations_first_for_an_organisation_question() -> None:
    s = "On Friday shares in Harbour Holdings rose after Maria Lopez said the bid would go ahead."
    assert texts(s, T.ORGANISATION)[0] == "Harbour Holdings"
    assert texts(s, T.PERSON)[0] == "Maria Lopez"


def test_places_after_locative_prepositions() -> None:
    s = "The summit of regional leaders will be held in Tampere next spring."
    assert texts(s, T.PLACE)[0] == "Tampere"


def test_answers_already_in_the_question_dont_count() -> None:
    s = "Maria Lopez, the mayor of Tampere, thanked Jan Berg."
    assert texts(s, T.PERSON, "Whom did Maria Lopez thank?")[0] == "Jan Berg"
    assert "Maria Lopez" not in texts(s, T.PERSON, "Whom did Maria Lopez thank?")
    assert texts("Fares rose 5 percent.", T.NUMBER, "Did fares rise 5 percent?") == []


def test_other_wants_no_span() -> None:
    assert texts("The mayor resigned on Monday.", T.OTHER) == []


@pytest.mark.parametrize(
    ("sentence", "asks"),
    [
        ("Which company is accused of dumping waste?", True),
        ("“Who will pay for it?” she asked.", False),
        ("He asked: “Who will pay for it?”", True),
        ("The council met on Friday.", False),
    ],
)
def test_is_question(sentence: str, asks: bool) -> None:
    assert is_question(sentence) is asks


@pytest.mark.parametrize(
    ("question", "noun"),
    [
        ("How many tonnes of cherries did the frost destroy?", "tonn"),
        ("How many people were killed?", "peopl"),
        ("How many were killed?", None),
        ("How much did it cost?", None),
    ],
)
def test_what_how_many_counts(question: str, noun: str | None) -> None:
    assert counted_noun(question) == noun


def test_an_amount_keeps_its_unit_and_says_what_it_counts() -> None:
    text = "The loss was put at 3,100 tonnes of cherries, and 120 growers were hit."
    spans = answer_spans(text, AnswerType.NUMBER, "How many tonnes were lost?")
    assert [s.text for s in spans] == ["3,100 tonnes", "120"]
    assert counts(text, spans[0], "tonn") and not counts(text, spans[1], "tonn")
    assert counts(text, spans[1], "grower")  # the word after the number


def test_a_bare_count_may_count_what_was_asked() -> None:
    text = "A total of 39 are confirmed dead, and half of the blossoms were lost."
    spans = answer_spans(text, AnswerType.NUMBER, "How many people died?")
    assert [s.text for s in spans] == ["39", "half"]
    assert counts(text, spans[0], "peopl") and not counts(text, spans[1], "peopl")
