"""What each search returns: chunk candidates, best first, and every chunk's score."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Candidates:
    """One search's answer for one query."""

    source: str  # "dense" | "bm25"
    ranking: list[int]  # chunk indices, best first, at most the candidate limit
    scores: np.ndarray  # the score of every chunk (row i = chunk i)


class CandidateSearch(Protocol):
    """A search over the index's chunks (rag/retrieve/dense.py, rag/retrieve/sparse.py)."""

    source: str

    def search(self, query: str, limit: int) -> Candidates | None:
        """The `limit` best chunks for `query`, or None when the query gives this search nothing."""
        ...
