"""The retrieval stage's public names, where the rest of the project imports them from.

Retrieval lives in rag/retrieve/ (dense and BM25 search, fusion, preferences, comparisons: see its
package docstring); the LangChain retriever the answer pipeline holds is
rag/integrations/langchain.py; the decision whether the clauses answer is rag/answerability.py.
"""

from __future__ import annotations

from rag.integrations.langchain import HybridRetriever
from rag.places import place_mentions, version_preference
from rag.retrieve.types import RetrievalFilters, RetrievalResult, Retriever, ScoredClause

__all__ = [
    "HybridRetriever",
    "RetrievalFilters",
    "RetrievalResult",
    "Retriever",
    "ScoredClause",
    "place_mentions",
    "version_preference",
]
