"""The retrieval unit tier: a tiny hand-made corpus and a fake embedder, so fusion, preferences,
filters and the decline rules run in milliseconds without any model.

The fake embedder hashes character bigrams into a small vector (L2-normalised, like e5's), so
texts sharing words are near and the ranking is deterministic; FAISS and BM25 are the real ones.
"""

from __future__ import annotations

import itertools
import zlib
from pathlib import Path

import faiss
import numpy as np
import pytest

from rag.clauses import Chunk, Clause
from rag.config import Settings
from rag.documents import DocumentInfo
from rag.index import CorpusIndex
from rag.text import normalize, tokens

DIM = 64


class BigramEmbedder:
    """Deterministic vectors: each character bigram adds 1 to a hashed coordinate."""

    def embed_query(self, text: str) -> np.ndarray:
        vec = np.zeros(DIM, dtype=np.float32)
        text = normalize(text)
        for a, b in itertools.pairwise(text):
            vec[zlib.crc32((a + b).encode()) % DIM] += 1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.embed_query(t) for t in texts])


PLAN, DRAFT = "implementation plan", "consultation draft"
DOCS = [
    DocumentInfo("gd-plan", "gd.txt", "广东省质量强省建设实施方案", "广东省", level="省级", kind=PLAN),
    DocumentInfo("dg-plan", "dg.txt", "东莞市质量强市建设实施方案", "东莞市", level="地级市", kind=PLAN),
    DocumentInfo("dg-draft", "dgd.txt", "东莞市质量强市建设方案（征求意见稿）", "东莞市", kind=DRAFT, status="draft"),
]

CLAUSES = [
    ("gd-plan/1", "section", "一、", "品牌建设", "一、品牌建设。支持企业开展品牌培育，打造广东品牌。"),
    ("gd-plan/2", "section", "二、", "计量", "二、计量。加强计量基础设施建设，完善计量标准体系。"),
    ("dg-plan/1", "section", "一、", "品牌建设", "一、品牌建设。对获得名牌称号的企业给予奖励，支持品牌培育。"),
    ("dg-plan/2", "section", "二、", "检验检测", "二、检验检测。推动检验检测机构集聚发展，到2025年达到450家。"),
    ("dg-draft/1", "section", "一、", "品牌建设", "一、品牌建设。鼓励企业品牌培育，征求意见。"),
    ("dg-draft/2", "section", "二、", "标准化", "二、标准化。"),
]


def make_clauses() -> list[Clause]:
    return [
        Clause(cid, cid.split("/")[0], kind, number, [], f"{number}{heading}", heading, text, order=i)
        for i, (cid, kind, number, heading, text) in enumerate(CLAUSES)
    ]


@pytest.fixture(scope="session")
def fake_embedder() -> BigramEmbedder:
    return BigramEmbedder()


@pytest.fixture(scope="session")
def tiny_index(fake_embedder) -> CorpusIndex:
    clauses = make_clauses()
    # dg-plan/2 comes in two chunks, as a long clause would
    chunks = [Chunk(c.clause_id, c.clause_id, c.text, c.heading) for c in clauses]
    chunks.append(Chunk("dg-plan/2#2", "dg-plan/2", "检验检测认证机构达450家以上。", "检验检测"))
    vectors = fake_embedder.embed_passages([c.embed_text for c in chunks])
    dense = faiss.IndexFlatIP(DIM)
    dense.add(vectors)
    return CorpusIndex(
        documents={d.doc_id: d for d in DOCS},
        clauses=clauses,
        chunks=chunks,
        chunk_tokens=[tokens(c.embed_text) for c in chunks],
        dense=dense,
        manifest=None,
        path=Path("tiny"),
    )


@pytest.fixture(scope="session")
def tiny_settings() -> Settings:
    return Settings(top_k=4, candidate_k=6, prompt_k=2, prompt_k_english=2)
