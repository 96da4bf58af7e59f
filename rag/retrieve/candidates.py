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
    ranked_by: np.ndarray | None = None  # the scores `ranking` is ordered by, when not `scores`

    @property
    def ranking_scores(self) -> list[float]:
        """The ranked chunks' scores as the ranking weighs them (best first)."""
        by = self.scores if self.ranked_by is None else self.ranked_by
        return [float(by[i]) for i in self.ranking]


class CandidateSearch(Protocol):
    """A search over the index's chunks (rag/retrieve/dense.py, rag/retrieve/sparse.py)."""

    source: str

    def search(self, query: str, limit: int) -> Candidates | None:
        """The `limit` best chunks for `query`, or None when the query gives this search nothing."""
        ...
