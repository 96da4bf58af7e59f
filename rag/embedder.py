"""multilingual-e5-small through sentence-transformers, with the `query: ` / `passage: ` prefixes e5 needs."""

from __future__ import annotations

import threading

import numpy as np

from rag.config import Settings, get_settings

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "


class Embedder:
    """Lazily loads the assembled model folder; vectors are L2-normalised float32 (cosine = dot)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                from rag.models import load_embedder

                self._model = load_embedder(self.settings)
        return self._model

    def _encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            batch_size=self.settings.embed_batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode([PASSAGE_PREFIX + t for t in texts], show_progress)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([QUERY_PREFIX + text])[0]
