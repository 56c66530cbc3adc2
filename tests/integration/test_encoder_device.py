"""The encoder on the CPU (NEWSBOT_DEVICE=cpu, and what auto picks on a machine without a
GPU): its vectors are the packaged model's own (sentence-transformers' encode in float32),
exactly, or within bfloat16's rounding on a CPU that runs it natively."""

from __future__ import annotations

import numpy as np

from bot.embeddings import choose_device, get_encoder
from tests.integration.test_quantized_encoder import seed_texts
from tests.integration.test_seed_answers import pooled_reference, reference_model


def test_cpu_encoder_vectors_are_the_models_own() -> None:
    encoder = get_encoder("minilm", "cpu")
    texts, spans = seed_texts()
    ours, sentences = encoder.encode_with_sentences(texts, spans)
    assert encoder.model.device.type == "cpu"
    reference = reference_model()  # sentence-transformers, float32, as the package ships it
    expected = np.concatenate(
        [
            reference.encode(texts, normalize_embeddings=True),
            *(pooled_reference(reference, t, sp) for t, sp in zip(texts, spans, strict=True)),
        ]
    )
    got = np.concatenate([ours, *sentences])
    if encoder.precision == "float32":
        assert np.allclose(got, expected, atol=1e-5)
    else:
        assert encoder.precision == "bfloat16"
        cosines = np.sum(got * expected, axis=1)
        assert cosines.min() >= 0.999, cosines
        assert not np.allclose(got, expected, atol=1e-5)  # really run in bfloat16


def test_auto_is_the_cpu_on_a_machine_without_a_gpu() -> None:
    import torch

    if not torch.cuda.is_available():
        assert choose_device("auto") == "cpu"
    else:  # a machine with a GPU: auto takes it
        assert choose_device("auto") == "cuda"
