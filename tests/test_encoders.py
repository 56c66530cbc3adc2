"""Encoders by name, and an index refusing questions embedded by another encoder."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.embeddings import QuantizedEncoder, get_encoder
from bot.errors import ConfigError, IndexFormatError
from bot.index import IndexReader, open_index


def test_the_quantized_encoder_is_available_by_name_and_loads_lazily() -> None:
    encoder = get_encoder("minilm-int8")
    assert isinstance(encoder, QuantizedEncoder)
    assert encoder.fingerprint == "sentence-transformers/all-MiniLM-L6-v2:minilm-int8"
    assert encoder.fingerprint != get_encoder("minilm").fingerprint
    assert QuantizedEncoder()._model is None  # the model loads on first use, not when made
    with pytest.raises(ConfigError, match="available: minilm, minilm-int8"):
        get_encoder("minilm-fp16")


def test_an_index_refuses_another_encoder_and_says_which_setting_to_use(
    store: IndexReader, backend_settings: Settings
) -> None:
    with pytest.raises(IndexFormatError) as refused:
        open_index(
            backend_settings, fingerprint="sentence-transformers/all-MiniLM-L6-v2:minilm-int8"
        )
    message = str(refused.value)
    assert "built with encoder 'bag-of-words'" in message  # the fake's fingerprint, by name
    assert "embeds with 'minilm-int8'" in message
    assert "NEWSBOT_ENCODER=bag-of-words" in message
    assert "newsbot ingest" in message


def test_the_model_loads_once_per_process() -> None:
    from bot.embeddings import Encoder, get_encoder, register_encoder

    loads: list[int] = []

    class Counting(Encoder):
        name = "counting"

        def _load(self):  # type: ignore[no-untyped-def]
            loads.append(1)
            return object()

    register_encoder("counting", Counting)
    first, second = get_encoder("counting"), get_encoder("counting")
    assert first is second
    for _ in range(3):
        assert first.model is second.model
    assert loads == [1]
