"""The int8 encoder (NEWSBOT_ENCODER=minilm-int8) with the real packaged model: its vectors
stay close to the float model's, it answers on its own index, and an index built with the
other encoder is refused by the installed command with a message saying what to set."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.core import Newsbot
from bot.embeddings import Encoder, get_encoder
from bot.ingest import prepare
from bot.loaders import LoadOptions, load_source
from tests.conftest import SEED, SEEDS
from tests.integration.fresh_index import fresh_index
from tests.integration.test_cli_process import NEWSBOT


@pytest.fixture(scope="module")
def int8_encoder() -> Encoder:
    return get_encoder("minilm-int8")


def seed_texts() -> tuple[list[str], list[list[tuple[int, int]]]]:
    (article,) = load_source(str(SEED), SEED.read_bytes(), LoadOptions()).articles
    _, texts = prepare(article)
    return [t for _, t, _ in texts], [s for _, _, s in texts]


def test_int8_vectors_are_close_to_the_float_models(
    real_encoder: Encoder, int8_encoder: Encoder
) -> None:
    texts, spans = seed_texts()
    ours, our_sentences = int8_encoder.encode_with_sentences(texts, spans)
    ref, ref_sentences = real_encoder.encode_with_sentences(texts, spans)
    assert ours.shape == ref.shape and np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    cosines = np.sum(ours * ref, axis=1)
    assert cosines.min() >= 0.96 and cosines.mean() >= 0.975, cosines
    sentence_cosines = np.concatenate(
        [np.sum(a * b, axis=1) for a, b in zip(our_sentences, ref_sentences, strict=True)]
    )
    assert sentence_cosines.min() >= 0.94 and sentence_cosines.mean() >= 0.97, sentence_cosines
    assert not np.allclose(ours, ref, atol=1e-4)  # really another (quantized) model


def test_int8_index_answers_the_seed_questions(int8_encoder: Encoder, tmp_path: Path) -> None:
    index = tmp_path / "index"
    store, report = fresh_index(index, [SEEDS], int8_encoder)
    assert report.added == 1
    settings = Settings(index=index, encoder="minilm-int8", _env_file=None)  # type: ignore[call-arg]
    bot = Newsbot(settings, encoder=int8_encoder, store=store)
    assert "Thomas F. Veale" in bot.ask("Who is the coalition spokesman?").text
    assert bot.ask("Who won the 2018 World Cup?").declined
    store.close()


def test_command_refuses_an_index_of_another_encoder_with_what_to_set(seed_index: Path) -> None:
    env = {**os.environ, "NEWSBOT_INDEX": str(seed_index), "NEWSBOT_ENCODER": "minilm-int8"}
    result = subprocess.run(
        [NEWSBOT, "ask", "Who is the coalition spokesman?"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert result.returncode != 0
    assert "built with encoder 'minilm'" in result.stderr
    assert "embeds with 'minilm-int8'" in result.stderr
    assert "Set NEWSBOT_ENCODER=minilm to use this index" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
