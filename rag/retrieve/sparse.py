"""Sparse search: BM25 over the chunks' jieba tokens, and the IDF table that question analysis and
the decision weigh words by."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rag.retrieve.candidates import Candidates
from rag.text import tokens


class SparseSearch:
    """BM25 (rank_bm25's Okapi) over the chunk tokens; the index builds it on first use."""

    source = "bm25"

    def __init__(self, index: Any) -> None:
        self.index = index  # anything with a `bm25` (rag.index.CorpusIndex or its SearchParts)

    def search(self, query: str, limit: int) -> Candidates | None:
        """None when the query has no token (only stop words or punctuation); chunks scoring 0 are
        never candidates."""
        qtokens = tokens(query)
        if not qtokens:
            return None
        scores = np.asarray(self.index.bm25.get_scores(qtokens))
        order = np.argsort(-scores, kind="stable")
        return Candidates(self.source, [int(i) for i in order[:limit] if scores[i] > 0], scores)


def idf_table(chunk_tokens: list[list[str]]) -> dict[str, float]:
    """Inverse document frequency of each token over the chunks."""
    n = len(chunk_tokens)
    df: dict[str, int] = {}
    for toks in chunk_tokens:
        for t in set(toks):
            df[t] = df.get(t, 0) + 1
    # unseen tokens get log(n + 1): rarer than anything in the corpus
    return {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()} | {"": math.log(n + 1)}
