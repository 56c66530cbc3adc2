"""Questions near the decline threshold, with the real model over the seed article.

Each question's decision score (bot/ranking.decision_score) lies within about 0.08 of
answer.MIN_SCORE: the answerable ones a little above it, the unanswerable one a little
below. Moving the threshold by that much either way, or weakening the evidence the
decision weighs, turns one of them around. When the threshold is retuned on purpose and
a question here flips, replace it with one that sits near the new threshold on the right
side (the failure message prints each margin) and say so in the commit.
"""

from __future__ import annotations

import pytest

from bot import answer
from bot.core import Newsbot
from bot.query import parse_query
from bot.ranking import decision_score
from bot.retrieval import Retriever

ANSWERED = [
    ("Which senator warned that the administration was stumbling into a wider war?", "Tim Kaine"),
    ("What tank models did the government-aligned forces bring to the assault?", "T-72"),
    ("Roughly how many soldiers fighting for Assad died in the coalition strikes?", "Over 100"),
]
DECLINED = ["What did the Pentagon say the strikes cost?"]


def margin(bot: Newsbot, question: str) -> float:
    """The best candidate's decision score minus the threshold."""
    found = Retriever(bot.store, bot.encoder).search(parse_query(question))
    assert found.candidates
    return decision_score(found.candidates[0], found.fit) - answer.MIN_SCORE


@pytest.mark.parametrize(("question", "fact"), ANSWERED)
def test_a_question_just_above_the_threshold_is_answered(
    seed_bot: Newsbot, question: str, fact: str
) -> None:
    got = seed_bot.ask(question)
    m = margin(seed_bot, question)
    assert not got.declined, f"declined with margin {m:+.3f} over MIN_SCORE"
    assert fact in got.text, got.text


@pytest.mark.parametrize("question", DECLINED)
def test_a_question_just_below_the_threshold_is_declined(seed_bot: Newsbot, question: str) -> None:
    got = seed_bot.ask(question)
    m = margin(seed_bot, question)
    assert got.declined, f"answered with margin {m:+.3f} over MIN_SCORE: {got.text}"
