from __future__ import annotations

import itertools

from bot.articles import Article
from bot.chunking import chunk_article, context_prefix, split_sentences
from bot.loaders.text import parse_text_article
from tests.conftest import SEED


def seed_article() -> Article:
    return parse_text_article(SEED.read_text(encoding="utf-8"), str(SEED))


def test_sentence_offsets_are_exact_and_abbreviations_survive() -> None:
    text = (
        "Sen. Tim Kaine (D-Va.) spoke. Defense Sec. Jim Mattis denied it. The U.S. backs the SDF."
    )
    spans = split_sentences(text, base=10)
    sentences = [text[s - 10 : e - 10] for s, e in spans]
    assert sentences == [
        "Sen. Tim Kaine (D-Va.) spoke.",
        "Defense Sec. Jim Mattis denied it.",
        "The U.S. backs the SDF.",
    ]


def test_chunks_cover_body_with_whole_sentences() -> None:
    article = seed_article()
    chunks = chunk_article(article, max_words=80)
    assert len(chunks) > 3
    sentences = [s for c in chunks for s in c.sentences]
    # Sentences are in order, don't overlap, and every non-blank character is in one.
    assert sentences == sorted(sentences)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(sentences))
    covered = "".join(article.body[s:e] for s, e in sentences)
    assert "".join(covered.split()) == "".join(article.body.split())
    for c in chunks:
        assert (c.start, c.end) == (c.sentences[0][0], c.sentences[-1][1])
        words = sum(len(article.body[s:e].split()) for s, e in c.sentences)
        assert words <= 80 or len(c.sentences) == 1
    assert [c.ord for c in chunks] == list(range(len(chunks)))


def test_chunks_start_at_paragraphs_when_they_fit() -> None:
    body = "First para one. First para two.\n\nSecond para.\n\nThird para is here."
    chunks = chunk_article(Article("H", body, "x"), max_words=6)
    texts = [body[c.start : c.end] for c in chunks]
    assert texts == ["First para one. First para two.", "Second para.\n\nThird para is here."]


def test_context_prefix_has_headline_and_known_metadata() -> None:
    assert context_prefix(Article("Head", "b", "x")) == "Head\n"
    assert context_prefix(Article("Head", "b", "x", outlet="AP")) == "Head — AP\n"
