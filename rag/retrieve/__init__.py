"""Retrieval in small parts behind one interface (`Retriever.run(analysis, filters, top_k)`):

- `types`: `RetrievalFilters`, `ScoredClause`, `RetrievalResult`, the `Retriever` protocol;
- `dense` / `sparse`: e5 + FAISS and BM25 candidate searches (`candidates`: what they return);
- `fuse`: reciprocal-rank fusion of the candidate rankings;
- `prefer`: filters, place/version preference, draft and heading weights, one entry per clause,
  the best match kept in view;
- `combine`: round-robin merging of the parts' rankings, a comparison's topic and its documents
  side by side;
- `hybrid`: `HybridRanker`, the retriever in use, which runs those steps.

The LangChain retriever over it is rag/integrations/langchain.py (`HybridRetriever`, also
importable from rag.retrieval); the decision whether the clauses answer is rag/answerability.py.
"""
