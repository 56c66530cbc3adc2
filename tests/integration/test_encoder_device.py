"""The encoder on the CPU (NEWSBOT_DEVICE=cpu, and what auto picks on a machine without a
GPU): its vectors are the packaged model's own (sentence-transformers' encode)."""

from __future__ import annotations

import numpy as np

from bot.embeddings import choose_device, get_encoder
from tests.integration.test_quantized_encoder import seed_texts


def test_cpu_encoder_vectors_are_the_models_own() -> None:
    encoder = get_encoder("minilm", "cpu")
    texts, spans = seed_texts()
    ours, sentences = encoder.encode_with_sentences(texts, spans)
    assert encoder.model.device.type == "cpu"
    model = encoder.model
    reference = model.encode(texts, normalize_embeddings=True)
    assert np.allclose(ours, reference, atol=1e-5)
    pieces = [t[s:e] for t, sp in zip(texts, spans, strict=True) for s, e in sp]
    assert np.allclose(
        np.concatenate(sentences), model.encode(pieces, normalize_embeddings=True), atol=1e-5
    )


def test_auto_is_the_cpu_on_a_machine_without_a_gpu() -> None:
    import torch

    if not torch.cuda.is_available():
        assert choose_device("auto") == "cpu"
    else:  # a machine with a GPU: auto takes it
        assert choose_device("auto") == "cuda"
