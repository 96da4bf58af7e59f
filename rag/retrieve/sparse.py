"""Sparse search: BM25 over the chunks' jieba tokens, and the IDF table that question analysis and
the decision weigh words by."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from rag.retrieve.candidates import Candidates
from rag.text import tokens

HANZI_WORD = re.compile(r"[\u4e00-\u9fff]+")
BACKOFF_MAX_SHARE = 0.02  # a piece of an unknown query word counts if at most this share of the chunks has it


class SparseSearch:
    """BM25 (rank_bm25's Okapi) over the chunk tokens; the index builds it on first use."""

    source = "bm25"

    def __init__(self, index: Any) -> None:
        self.index = index  # anything with a `bm25` (rag.index.CorpusIndex or its SearchParts)

    def search(self, query: str, limit: int) -> Candidates | None:
        """None when the query has no token (only stop words or punctuation); chunks scoring 0 are
        never candidates. The ranking also counts the rare known pieces of unknown query words
        (`known_parts`); the scores handed on are the query's own tokens', which the decision's
        model was fitted on ("房贷" must not look more answerable because "贷" matches)."""
        qtokens = tokens(query)
        if not qtokens:
            return None
        bm25 = self.index.bm25
        scores = np.asarray(bm25.get_scores(qtokens))
        pieces = known_parts(qtokens, bm25.idf, rare_idf(bm25, BACKOFF_MAX_SHARE))
        ranked = np.asarray(bm25.get_scores(qtokens + pieces)) if pieces else scores
        order = np.argsort(-ranked, kind="stable")
        return Candidates(self.source, [int(i) for i in order[:limit] if ranked[i] > 0], scores, ranked)


def known_parts(qtokens: list[str], idf: Mapping[str, float], min_idf: float) -> list[str]:
    """The rare pieces the corpus uses of the query words it never uses: a user asks about "贷款"
    where the plans write "质量贷" (jieba: 质量/贷), so "贷款" alone matches nothing and "贷" finds
    it. Longest known piece first, from the left, over each unknown word's characters; a piece as
    common as "年" or "一" (idf below `min_idf`) would only add noise, and its characters are tried
    again one by one. Each piece once."""
    found: list[str] = []
    for word in dict.fromkeys(qtokens):
        if len(word) < 2 or word in idf or not HANZI_WORD.fullmatch(word):
            continue
        start = 0
        while start < len(word):
            end = next((e for e in range(len(word), start, -1) if word[start:e] in idf), start)
            if end > start and idf[word[start:end]] >= min_idf:
                found.append(word[start:end])
                start = end
            else:
                start += 1
    return list(dict.fromkeys(found))


def rare_idf(bm25: Any, share: float) -> float:
    """rank_bm25's idf of a token found in `share` of the chunks."""
    n = bm25.corpus_size
    docs = max(1.0, share * n)
    return math.log(n - docs + 0.5) - math.log(docs + 0.5)  # rank_bm25's own formula, to the last bit


def idf_table(chunk_tokens: list[list[str]]) -> dict[str, float]:
    """Inverse document frequency of each token over the chunks."""
    n = len(chunk_tokens)
    df: dict[str, int] = {}
    for toks in chunk_tokens:
        for t in set(toks):
            df[t] = df.get(t, 0) + 1
    # unseen tokens get log(n + 1): rarer than anything in the corpus
    return {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()} | {"": math.log(n + 1)}
