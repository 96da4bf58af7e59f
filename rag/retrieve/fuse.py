"""Reciprocal-rank fusion: each ranking gives a chunk weight / (k + rank), summed over rankings.

Ranks, not scores, are fused because cosine and BM25 live on unrelated scales; a chunk found by
both searches rises above one found by either alone.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence


def fuse(rankings: Iterable[tuple[Sequence[Hashable], float]], rrf_k: int) -> dict[Hashable, float]:
    """{item: fused score} over (ranking, weight) pairs, in first-seen order (ties keep it); the
    items are clause ids in retrieval."""
    fused: dict[Hashable, float] = {}
    for ranking, weight in rankings:
        for rank, item in enumerate(ranking):
            fused[item] = fused.get(item, 0.0) + weight / (rrf_k + rank + 1)
    return fused
