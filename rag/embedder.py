"""multilingual-e5-small through sentence-transformers, with the `query: ` / `passage: ` prefixes e5 needs."""

from __future__ import annotations

import threading

import numpy as np

from rag.config import Settings, get_settings

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
# clause text embedded at answer time and kept for later questions (`clause_text_vectors`): the index
# brings its ~2,100 sentences and phrases embedded (`remember`), so this store holds only what a changed
# splitting cuts differently; each vector takes 1.5 KB, so at most ~30 MB before it starts again
CLAUSE_TEXT_VECTORS_MAX = 20_000


class Embedder:
    """Lazily loads the assembled model folder; vectors are L2-normalised float32 (cosine = dot)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._model = None
        self._lock = threading.Lock()
        self._clause_text_vectors: dict[str, np.ndarray] = {}
        self._remembered: dict[str, np.ndarray] = {}  # the index's clause pieces (`remember`), never dropped
        self._store_lock = threading.Lock()  # requests rank clause text concurrently (retrieval is not serialised)

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

    def remember(self, texts: list[str], vectors: np.ndarray) -> None:
        """Vectors embedded beforehand (the index's clause pieces) that `clause_text_vectors` serves."""
        if len(texts) != len(vectors):
            raise ValueError(f"{len(vectors)} vectors for {len(texts)} texts")
        self._remembered = dict(zip(texts, vectors, strict=True))

    def clause_text_vectors(self, texts: list[str]) -> np.ndarray:
        """`embed_passages`, keeping each text's vector for later questions: the pieces of clause text
        an answer ranks by meaning come from the same few hundred clauses again and again. Those
        the index embedded (`remember`) are served as they are; a full store of the others starts
        again (`CLAUSE_TEXT_VECTORS_MAX`). Shape (0, 0) for no texts."""
        remembered = self._remembered
        known = {t: remembered[t] for t in texts if t in remembered}
        with self._store_lock:
            store = self._clause_text_vectors
            known.update((t, store[t]) for t in texts if t not in known and t in store)
        new = list(dict.fromkeys(t for t in texts if t not in known))
        if new:  # encoded outside the lock: another request's lookups need not wait for it
            fresh = dict(zip(new, self.embed_passages(new), strict=True))
            known.update(fresh)
            with self._store_lock:
                if len(self._clause_text_vectors) + len(fresh) > CLAUSE_TEXT_VECTORS_MAX:
                    self._clause_text_vectors.clear()
                if len(fresh) <= CLAUSE_TEXT_VECTORS_MAX:
                    self._clause_text_vectors.update(fresh)
        return np.stack([known[t] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)
