"""Reciprocal-rank fusion: each ranking gives a chunk weight / (k + rank), summed over rankings.

Ranks, not scores, are fused because cosine and BM25 live on unrelated scales; a chunk found by
both searches rises above one found by either alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def fuse(rankings: Iterable[tuple[Sequence[int], float]], rrf_k: int) -> dict[int, float]:
    """{chunk index: fused score} over (ranking, weight) pairs, in first-seen order (ties keep it)."""
    fused: dict[int, float] = {}
    for ranking, weight in rankings:
        for rank, idx in enumerate(ranking):
            fused[int(idx)] = fused.get(int(idx), 0.0) + weight / (rrf_k + rank + 1)
    return fused
