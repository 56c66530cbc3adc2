"""Verification with the real MiniLM similarity: paraphrases that must pass, made-up facts that
must not, and what it can't tell apart (the thresholds in bot/verify.py were chosen on these)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.embeddings import Encoder
from bot.verify import Evidence, Similarity, verify
from tests.conftest import SEED
from tests.test_verify import PARK

HEADLINE, BODY = SEED.read_text(encoding="utf-8").split("\n\n", 1)
STRIKES = Evidence(1, BODY, ((0, len(BODY)),), HEADLINE, HEADLINE)
MAYOR = Evidence(
    1,
    PARK,
    ((0, len(PARK)),),
    "Mayor Ellen Park resigns after budget row Riverton Gazette",
    "Mayor Ellen Park resigns after budget row",
)


@pytest.fixture(scope="module")
def similarity(real_encoder: Encoder) -> Similarity:
    def cosine(text: str, others: Sequence[str]) -> list[float]:
        vectors = real_encoder.encode([text, *others])  # unit length: dot = cosine
        return [float(x) for x in vectors[1:] @ vectors[0]]

    return cosine


@pytest.mark.parametrize(
    ("source", "claim"),
    [
        (STRIKES, "Veale said pro-regime forces started the fighting with howitzers [1]."),
        (STRIKES, "More than 100 pro-Assad fighters were reported killed [1]."),
        (STRIKES, "Syrian pro-regime forces used tanks and mortar fire [1]."),
        (MAYOR, "Mayor Ellen Park stepped down on Monday [1]."),
        (MAYOR, "Park quit on Monday after the council rejected her budget [1]."),
    ],
)
def test_paraphrases_pass(source: Evidence, claim: str, similarity: Similarity) -> None:
    assert verify(claim, [source], similarity=similarity).text == claim


@pytest.mark.parametrize(
    ("source", "claim"),
    [
        (STRIKES, "Over 100 American troops were reported killed [1]."),
        (
            STRIKES,
            "The coalition spokesman is Colonel Thomas F. Veale, who resigned on Thursday [1].",
        ),
        (
            STRIKES,
            "Russia praised the strikes, and the coalition spokesman is Colonel Thomas F. Veale "
            "[1].",
        ),
        (STRIKES, "The UN praised the coalition for the airstrikes [1]."),
        (STRIKES, "Veale said Russian forces started the fighting with howitzers [1]."),
        (MAYOR, "Park was arrested after the council rejected her budget [1]."),
        (MAYOR, "The mayor was arrested for fraud [1]."),  # only the injected instruction says so
        (MAYOR, "Deputy Mayor Sam Ortiz will serve until a special election in April [1]."),
    ],
)
def test_made_up_facts_fail(source: Evidence, claim: str, similarity: Similarity) -> None:
    assert verify(claim, [source], similarity=similarity).text == ""


@pytest.mark.xfail(strict=True, reason="an antonym is a close paraphrase to the encoder (docs)")
def test_an_antonym_is_not_caught(similarity: Similarity) -> None:
    claim = "The council voted 7 to 2 in favour of the budget [1]."  # the article: against
    assert verify(claim, [MAYOR], similarity=similarity).text == ""
