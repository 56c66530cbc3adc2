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


def test_auto_takes_a_cuda_gpu_when_there_is_one_and_the_cpu_otherwise() -> None:
    from bot.embeddings import choose_device

    assert choose_device("auto", cuda_available=lambda: True) == "cuda"
    assert choose_device("auto", cuda_available=lambda: False) == "cpu"
    assert choose_device("cuda", cuda_available=lambda: True) == "cuda"
    assert choose_device("cpu", cuda_available=lambda: True) == "cpu"
    # The int8 kernels are CPU ones: auto keeps such an encoder on the CPU.
    assert choose_device("auto", cpu_only=True, cuda_available=lambda: True) == "cpu"


def test_cuda_without_a_gpu_or_for_the_int8_encoder_is_a_clear_error() -> None:
    from bot.embeddings import choose_device

    with pytest.raises(ConfigError, match="NEWSBOT_DEVICE=cuda, but PyTorch finds no CUDA GPU"):
        choose_device("cuda", cuda_available=lambda: False)
    with pytest.raises(ConfigError, match="runs on the CPU only"):
        choose_device("cuda", cpu_only=True, cuda_available=lambda: True)
    with pytest.raises(ConfigError, match="use auto, cpu or cuda"):
        choose_device("tpu")


def test_the_device_setting_reaches_the_encoder(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot import embeddings
    from bot.core import Newsbot

    # A process cache of its own: an earlier test may have loaded the CPU encoder already.
    monkeypatch.setattr(embeddings, "_ENCODERS", {})
    settings = Settings(index=tmp_path, device="cpu", _env_file=None)  # type: ignore[call-arg]
    encoder = Newsbot(settings).encoder
    assert encoder.device == "cpu" and encoder._model is None  # chosen, not loaded yet
    assert get_encoder("minilm", "cpu") is encoder
    assert get_encoder("minilm", "auto") is not encoder
    with pytest.raises(ValueError, match=r"auto.*cpu.*cuda"):
        Settings(device="gpu", _env_file=None)  # type: ignore[call-arg]


def test_token_batches_group_texts_of_similar_length_within_the_budget() -> None:
    from bot.embeddings import token_batches

    lengths = [30, 200, 12, 31, 199, 29, 12, 250]
    batches = token_batches(lengths, budget=400, max_count=3)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))  # each once
    assert batches == [[2, 6, 5], [0, 3], [4, 1], [7]]  # 3 at most; 2 × 200 fits 400
    for batch in batches:  # padded size within the budget, except a text alone
        assert len(batch) * max(lengths[i] for i in batch) <= 400 or len(batch) == 1
    assert token_batches([], budget=400, max_count=3) == []
    assert token_batches([500], budget=400, max_count=3) == [[0]]  # too long alone: still embedded


def test_bfloat16_only_on_a_cpu_that_multiplies_it_natively(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.embeddings import choose_precision, cpu_has_bf16

    assert choose_precision("cpu", has_bf16=lambda: True) == "bfloat16"
    assert choose_precision("cpu", has_bf16=lambda: False) == "float32"
    assert choose_precision("cuda", has_bf16=lambda: True) == "float32"
    with_bf16 = tmp_path / "cpuinfo-bf16"
    with_bf16.write_text("flags\t\t: fpu sse avx2 avx512f avx512_bf16 avx512_vnni\n")
    with_amx = tmp_path / "cpuinfo-amx"
    with_amx.write_text("flags\t\t: fpu avx2 amx_bf16 amx_tile\n")
    without = tmp_path / "cpuinfo-avx2"
    without.write_text("flags\t\t: fpu sse avx2 avx512f avx512_bf16x\n")  # not the flag itself
    assert cpu_has_bf16(with_bf16) and cpu_has_bf16(with_amx)
    assert not cpu_has_bf16(without)
    assert not cpu_has_bf16(tmp_path / "missing")  # not Linux: float32


def test_token_range_finds_the_word_pieces_of_a_span_and_none_when_cut_off() -> None:
    from bot.embeddings import token_range

    # "[CLS] Hello world. Second one here. [SEP]" as the tokenizer gives its offsets.
    offsets = [(0, 0), (0, 5), (6, 11), (11, 12), (13, 19), (20, 23), (24, 28), (28, 29), (0, 0)]
    assert token_range(offsets, 0, 12) == (1, 4)
    assert token_range(offsets, 13, 29) == (4, 8)
    # Truncated after "Second": the rest of that sentence was never seen.
    assert token_range([*offsets[:5], (0, 0)], 13, 29) is None
    assert token_range(offsets, 29, 29) is None  # spells nothing
