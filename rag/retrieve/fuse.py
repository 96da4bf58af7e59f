"""Fusion of the searches' rankings: reciprocal rank, plus a share of each search's own score.

Ranks are fused because cosine and BM25 live on unrelated scales; a chunk found by both searches
rises above one found by either alone. Ranks alone, though, let two middling ranks outvote a
decisive first: a clause whose BM25 score stands far above every other candidate (the only one
with the question's rare term) sank to 6th behind clauses each search put 3rd–8th. So each
ranking may also give its items their score min-max normalised over its own candidates (the best
1, the last 0), weighted like a rank-1 reciprocal rank: a margin counts, on no common scale.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

Ranking = tuple[Sequence[Hashable], float] | tuple[Sequence[Hashable], float, Sequence[float]]


def normalized(scores: Sequence[float]) -> list[float]:
    """Scores min-max normalised over the list (all 0 when they do not differ: no margin to read)."""
    if not scores:
        return []
    hi, lo = max(scores), min(scores)
    return [(s - lo) / (hi - lo) for s in scores] if hi > lo else [0.0] * len(scores)


def fuse(rankings: Iterable[Ranking], rrf_k: int, score_weight: float = 0.0) -> dict[Hashable, float]:
    """{item: fused score} over (ranking, weight[, scores]) tuples, in first-seen order (ties keep
    it); the items are clause ids in retrieval. Each item gets weight / (rrf_k + rank + 1), and,
    when the ranking carries its items' scores (best first, same order), also
    score_weight · weight · normalised score / (rrf_k + 1)."""
    fused: dict[Hashable, float] = {}
    for ranking, weight, *rest in rankings:
        for rank, item in enumerate(ranking):
            fused[item] = fused.get(item, 0.0) + weight / (rrf_k + rank + 1)
        if score_weight and rest:
            for item, share in zip(ranking, normalized(rest[0]), strict=True):
                fused[item] += score_weight * weight * share / (rrf_k + 1)
    return fused
