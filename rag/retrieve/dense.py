"""Dense search: the question's e5 vector against every chunk's vector (FAISS, inner product =
cosine, as the vectors are L2-normalised)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rag.retrieve.candidates import Candidates


class DenseSearch:
    """Cosine search over a set of chunk vectors with `embed` (an embedder's `embed_query`)."""

    source = "dense"

    def __init__(self, vectors: Any, embed: Callable[[str], np.ndarray], n_chunks: int) -> None:
        self.vectors = vectors  # a faiss index, row i = chunk i
        self.embed = embed
        self.n_chunks = n_chunks

    def search(self, query: str, limit: int) -> Candidates:
        """Every chunk is scored (the decision reads the whole distribution); `limit` are ranked."""
        qvec = self.embed(query)
        sims, ids = self.vectors.search(qvec[None, :], self.n_chunks)
        scores = np.zeros(self.n_chunks, dtype=np.float32)
        scores[ids[0]] = sims[0]
        return Candidates(self.source, list(ids[0][:limit]), scores)
